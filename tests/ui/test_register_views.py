"""The register pages driven as the director does in the real window: open a page from the list
or with Ctrl+3…Ctrl+7, edit cells through the table's editors, filter, copy, import a supplier's
XLSX and undo it, add rooms with photos, enter indicators, restart, and read the summary."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, QModelIndex, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDateEdit,
    QDoubleSpinBox,
    QFileDialog,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QSpinBox,
    QWidget,
)

from core.demo import fill_demo_registers
from core.model import ItemStatus, PositionState
from core.registers import brand_key, room_subject
from tests.conftest import make_photo
from tests.core.test_registers import CONTRACT, SUPPLIER, delivery_list
from tests.ui.conftest import press, screenshot, type_text, wait_for_writes
from ui.main_window import (
    PAGE_BRAND,
    PAGE_EQUIPMENT,
    PAGE_INDICATORS,
    PAGE_ROADMAP,
    PAGE_ROOMS,
    PAGE_SUMMARY,
)
from ui.record_table import RecordTable

YES = QMessageBox.StandardButton.Yes


def open_page(qtbot, window, number: int, key: bool = False) -> Any:
    """Open a register page as the user does: a click in the list, or its shortcut."""
    if key:
        window.activateWindow()
        press(window, f"Ctrl+{number + 1}")
    else:
        window.nav.setCurrentRow(number)
    assert window.pages.currentIndex() == number
    page = window.page(number)
    qtbot.waitUntil(page.isVisible)
    return page


def row_index(table: RecordTable, predicate: Callable[[Any], bool], column: int) -> QModelIndex:
    assert table.select(predicate), "no such row shown"
    return table.view.currentIndex().siblingAtColumn(column)


def edit_cell(qtbot, table: RecordTable, index: QModelIndex, fill: Callable[[QWidget], None]):
    """Open the cell's editor (as a double click or F2 does), fill it, press Enter."""
    table.view.setFocus()
    table.view.setCurrentIndex(index)
    table.view.edit(index)
    editor = table.view.indexWidget(index)
    assert editor is not None, "the cell has no editor"
    fill(editor)
    with qtbot.waitSignal(table.model.edit_requested, timeout=5000):
        qtbot.keyClick(editor, Qt.Key.Key_Return)


def typed(qtbot, text: str) -> Callable[[QWidget], None]:
    def fill(editor: QWidget) -> None:
        if isinstance(editor, QSpinBox | QDoubleSpinBox):
            editor.lineEdit().selectAll()
            qtbot.keyClicks(editor, text)
        else:
            assert isinstance(editor, QLineEdit)
            editor.selectAll()
            type_text(editor, text)

    return fill


def chosen(value: Any) -> Callable[[QWidget], None]:
    def fill(editor: QWidget) -> None:
        assert isinstance(editor, QComboBox)
        found = editor.findData(value)
        assert found >= 0, f"{value!r} is not offered"
        editor.setCurrentIndex(found)

    return fill


def dated(day: dt.date) -> Callable[[QWidget], None]:
    def fill(editor: QWidget) -> None:
        assert isinstance(editor, QDateEdit)
        editor.setDate(QDate(day.year, day.month, day.day))

    return fill


def shown(table: RecordTable, predicate: Callable[[Any], bool], column: int) -> str:
    """The text the table shows in a cell of the row that matches."""
    for row in range(table.proxy.rowCount()):
        index = table.proxy.index(row, 0)
        if predicate(index.data(Qt.ItemDataRole.UserRole + 2)):
            return str(table.proxy.index(row, column).data())
    raise AssertionError("no such row shown")


def copied_with_ctrl_c(table: RecordTable) -> list[str]:
    QApplication.clipboard().clear()
    table.view.setFocus()
    press(table.view, QKeySequence.StandardKey.Copy)
    return QApplication.clipboard().text().split("\n")


def is_code(code: str) -> Callable[[Any], bool]:
    return lambda view: view.position.code == code


# --- navigation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "class_name"),
    [
        (PAGE_EQUIPMENT, "EquipmentView"),
        (PAGE_ROOMS, "RoomsView"),
        (PAGE_BRAND, "BrandView"),
        (PAGE_ROADMAP, "RoadmapView"),
        (PAGE_INDICATORS, "IndicatorsView"),
    ],
)
def test_each_register_page_opens_from_the_keyboard(
    qtbot, window, number: int, class_name: str
) -> None:
    page = open_page(qtbot, window, number, key=True)
    assert type(page).__name__ == class_name
    assert window.pages.currentWidget() is page
    assert window.nav.currentRow() == number
    press(window, "Ctrl+1")
    assert window.pages.currentIndex() == PAGE_SUMMARY


# --- equipment -----------------------------------------------------------------------------


def test_equipment_quantities_units_and_discrepancies(qtbot, window, monkeypatch) -> None:
    registers = window._registers
    room = registers.add_room("21", "Коворкинг", "coworking")
    page = open_page(qtbot, window, PAGE_EQUIPMENT)
    positions = page.positions
    total = len(registers.template.equipment)
    assert positions.count.text() == f"Строк: {total} из {total}"

    edit_cell(qtbot, positions, row_index(positions, is_code("EQ-22"), 5), typed(qtbot, "13"))
    wait_for_writes(qtbot, window)
    edit_cell(qtbot, positions, row_index(positions, is_code("EQ-22"), 6), typed(qtbot, "12"))
    wait_for_writes(qtbot, window)
    supplier = row_index(positions, is_code("EQ-22"), 9)
    edit_cell(qtbot, positions, supplier, typed(qtbot, "ООО «Школьный мир»"))
    wait_for_writes(qtbot, window)
    # the model path the delegate takes, on a proxy index mapped to the source
    act_date = positions.proxy.mapToSource(row_index(positions, is_code("EQ-22"), 14))
    assert positions.model.setData(act_date, dt.date(2026, 11, 20))
    wait_for_writes(qtbot, window)

    state = registers.store.position_states()["EQ-22"]
    assert (state.delivered, state.installed, state.supplier) == (13, 12, "ООО «Школьный мир»")
    assert state.act_date == dt.date(2026, 11, 20)
    assert shown(positions, is_code("EQ-22"), 5) == "13"
    assert shown(positions, is_code("EQ-22"), 14) == "20.11.2026"
    assert shown(positions, is_code("EQ-22"), 15) == "установлено 12 из 13 поставленных"
    assert page.history_model.rowCount() == 4  # the history of the selected position

    type_text(positions.filter, "ноутбук")
    assert [v.position.code for v in positions.shown_rows()] == ["EQ-22"]
    assert positions.count.text() == f"Строк: 1 из {total}"
    positions.filter.clear()
    page.section_filter.setCurrentIndex(page.section_filter.findData("ОБЖ"))
    assert {v.position.section for v in positions.shown_rows()} == {"ОБЖ"}
    page.section_filter.setCurrentIndex(0)
    page.only_problems.setChecked(True)  # every position but one is short of its plan
    assert "EQ-22" in [v.position.code for v in positions.shown_rows()]
    page.only_problems.setChecked(False)

    # a unit of EQ-22: without a room it is a discrepancy until the room is chosen
    positions.select(is_code("EQ-22"))
    qtbot.mouseClick(page.add_unit_button, Qt.MouseButton.LeftButton)
    wait_for_writes(qtbot, window)
    [unit] = registers.units("EQ-22")
    assert [u.id for u in page.units.shown_rows()] == [unit.id]
    assert shown(positions, is_code("EQ-22"), 8) == "1 (1 ⚠)"

    def homeless() -> list[Any]:
        return [d for d in page.problems.shown_rows() if d.kind == "unit_without_room"]

    assert [d.unit_id for d in homeless()] == [unit.id]
    problems = len(registers.discrepancies())
    assert page.tabs.tabText(0) == f"Расхождения: {problems}"

    room_cell = row_index(page.units, lambda u: u.id == unit.id, 2)
    edit_cell(qtbot, page.units, room_cell, chosen(room.id))
    wait_for_writes(qtbot, window)
    assert registers.units("EQ-22")[0].room_id == room.id
    assert shown(page.units, lambda u: u.id == unit.id, 2) == "21 Коворкинг"
    assert homeless() == []
    assert page.tabs.tabText(0) == f"Расхождения: {problems - 1}"
    assert shown(positions, is_code("EQ-22"), 8) == "1"
    serial = row_index(page.units, lambda u: u.id == unit.id, 1)
    edit_cell(qtbot, page.units, serial, typed(qtbot, "NB-2027-01"))
    wait_for_writes(qtbot, window)
    assert registers.units("EQ-22")[0].serial_number == "NB-2027-01"
    screenshot(window, "view-equipment.png")

    # removing the unit asks first
    questions: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "question", staticmethod(lambda *a, **k: questions.append(a[2]) or YES)
    )
    page.units.select(lambda u: u.id == unit.id)
    qtbot.mouseClick(page.remove_unit_button, Qt.MouseButton.LeftButton)
    wait_for_writes(qtbot, window)
    assert "NB-2027-01" in questions[0]
    assert registers.units() == []
    assert page.units.shown_rows() == []


def test_delivery_import_with_preview_and_undo(qtbot, window, tmp_path: Path, monkeypatch) -> None:
    from ui.delivery_dialog import DeliveryPreviewDialog

    registers = window._registers
    registers.update_position("EQ-22", delivered=5, supplier="ООО «Старый поставщик»")
    page = open_page(qtbot, window, PAGE_EQUIPMENT)
    before = {v.position.code: v.state for v in registers.positions()}
    assert not page.undo_button.isEnabled()
    xlsx = delivery_list(tmp_path / "Накладная 15.xlsx")
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(xlsx), ""))
    )
    previews: list[dict[str, Any]] = []

    def check_and_accept(dialog: DeliveryPreviewDialog) -> int:
        dialog.show()
        qtbot.waitExposed(dialog)
        previews.append(
            {
                "matched": [shown(dialog.matched, lambda r, n=n: r.row_number == n, 2)
                            for n in (3, 4, 5)],
                "quantities": [r.quantity for r in dialog.matched.shown_rows()],
                "unmatched": [(r.name, shown(dialog.unmatched, lambda r: True, 4))
                              for r in dialog.unmatched.shown_rows()],
                "apply": dialog.apply_button.isEnabled(),
            }
        )  # fmt: skip
        screenshot(dialog, "view-delivery-preview.png")
        dialog.hide()
        return DeliveryPreviewDialog.DialogCode.Accepted

    monkeypatch.setattr(DeliveryPreviewDialog, "exec", check_and_accept)

    qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)
    wait_for_writes(qtbot, window)

    assert previews == [
        {
            "matched": ["EQ-22 Ноутбук", "EQ-21 3D-принтер", "EQ-16 Микроскоп цифровой"],
            "quantities": [2, 1, 1],
            "unmatched": [("Глобус политический", "нет такой позиции")],
            "apply": True,
        }
    ]
    states = registers.store.position_states()
    assert (states["EQ-22"].delivered, states["EQ-21"].delivered, states["EQ-16"].delivered) == (
        7,
        1,
        1,
    )
    assert {(states[c].supplier, states[c].contract_number) for c in ("EQ-21", "EQ-22")} == {
        (SUPPLIER, CONTRACT)
    }
    assert sorted((u.position_code, u.serial_number) for u in registers.units()) == [
        ("EQ-16", ""),
        ("EQ-21", "PRN-0001"),
        ("EQ-22", ""),
        ("EQ-22", ""),
    ]
    assert shown(page.positions, is_code("EQ-22"), 5) == "7"
    assert page.undo_button.isEnabled()
    assert page.import_info.text().startswith("Последний импорт: Накладная 15.xlsx, ")

    questions: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "question", staticmethod(lambda *a, **k: questions.append(a[2]) or YES)
    )
    qtbot.mouseClick(page.undo_button, Qt.MouseButton.LeftButton)
    wait_for_writes(qtbot, window)

    assert "«Накладная 15.xlsx»" in questions[0]
    assert {v.position.code: v.state for v in registers.positions()} == before
    assert registers.units() == []
    assert shown(page.positions, is_code("EQ-22"), 5) == "5"
    assert not page.undo_button.isEnabled()
    assert page.import_info.text().endswith("(отменён)")


def test_broken_delivery_file_is_explained_and_changes_nothing(
    qtbot, window, tmp_path: Path, monkeypatch, warnings
) -> None:
    from ui.delivery_dialog import DeliveryPreviewDialog

    page = open_page(qtbot, window, PAGE_EQUIPMENT)
    broken = tmp_path / "Поставка.xlsx"
    broken.write_text("Ноутбук;2\nМФУ;1\n", encoding="utf-8")
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(broken), ""))
    )
    previews: list[object] = []
    monkeypatch.setattr(DeliveryPreviewDialog, "exec", lambda dialog: previews.append(dialog))

    qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)
    wait_for_writes(qtbot, window)

    assert len(warnings) == 1
    assert "«Поставка.xlsx» — не книга Excel (.xlsx)" in warnings[0]
    assert previews == []
    registers = window._registers
    assert registers.store.position_states() == {}
    assert registers.units() == [] and registers.last_import() is None
    assert not page.undo_button.isEnabled()
    assert page._progress is None  # the «Чтение…» progress is gone
    assert window.isVisible()


# --- rooms -------------------------------------------------------------------------------


def test_rooms_card_capacity_photos_and_brand(qtbot, window, tmp_path: Path, monkeypatch) -> None:
    registers = window._registers
    page = open_page(qtbot, window, PAGE_ROOMS, key=True)
    assert not page.card.isEnabled()
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("12", True)))
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    wait_for_writes(qtbot, window)
    page.add_room("14а", "Лаборантская", "prep_room", floor=2)
    wait_for_writes(qtbot, window)

    physics, prep = registers.rooms()
    assert (physics.number, physics.name, physics.zone_type) == ("12", "Кабинет физики", "physics")
    assert (prep.number, prep.floor) == ("14а", 2)
    assert [r.number for r in page.rooms.shown_rows()] == ["12", "14а"]
    page.rooms.select(lambda r: r.id == physics.id)
    assert page.card_title.text() == "12 Кабинет физики"

    point = page.area.locale().decimalPoint()
    page.area.setFocus()
    page.area.lineEdit().selectAll()
    qtbot.keyClicks(page.area, f"64{point}5")
    qtbot.keyClick(page.area, Qt.Key.Key_Return)
    wait_for_writes(qtbot, window)
    assert registers.room(physics.id).area == 64.5
    assert "фронтально — до 25 обучающихся" in page.capacity.text()
    assert "в группах — до 18" in page.capacity.text()
    assert shown(page.rooms, lambda r: r.id == physics.id, 4) == "64,5"

    page.repair.setCurrentIndex(page.repair.findData(ItemStatus.DONE.value))
    wait_for_writes(qtbot, window)
    assert registers.room(physics.id).repair_status is ItemStatus.DONE
    assert page.history_model.rowCount() > 0

    photo = make_photo(tmp_path / "кабинет 12 до ремонта.jpg", (1200, 800))
    page.before.attach_files([photo])
    wait_for_writes(qtbot, window)
    [evidence] = registers.checklist.evidence(room_subject(physics.id, "before"))
    assert evidence.original_name == "кабинет 12 до ремонта.jpg"
    assert page.before.model.rowCount() == 1 and page.after.model.rowCount() == 0

    # the brand elements the zone needs, edited right in the card
    assert [b.element.code for b in page.brand.shown_rows()] == [
        "door_sign",
        "walls",
        "logos",
        "navigation",
    ]
    for code in ("door_sign", "walls", "logos", "navigation"):
        status = row_index(page.brand, lambda b, c=code: b.element.code == c, 1)
        edit_cell(qtbot, page.brand, status, chosen(ItemStatus.DONE.value))
        wait_for_writes(qtbot, window)
    assert registers.store.brand_states()[brand_key("walls", physics.id)].status is ItemStatus.DONE
    assert shown(page.rooms, lambda r: r.id == physics.id, 6) == "да"
    assert shown(page.rooms, lambda r: r.id == prep.id, 6) == "нет"

    type_text(page.rooms.filter, "лаборант")
    assert [r.id for r in page.rooms.shown_rows()] == [prep.id]
    page.rooms.filter.clear()
    page.rooms.select(lambda r: r.id == physics.id)
    screenshot(window, "view-rooms.png")


def test_editing_the_area_changes_nothing_else(qtbot, window) -> None:
    registers = window._registers
    room = registers.add_room("21", "Коворкинг", "coworking")  # floor not known yet
    page = open_page(qtbot, window, PAGE_ROOMS)
    page.area.setFocus()
    page.area.lineEdit().selectAll()
    qtbot.keyClicks(page.area, "48")
    qtbot.keyClick(page.area, Qt.Key.Key_Return)
    wait_for_writes(qtbot, window)

    stored = registers.room(room.id)
    assert stored.area == 48
    assert stored.floor is None
    fields = [e.field for e in registers.checklist.history(room_subject(room.id))[:2]]
    assert "floor" not in fields


def test_delete_key_removes_a_room_photo(qtbot, window, tmp_path: Path, monkeypatch) -> None:
    registers = window._registers
    room = registers.add_room("12", "Кабинет физики", "physics")
    page = open_page(qtbot, window, PAGE_ROOMS)
    page.before.attach_files([make_photo(tmp_path / "до.jpg")])
    wait_for_writes(qtbot, window)
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: YES))

    page.before.view.setFocus()
    page.before.view.setCurrentIndex(page.before.model.index(0))
    press(page.before.view, QKeySequence.StandardKey.Delete)
    wait_for_writes(qtbot, window)

    assert registers.checklist.evidence(room_subject(room.id, "before")) == []


# --- brand style -------------------------------------------------------------------------


def test_brand_status_comment_photo_and_what_is_missing(qtbot, window, tmp_path: Path) -> None:
    registers = window._registers
    registers.add_room("12", "Кабинет физики", "physics")
    page = open_page(qtbot, window, PAGE_BRAND, key=True)
    table = page.table
    assert len(table.shown_rows()) == len(registers.brand_items()) == 4 + 4
    assert "Вывеска у входа" in page.missing.text()

    def entrance(item: Any) -> bool:
        return item.key == "building/entrance_sign"

    edit_cell(qtbot, table, row_index(table, entrance, 2), chosen(ItemStatus.DONE.value))
    wait_for_writes(qtbot, window)
    edit_cell(
        qtbot, table, row_index(table, entrance, 4), typed(qtbot, "Согласовано с управлением")
    )
    wait_for_writes(qtbot, window)

    state = registers.store.brand_states()["building/entrance_sign"]
    assert (state.status, state.comment) == (ItemStatus.DONE, "Согласовано с управлением")
    assert shown(table, entrance, 2) == "выполнено"
    assert "Вывеска у входа" not in page.missing.text()
    assert "Табличка Минпросвещения России" in page.missing.text()
    assert page.history_model.rowCount() == 2

    table.select(entrance)
    page.photo.attach_files([make_photo(tmp_path / "вывеска.jpg")])
    wait_for_writes(qtbot, window)
    assert shown(table, entrance, 3) == "1"
    assert len(registers.checklist.evidence("brand/building/entrance_sign")) == 1

    type_text(table.filter, "Здание")
    assert all(item.room is None for item in table.shown_rows())
    assert len(table.shown_rows()) == 4
    table.filter.clear()
    screenshot(window, "view-brand.png")


# --- roadmap -----------------------------------------------------------------------------


def test_roadmap_status_dates_and_order(qtbot, window) -> None:
    registers = window._registers
    today = registers.checklist.today()
    page = open_page(qtbot, window, PAGE_ROADMAP, key=True)
    table = page.table
    assert len(table.shown_rows()) == len(registers.template.roadmap)

    def task(code: str) -> Callable[[Any], bool]:
        return lambda view: view.task.code == code

    edit_cell(qtbot, table, row_index(table, task("RM-02"), 6), chosen(ItemStatus.DONE.value))
    wait_for_writes(qtbot, window)
    edit_cell(qtbot, table, row_index(table, task("RM-02"), 8), typed(qtbot, "15-од"))
    wait_for_writes(qtbot, window)
    edit_cell(qtbot, table, row_index(table, task("RM-01"), 5), dated(dt.date(2027, 4, 15)))
    wait_for_writes(qtbot, window)

    states = registers.store.roadmap_states()
    assert (states["RM-02"].status, states["RM-02"].done_on) == (ItemStatus.DONE, today)
    assert states["RM-02"].order_number == "15-од"
    assert states["RM-01"].due_override == dt.date(2027, 4, 15)
    assert shown(table, task("RM-02"), 6) == "выполнено"
    assert shown(table, task("RM-02"), 7) == today.strftime("%d.%m.%Y")
    assert shown(table, task("RM-01"), 5) == "15.04.2027"
    table.select(task("RM-02"))
    assert page.history_model.rowCount() == 3  # status, done_on, order_number

    type_text(table.filter, "отчёт")
    shown_tasks = table.shown_rows()
    assert [t.due for t in shown_tasks] == [
        dt.date(2027, 3, 31),
        dt.date(2027, 6, 30),
        dt.date(2027, 9, 30),
        dt.date(2027, 12, 31),
    ]
    assert all(t.task.quarterly_report for t in shown_tasks)
    page.timeline.task_clicked.emit("RM-07")  # a click on the timeline finds the task
    assert table.filter.text() == ""
    assert table.current_row().task.code == "RM-07"
    screenshot(window, "view-roadmap.png")


# --- indicators ----------------------------------------------------------------------------


def test_indicators_refuse_more_people_than_pupils_and_show_progress(
    qtbot, window, warnings
) -> None:
    registers = window._registers
    page = open_page(qtbot, window, PAGE_INDICATORS, key=True)
    table = page.table
    assert page.year.value() == 2027

    def indicator(code: str) -> Callable[[Any], bool]:
        return lambda row: row.indicator.code == code

    first_quarter = row_index(table, indicator("IND-01"), 3)
    assert "(350)" in page.rule.text()
    edit_cell(qtbot, table, first_quarter, typed(qtbot, "500"))
    wait_for_writes(qtbot, window)

    assert len(warnings) == 1
    assert "больше, чем обучающихся" in warnings[0] and "500" in warnings[0]
    assert registers.store.indicator_values(2027) == {}
    assert shown(table, indicator("IND-01"), 3) == ""
    assert shown(table, indicator("IND-01"), 7) == ""

    edit_cell(qtbot, table, row_index(table, indicator("IND-01"), 3), typed(qtbot, "90"))
    wait_for_writes(qtbot, window)
    assert registers.store.indicator_values(2027)[("IND-01", 1)].value == 90
    assert shown(table, indicator("IND-01"), 3) == "90"
    assert shown(table, indicator("IND-01"), 7) == "60 %"  # of the target 150

    edit_cell(qtbot, table, row_index(table, indicator("IND-05"), 2), typed(qtbot, "20"))
    wait_for_writes(qtbot, window)
    edit_cell(qtbot, table, row_index(table, indicator("IND-05"), 4), typed(qtbot, "5"))
    wait_for_writes(qtbot, window)
    assert registers.store.indicator_targets(2027) == {"IND-05": 20}
    assert shown(table, indicator("IND-05"), 7) == "25 %"

    # a note for the value of the selected quarter
    table.select(indicator("IND-01"))
    page.quarter.setCurrentIndex(0)
    page.note.setFocus()
    type_text(page.note, "по журналу внеурочной деятельности")
    qtbot.keyClick(page.note, Qt.Key.Key_Return)
    wait_for_writes(qtbot, window)
    assert registers.store.indicator_values(2027)[("IND-01", 1)].note == (
        "по журналу внеурочной деятельности"
    )
    history = page.history_model
    fields = [history.index(r, 1).data() for r in range(history.rowCount())]
    assert fields == ["Примечание", "Примечание", "Значение"]  # newest first
    assert len(warnings) == 1

    type_text(table.filter, "публикаций")
    assert [r.indicator.code for r in table.shown_rows()] == ["IND-06"]
    table.filter.clear()
    screenshot(window, "view-indicators.png")


# --- copying -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "table_name"),
    [
        (PAGE_EQUIPMENT, "positions"),
        (PAGE_ROOMS, "rooms"),
        (PAGE_BRAND, "table"),
        (PAGE_ROADMAP, "table"),
        (PAGE_INDICATORS, "table"),
    ],
)
def test_ctrl_c_copies_the_header_and_the_selected_row(
    qtbot, window, number: int, table_name: str
) -> None:
    window._registers.add_room("12", "Кабинет физики", "physics", floor=2, area=64.5)
    page = open_page(qtbot, window, number)
    table: RecordTable = getattr(page, table_name)
    assert table.select(lambda row: True)
    row = table.view.currentIndex().row()
    columns = table.model.columnCount()
    cells = [str(table.proxy.index(row, c).data() or "") for c in range(columns)]
    headers = [table.model.headerData(c, Qt.Orientation.Horizontal) for c in range(columns)]

    lines = copied_with_ctrl_c(table)

    assert lines == ["\t".join(headers), "\t".join(cells)]


# --- restart and summary ---------------------------------------------------------------------


def test_register_edits_survive_a_restart(
    qtbot, window, open_window, data_dir: Path, tmp_path: Path
) -> None:
    equipment = open_page(qtbot, window, PAGE_EQUIPMENT)
    edit_cell(
        qtbot, equipment.positions, row_index(equipment.positions, is_code("EQ-01"), 5),
        typed(qtbot, "4"),
    )  # fmt: skip
    wait_for_writes(qtbot, window)
    qtbot.mouseClick(equipment.add_unit_button, Qt.MouseButton.LeftButton)
    wait_for_writes(qtbot, window)
    rooms = open_page(qtbot, window, PAGE_ROOMS)
    rooms.add_room("12", "Кабинет физики", "physics", area=64.5)
    wait_for_writes(qtbot, window)
    rooms.before.attach_files([make_photo(tmp_path / "до.jpg")])
    wait_for_writes(qtbot, window)
    brand = open_page(qtbot, window, PAGE_BRAND)
    edit_cell(
        qtbot, brand.table, row_index(brand.table, lambda b: b.room is not None, 2),
        chosen(ItemStatus.IN_PROGRESS.value),
    )  # fmt: skip
    wait_for_writes(qtbot, window)
    roadmap = open_page(qtbot, window, PAGE_ROADMAP)
    edit_cell(
        qtbot, roadmap.table, row_index(roadmap.table, lambda t: t.task.code == "RM-03", 10),
        typed(qtbot, "Дизайн-проект у подрядчика"),
    )  # fmt: skip
    wait_for_writes(qtbot, window)
    indicators = open_page(qtbot, window, PAGE_INDICATORS)
    edit_cell(
        qtbot, indicators.table,
        row_index(indicators.table, lambda r: r.indicator.code == "IND-03", 4),
        typed(qtbot, "75"),
    )  # fmt: skip
    wait_for_writes(qtbot, window)
    summary_lines = {k: v.text() for k, v in window.summary.register_lines.items()}
    window.close()

    again = open_window(data_dir)
    registers = again._registers
    assert summary_lines == {k: v.text() for k, v in again.summary.register_lines.items()}
    equipment = open_page(qtbot, again, PAGE_EQUIPMENT)
    assert shown(equipment.positions, is_code("EQ-01"), 5) == "4"
    assert shown(equipment.positions, is_code("EQ-01"), 8) == "1 (1 ⚠)"
    rooms = open_page(qtbot, again, PAGE_ROOMS)
    [room] = rooms.rooms.shown_rows()
    assert (room.number, room.area) == ("12", 64.5)
    assert rooms.card_title.text() == "12 Кабинет физики"
    assert rooms.before.model.rowCount() == 1
    assert "до 25 обучающихся" in rooms.capacity.text()
    brand = open_page(qtbot, again, PAGE_BRAND)
    assert shown(brand.table, lambda b: b.key == brand_key("door_sign", room.id), 2) == "в работе"
    roadmap = open_page(qtbot, again, PAGE_ROADMAP)
    assert shown(roadmap.table, lambda t: t.task.code == "RM-03", 10) == (
        "Дизайн-проект у подрядчика"
    )
    indicators = open_page(qtbot, again, PAGE_INDICATORS)
    assert shown(indicators.table, lambda r: r.indicator.code == "IND-03", 4) == "75"
    assert shown(indicators.table, lambda r: r.indicator.code == "IND-03", 7) == "75 %"
    assert registers.store.position_states()["EQ-01"] == PositionState("EQ-01", delivered=4)


def test_summary_shows_the_registers(qtbot, window) -> None:
    registers = window._registers
    today = registers.checklist.today()
    fill_demo_registers(registers, today)
    # a change made on a page refreshes the summary
    indicators = open_page(qtbot, window, PAGE_INDICATORS)
    edit_cell(
        qtbot, indicators.table,
        row_index(indicators.table, lambda r: r.indicator.code == "IND-05", 5),
        typed(qtbot, "11"),
    )  # fmt: skip
    wait_for_writes(qtbot, window)
    window.nav.setCurrentRow(PAGE_SUMMARY)
    assert window.pages.currentWidget() is window.summary

    summary = registers.summary(today)
    lines = {k: v.text() for k, v in window.summary.register_lines.items()}
    assert lines == {
        "equipment": (
            f"{summary.planned} / {summary.delivered} / {summary.installed} / {summary.in_use}"
        ),
        "discrepancies": str(summary.discrepancies),
        "rooms": f"{summary.rooms_ready} из {summary.rooms_total}",
        "brand": f"{summary.brand_done} из {summary.brand_total}",
        "roadmap": f"{summary.roadmap_overdue} из {summary.roadmap_total}",
    }
    assert summary.discrepancies > 0 and summary.roadmap_overdue > 0
    bars = window.summary._indicator_widgets
    assert len(bars) == len(summary.indicators) == len(registers.template.indicators)
    for (label, bar, value), row in zip(bars, summary.indicators, strict=True):
        assert label.text() == row.indicator.code
        assert row.percent is not None
        assert bar.value() == min(100, round(row.percent))
        assert bar.text() == f"{row.percent:.0f} %"
        assert value.text().endswith(row.indicator.unit)
    ind05 = next(r for r in summary.indicators if r.indicator.code == "IND-05")
    assert ind05.latest is not None and ind05.latest.value == 11
    assert bars[4][2].text() == "11 из 12 ед."
    screenshot(window, "view-summary.png")
