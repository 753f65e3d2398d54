"""«Сводка»: overall and per-section readiness, overdue items, days until the opening."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.checklist import Checklist
from core.model import Readiness
from ui.formatting import days_phrase, format_date, plural

Index = QModelIndex | QPersistentModelIndex
ItemCodeRole = Qt.ItemDataRole.UserRole + 1
SortRole = Qt.ItemDataRole.UserRole + 2


class OverdueTableModel(QAbstractTableModel):
    COL_CODE, COL_TITLE, COL_DUE, COL_LATE, COL_RESPONSIBLE = range(5)
    HEADERS = ("Код", "Пункт", "Срок", "Просрочено", "Ответственный")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[tuple[str, str, Any, int, str]] = []

    def set_rows(self, rows: list[tuple[str, str, Any, int, str]]) -> None:
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        code, title, due, late, responsible = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (code, title, format_date(due), days_phrase(late), responsible)[column]
        if role == SortRole:
            return (code, title.casefold(), due.toordinal(), late, responsible.casefold())[column]
        if role == ItemCodeRole:
            return code
        return None


class SummaryView(QWidget):
    item_activated = Signal(str)

    def __init__(self, checklist: Checklist, parent: Any = None) -> None:
        super().__init__(parent)
        self._checklist = checklist
        self.title = QLabel()
        title_font = QFont(self.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.5)
        title_font.setBold(True)
        self.title.setFont(title_font)
        self.title.setWordWrap(True)
        self.opening = QLabel()
        self.opening.setWordWrap(True)
        opening_font = QFont(self.font())
        opening_font.setPointSizeF(opening_font.pointSizeF() * 1.2)
        self.opening.setFont(opening_font)
        self.overall = QProgressBar()
        self.overall.setRange(0, 100)
        self.overall.setMinimumHeight(28)
        self.overall_text = QLabel()

        self.sections_box = QGroupBox(self.tr("Готовность по разделам"))
        self.sections_grid = QGridLayout(self.sections_box)
        self.sections_grid.setColumnStretch(1, 1)
        self._section_widgets: list[tuple[QLabel, QProgressBar, QLabel]] = []

        self.overdue_model = OverdueTableModel(self)
        proxy = QSortFilterProxyModel(self)
        proxy.setSourceModel(self.overdue_model)
        proxy.setSortRole(SortRole)
        self.overdue_view = QTableView()
        self.overdue_view.setModel(proxy)
        self.overdue_view.setSortingEnabled(True)
        self.overdue_view.sortByColumn(OverdueTableModel.COL_LATE, Qt.SortOrder.DescendingOrder)
        self.overdue_view.verticalHeader().hide()
        self.overdue_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.overdue_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.overdue_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(OverdueTableModel.COL_TITLE, QHeaderView.ResizeMode.Stretch)
        self.overdue_view.activated.connect(self._on_overdue_activated)
        self.overdue_box = QGroupBox()
        overdue_layout = QVBoxLayout(self.overdue_box)
        overdue_layout.addWidget(self.overdue_view)
        hint = QLabel(self.tr("Enter или двойной щелчок — открыть пункт в чек-листе."))
        hint.setStyleSheet("color: #5f6368;")
        overdue_layout.addWidget(hint)

        top = QHBoxLayout()
        top.addWidget(self.overall, 1)
        top.addWidget(self.overall_text)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.opening)
        layout.addLayout(top)
        layout.addWidget(self.sections_box)
        layout.addWidget(self.overdue_box, 1)
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        checklist = self._checklist
        readiness = checklist.readiness()
        profile = checklist.profile()
        name = profile.school_short_name if profile else self.tr("профиль не заполнен")
        self.title.setText(self.tr("Центр «Точка роста» — %1").replace("%1", name))
        self.opening.setText(self._opening_text(readiness))
        self.overall.setValue(round(readiness.percent))
        self.overall.setFormat(f"{readiness.percent:.0f} %")
        self.overall_text.setText(
            f"выполнено {readiness.done} из {readiness.applicable} "
            f"{plural(readiness.applicable, 'пункта', 'пунктов', 'пунктов')}"
        )
        self._fill_sections(readiness)
        self._fill_overdue(readiness)

    def _opening_text(self, readiness: Readiness) -> str:
        profile = self._checklist.profile()
        days = readiness.days_until_opening
        if profile is None or days is None:
            return ""
        date = format_date(profile.opening_date)
        if days > 0:
            return f"До открытия Центра ({date}) — {days_phrase(days)}"
        if days == 0:
            return f"Открытие Центра — сегодня, {date}"
        return f"Центр открыт {date} ({days_phrase(-days)} назад)"

    def _fill_sections(self, readiness: Readiness) -> None:
        while len(self._section_widgets) < len(readiness.sections):
            row = len(self._section_widgets)
            label, bar, counts = QLabel(), QProgressBar(), QLabel()
            bar.setRange(0, 100)
            self.sections_grid.addWidget(label, row, 0)
            self.sections_grid.addWidget(bar, row, 1)
            self.sections_grid.addWidget(counts, row, 2)
            self._section_widgets.append((label, bar, counts))
        for (label, bar, counts), section in zip(
            self._section_widgets, readiness.sections, strict=False
        ):
            label.setText(section.title)
            bar.setValue(round(section.percent))
            bar.setFormat(f"{section.percent:.0f} %")
            text = f"{section.done} из {section.applicable}"
            if section.overdue:
                text += f", просрочено: {section.overdue}"
            counts.setText(text)
            counts.setStyleSheet("color: #b3261e;" if section.overdue else "")

    def _fill_overdue(self, readiness: Readiness) -> None:
        checklist = self._checklist
        states = checklist.states()
        rows = []
        for code in readiness.overdue_codes:
            item = checklist.template.item(code)
            state = states[code]
            due = checklist.due_date(item, state)
            rows.append(
                (
                    code,
                    item.title,
                    due,
                    (readiness.today - due).days,
                    state.responsible or item.role,
                )
            )
        self.overdue_model.set_rows(rows)
        count = len(rows)
        self.overdue_box.setTitle(
            self.tr("Просроченные пункты: %1").replace("%1", str(count))
            if count
            else self.tr("Просроченных пунктов нет")
        )

    @Slot(QModelIndex)
    def _on_overdue_activated(self, index: QModelIndex) -> None:
        code = index.data(ItemCodeRole)
        if code:
            self.item_activated.emit(code)
