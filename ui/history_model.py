"""The audit history of one item (or of the profile) as a table."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from core.model import HistoryEntry
from core.wording import format_datetime
from ui.formatting import field_name, history_value

COL_AT, COL_FIELD, COL_OLD, COL_NEW = range(4)
HEADERS = ("Когда", "Что изменено", "Было", "Стало")

Index = QModelIndex | QPersistentModelIndex


class HistoryTableModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._entries: list[HistoryEntry] = []

    def set_entries(self, entries: list[HistoryEntry]) -> None:
        self.beginResetModel()
        self._entries = list(entries)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
        ):
            return None
        entry = self._entries[index.row()]
        column = index.column()
        if column == COL_AT:
            return format_datetime(entry.at)
        if column == COL_FIELD:
            return field_name(entry.field)
        if column == COL_OLD:
            return history_value(entry.field, entry.old)
        return history_value(entry.field, entry.new)
