"""«Оборудование»: the infrastructure list with quantities, contracts and acts; the units of a
position; discrepancies; the supplier's delivery list imported from XLSX."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.model import EquipmentUnit, UnitStatus
from core.registers import Discrepancy, PositionView, Registers
from core.wording import DISCREPANCY_TEXT, UNIT_STATUS_NAMES, format_datetime
from ui.delivery_dialog import DeliveryPreviewDialog
from ui.evidence_panel import EvidencePanel
from ui.history_model import HistoryTableModel
from ui.progress import progress_dialog
from ui.record_table import Column, RecordTable
from ui.register_page import RegisterPage, history_table
from ui.tasks import TaskRunner

RED = "#b3261e"


class EquipmentView(RegisterPage):
    def __init__(
        self, registers: Registers, runner: TaskRunner, thumbnails_dir: Path, parent: Any = None
    ) -> None:
        super().__init__(registers, runner, thumbnails_dir, parent)
        self._problems: dict[str, list[Discrepancy]] = {}
        self._positions: list[PositionView] = []
        self._room_names: dict[int, str] = {}

        self.section_filter = QComboBox()
        self.section_filter.addItem(self.tr("Все разделы"), "")
        for section in registers.template.equipment_sections:
            self.section_filter.addItem(section, section)
        self.only_problems = QCheckBox(self.tr("Только с &расхождениями"))
        self.import_button = QPushButton(self.tr("&Импорт поставки из XLSX…"))
        self.undo_button = QPushButton(self.tr("Отменить последний импорт"))
        self.import_button.clicked.connect(self.choose_delivery_file)
        self.undo_button.clicked.connect(self.undo_import)

        self.positions = RecordTable(
            self._position_columns(), self.tr("Фильтр по названию, поставщику…")
        )
        self.positions.top.insertWidget(0, self.section_filter)
        self.positions.top.addWidget(self.only_problems)
        self.positions.model.edit_requested.connect(self._on_position_edit)
        self.positions.current_changed.connect(self._on_position_selected)

        self.units = RecordTable(self._unit_columns(), self.tr("Фильтр по номеру…"))
        self.units.model.edit_requested.connect(self._on_unit_edit)
        self.add_unit_button = QPushButton(self.tr("Добавить &единицу"))
        self.remove_unit_button = QPushButton(self.tr("Удалить единицу…"))
        self.add_unit_button.clicked.connect(self.add_unit)
        self.remove_unit_button.clicked.connect(self.remove_unit)
        self.units.top.addWidget(self.add_unit_button)
        self.units.top.addWidget(self.remove_unit_button)
        self.units_box = QGroupBox(self.tr("Единицы позиции"))
        QVBoxLayout(self.units_box).addWidget(self.units)

        checklist = registers.checklist
        self.photos = EvidencePanel(
            checklist, runner, thumbnails_dir, registers.attach, self.tr("Фото"), compact=True
        )
        self.act = EvidencePanel(
            checklist,
            runner,
            thumbnails_dir,
            registers.attach,
            self.tr("Акт приёмки (скан)"),
            compact=True,
        )
        for panel in (self.photos, self.act):
            panel.failed.connect(self.failed)
            panel.changed.connect(lambda _s: self.changed.emit())

        self.problems = RecordTable(self._problem_columns(), self.tr("Фильтр…"))
        self.problems.current_changed.connect(self._on_problem_selected)
        self.history_model = HistoryTableModel(self)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.problems, "")
        self.tabs.addTab(history_table(self.history_model), self.tr("История позиции"))

        toolbar = QHBoxLayout()
        toolbar.addWidget(self.import_button)
        toolbar.addWidget(self.undo_button)
        self.import_info = QLabel()
        self.import_info.setStyleSheet("color: #5f6368;")
        toolbar.addWidget(self.import_info, 1)

        evidence = QWidget()
        evidence_layout = QVBoxLayout(evidence)
        evidence_layout.setContentsMargins(0, 0, 0, 0)
        evidence_layout.addWidget(self.photos)
        evidence_layout.addWidget(self.act)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.units_box)
        lower.addWidget(evidence)
        lower.addWidget(self.tabs)
        lower.setSizes([520, 300, 380])
        main = QSplitter(Qt.Orientation.Vertical)
        main.addWidget(self.positions)
        main.addWidget(lower)
        main.setSizes([420, 300])
        layout = QVBoxLayout(self)
        layout.addLayout(toolbar)
        layout.addWidget(main, 1)

        self.section_filter.currentIndexChanged.connect(self._fill_positions)
        self.only_problems.toggled.connect(self._fill_positions)

    # --- columns -------------------------------------------------------------------------
    def _position_columns(self) -> list[Column]:
        def problem_text(v: PositionView) -> str:
            return "; ".join(
                DISCREPANCY_TEXT[d.kind].format(expected=d.expected, actual=d.actual)
                for d in self._problems.get(v.position.code, [])
                if d.unit_id is None
            )

        def units_text(v: PositionView) -> str:
            problems = [d for d in self._problems.get(v.position.code, []) if d.unit_id]
            return f"{v.units} ({len(problems)} ⚠)" if problems else str(v.units)

        return [
            Column("Код", lambda v: v.position.code, width=60),
            Column("Раздел", lambda v: v.position.section, width=100),
            Column("Наименование", lambda v: v.position.name, width=300),
            Column("Ед.", lambda v: v.position.unit, width=55),
            Column("План", lambda v: v.planned, edit="int", width=55, right=True),
            Column(
                "Поставлено",
                lambda v: v.state.delivered,
                edit="int",
                width=85,
                right=True,
                color=lambda v: RED if v.state.delivered < v.planned else None,
            ),
            Column(
                "Установлено",
                lambda v: v.state.installed,
                edit="int",
                width=90,
                right=True,
                color=lambda v: RED if v.state.installed < v.state.delivered else None,
            ),
            Column("Введено", lambda v: v.state.in_use, edit="int", width=70, right=True),
            Column("Единиц", units_text, sort=lambda v: v.units, width=70, right=True),
            Column("Поставщик", lambda v: v.state.supplier, edit="text", width=150),
            Column("Контракт №", lambda v: v.state.contract_number, edit="text", width=110),
            Column("Дата контракта", lambda v: v.state.contract_date, edit="date", width=105),
            Column("Дата поставки", lambda v: v.state.delivery_date, edit="date", width=105),
            Column("Акт №", lambda v: v.state.act_number, edit="text", width=80),
            Column("Дата акта", lambda v: v.state.act_date, edit="date", width=95),
            Column("Расхождения", problem_text, color=lambda v: RED, width=250),
        ]

    POSITION_FIELDS = {
        4: "planned",
        5: "delivered",
        6: "installed",
        7: "in_use",
        9: "supplier",
        10: "contract_number",
        11: "contract_date",
        12: "delivery_date",
        13: "act_number",
        14: "act_date",
    }

    def _unit_columns(self) -> list[Column]:
        def rooms(_unit: EquipmentUnit) -> list[tuple[str, Any]]:
            return [(self.tr("— не указано —"), None)] + [
                (name, room_id) for room_id, name in self._room_names.items()
            ]

        def statuses(_unit: EquipmentUnit) -> list[tuple[str, Any]]:
            return [(UNIT_STATUS_NAMES[s], s.value) for s in UnitStatus]

        return [
            Column(
                "Инв. номер",
                lambda u: u.inventory_number,
                edit="text",
                width=120,
                color=lambda u: (
                    RED if u.status is UnitStatus.IN_USE and not u.inventory_number else None
                ),
            ),
            Column("Серийный номер", lambda u: u.serial_number, edit="text", width=140),
            Column(
                "Помещение",
                lambda u: self._room_names.get(u.room_id, "—") if u.room_id else "—",
                edit="choice",
                value=lambda u: u.room_id,
                choices=rooms,
                width=170,
                color=lambda u: RED if u.room_id is None else None,
            ),
            Column(
                "Статус",
                lambda u: UNIT_STATUS_NAMES[u.status],
                edit="choice",
                value=lambda u: u.status.value,
                choices=statuses,
                width=160,
            ),
        ]

    UNIT_FIELDS = {0: "inventory_number", 1: "serial_number", 2: "room_id", 3: "status"}

    def _problem_columns(self) -> list[Column]:
        def position_name(d: Discrepancy) -> str:
            return f"{d.position_code} {self.registers.position(d.position_code).name}"

        def what(d: Discrepancy) -> str:
            text = DISCREPANCY_TEXT[d.kind].format(expected=d.expected, actual=d.actual)
            return f"{text} (ед. № {d.unit_id})" if d.unit_id else text

        return [
            Column("Позиция", position_name, width=220),
            Column("Что не так", what, color=lambda d: RED),
        ]

    # --- filling -------------------------------------------------------------------------
    def refresh(self) -> None:
        self._stale = False
        registers = self.registers
        self._room_names = {r.id: f"{r.number} {r.name}" for r in registers.rooms()}
        units = registers.units()
        positions = registers.positions(units)
        problems = registers.discrepancies(positions, units)
        self._problems = {}
        for problem in problems:
            self._problems.setdefault(problem.position_code, []).append(problem)
        self._positions = positions
        self._fill_positions()
        self.problems.set_rows(problems)
        self.tabs.setTabText(0, self.tr("Расхождения: %1").replace("%1", str(len(problems))))
        self._on_position_selected(self.positions.current_row())
        batch = registers.last_import()
        can_undo = batch is not None and batch.undone_at is None
        self.undo_button.setEnabled(can_undo)
        self.import_info.setText(
            self.tr("Последний импорт: %1, %2")
            .replace("%1", batch.file_name)
            .replace("%2", format_datetime(batch.at))
            + (self.tr(" (отменён)") if batch.undone_at else "")
            if batch
            else ""
        )

    @Slot()
    def _fill_positions(self) -> None:
        section = self.section_filter.currentData()
        only_problems = self.only_problems.isChecked()
        rows = [
            v
            for v in self._positions
            if (not section or v.position.section == section)
            and (not only_problems or v.position.code in self._problems)
        ]
        self.positions.set_rows(rows, keep=lambda v: v.position.code)

    @Slot(object)
    def _on_position_selected(self, view: PositionView | None) -> None:
        code = view.position.code if view is not None else None
        self.units_box.setTitle(
            self.tr("Единицы позиции %1").replace("%1", f"{code} {view.position.name}")
            if view is not None
            else self.tr("Единицы позиции (выберите позицию)")
        )
        self.units.set_rows(self.registers.units(code) if code else [], keep=lambda u: u.id)
        self.add_unit_button.setEnabled(code is not None)
        self.remove_unit_button.setEnabled(code is not None)
        self.photos.set_subject(code)
        self.act.set_subject(f"{code}/act" if code else None)
        self.history_model.set_entries(self.checklist.history(code) if code else [])

    @Slot(object)
    def _on_problem_selected(self, problem: Discrepancy | None) -> None:
        if problem is not None:
            self.positions.select(lambda v: v.position.code == problem.position_code)

    # --- editing -------------------------------------------------------------------------
    @Slot(object, int, object)
    def _on_position_edit(self, view: PositionView, column: int, value: Any) -> None:
        field = self.POSITION_FIELDS[column]
        self.save(self.registers.update_position, view.position.code, **{field: value})

    @Slot(object, int, object)
    def _on_unit_edit(self, unit: EquipmentUnit, column: int, value: Any) -> None:
        self.save(self.registers.update_unit, unit.id, **{self.UNIT_FIELDS[column]: value})

    @Slot()
    def add_unit(self) -> None:
        view = self.positions.current_row()
        if view is not None:
            self.save(self.registers.add_unit, view.position.code)

    @Slot()
    def remove_unit(self) -> None:
        unit = self.units.current_row()
        if unit is None:
            return
        answer = QMessageBox.question(
            self,
            self.tr("Удалить единицу"),
            self.tr("Удалить единицу «%1»? Удаление будет записано в историю.").replace(
                "%1", unit.serial_number or unit.inventory_number or f"№ {unit.id}"
            ),
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.save(self.registers.remove_unit, unit.id)

    # --- delivery import -----------------------------------------------------------------
    @Slot()
    def choose_delivery_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("Список поставки (XLSX)"),
            "",
            self.tr("Книги Excel (*.xlsx);;Все файлы (*)"),
        )
        if path:
            self.import_delivery(Path(path))

    def import_delivery(self, path: Path) -> None:
        """Read the file off the GUI thread, show the preview, apply on the user's word."""
        task = self.runner.run(
            self.registers.preview_delivery,
            path,
            with_progress=True,
            on_success=self._show_preview,
            on_failure=self._preview_failed,
        )
        self._progress = progress_dialog(self, self.tr("Чтение списка поставки…"), task)

    def _close_progress(self) -> None:
        progress = getattr(self, "_progress", None)
        if progress is not None:
            progress.close()
            progress.deleteLater()
            self._progress = None

    def _preview_failed(self, exc: BaseException) -> None:
        self._close_progress()
        self.failed.emit(exc)

    def _show_preview(self, preview: Any) -> None:
        self._close_progress()
        dialog = DeliveryPreviewDialog(preview, self.registers, self)
        self.preview_dialog = dialog
        if dialog.exec() == DeliveryPreviewDialog.DialogCode.Accepted:
            self.save(self.registers.apply_delivery, preview)

    @Slot()
    def undo_import(self) -> None:
        batch = self.registers.last_import()
        if batch is None or batch.undone_at is not None:
            return
        answer = QMessageBox.question(
            self,
            self.tr("Отменить импорт"),
            self.tr(
                "Отменить импорт «%1»? Количества вернутся к прежним, созданные единицы "
                "будут удалены."
            ).replace("%1", batch.file_name),
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.save(self.registers.undo_last_import)
