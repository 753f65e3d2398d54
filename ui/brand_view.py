"""«Фирменный стиль»: every element for the building and for each room, with status and photo,
and what is still missing per place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QGroupBox, QLabel, QSplitter, QVBoxLayout, QWidget

from core.readiness import CLOSED_STATUSES
from core.registers import BrandItem, Registers
from core.wording import STATUS_NAMES
from ui.evidence_panel import EvidencePanel
from ui.history_model import HistoryTableModel
from ui.record_table import Column, RecordTable
from ui.register_page import RegisterPage, history_table
from ui.rooms_view import status_choices
from ui.tasks import TaskRunner


class BrandView(RegisterPage):
    def __init__(
        self, registers: Registers, runner: TaskRunner, thumbnails_dir: Path, parent: Any = None
    ) -> None:
        super().__init__(registers, runner, thumbnails_dir, parent)
        self._photos: dict[str, int] = {}
        self.table = RecordTable(
            [
                Column(
                    "Место",
                    lambda b: "Здание" if b.room is None else f"{b.room.number} {b.room.name}",
                    width=200,
                ),
                Column("Элемент", lambda b: b.element.title, width=280),
                Column(
                    "Статус",
                    lambda b: STATUS_NAMES[b.state.status],
                    edit="choice",
                    value=lambda b: b.state.status.value,
                    choices=status_choices,
                    width=120,
                    color=lambda b: None if b.state.status in CLOSED_STATUSES else "#b3261e",
                ),
                Column(
                    "Фото", lambda b: self._photos.get(f"brand/{b.key}", 0), width=50, right=True
                ),
                Column("Комментарий", lambda b: b.state.comment, edit="text"),
            ],
            self.tr("Фильтр по месту, элементу…"),
        )
        self.table.model.edit_requested.connect(self._on_edit)
        self.table.current_changed.connect(self._on_selected)
        self.photo = EvidencePanel(
            registers.checklist, runner, thumbnails_dir, registers.attach, self.tr("Фото элемента")
        )
        self.photo.failed.connect(self.failed)
        self.photo.changed.connect(lambda _s: self._saved())
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.missing = QLabel()
        self.missing.setWordWrap(True)
        self.missing.setTextFormat(Qt.TextFormat.RichText)
        missing_box = QGroupBox(self.tr("Чего не хватает"))
        QVBoxLayout(missing_box).addWidget(self.missing)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.addWidget(self.photo)
        right_layout.addWidget(self.text)
        right_layout.addWidget(missing_box, 1)
        self.history_model = HistoryTableModel(self)
        right_layout.addWidget(history_table(self.history_model), 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(right)
        splitter.setSizes([760, 420])
        QVBoxLayout(self).addWidget(splitter)

    def refresh(self) -> None:
        self._stale = False
        self._photos = self.checklist.evidence_counts()
        self.table.set_rows(self.registers.brand_items(), keep=lambda b: b.key)
        missing = self.registers.missing_brand_by_room()
        if missing:
            self.missing.setText(
                "".join(
                    f"<p><b>{place}:</b> {', '.join(items)}</p>" for place, items in missing.items()
                )
            )
        else:
            self.missing.setText(self.tr("Все элементы фирменного стиля готовы."))
        self._on_selected(self.table.current_row())

    @Slot(object, int, object)
    def _on_edit(self, item: BrandItem, column: int, value: Any) -> None:
        field = "status" if column == 2 else "comment"
        self.save(self.registers.update_brand, item.key, **{field: value})

    @Slot(object)
    def _on_selected(self, item: BrandItem | None) -> None:
        self.photo.set_subject(f"brand/{item.key}" if item is not None else None)
        self.history_model.set_entries(
            self.checklist.history(f"brand/{item.key}") if item is not None else []
        )
        self.text.setText(
            self.tr("Стандартный текст: %1").replace("%1", item.element.text)
            if item is not None and item.element.text
            else ""
        )
