"""Item models of the checklist: sections with their items as a tree, and a filter proxy."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont

from core.checklist import Checklist
from core.model import ItemState, ItemStatus, TemplateItem, TemplateSection
from core.readiness import CLOSED_STATUSES
from core.wording import STATUS_NAMES, format_date

COL_CODE, COL_TITLE, COL_STATUS, COL_DUE, COL_RESPONSIBLE, COL_FILES = range(6)
HEADERS = ("Код", "Пункт", "Статус", "Срок", "Ответственный", "Файлы")

ItemCodeRole = Qt.ItemDataRole.UserRole + 1
SectionCodeRole = Qt.ItemDataRole.UserRole + 2
StatusRole = Qt.ItemDataRole.UserRole + 3
OverdueRole = Qt.ItemDataRole.UserRole + 4
SortRole = Qt.ItemDataRole.UserRole + 5
SearchTextRole = Qt.ItemDataRole.UserRole + 6

STATUS_COLORS = {
    ItemStatus.NOT_STARTED: QColor("#5f6368"),
    ItemStatus.IN_PROGRESS: QColor("#a15c00"),
    ItemStatus.DONE: QColor("#1b7f3b"),
    ItemStatus.NOT_REQUIRED: QColor("#7a7a7a"),
}
OVERDUE_COLOR = QColor("#b3261e")

Index = QModelIndex | QPersistentModelIndex
_SECTION_ID = 0  # internalId of section rows; item rows carry their section's row + 1


@dataclass
class ItemRow:
    item: TemplateItem
    state: ItemState
    due: dt.date
    overdue: bool
    files: int
    search_text: str = ""

    def __post_init__(self) -> None:
        item, state = self.item, self.state
        self.search_text = " ".join(
            (item.code, item.title, item.done_when, state.responsible, state.comment)
        ).casefold()


class ChecklistTreeModel(QAbstractItemModel):
    def __init__(self, checklist: Checklist, parent: Any = None) -> None:
        super().__init__(parent)
        self._checklist = checklist
        self._sections: list[TemplateSection] = list(checklist.template.sections)
        self._rows: list[list[ItemRow]] = []
        self._today = checklist.today()
        self.reload()

    # --- data ----------------------------------------------------------------------------
    def reload(self) -> None:
        """Read everything again from core (after a restart, a profile change...)."""
        self.beginResetModel()
        self._today = self._checklist.today()
        states = self._checklist.states()
        counts = self._checklist.evidence_counts()
        self._rows = [
            [self._make_row(item, states[item.code], counts.get(item.code, 0)) for item in s.items]
            for s in self._sections
        ]
        self.endResetModel()

    def _make_row(self, item: TemplateItem, state: ItemState, files: int) -> ItemRow:
        due = self._checklist.due_date(item, state)
        overdue = state.status not in CLOSED_STATUSES and due < self._today
        return ItemRow(item, state, due, overdue, files)

    def refresh_item(self, code: str) -> None:
        """Re-read one item after it was saved, keeping selection and expansion."""
        for s_row, rows in enumerate(self._rows):
            for i_row, row in enumerate(rows):
                if row.item.code == code:
                    state = self._checklist.state(code)
                    files = self._checklist.evidence_counts().get(code, 0)
                    rows[i_row] = self._make_row(row.item, state, files)
                    parent = self.index(s_row, 0)
                    self.dataChanged.emit(
                        self.index(i_row, 0, parent), self.index(i_row, len(HEADERS) - 1, parent)
                    )
                    self.dataChanged.emit(parent, self.index(s_row, len(HEADERS) - 1))
                    return

    def row_under(self, row: int, parent: Index) -> ItemRow | None:
        """The item at (row, parent) without going through Qt's data(): the filter's fast path."""
        if not parent.isValid() or parent.internalId() != _SECTION_ID:
            return None
        return self._rows[parent.row()][row]

    def item_row(self, index: Index) -> ItemRow | None:
        if not index.isValid() or index.internalId() == _SECTION_ID:
            return None
        return self._rows[index.internalId() - 1][index.row()]

    def index_of(self, code: str) -> QModelIndex:
        for s_row, rows in enumerate(self._rows):
            for i_row, row in enumerate(rows):
                if row.item.code == code:
                    return self.index(i_row, 0, self.index(s_row, 0))
        return QModelIndex()

    # --- QAbstractItemModel --------------------------------------------------------------
    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:
        # bounds checked here rather than with hasIndex(): views call this thousands of times
        if row < 0 or not 0 <= column < len(HEADERS):
            return QModelIndex()
        if not parent.isValid():
            if row >= len(self._sections):
                return QModelIndex()
            return self.createIndex(row, column, _SECTION_ID)
        if parent.internalId() != _SECTION_ID or parent.column() != 0:
            return QModelIndex()
        if row >= len(self._rows[parent.row()]):
            return QModelIndex()
        return self.createIndex(row, column, parent.row() + 1)

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]
        if not index.isValid() or index.internalId() == _SECTION_ID:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, _SECTION_ID)

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        if not parent.isValid():
            return len(self._sections)
        if parent.internalId() == _SECTION_ID and parent.column() == 0:
            return len(self._rows[parent.row()])
        return 0

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if index.internalId() == _SECTION_ID:
            return self._section_data(index.row(), index.column(), role)
        row = self._rows[index.internalId() - 1][index.row()]
        return self._item_data(row, index.column(), role)

    def _section_data(self, s_row: int, column: int, role: int) -> Any:
        section = self._sections[s_row]
        rows = self._rows[s_row]
        if role == Qt.ItemDataRole.DisplayRole:
            if column == COL_CODE:
                return section.code
            if column == COL_TITLE:
                done = sum(r.state.status is ItemStatus.DONE for r in rows)
                applicable = sum(r.state.status is not ItemStatus.NOT_REQUIRED for r in rows)
                return f"{section.title} — {done} из {applicable}"
            if column == COL_DUE:
                overdue = sum(r.overdue for r in rows)
                return f"просрочено: {overdue}" if overdue else ""
            return None
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and column == COL_DUE:
            return QBrush(OVERDUE_COLOR)
        if role == SectionCodeRole:
            return section.code
        if role == SortRole:
            return s_row  # sections keep the template's order whatever the sort column
        return None

    def _item_data(self, row: ItemRow, column: int, role: int) -> Any:
        state, item = row.state, row.item
        if role == Qt.ItemDataRole.DisplayRole:
            if column == COL_CODE:
                return item.code
            if column == COL_TITLE:
                return item.title
            if column == COL_STATUS:
                return STATUS_NAMES[state.status]
            if column == COL_DUE:
                return format_date(row.due)
            if column == COL_RESPONSIBLE:
                return state.responsible or item.role
            if column == COL_FILES:
                return str(row.files) if row.files else ""
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == COL_TITLE:
                return f"{item.title}\n\nВыполнено, когда: {item.done_when}"
            if column == COL_DUE and row.overdue:
                return f"Просрочено: срок {format_date(row.due)}"
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == COL_DUE and row.overdue:
                return QBrush(OVERDUE_COLOR)
            if column == COL_STATUS:
                return QBrush(STATUS_COLORS[state.status])
            if column == COL_RESPONSIBLE and not state.responsible:
                return QBrush(QColor("#80868b"))
            return None
        if role == Qt.ItemDataRole.FontRole and column == COL_DUE and row.overdue:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and column == COL_FILES:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == ItemCodeRole:
            return item.code
        if role == SectionCodeRole:
            return item.section_code
        if role == StatusRole:
            return state.status.value
        if role == OverdueRole:
            return row.overdue
        if role == SortRole:
            return self._sort_key(row, column)
        if role == SearchTextRole:
            return row.search_text
        return None

    @staticmethod
    def _sort_key(row: ItemRow, column: int) -> Any:
        if column == COL_STATUS:
            return list(ItemStatus).index(row.state.status)
        if column == COL_DUE:
            return row.due.toordinal()
        if column == COL_FILES:
            return row.files
        if column == COL_RESPONSIBLE:
            return (row.state.responsible or row.item.role).casefold()
        if column == COL_TITLE:
            return row.item.title.casefold()
        return row.item.code


class ChecklistFilterProxy(QSortFilterProxyModel):
    """Filters by section, status, «просрочено» and text; sections show while they hold a
    matching item."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setRecursiveFilteringEnabled(True)
        self.setSortRole(SortRole)
        self._section: str | None = None
        self._status: str | None = None
        self._overdue_only = False
        self._words: list[str] = []

    def set_filters(
        self, text: str, section: str | None, status: str | None, overdue_only: bool
    ) -> None:
        """All filters at once: the tree is filtered once, not once per filter."""
        self._words = text.casefold().split()
        self._section = section or None
        self._status = status or None
        self._overdue_only = overdue_only
        self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        if not isinstance(model, ChecklistTreeModel):
            return True
        row = model.row_under(source_row, source_parent)
        if row is None:
            return False  # a section is shown when one of its items is (recursive filtering)
        if self._section and row.item.section_code != self._section:
            return False
        if self._status and row.state.status.value != self._status:
            return False
        if self._overdue_only and not row.overdue:
            return False
        return all(word in row.search_text for word in self._words)
