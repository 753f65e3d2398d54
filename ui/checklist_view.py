"""«Чек-лист»: the items grouped by section, filters and search, and the detail panel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelection, Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from core.checklist import Checklist
from core.model import ItemStatus
from core.wording import STATUS_NAMES
from ui.checklist_model import (
    COL_CODE,
    COL_DUE,
    COL_FILES,
    COL_RESPONSIBLE,
    COL_STATUS,
    COL_TITLE,
    ChecklistFilterProxy,
    ChecklistTreeModel,
    ItemCodeRole,
)
from ui.item_detail import ItemDetail
from ui.tasks import TaskRunner


class ChecklistView(QWidget):
    item_saved = Signal(str)
    failed = Signal(object)

    def __init__(
        self, checklist: Checklist, runner: TaskRunner, thumbnails_dir: Path, parent: Any = None
    ) -> None:
        super().__init__(parent)
        self._checklist = checklist
        self.model = ChecklistTreeModel(checklist, self)
        self.proxy = ChecklistFilterProxy(self)
        self.proxy.setSourceModel(self.model)

        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Поиск по коду, названию, ответственному… (Ctrl+F)"))
        self.search.setClearButtonEnabled(True)
        self.section_filter = QComboBox()
        self.section_filter.addItem(self.tr("Все разделы"), "")
        for section in checklist.template.sections:
            self.section_filter.addItem(section.title, section.code)
        self.status_filter = QComboBox()
        self.status_filter.addItem(self.tr("Любой статус"), "")
        for status in ItemStatus:
            self.status_filter.addItem(STATUS_NAMES[status], status.value)
        self.overdue_only = QCheckBox(self.tr("Только &просроченные"))
        search_row = QHBoxLayout()
        search_label = QLabel(self.tr("&Найти:"))
        search_label.setBuddy(self.search)
        search_row.addWidget(search_label)
        search_row.addWidget(self.search, 1)
        filters = QHBoxLayout()
        section_label = QLabel(self.tr("Ра&здел:"))
        section_label.setBuddy(self.section_filter)
        filters.addWidget(section_label)
        filters.addWidget(self.section_filter, 1)
        status_label = QLabel(self.tr("С&татус:"))
        status_label.setBuddy(self.status_filter)
        filters.addWidget(status_label)
        filters.addWidget(self.status_filter)
        filters.addWidget(self.overdue_only)

        self.tree = QTreeView()
        self.tree.setModel(self.proxy)
        self.tree.setSortingEnabled(True)
        self.tree.sortByColumn(COL_CODE, Qt.SortOrder.AscendingOrder)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.expandAll()
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(COL_TITLE, QHeaderView.ResizeMode.Stretch)
        for column, width in (
            (COL_CODE, 115),
            (COL_STATUS, 105),
            (COL_DUE, 95),
            (COL_RESPONSIBLE, 150),
            (COL_FILES, 50),
        ):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
        self.count_label = QLabel()

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(search_row)
        left_layout.addLayout(filters)
        left_layout.addWidget(self.tree, 1)
        left_layout.addWidget(self.count_label)

        self.detail = ItemDetail(checklist, runner, thumbnails_dir)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([660, 460])
        splitter.setChildrenCollapsible(False)
        self.splitter = splitter
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

        self.search.textChanged.connect(self._on_filter_changed)
        self.section_filter.currentIndexChanged.connect(self._on_filter_changed)
        self.status_filter.currentIndexChanged.connect(self._on_filter_changed)
        self.overdue_only.toggled.connect(self._on_filter_changed)
        self.tree.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.detail.item_saved.connect(self._on_item_saved)
        self.detail.failed.connect(self.failed)
        QShortcut(QKeySequence.StandardKey.Find, self, self.focus_search)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self.search, self._clear_search)
        copy = QShortcut(QKeySequence.StandardKey.Copy, self.tree, self.copy_selection)
        copy.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._update_count()

    @Slot()
    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    @Slot()
    def _clear_search(self) -> None:
        self.search.clear()
        self.tree.setFocus()

    @Slot()
    def _on_filter_changed(self) -> None:
        self.proxy.set_filters(
            self.search.text(),
            self.section_filter.currentData(),
            self.status_filter.currentData(),
            self.overdue_only.isChecked(),
        )
        self.tree.expandAll()
        self._update_count()

    def _update_count(self) -> None:
        shown = sum(
            self.proxy.rowCount(self.proxy.index(row, 0)) for row in range(self.proxy.rowCount())
        )
        total = len(self._checklist.template.items())
        self.count_label.setText(
            self.tr("Показано пунктов: %1 из %2")
            .replace("%1", str(shown))
            .replace("%2", str(total))
        )

    @Slot(QItemSelection, QItemSelection)
    def _on_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = self.tree.selectionModel().selectedRows()
        code = indexes[0].data(ItemCodeRole) if indexes else None
        self.detail.show_item(code)

    @Slot(str)
    def _on_item_saved(self, code: str) -> None:
        self.model.refresh_item(code)
        self.proxy.invalidate()
        self._update_count()
        self.item_saved.emit(code)

    def select_item(self, code: str) -> None:
        source = self.model.index_of(code)
        index = self.proxy.mapFromSource(source)
        if not index.isValid():  # hidden by a filter: clear the filters to show it
            self.search.clear()
            self.section_filter.setCurrentIndex(0)
            self.status_filter.setCurrentIndex(0)
            self.overdue_only.setChecked(False)
            index = self.proxy.mapFromSource(source)
        self.tree.setCurrentIndex(index)
        self.tree.scrollTo(index)
        self.tree.setFocus()

    def selected_code(self) -> str | None:
        return self.detail.code

    @Slot()
    def copy_selection(self) -> None:
        """Copy the selected row as tab-separated text (pastes into a spreadsheet)."""
        rows = self.tree.selectionModel().selectedRows()
        lines = []
        for index in rows:
            cells = [
                str(index.siblingAtColumn(c).data() or "") for c in range(self.proxy.columnCount())
            ]
            lines.append("\t".join(cells))
        if lines:
            QApplication.clipboard().setText("\n".join(lines))

    def reload(self) -> None:
        code = self.detail.code
        self.model.reload()
        self.tree.expandAll()
        if code:
            self.select_item(code)
        self._update_count()

    def flush(self) -> None:
        self.detail.flush()
