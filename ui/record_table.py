"""One way to show a register as a table: a model over plain rows described by columns,
sorted and filtered through a proxy, edited in place with the right editor, copyable.

A page gives the columns (header, how to show, how to sort, how to edit); an edit does not
change the row itself: the model emits edit_requested and the page saves through core, then
sets fresh rows. So what the table shows is always what is stored."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDateEdit,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSpinBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.wording import format_date
from ui.profile_form import DATE_FORMAT, from_qdate, to_qdate

Index = QModelIndex | QPersistentModelIndex
SortRole = Qt.ItemDataRole.UserRole + 1
RowRole = Qt.ItemDataRole.UserRole + 2
NO_DATE = dt.date(2000, 1, 1)  # the date editor's «не указана» (its minimum)


@dataclass
class Column:
    header: str
    display: Callable[[Any], Any]
    sort: Callable[[Any], Any] | None = None
    edit: str | None = None  # int | float | text | date | choice
    value: Callable[[Any], Any] | None = None  # what the editor starts from (display if None)
    choices: Callable[[Any], Sequence[tuple[str, Any]]] | None = None  # (label, value)
    color: Callable[[Any], str | None] | None = None
    tooltip: Callable[[Any], str] | None = None
    width: int = 0
    right: bool = False
    maximum: float = 1_000_000


class RecordTableModel(QAbstractTableModel):
    edit_requested = Signal(object, int, object)  # row, column, new value

    def __init__(self, columns: list[Column], parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = columns
        self._rows: list[Any] = []

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[Any]:
        return list(self._rows)

    def row_at(self, row: int) -> Any:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].header
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self.columns[index.column()].edit:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            value = column.display(row)
            if isinstance(value, dt.date):
                return format_date(value)
            if isinstance(value, float):
                return f"{value:g}".replace(".", ",")
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.EditRole:
            return (column.value or column.display)(row)
        if role == SortRole:
            key = (column.sort or column.display)(row)
            if isinstance(key, dt.date):
                return key.toordinal()
            if isinstance(key, str):
                return key.casefold()
            return -1 if key is None else key
        if role == Qt.ItemDataRole.ForegroundRole and column.color is not None:
            color = column.color(row)
            return QBrush(QColor(color)) if color else None
        if role == Qt.ItemDataRole.ToolTipRole:
            if column.tooltip is not None:
                return column.tooltip(row)
            text = self.data(index, Qt.ItemDataRole.DisplayRole)
            return text if text and len(text) > 30 else None
        if role == Qt.ItemDataRole.TextAlignmentRole and column.right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == RowRole:
            return row
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.EditRole:
            return False
        row = self._rows[index.row()]
        column = self.columns[index.column()]
        if value == (column.value or column.display)(row):
            return False
        self.edit_requested.emit(row, index.column(), value)
        return True


class RecordDelegate(QStyledItemDelegate):
    """The editor a column asks for: spin boxes, a date with a calendar, a list of choices."""

    def __init__(self, model: RecordTableModel, proxy: QSortFilterProxyModel) -> None:
        super().__init__(proxy)
        self._model = model
        self._proxy = proxy

    def _column(self, index: Index) -> Column:
        return self._model.columns[index.column()]

    def _row(self, index: Index) -> Any:
        return self._model.row_at(self._proxy.mapToSource(index).row())

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        column = self._column(index)
        if column.edit == "int":
            spin = QSpinBox(parent)
            spin.setRange(0, int(column.maximum))
            return spin
        if column.edit == "float":
            dspin = QDoubleSpinBox(parent)
            dspin.setRange(0, column.maximum)
            dspin.setDecimals(1)
            return dspin
        if column.edit == "date":
            date = QDateEdit(parent)
            date.setDisplayFormat(DATE_FORMAT)
            date.setCalendarPopup(True)
            date.setMinimumDate(to_qdate(NO_DATE))
            date.setSpecialValueText(self.tr("не указана"))
            return date
        if column.edit == "choice" and column.choices is not None:
            combo = QComboBox(parent)
            for label, value in column.choices(self._row(index)):
                combo.addItem(label, value)
            return combo
        return QLineEdit(parent)

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        value = index.data(Qt.ItemDataRole.EditRole)
        if isinstance(editor, QSpinBox):
            editor.setValue(int(value or 0))
        elif isinstance(editor, QDoubleSpinBox):
            editor.setValue(float(value or 0))
        elif isinstance(editor, QDateEdit):
            editor.setDate(to_qdate(value or NO_DATE))
        elif isinstance(editor, QComboBox):
            found = editor.findData(value)
            editor.setCurrentIndex(max(found, 0))
        elif isinstance(editor, QLineEdit):
            editor.setText("" if value is None else str(value))

    def setModelData(self, editor: QWidget, model: Any, index: Index) -> None:
        value: Any
        if isinstance(editor, QSpinBox):
            value = editor.value()
        elif isinstance(editor, QDoubleSpinBox):
            value = editor.value()
        elif isinstance(editor, QDateEdit):
            date = from_qdate(editor.date())
            value = None if date == NO_DATE else date
        elif isinstance(editor, QComboBox):
            value = editor.currentData()
        elif isinstance(editor, QLineEdit):
            value = editor.text().strip()
        else:
            return
        model.setData(index, value, Qt.ItemDataRole.EditRole)


class RecordTable(QWidget):
    """A filter box over a sortable table; Ctrl+C copies the selected cells as a table."""

    current_changed = Signal(object)  # the row object, or None

    def __init__(
        self, columns: list[Column], filter_hint: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.model = RecordTableModel(columns, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SortRole)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter = QLineEdit()
        self.filter.setClearButtonEnabled(True)
        self.filter.setPlaceholderText(filter_hint or self.tr("Фильтр…"))
        self.filter.textChanged.connect(self._on_filter)
        self.view = QTableView()
        self.view.setModel(self.proxy)
        self.view.setItemDelegate(RecordDelegate(self.model, self.proxy))
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().hide()
        self.view.setWordWrap(False)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for number, column in enumerate(columns):
            if column.width:
                header.resizeSection(number, column.width)
        self.count = QLabel()
        top = QHBoxLayout()
        label = QLabel(self.tr("Фи&льтр:"))
        label.setBuddy(self.filter)
        top.addWidget(label)
        top.addWidget(self.filter, 1)
        self.top = top
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.count)
        copy = QShortcut(QKeySequence.StandardKey.Copy, self.view, self.copy_selection)
        # several tables show at once: each copies only when it has the focus
        copy.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.view.selectionModel().currentRowChanged.connect(self._on_current)
        self.model.modelReset.connect(self._update_count)
        self.proxy.layoutChanged.connect(self._update_count)

    def set_rows(self, rows: Sequence[Any], keep: Callable[[Any], Any] | None = None) -> None:
        """Replace the rows, keeping the current row selected (matched by keep(row))."""
        current = self.current_row()
        key = keep(current) if keep is not None and current is not None else None
        self.model.set_rows(rows)
        if key is not None and keep is not None:
            self.select(lambda r: keep(r) == key)
        self._update_count()

    def current_row(self) -> Any:
        index = self.view.currentIndex()
        return index.data(RowRole) if index.isValid() else None

    def select(self, predicate: Callable[[Any], bool]) -> bool:
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            if predicate(index.data(RowRole)):
                self.view.setCurrentIndex(index)
                self.view.scrollTo(index)
                return True
        return False

    def shown_rows(self) -> list[Any]:
        return [self.proxy.index(r, 0).data(RowRole) for r in range(self.proxy.rowCount())]

    @Slot(str)
    def _on_filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(text)
        self._update_count()

    @Slot()
    def _update_count(self) -> None:
        self.count.setText(
            self.tr("Строк: %1 из %2")
            .replace("%1", str(self.proxy.rowCount()))
            .replace("%2", str(self.model.rowCount()))
        )

    @Slot(QModelIndex, QModelIndex)
    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.current_changed.emit(current.data(RowRole) if current.isValid() else None)

    @Slot()
    def copy_selection(self) -> None:
        indexes = sorted(
            self.view.selectionModel().selectedIndexes(), key=lambda i: (i.row(), i.column())
        )
        if not indexes:
            return
        rows: dict[int, list[str]] = {}
        for index in indexes:
            rows.setdefault(index.row(), []).append(str(index.data() or ""))
        columns = [self.model.columns[c].header for c in sorted({i.column() for i in indexes})]
        text = "\t".join(columns) + "\n" + "\n".join("\t".join(cells) for cells in rows.values())
        QApplication.clipboard().setText(text)
