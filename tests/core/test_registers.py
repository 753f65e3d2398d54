"""The registers' use cases over a real data folder (real SQLite, real XLSX files): equipment
positions and units, discrepancies, the delivery import and its undo, rooms, brand style, the
roadmap, indicators, the summary, and everything surviving a restart."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.demo import fill_demo_registers
from core.errors import StorageError, ValidationError
from core.model import CenterProfile, ItemStatus, PositionState, UnitStatus
from core.registers import Center, Registers, brand_key, capacity_hint, room_subject
from tests.conftest import fill_up
from tests.core.test_delivery_import import write_xlsx

SUPPLIER = "ООО «Учтех-Профи»"
CONTRACT = "К-15/2027"
DELIVERED_ON = dt.date(2027, 8, 20)
DELIVERY_HEADER = [
    "№ п/п",
    "Наименование товара",
    "Кол-во",
    "Зав. №",
    "Инв. номер",
    "Поставщик",
    "№ договора",
    "Дата поставки",
]


def delivery_list(path: Path, notebooks: int = 2) -> Path:
    """A supplier's list: three rows that match the infrastructure list (notebooks with a
    quantity, a 3D printer with a serial number, a microscope) and one that does not."""
    return write_xlsx(
        path,
        [
            ["Товарная накладная № 15 от 20.08.2027"],
            DELIVERY_HEADER,
            [1, "Ноутбук", notebooks, None, "ИНВ-22", SUPPLIER, CONTRACT, DELIVERED_ON],
            [2, "3D-принтер", 1, "PRN-0001", None, SUPPLIER, CONTRACT, "20.08.2027"],
            [3, "Микроскоп цифровой", 1, None, None, SUPPLIER, CONTRACT, "20.08.2027"],
            [4, "Глобус политический", 3, None, None, SUPPLIER, CONTRACT, "20.08.2027"],
        ],
    )


def open_center(data_dir: Path) -> Center:
    from main import open_center as opener

    return opener(data_dir)


def close(center: Center) -> None:
    center.checklist.store.close()  # type: ignore[attr-defined]


@pytest.fixture
def center(data_dir: Path, profile: CenterProfile) -> Iterator[Center]:
    opened = open_center(data_dir)
    opened.checklist.save_profile(profile)
    yield opened
    close(opened)


@pytest.fixture
def registers(center: Center) -> Registers:
    return center.registers


def states_by_code(registers: Registers) -> dict[str, PositionState]:
    return {view.position.code: view.state for view in registers.positions()}


def fields_in(registers: Registers, subject: str | None) -> list[str]:
    return [entry.field for entry in registers.checklist.history(subject)]


# --- equipment positions ---------------------------------------------------------------------


def test_positions_list_every_template_position(registers: Registers) -> None:
    views = registers.positions()

    template = registers.template.equipment
    assert len(template) >= 30
    assert [v.position.code for v in views] == [p.code for p in template]
    assert [v.planned for v in views] == [p.planned for p in template]
    assert all(v.state == PositionState(v.position.code) and v.units == 0 for v in views)


def test_update_position_audits_each_changed_field(registers: Registers) -> None:
    registers.update_position(
        "EQ-01",
        delivered=3,
        supplier="  ООО «Школьный мир»  ",
        contract_date=dt.date(2027, 4, 1),
    )

    state = states_by_code(registers)["EQ-01"]
    assert (state.delivered, state.supplier) == (3, "ООО «Школьный мир»")
    history = registers.checklist.history("EQ-01")
    changes = {(e.field, e.old, e.new) for e in history}
    assert changes == {
        ("delivered", "0", "3"),
        ("supplier", "", "ООО «Школьный мир»"),
        ("contract_date", "", "2027-04-01"),
    }
    # the same values again change nothing and write nothing
    registers.update_position("EQ-01", delivered=3, supplier="ООО «Школьный мир»")
    assert len(registers.checklist.history("EQ-01")) == 3
    registers.update_position("EQ-01", delivered=4)
    latest = registers.checklist.history("EQ-01")[0]
    assert (latest.field, latest.old, latest.new) == ("delivered", "3", "4")
    assert registers.checklist.history("EQ-02") == []


@pytest.mark.parametrize("field", ["planned", "delivered", "installed", "in_use"])
def test_negative_quantities_are_refused(registers: Registers, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        registers.update_position("EQ-03", **{field: -1})

    assert (info.value.field, info.value.problem, info.value.detail) == (field, "negative", "-1")
    assert registers.store.position_states() == {}
    assert registers.checklist.history("EQ-03") == []


def test_planned_override_wins_over_the_template(registers: Registers) -> None:
    template_planned = registers.position("EQ-22").planned
    registers.update_position("EQ-22", planned=template_planned + 2)
    view = next(v for v in registers.positions() if v.position.code == "EQ-22")
    assert view.planned == template_planned + 2

    registers.update_position("EQ-22", planned=0)  # the school does not need it at all
    assert next(v.planned for v in registers.positions() if v.position.code == "EQ-22") == 0

    registers.update_position("EQ-22", planned=None)  # back to the template's quantity
    assert next(v.planned for v in registers.positions() if v.position.code == "EQ-22") == (
        template_planned
    )


# --- discrepancies -----------------------------------------------------------------------------


def deliver_everything(registers: Registers) -> None:
    for view in registers.positions():
        registers.update_position(
            view.position.code,
            delivered=view.planned,
            installed=view.planned,
            in_use=view.planned,
        )


def test_discrepancies_name_each_problem_and_ignore_written_off_units(
    registers: Registers,
) -> None:
    assert {d.kind for d in registers.discrepancies()} == {"not_delivered"}
    assert len(registers.discrepancies()) == len(registers.template.equipment)
    deliver_everything(registers)
    assert registers.discrepancies() == []

    registers.update_position("EQ-01", delivered=2, installed=2)  # 4 planned
    registers.update_position("EQ-02", installed=1)  # 4 delivered
    room = registers.add_room("12", "Кабинет физики", "physics")
    registers.add_unit("EQ-03", room_id=room.id, inventory_number="101", status="in_use")
    homeless = registers.add_unit("EQ-04", status=UnitStatus.INSTALLED)
    no_number = registers.add_unit("EQ-05", room_id=room.id, status=UnitStatus.IN_USE)
    both = registers.add_unit("EQ-06", status=UnitStatus.IN_USE)
    registers.add_unit("EQ-07", status=UnitStatus.WRITTEN_OFF)  # no room, no number: ignored

    found = {
        (d.kind, d.position_code, d.expected, d.actual, d.unit_id)
        for d in registers.discrepancies()
    }
    assert found == {
        ("not_delivered", "EQ-01", 4, 2, None),
        ("not_installed", "EQ-02", 4, 1, None),
        ("unit_without_room", "EQ-04", 0, 0, homeless.id),
        ("unit_without_inventory", "EQ-05", 0, 0, no_number.id),
        ("unit_without_room", "EQ-06", 0, 0, both.id),
        ("unit_without_inventory", "EQ-06", 0, 0, both.id),
    }
    assert registers.summary().discrepancies == 6

    registers.update_unit(homeless.id, room_id=room.id)
    registers.update_unit(no_number.id, inventory_number="102")
    assert len(registers.discrepancies()) == 4


# --- units -------------------------------------------------------------------------------------


def test_units_are_added_changed_and_removed_with_history(registers: Registers) -> None:
    room = registers.add_room("21", "Коворкинг", "coworking")
    unit = registers.add_unit("EQ-22", serial_number="  NB-0001 ", inventory_number=" 1013400 ")

    assert registers.units("EQ-22") == [unit]
    assert (unit.serial_number, unit.inventory_number) == ("NB-0001", "1013400")
    assert unit.status is UnitStatus.STORED and unit.room_id is None
    assert fields_in(registers, "EQ-22") == ["unit_added"]
    assert registers.checklist.history("EQ-22")[0].new == "NB-0001"
    assert {"serial_number", "inventory_number"} <= set(fields_in(registers, f"unit/{unit.id}"))
    assert next(v.units for v in registers.positions() if v.position.code == "EQ-22") == 1

    changed = registers.update_unit(unit.id, room_id=room.id, status="in_use")
    assert changed.room_id == room.id and changed.status is UnitStatus.IN_USE
    assert registers.units_in(room.id) == [changed]
    latest = registers.checklist.history(f"unit/{unit.id}")[:2]
    assert {(e.field, e.new) for e in latest} == {("room_id", str(room.id)), ("status", "in_use")}

    with pytest.raises(ValidationError) as info:
        registers.update_unit(unit.id, room_id=room.id + 100)
    assert info.value.problem == "unknown_room"
    assert registers.units() == [changed]

    registers.remove_unit(unit.id)
    assert registers.units() == []
    entry = registers.checklist.history("EQ-22")[0]
    assert (entry.field, entry.old) == ("unit_removed", "NB-0001")
    registers.remove_unit(unit.id)  # already gone: nothing happens
    assert fields_in(registers, "EQ-22") == ["unit_removed", "unit_added"]


def test_removed_room_keeps_its_units_without_room_and_drops_its_brand(
    registers: Registers,
) -> None:
    physics = registers.add_room("12", "Кабинет физики", "physics")
    chemistry = registers.add_room("14", "Кабинет химии", "chemistry_biology")
    in_physics = [registers.add_unit("EQ-01", room_id=physics.id) for _ in range(2)]
    in_chemistry = registers.add_unit("EQ-02", room_id=chemistry.id)
    registers.update_brand(brand_key("door_sign", physics.id), status=ItemStatus.DONE)
    registers.update_brand(brand_key("door_sign", chemistry.id), status=ItemStatus.DONE)
    registers.update_brand(brand_key("entrance_sign", None), status=ItemStatus.DONE)

    registers.remove_room(physics.id)

    assert registers.rooms() == [chemistry]
    units = {u.id: u for u in registers.units()}
    assert set(units) == {u.id for u in [*in_physics, in_chemistry]}
    assert all(units[u.id].room_id is None for u in in_physics)
    assert units[in_chemistry.id].room_id == chemistry.id
    assert set(registers.store.brand_states()) == {
        brand_key("door_sign", chemistry.id),
        brand_key("entrance_sign", None),
    }
    assert all(item.room != physics for item in registers.brand_items())
    assert registers.checklist.history(room_subject(physics.id))[0].field == "room_removed"


def test_a_new_room_does_not_inherit_a_removed_rooms_history_and_photos(
    registers: Registers, tmp_path: Path
) -> None:
    from tests.conftest import make_photo

    old = registers.add_room("12", "Кабинет физики", "physics")
    registers.attach(room_subject(old.id, "before"), [make_photo(tmp_path / "до.jpg")])
    registers.remove_room(old.id)

    new = registers.add_room("21", "Коворкинг", "coworking")

    assert registers.checklist.evidence(room_subject(new.id, "before")) == []
    assert "room_removed" not in fields_in(registers, room_subject(new.id))


# --- delivery import ----------------------------------------------------------------------------


def test_delivery_preview_matches_three_rows_and_names_the_fourth(
    registers: Registers, tmp_path: Path
) -> None:
    preview = registers.preview_delivery(delivery_list(tmp_path / "Накладная 15.xlsx"))

    assert [(r.position_code, r.quantity, r.serial_number) for r in preview.matched] == [
        ("EQ-22", 2, ""),
        ("EQ-21", 1, "PRN-0001"),
        ("EQ-16", 1, ""),
    ]
    assert [(r.name, r.reason) for r in preview.unmatched] == [("Глобус политический", "no_match")]
    # reading is not applying
    assert registers.store.position_states() == {} and registers.last_import() is None


def test_delivery_import_applies_everything_in_one_batch(
    registers: Registers, tmp_path: Path
) -> None:
    registers.update_position("EQ-22", delivered=5, supplier="ООО «Старый поставщик»")
    preview = registers.preview_delivery(delivery_list(tmp_path / "Накладная 15.xlsx"))

    batch_id = registers.apply_delivery(preview)

    states = states_by_code(registers)
    assert (states["EQ-22"].delivered, states["EQ-21"].delivered, states["EQ-16"].delivered) == (
        7,
        1,
        1,
    )
    for code in ("EQ-22", "EQ-21", "EQ-16"):
        assert states[code].supplier == SUPPLIER
        assert states[code].contract_number == CONTRACT
        assert states[code].delivery_date == DELIVERED_ON
    assert states["EQ-01"] == PositionState("EQ-01")  # untouched positions stay untouched
    units = registers.units()
    assert sorted((u.position_code, u.serial_number, u.inventory_number) for u in units) == [
        ("EQ-16", "", ""),
        ("EQ-21", "PRN-0001", ""),
        ("EQ-22", "", "ИНВ-22"),
        ("EQ-22", "", "ИНВ-22"),
    ]
    assert {u.import_batch_id for u in units} == {batch_id}
    batch = registers.last_import()
    assert batch is not None and batch.id == batch_id and batch.undone_at is None
    assert batch.file_name == "Накладная 15.xlsx"
    imports = [e for e in registers.checklist.history(None) if e.field == "delivery_import"]
    assert len(imports) == 1
    assert imports[0].new == "Накладная 15.xlsx: 3 строк, 4 ед."
    delivered = [e for e in registers.checklist.history("EQ-22") if e.field == "delivered"]
    assert (delivered[0].old, delivered[0].new) == ("5", "7")


def test_undo_restores_the_previous_states_in_one_step(
    registers: Registers, tmp_path: Path
) -> None:
    registers.update_position(
        "EQ-22", planned=15, delivered=5, supplier="ООО «Старый поставщик»",
        delivery_date=dt.date(2027, 6, 1),
    )  # fmt: skip
    own = registers.add_unit("EQ-22", serial_number="NB-OWN")
    before = states_by_code(registers)
    preview = registers.preview_delivery(delivery_list(tmp_path / "Накладная 15.xlsx"))
    registers.apply_delivery(preview)
    assert states_by_code(registers) != before

    undone = registers.undo_last_import()

    assert undone is not None and undone.file_name == "Накладная 15.xlsx"
    assert states_by_code(registers) == before
    assert registers.units() == [own]
    batch = registers.last_import()
    assert batch is not None and batch.undone_at is not None
    assert fields_in(registers, None)[0] == "delivery_import_undone"
    history_length = len(registers.checklist.history(None))

    assert registers.undo_last_import() is None  # twice: nothing more happens
    assert states_by_code(registers) == before
    assert registers.units() == [own]
    assert len(registers.checklist.history(None)) == history_length


def test_delivery_import_is_all_or_nothing_when_the_disk_fills_up(
    mount_tmpfs: Callable[[str, str], Path], profile: CenterProfile, tmp_path: Path
) -> None:
    disk = mount_tmpfs("disk", "16m")
    data_dir = disk / "data"
    center = open_center(data_dir)
    registers = center.registers
    center.checklist.save_profile(profile)
    registers.update_position("EQ-22", delivered=5, supplier="ООО «Старый поставщик»")
    before = states_by_code(registers)
    history_before = registers.checklist.history(None)
    # four thousand notebooks: more rows than the 64 KiB left on the disk can hold
    preview = registers.preview_delivery(delivery_list(tmp_path / "big.xlsx", notebooks=4000))
    wal = data_dir / "tochka.sqlite3-wal"
    wal_size = wal.stat().st_size
    filler = fill_up(disk, leave=64 * 1024)
    try:
        with pytest.raises(StorageError) as info:
            registers.apply_delivery(preview)
        assert info.value.problem == "disk_full"
        assert wal.stat().st_size > wal_size  # the failure came in the middle of writing
    finally:
        filler.unlink()

    def nothing_imported(registers: Registers) -> None:
        assert states_by_code(registers) == before
        assert registers.units() == []
        assert registers.last_import() is None
        assert registers.checklist.history(None) == history_before

    nothing_imported(registers)
    close(center)
    again = open_center(data_dir)
    try:
        nothing_imported(again.registers)
        # with space again, the same import goes through whole
        again.registers.apply_delivery(preview)
        assert len(again.registers.units()) == 4002
    finally:
        close(again)


# --- rooms -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"number": "   "}, "required"),
        ({"name": ""}, "required"),
        ({"zone_type": "gym"}, "unknown_zone"),
        ({"area": 0.0}, "bad_area"),
        ({"area": -12.5}, "bad_area"),
        ({"floor": 99}, "bad_floor"),
    ],
)
def test_room_validation(registers: Registers, fields: dict[str, Any], problem: str) -> None:
    values: dict[str, Any] = {"number": "12", "name": "Кабинет физики", "zone_type": "physics"}
    values.update(fields)
    with pytest.raises(ValidationError) as info:
        registers.add_room(**values)
    assert info.value.problem == problem
    assert registers.rooms() == []

    room = registers.add_room("12", "Кабинет физики", "physics", area=64.5)
    with pytest.raises(ValidationError) as info:
        registers.update_room(room.id, **fields)
    assert info.value.problem == problem
    assert registers.rooms() == [room]


def test_room_is_stored_trimmed_and_audited(registers: Registers) -> None:
    room = registers.add_room(" 12 ", " Кабинет физики ", "physics", floor=2, area=64.5)
    assert (room.number, room.name, room.floor, room.area) == ("12", "Кабинет физики", 2, 64.5)
    assert registers.rooms() == [room]

    registers.update_room(room.id, area=70.0, repair_status="in_progress")
    changes = {(e.field, e.old, e.new) for e in registers.checklist.history(room_subject(room.id))}
    assert {("area", "64.5", "70.0"), ("repair_status", "not_started", "in_progress")} <= changes
    assert registers.room(room.id).repair_status is ItemStatus.IN_PROGRESS


def test_capacity_hint() -> None:
    assert capacity_hint(64.5) == (25, 18)
    assert capacity_hint(3.5) == (1, 1)
    assert capacity_hint(None) is None
    assert capacity_hint(0) is None
    assert capacity_hint(-10) is None


def test_room_ready_needs_the_repair_and_every_brand_element_of_its_zone(
    registers: Registers,
) -> None:
    room = registers.add_room("14а", "Лаборантская", "prep_room")
    zone = next(z for z in registers.template.zone_types if z.code == "prep_room")
    assert zone.brand == ("door_sign", "walls")
    assert not registers.room_ready(room)

    for code in zone.brand:
        registers.update_brand(brand_key(code, room.id), status=ItemStatus.DONE)
    assert not registers.room_ready(room)  # the repair is not done

    room = registers.update_room(room.id, repair_status=ItemStatus.DONE)
    assert registers.room_ready(room)

    registers.update_brand(brand_key("walls", room.id), status=ItemStatus.IN_PROGRESS)
    assert not registers.room_ready(room)
    registers.update_brand(brand_key("walls", room.id), status=ItemStatus.NOT_REQUIRED)
    assert registers.room_ready(room)
    # elements of the building do not belong to any room
    assert registers.store.brand_states().get(brand_key("entrance_sign", None)) is None
    assert registers.summary().rooms_ready == 1


# --- brand style ---------------------------------------------------------------------------


def test_brand_items_are_the_building_elements_and_each_rooms_zone_elements(
    registers: Registers,
) -> None:
    building = [e.code for e in registers.template.brand_elements if e.scope == "building"]
    assert [i.key for i in registers.brand_items()] == [f"building/{c}" for c in building]

    physics = registers.add_room("12", "Кабинет физики", "physics")
    prep = registers.add_room("14а", "Лаборантская", "prep_room")

    items = registers.brand_items()
    assert [i.key for i in items] == [
        *(f"building/{c}" for c in building),
        *(f"room/{physics.id}/{c}" for c in ("door_sign", "walls", "logos", "navigation")),
        *(f"room/{prep.id}/{c}" for c in ("door_sign", "walls")),
    ]
    assert all(i.room is None for i in items[: len(building)])
    assert {i.room for i in items[len(building) :]} == {physics, prep}
    assert all(i.state.status is ItemStatus.NOT_STARTED for i in items)


def test_update_brand_is_audited_under_its_key(registers: Registers) -> None:
    room = registers.add_room("12", "Кабинет физики", "physics")
    key = brand_key("door_sign", room.id)

    registers.update_brand(key, status="in_progress", comment="  макет согласован ")

    assert registers.store.brand_states()[key].comment == "макет согласован"
    history = registers.checklist.history(f"brand/{key}")
    assert {(e.field, e.new) for e in history} == {
        ("status", "in_progress"),
        ("comment", "макет согласован"),
    }
    with pytest.raises(KeyError):
        registers.update_brand(brand_key("entrance_sign", room.id), status="done")
    with pytest.raises(KeyError):
        registers.update_brand("building/no_such_element", status="done")


def test_missing_brand_by_room(registers: Registers) -> None:
    prep = registers.add_room("14а", "Лаборантская", "prep_room")
    titles = {e.code: e.title for e in registers.template.brand_elements}
    building = [e for e in registers.template.brand_elements if e.scope == "building"]
    for element in building[1:]:
        registers.update_brand(brand_key(element.code, None), status=ItemStatus.DONE)
    registers.update_brand(brand_key("walls", prep.id), status=ItemStatus.NOT_REQUIRED)

    assert registers.missing_brand_by_room() == {
        "Здание": [building[0].title],
        "14а Лаборантская": [titles["door_sign"]],
    }
    registers.update_brand(brand_key("door_sign", prep.id), status=ItemStatus.DONE)
    registers.update_brand(brand_key(building[0].code, None), status=ItemStatus.DONE)
    assert registers.missing_brand_by_room() == {}


# --- roadmap -------------------------------------------------------------------------------


def test_roadmap_dates_move_to_the_campaign_year(registers: Registers) -> None:
    template = registers.template
    tasks = registers.tasks()

    assert [t.task.code for t in tasks] == [t.code for t in template.roadmap]
    for view in tasks:
        assert view.due == view.task.due.replace(year=view.task.due.year - template.year + 2027)
    assert tasks[0].due.year == 2027


@pytest.mark.parametrize("campaign_year", [2027, 2028])
def test_quarterly_reports_fall_on_the_last_day_of_each_quarter(
    registers: Registers, profile: CenterProfile, campaign_year: int
) -> None:
    registers.checklist.save_profile(
        dataclasses.replace(
            profile,
            campaign_year=campaign_year,
            opening_date=dt.date(campaign_year, 9, 1),
        )
    )

    reports = [t.due for t in registers.tasks() if t.task.quarterly_report]

    assert sorted(reports) == [
        dt.date(campaign_year, 3, 31),
        dt.date(campaign_year, 6, 30),
        dt.date(campaign_year, 9, 30),
        dt.date(campaign_year, 12, 31),
    ]


def test_due_override_and_overdue(registers: Registers) -> None:
    task = registers.tasks()[0]
    code = task.task.code
    today = dt.date(2027, 5, 15)
    assert task.due == dt.date(2027, 3, 29)
    assert next(t for t in registers.tasks(today) if t.task.code == code).overdue
    assert not next(t for t in registers.tasks(dt.date(2027, 3, 29)) if t.task.code == code).overdue

    registers.update_task(code, due_override=dt.date(2027, 6, 1))
    view = next(t for t in registers.tasks(today) if t.task.code == code)
    assert (view.due, view.overdue) == (dt.date(2027, 6, 1), False)
    view = next(t for t in registers.tasks(dt.date(2027, 6, 2)) if t.task.code == code)
    assert view.overdue

    overdue_in_june = sum(t.overdue for t in registers.tasks(dt.date(2027, 6, 2)))
    registers.update_task(code, status=ItemStatus.NOT_REQUIRED)
    assert sum(t.overdue for t in registers.tasks(dt.date(2027, 6, 2))) == overdue_in_june - 1
    assert registers.summary(dt.date(2027, 6, 2)).roadmap_overdue == overdue_in_june - 1
    assert fields_in(registers, code)[-1] == "due_override"


def test_done_on_is_set_on_done_and_never_in_the_future(registers: Registers) -> None:
    today = registers.checklist.today()
    state = registers.update_task("RM-02", status="done", order_number=" 15-од ")
    assert (state.status, state.done_on, state.order_number) == (ItemStatus.DONE, today, "15-од")
    assert not next(
        t for t in registers.tasks(dt.date(2028, 1, 1)) if t.task.code == "RM-02"
    ).overdue

    with pytest.raises(ValidationError) as info:
        registers.update_task("RM-02", done_on=today + dt.timedelta(days=1))
    assert (info.value.field, info.value.problem) == ("done_on", "future_date")
    assert registers.store.roadmap_states()["RM-02"].done_on == today

    earlier = today - dt.timedelta(days=10)
    registers.update_task("RM-02", done_on=earlier)
    assert registers.store.roadmap_states()["RM-02"].done_on == earlier

    state = registers.update_task("RM-02", status=ItemStatus.IN_PROGRESS)
    assert state.done_on is None
    assert {"status", "done_on", "order_number"} <= set(fields_in(registers, "RM-02"))
    with pytest.raises(KeyError):
        registers.update_task("RM-99", status="done")


# --- indicators ---------------------------------------------------------------------------


def units_of(registers: Registers) -> dict[str, str]:
    return {i.code: i.unit for i in registers.template.indicators}


@pytest.mark.parametrize(
    ("code", "value", "problem"),
    [
        ("IND-01", -1, "negative"),
        ("IND-05", -0.5, "negative"),
        ("IND-03", 100.5, "percent_range"),
        ("IND-01", 351, "above_pupils"),
        ("IND-01", 10.5, "whole_number"),
        ("IND-05", 2.5, "whole_number"),
        ("IND-03", math.nan, "not_a_number"),
    ],
)
def test_indicator_values_are_checked(
    registers: Registers, code: str, value: float, problem: str
) -> None:
    assert units_of(registers)[code] in {"чел.", "%", "ед."}
    with pytest.raises(ValidationError) as info:
        registers.set_indicator_value(code, 2027, 1, value)
    assert (info.value.field, info.value.problem) == ("indicator_value", problem)
    assert registers.store.indicator_values(2027) == {}
    assert registers.checklist.history(f"{code}/2027-Q1") == []


def test_indicator_limits_themselves_are_accepted(registers: Registers) -> None:
    assert units_of(registers)["IND-01"] == "чел." and units_of(registers)["IND-03"] == "%"
    registers.set_indicator_value("IND-01", 2027, 1, 350)  # every pupil of the profile
    registers.set_indicator_value("IND-03", 2027, 1, 100)
    registers.set_indicator_value("IND-05", 2027, 1, 0)
    registers.set_indicator_value("IND-03", 2027, 2, 62.5)  # a share may be fractional
    values = registers.store.indicator_values(2027)
    assert {k: v.value for k, v in values.items()} == {
        ("IND-01", 1): 350.0,
        ("IND-03", 1): 100.0,
        ("IND-05", 1): 0.0,
        ("IND-03", 2): 62.5,
    }
    with pytest.raises(ValidationError) as info:
        registers.set_indicator_value("IND-01", 2027, 5, 10)
    assert info.value.problem == "bad_quarter"
    with pytest.raises(ValidationError) as info:
        registers.set_indicator_target("IND-02", 2027, 400)
    assert (info.value.field, info.value.problem) == ("indicator_target", "above_pupils")


def test_indicator_target_override_is_per_year(registers: Registers) -> None:
    template_target = next(i.target for i in registers.template.indicators if i.code == "IND-05")

    registers.set_indicator_target("IND-05", 2027, 20)

    def target(year: int) -> float:
        return next(r.target for r in registers.indicators(year) if r.indicator.code == "IND-05")

    assert target(2027) == 20
    assert target(2028) == template_target
    entry = registers.checklist.history("IND-05/2027")[0]
    assert (entry.field, entry.old, entry.new) == ("target", str(template_target), "20.0")
    registers.set_indicator_target("IND-05", 2027, 20)  # unchanged: nothing written
    assert len(registers.checklist.history("IND-05/2027")) == 1


def test_indicator_percent_is_the_latest_quarter_of_the_target(registers: Registers) -> None:
    def row(code: str) -> Any:
        return next(r for r in registers.indicators() if r.indicator.code == code)

    assert registers.indicator_year() == 2027
    assert row("IND-01").percent is None and row("IND-01").latest is None
    registers.set_indicator_value("IND-01", 2027, 1, 30, note="по журналу ")
    registers.set_indicator_value("IND-01", 2027, 2, 90)
    registers.set_indicator_value("IND-01", 2028, 3, 150)  # another year does not count

    ind01 = row("IND-01")
    assert ind01.target == 150
    assert set(ind01.values) == {1, 2}
    assert ind01.latest is not None and ind01.latest.quarter == 2
    assert ind01.percent == pytest.approx(60.0)
    assert ind01.values[1].note == "по журналу"
    history = registers.checklist.history("IND-01/2027-Q1")
    assert {(e.field, e.new) for e in history} == {("value", "30.0"), ("note", "по журналу")}
    registers.set_indicator_value("IND-01", 2027, 1, 45, note="по журналу")
    assert [(e.field, e.old, e.new) for e in registers.checklist.history("IND-01/2027-Q1")][0] == (
        "value",
        "30.0",
        "45.0",
    )
    registers.set_indicator_target("IND-01", 2027, 120)
    assert row("IND-01").percent == pytest.approx(75.0)


# --- summary, demo, persistence -----------------------------------------------------------


def test_summary_numbers_match_the_data(registers: Registers) -> None:
    registers.update_position("EQ-01", delivered=4, installed=3, in_use=2)
    registers.update_position("EQ-22", planned=10, delivered=6, installed=6, in_use=6)
    ready = registers.add_room("14а", "Лаборантская", "prep_room", repair_status="done")
    registers.add_room("12", "Кабинет физики", "physics", repair_status="done")
    for code in ("door_sign", "walls"):
        registers.update_brand(brand_key(code, ready.id), status=ItemStatus.DONE)
    registers.update_brand(brand_key("entrance_sign", None), status=ItemStatus.DONE)
    registers.add_unit("EQ-01")  # without room
    registers.update_task("RM-01", due_override=dt.date(2027, 1, 10))
    registers.update_task("RM-02", status=ItemStatus.DONE)
    registers.set_indicator_value("IND-05", 2027, 1, 3)

    summary = registers.summary(dt.date(2027, 4, 1))

    template = registers.template
    planned = sum(p.planned for p in template.equipment) + 10 - 13
    assert (summary.planned, summary.delivered, summary.installed, summary.in_use) == (
        planned,
        10,
        9,
        8,
    )
    # every position short of its plan, EQ-01 not all installed, one unit without a room
    assert summary.discrepancies == len(template.equipment) - 1 + 1 + 1
    assert (summary.rooms_ready, summary.rooms_total) == (1, 2)
    assert (summary.brand_done, summary.brand_total) == (3, 4 + 2 + 4)
    # due by 1 April 2027: RM-01 (moved to January), RM-12 and RM-13; RM-02 is done
    assert (summary.roadmap_overdue, summary.roadmap_total) == (3, len(template.roadmap))
    assert [r.indicator.code for r in summary.indicators] == [i.code for i in template.indicators]
    ind05 = next(r for r in summary.indicators if r.indicator.code == "IND-05")
    assert ind05.percent == pytest.approx(25.0)


def test_demo_registers_fill_every_register(registers: Registers) -> None:
    today = registers.checklist.today()  # the demo records work done before today

    fill_demo_registers(registers, today)

    assert len(registers.rooms()) >= 2
    states = registers.store.position_states()
    assert set(states) == {p.code for p in registers.template.equipment}
    assert any(s.delivered for s in states.values())
    assert registers.units()
    assert registers.discrepancies()
    assert any(t.overdue for t in registers.tasks(today))
    assert any(t.state.status is ItemStatus.DONE for t in registers.tasks(today))
    rows = registers.indicators()
    assert rows and all(set(r.values) == {1, 2} for r in rows)
    summary = registers.summary(today)
    assert summary.discrepancies > 0 and summary.roadmap_overdue > 0
    assert summary.brand_done > 0


def test_everything_survives_a_restart(center: Center, data_dir: Path, tmp_path: Path) -> None:
    registers = center.registers
    today = registers.checklist.today()
    fill_demo_registers(registers, today)
    registers.set_indicator_target("IND-06", 2027, 30)
    preview = registers.preview_delivery(delivery_list(tmp_path / "Накладная 15.xlsx"))
    registers.apply_delivery(preview)

    def snapshot(registers: Registers) -> tuple[Any, ...]:
        return (
            registers.positions(),
            registers.units(),
            registers.rooms(),
            registers.brand_items(),
            registers.tasks(today),
            registers.indicators(),
            registers.last_import(),
            registers.summary(today),
            registers.checklist.history("EQ-22"),
        )

    saved = snapshot(registers)
    close(center)

    again = open_center(data_dir)
    try:
        assert snapshot(again.registers) == saved
        assert again.registers.undo_last_import() is not None  # the batch is still undoable
    finally:
        close(again)
