"""«Показатели»: targets per year, actual values per quarter, % of target, a note per value
and the history of changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
)

from core.registers import IndicatorRow, Registers
from core.wording import quarter_name
from ui.history_model import HistoryTableModel
from ui.record_table import Column, RecordTable
from ui.register_page import RegisterPage, history_table
from ui.tasks import TaskRunner


def _value(row: IndicatorRow, quarter: int) -> float | None:
    value = row.values.get(quarter)
    return value.value if value else None


class IndicatorsView(RegisterPage):
    def __init__(
        self, registers: Registers, runner: TaskRunner, thumbnails_dir: Path, parent: Any = None
    ) -> None:
        super().__init__(registers, runner, thumbnails_dir, parent)
        self.year = QSpinBox()
        self.year.setRange(2018, 2100)
        self.year.setPrefix(self.tr("Год: "))
        self.year.valueChanged.connect(self.refresh)
        columns = [
            Column(
                "Показатель",
                lambda r: r.indicator.name,
                width=420,
                tooltip=lambda r: r.indicator.name,
            ),
            Column("Ед.", lambda r: r.indicator.unit, width=45),
            Column("Цель на год", lambda r: r.target, edit="float", width=90, right=True),
        ]
        for quarter in (1, 2, 3, 4):
            columns.append(
                Column(
                    quarter_name(quarter),
                    lambda r, q=quarter: _value(r, q),
                    edit="float",
                    value=lambda r, q=quarter: _value(r, q) or 0.0,
                    width=70,
                    right=True,
                    tooltip=lambda r, q=quarter: r.values[q].note if q in r.values else "",
                )
            )
        columns.append(
            Column(
                "% цели",
                lambda r: f"{r.percent:.0f} %" if r.percent is not None else "",
                sort=lambda r: r.percent if r.percent is not None else -1,
                width=70,
                right=True,
                color=lambda r: "#1b7f3b" if (r.percent or 0) >= 100 else None,
            )
        )
        self.table = RecordTable(columns, self.tr("Фильтр…"))
        self.table.top.insertWidget(0, self.year)
        self.table.model.edit_requested.connect(self._on_edit)
        self.table.current_changed.connect(self._on_selected)
        self.table.view.setWordWrap(True)

        self.quarter = QComboBox()
        for quarter in (1, 2, 3, 4):
            self.quarter.addItem(quarter_name(quarter), quarter)
        self.quarter.currentIndexChanged.connect(
            lambda _i: self._on_selected(self.table.current_row())
        )
        self.note = QLineEdit()
        self.note.setPlaceholderText(self.tr("примечание к значению за квартал"))
        self.note.editingFinished.connect(self._save_note)
        self.rule = QLabel()
        self.rule.setStyleSheet("color: #5f6368;")
        self.rule.setWordWrap(True)
        note_row = QHBoxLayout()
        note_label = QLabel(self.tr("&Примечание:"))
        note_label.setBuddy(self.note)
        note_row.addWidget(self.quarter)
        note_row.addWidget(note_label)
        note_row.addWidget(self.note, 1)
        self.history_model = HistoryTableModel(self)
        history = history_table(self.history_model)
        detail = QGroupBox(self.tr("Значение и история"))
        detail_layout = QVBoxLayout(detail)
        detail_layout.addLayout(note_row)
        detail_layout.addWidget(self.rule)
        detail_layout.addWidget(history, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(detail)
        splitter.setSizes([380, 260])
        QVBoxLayout(self).addWidget(splitter)
        self._year_set = False

    def refresh(self) -> None:
        self._stale = False
        if not self._year_set:
            self._year_set = True
            self.year.blockSignals(True)
            self.year.setValue(self.registers.indicator_year())
            self.year.blockSignals(False)
        self.table.set_rows(
            self.registers.indicators(self.year.value()), keep=lambda r: r.indicator.code
        )
        self._on_selected(self.table.current_row())

    @Slot(object, int, object)
    def _on_edit(self, row: IndicatorRow, column: int, value: Any) -> None:
        year = self.year.value()
        if column == 2:
            self.save(self.registers.set_indicator_target, row.indicator.code, year, value)
            return
        quarter = column - 2
        note = row.values[quarter].note if quarter in row.values else ""
        self.quarter.setCurrentIndex(quarter - 1)
        self.save(
            self.registers.set_indicator_value, row.indicator.code, year, quarter, value, note
        )

    @Slot(object)
    def _on_selected(self, row: IndicatorRow | None) -> None:
        self.note.setEnabled(row is not None)
        if row is None:
            self.history_model.set_entries([])
            self.rule.clear()
            return
        quarter = self.quarter.currentData()
        value = row.values.get(quarter)
        self.note.setText(value.note if value else "")
        self.note.setEnabled(value is not None)
        code, year = row.indicator.code, self.year.value()
        entries = self.checklist.history(f"{code}/{year}-Q{quarter}") + self.checklist.history(
            f"{code}/{year}"
        )
        self.history_model.set_entries(sorted(entries, key=lambda e: e.at, reverse=True))
        unit = row.indicator.unit
        profile = self.checklist.profile()
        rules = {
            "%": self.tr("от 0 до 100 %"),
            "ед.": self.tr("целое число, не меньше 0"),
            "чел.": self.tr("целое число, не больше числа обучающихся школы (%1)").replace(
                "%1", str(profile.pupils) if profile else "—"
            ),
        }
        self.rule.setText(
            self.tr(
                "Допустимо: %1. Значение за квартал — нарастающим итогом с "
                "начала года; %% цели считается по последнему кварталу."
            )
            .replace("%1", rules[unit])
            .replace("%%", "%")
            if unit in rules
            else ""
        )

    @Slot()
    def _save_note(self) -> None:
        row = self.table.current_row()
        quarter = self.quarter.currentData()
        if (
            row is None
            or quarter not in row.values
            or row.values[quarter].note == self.note.text().strip()
        ):
            return
        value = row.values[quarter]
        self.save(
            self.registers.set_indicator_value,
            row.indicator.code,
            value.year,
            quarter,
            value.value,
            self.note.text(),
        )
