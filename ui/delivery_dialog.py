"""The preview of a supplier's delivery list: what matched a position and what did not, before
anything is applied."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from core.registers import Registers
from ui.record_table import Column, RecordTable

REASONS = {"no_match": "нет такой позиции", "ambiguous": "подходит несколько позиций"}


class DeliveryPreviewDialog(QDialog):
    def __init__(self, preview: Any, registers: Registers, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Импорт поставки — проверка"))
        names = {p.code: p.name for p in registers.template.equipment}
        units = sum(row.quantity for row in preview.matched)
        info = QLabel(
            self.tr(
                "Файл «%1», лист «%2», заголовок в строке %3.\nСовпало строк: %4 (%5 ед.). "
                "Не совпало: %6 — они не будут загружены; исправьте названия в файле или "
                "внесите эти позиции вручную."
            )
            .replace("%1", preview.path.name)
            .replace("%2", preview.sheet)
            .replace("%3", str(preview.header_row))
            .replace("%4", str(len(preview.matched)))
            .replace("%5", str(units))
            .replace("%6", str(len(preview.unmatched)))
        )
        info.setWordWrap(True)
        common = [
            Column("Строка", lambda r: r.row_number, width=60, right=True),
            Column("Наименование в файле", lambda r: r.name, width=280),
            Column("Кол-во", lambda r: r.quantity, width=60, right=True),
            Column("Серийный №", lambda r: r.serial_number, width=110),
        ]
        self.matched = RecordTable(
            [
                *common[:2],
                Column(
                    "Позиция",
                    lambda r: f"{r.position_code} {names.get(r.position_code, '')}",
                    width=260,
                ),
                *common[2:],
            ]
        )
        self.matched.set_rows(preview.matched)
        self.unmatched = RecordTable(
            [*common, Column("Почему", lambda r: REASONS.get(r.reason, r.reason))]
        )
        self.unmatched.set_rows(preview.unmatched)
        matched_box = QGroupBox(self.tr("Будут загружены"))
        QVBoxLayout(matched_box).addWidget(self.matched)
        unmatched_box = QGroupBox(self.tr("Не совпали с перечнем"))
        QVBoxLayout(unmatched_box).addWidget(self.unmatched)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.apply_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.apply_button.setText(self.tr("Применить"))
        self.apply_button.setEnabled(bool(preview.matched))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Отмена"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(info)
        layout.addWidget(matched_box, 2)
        layout.addWidget(unmatched_box, 1)
        layout.addWidget(buttons)
        self.resize(900, 620)
