"""«Помещения»: the rooms of the center and a room card with everything on one screen: repair
with «до» and «после» photos, the equipment placed there, the brand elements its zone needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from core.model import ItemStatus, Room
from core.registers import BrandItem, Registers, capacity_hint, room_subject
from core.wording import STATUS_NAMES, UNIT_STATUS_NAMES
from ui.evidence_panel import EvidencePanel
from ui.history_model import HistoryTableModel
from ui.record_table import Column, RecordTable
from ui.register_page import RegisterPage, history_table
from ui.tasks import TaskRunner

GREEN, RED = "#1b7f3b", "#b3261e"
NO_FLOOR = -6  # the floor spin box's «не указан» (one below the lowest real floor)


def status_choices(_row: Any = None) -> list[tuple[str, Any]]:
    return [(STATUS_NAMES[s], s.value) for s in ItemStatus]


class RoomsView(RegisterPage):
    def __init__(
        self, registers: Registers, runner: TaskRunner, thumbnails_dir: Path, parent: Any = None
    ) -> None:
        super().__init__(registers, runner, thumbnails_dir, parent)
        self._room: Room | None = None
        self._loading = False
        self._ready: dict[int, bool] = {}
        zones = {z.code: z.title for z in registers.template.zone_types}

        self.rooms = RecordTable(
            [
                Column("№", lambda r: r.number, width=60),
                Column("Название", lambda r: r.name, width=200),
                Column("Зона", lambda r: zones.get(r.zone_type, r.zone_type), width=200),
                Column("Этаж", lambda r: r.floor, width=50, right=True),
                Column("Площадь, м²", lambda r: r.area, width=90, right=True),
                Column("Ремонт", lambda r: STATUS_NAMES[r.repair_status], width=100),
                Column(
                    "Готово",
                    lambda r: "да" if self._ready.get(r.id) else "нет",
                    color=lambda r: GREEN if self._ready.get(r.id) else RED,
                ),
            ],
            self.tr("Фильтр…"),
        )
        self.add_button = QPushButton(self.tr("&Добавить помещение…"))
        self.remove_button = QPushButton(self.tr("Удалить…"))
        self.add_button.clicked.connect(self.ask_new_room)
        self.remove_button.clicked.connect(self.remove_room)
        self.rooms.top.addWidget(self.add_button)
        self.rooms.top.addWidget(self.remove_button)
        self.rooms.current_changed.connect(self._show_room)

        # the card
        self.number = QLineEdit()
        self.name = QLineEdit()
        self.zone = QComboBox()
        for zone in registers.template.zone_types:
            self.zone.addItem(zone.title, zone.code)
        self.floor = QSpinBox()
        self.floor.setRange(NO_FLOOR, 50)
        self.floor.setSpecialValueText(self.tr("не указан"))
        self.area = QDoubleSpinBox()
        self.area.setRange(0, 9999)
        self.area.setDecimals(1)
        self.area.setSuffix(" м²")
        self.area.setSpecialValueText(self.tr("не указана"))
        self.capacity = QLabel()
        self.capacity.setWordWrap(True)
        self.capacity.setStyleSheet("color: #5f6368;")
        self.repair = QComboBox()
        for label, value in status_choices():
            self.repair.addItem(label, value)
        self.comment = QLineEdit()
        form = QFormLayout()
        for text, widget in (
            (self.tr("&Номер:"), self.number),
            (self.tr("Наз&вание:"), self.name),
            (self.tr("&Зона:"), self.zone),
            (self.tr("&Этаж:"), self.floor),
            (self.tr("&Площадь:"), self.area),
            (None, self.capacity),
            (self.tr("&Ремонт:"), self.repair),
            (self.tr("&Комментарий:"), self.comment),
        ):
            if text is None:
                form.addRow("", widget)
            else:
                label = QLabel(text)
                label.setBuddy(widget)
                form.addRow(label, widget)
        for line in (self.number, self.name, self.comment):
            line.editingFinished.connect(self._save_card)
        for spin in (self.floor, self.area):
            spin.editingFinished.connect(self._save_card)
        self.zone.currentIndexChanged.connect(self._save_card)
        self.repair.currentIndexChanged.connect(self._save_card)

        checklist = registers.checklist
        self.before = EvidencePanel(
            checklist, runner, thumbnails_dir, registers.attach, self.tr("Фото «до»"), compact=True
        )
        self.after = EvidencePanel(
            checklist,
            runner,
            thumbnails_dir,
            registers.attach,
            self.tr("Фото «после»"),
            compact=True,
        )
        photos = QHBoxLayout()
        photos.addWidget(self.before)
        photos.addWidget(self.after)

        self.units = RecordTable(
            [
                Column(
                    "Позиция", lambda u: self.registers.position(u.position_code).name, width=260
                ),
                Column("Инв. номер", lambda u: u.inventory_number, width=110),
                Column("Серийный номер", lambda u: u.serial_number, width=120),
                Column("Статус", lambda u: UNIT_STATUS_NAMES[u.status]),
            ]
        )
        self.units.view.setMinimumHeight(120)
        units_box = QGroupBox(self.tr("Оборудование в помещении"))
        QVBoxLayout(units_box).addWidget(self.units)

        self.brand = RecordTable(
            [
                Column("Элемент фирменного стиля", lambda b: b.element.title, width=260),
                Column(
                    "Статус",
                    lambda b: STATUS_NAMES[b.state.status],
                    edit="choice",
                    value=lambda b: b.state.status.value,
                    choices=status_choices,
                    width=120,
                ),
                Column("Комментарий", lambda b: b.state.comment, edit="text"),
            ]
        )
        self.brand.view.setMinimumHeight(120)
        self.brand.model.edit_requested.connect(self._on_brand_edit)
        self.brand.current_changed.connect(self._on_brand_selected)
        self.brand_photo = EvidencePanel(
            checklist,
            runner,
            thumbnails_dir,
            registers.attach,
            self.tr("Фото элемента"),
            compact=True,
        )
        brand_box = QGroupBox(self.tr("Фирменный стиль помещения"))
        brand_layout = QHBoxLayout(brand_box)
        brand_layout.addWidget(self.brand, 3)
        brand_layout.addWidget(self.brand_photo, 2)
        for panel in (self.before, self.after, self.brand_photo):
            panel.failed.connect(self.failed)
            panel.changed.connect(lambda _s: self.changed.emit())

        self.card_title = QLabel()
        self.card_title.setStyleSheet("font-weight: bold; font-size: 14pt;")
        card = QWidget()
        card_layout = QVBoxLayout(card)
        card_layout.addWidget(self.card_title)
        card_layout.addLayout(form)
        card_layout.addLayout(photos)
        card_layout.addWidget(units_box)
        card_layout.addWidget(brand_box)
        self.history_model = HistoryTableModel(self)
        history = history_table(self.history_model)
        history.setMinimumHeight(120)
        history_box = QGroupBox(self.tr("История помещения"))
        QVBoxLayout(history_box).addWidget(history)
        card_layout.addWidget(history_box)
        self.card = card
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(card)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.rooms)
        splitter.addWidget(scroll)
        splitter.setSizes([430, 770])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self._show_room(None)

    def refresh(self) -> None:
        self._stale = False
        rooms = self.registers.rooms()
        brand = self.registers.store.brand_states()
        self._ready = {r.id: self.registers.room_ready(r, brand) for r in rooms}
        self.rooms.set_rows(rooms, keep=lambda r: r.id)
        if self.rooms.current_row() is None and rooms:
            self.rooms.select(lambda r: True)  # shows the room through current_changed
        else:
            self._show_room(self.rooms.current_row())

    @Slot(object)
    def _show_room(self, room: Room | None) -> None:
        self._room = room
        self.card.setEnabled(room is not None)
        self.remove_button.setEnabled(room is not None)
        self._loading = True
        try:
            if room is None:
                self.card_title.setText(self.tr("Добавьте помещения центра кнопкой слева."))
                for line in (self.number, self.name, self.comment):
                    line.clear()
                self.units.set_rows([])
                self.brand.set_rows([])
            else:
                self.card_title.setText(f"{room.number} {room.name}")
                self.number.setText(room.number)
                self.name.setText(room.name)
                self.zone.setCurrentIndex(max(self.zone.findData(room.zone_type), 0))
                self.floor.setValue(NO_FLOOR if room.floor is None else room.floor)
                self.area.setValue(room.area or 0)
                self.repair.setCurrentIndex(max(self.repair.findData(room.repair_status.value), 0))
                self.comment.setText(room.comment)
                self.units.set_rows(self.registers.units_in(room.id), keep=lambda u: u.id)
                items = [
                    b
                    for b in self.registers.brand_items()
                    if b.room is not None and b.room.id == room.id
                ]
                self.brand.set_rows(items, keep=lambda b: b.key)
            self._show_capacity(room.area if room else None)
        finally:
            self._loading = False
        self.history_model.set_entries(
            self.checklist.history(room_subject(room.id)) if room else []
        )
        self.before.set_subject(room_subject(room.id, "before") if room else None)
        self.after.set_subject(room_subject(room.id, "after") if room else None)
        self._on_brand_selected(self.brand.current_row())

    def _show_capacity(self, area: float | None) -> None:
        hint = capacity_hint(area)
        self.capacity.setText(
            self.tr(
                "Подсказка по СП 2.4.3648-20: фронтально — до %1 обучающихся (2,5 м²), "
                "в группах — до %2 (3,5 м²)."
            )
            .replace("%1", str(hint[0]))
            .replace("%2", str(hint[1]))
            if hint
            else ""
        )

    @Slot()
    def _save_card(self) -> None:
        room = self._room
        if self._loading or room is None:
            return
        changes = {
            "number": self.number.text().strip(),
            "name": self.name.text().strip(),
            "zone_type": self.zone.currentData(),
            "floor": None if self.floor.value() == NO_FLOOR else self.floor.value(),
            "area": self.area.value() or None,
            "repair_status": ItemStatus(self.repair.currentData()),
            "comment": self.comment.text().strip(),
        }
        changes = {k: v for k, v in changes.items() if getattr(room, k) != v}
        if changes:
            self._room = None  # until the stored room comes back, no second save of the same edit
            self.save(self.registers.update_room, room.id, **changes)

    @Slot()
    def ask_new_room(self) -> None:
        number, ok = QInputDialog.getText(
            self, self.tr("Новое помещение"), self.tr("Номер кабинета:")
        )
        if not ok or not number.strip():
            return
        zone = self.registers.template.zone_types[0]
        self.add_room(number.strip(), zone.title.capitalize(), zone.code)

    def add_room(self, number: str, name: str, zone_type: str, **fields: Any) -> None:
        self.save(self.registers.add_room, number, name, zone_type, **fields)

    @Slot()
    def remove_room(self) -> None:
        room = self.rooms.current_row()
        if room is None:
            return
        answer = QMessageBox.question(
            self,
            self.tr("Удалить помещение"),
            self.tr(
                "Удалить помещение «%1»? Оборудование останется в реестре без помещения, "
                "фото останутся в папке данных."
            ).replace("%1", f"{room.number} {room.name}"),
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.save(self.registers.remove_room, room.id)

    @Slot(object, int, object)
    def _on_brand_edit(self, item: BrandItem, column: int, value: Any) -> None:
        field = "status" if column == 1 else "comment"
        self.save(self.registers.update_brand, item.key, **{field: value})

    @Slot(object)
    def _on_brand_selected(self, item: BrandItem | None) -> None:
        self.brand_photo.set_subject(f"brand/{item.key}" if item is not None else None)
