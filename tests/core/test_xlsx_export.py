"""The XLSX workbook over a real data folder (real SQLite, the demo center, real photos): every
sheet read back with openpyxl and compared with the snapshot and with the registers, the layout a
municipality's spreadsheet needs (bold frozen header, autofilter, widths, real dates, numbers,
percentages), and the failures: a full disk, a read-only disk, a cancel."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from core import APP_VERSION
from core.demo import fill_demo
from core.errors import CancelledError, StorageError
from core.model import CenterProfile, ItemStatus
from core.registers import Center
from core.report_data import ReportSnapshot, take_snapshot
from core.xlsx_export import SHEET_NAMES, write_workbook
from tests.conftest import fill_up, make_photo

ISSUE_SHEETS = [
    "Профиль",
    "Чек-лист",
    "Оборудование",
    "Помещения",
    "Фирменный стиль",
    "Дорожная карта",
    "Показатели",
    "Сведения",
]
EXTRA_SHEETS = ["Единицы оборудования", "Расхождения"]
INN_WITH_LEADING_ZERO = "0123456788"  # a valid 10-digit ИНН (Адыгея) that starts with 0
FORMULA_LIKE = "=СУММ(A1:A3) — так записал завхоз"
RUSSIAN_STATUSES = {"не начато", "в работе", "выполнено", "не требуется"}


def open_center(data_dir: Path) -> Center:
    from main import open_center as opener

    return opener(data_dir)


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the first test of the module builds the demo center; later tests copy it (the
    demo's photos take seconds to make)."""
    return tmp_path_factory.mktemp("demo") / "data"


def build_demo(data_dir: Path, profile: CenterProfile, photos: Path) -> None:
    """The demo center (it refuses a folder that already has a profile, so the profile fixture
    is saved over the demo's), with a photo of a brand element and two awkward texts."""
    center = open_center(data_dir)
    try:
        today = center.checklist.today()  # the demo records work done before today
        fill_demo(center.checklist, today, photos=2, registers=center.registers)
        center.checklist.save_profile(dataclasses.replace(profile, inn=INN_WITH_LEADING_ZERO))
        registers = center.registers
        brand = registers.brand_items()[0]
        registers.attach(f"brand/{brand.key}", [make_photo(photos / "вывеска.jpg")])
        first = center.checklist.template.items()[0]
        center.checklist.update_item(first.code, comment=FORMULA_LIKE)
        room = registers.rooms()[0]
        registers.update_room(room.id, comment="Звонок\x07 поставщику")
    finally:
        center.checklist.store.close()  # type: ignore[attr-defined]


@pytest.fixture
def center(
    demo_folder: Path, data_dir: Path, profile: CenterProfile, tmp_path: Path
) -> Iterator[Center]:
    if not demo_folder.exists():
        build_demo(demo_folder, profile, tmp_path / "photos")
    shutil.copytree(demo_folder, data_dir)
    opened = open_center(data_dir)
    yield opened
    opened.checklist.store.close()  # type: ignore[attr-defined]


@pytest.fixture
def snapshot(center: Center) -> ReportSnapshot:
    return take_snapshot(center)


@pytest.fixture
def exported(snapshot: ReportSnapshot, tmp_path: Path) -> Path:
    out = tmp_path / "Готовность центра.xlsx"
    write_workbook(snapshot, out)
    return out


def rows_of(path: Path, sheet: str) -> list[tuple[Any, ...]]:
    workbook = load_workbook(path)
    return [tuple(row) for row in workbook[sheet].iter_rows(min_row=2, values_only=True)]


def as_cell(value: Any) -> Any:
    """What a value reads back as: dates as datetimes, empty text as an empty cell."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time())
    if value == "":
        return None
    return value


def expected(*values: Any) -> tuple[Any, ...]:
    return tuple(as_cell(v) for v in values)


def yes_no(flag: bool) -> str:
    return "да" if flag else "нет"


def whole(value: float | None) -> int | float | None:
    return int(value) if value is not None and value == int(value) else value


# --- layout ------------------------------------------------------------------------------------


def test_every_sheet_has_a_bold_frozen_filtered_header_and_widths(exported: Path) -> None:
    workbook = load_workbook(exported)

    assert workbook.sheetnames == ISSUE_SHEETS + EXTRA_SHEETS
    assert list(SHEET_NAMES) == workbook.sheetnames
    for ws in workbook.worksheets:
        header = list(ws[1])
        assert header and all(isinstance(c.value, str) and c.value for c in header), ws.title
        assert all(c.font.b for c in header), ws.title
        assert all(c.fill.fill_type == "solid" for c in header), ws.title
        assert ws.freeze_panes == "A2", ws.title
        last = header[-1].column_letter
        assert ws.auto_filter.ref == f"A1:{last}{ws.max_row}", ws.title
        for c in header:
            dimension = ws.column_dimensions[c.column_letter]
            assert dimension.customWidth and 6 <= dimension.width <= 90, (ws.title, c.value)
        # nothing but the header is bold: the data rows are plain
        assert not any(c.font.b for row in ws.iter_rows(min_row=2) for c in row), ws.title


def test_headers_are_the_russian_column_names(exported: Path) -> None:
    workbook = load_workbook(exported)

    def header(sheet: str) -> list[str]:
        return [c.value for c in workbook[sheet][1]]

    assert header("Профиль") == ["Поле", "Значение"]
    assert header("Чек-лист") == [
        "Раздел",
        "Код",
        "Пункт",
        "Что считается выполненным",
        "Подтверждение",
        "Ответственный по шаблону",
        "Срок",
        "Статус",
        "Ответственный",
        "Дата выполнения",
        "Просрочено",
        "Причина «не требуется»",
        "Комментарий",
        "Файлов",
    ]
    assert header("Оборудование")[:5] == ["Код", "Раздел", "Наименование", "Ед.", "План"]
    assert header("Оборудование")[-1] == "Расхождения"
    assert header("Помещения")[:8] == [
        "№",
        "Название",
        "Зона",
        "Этаж",
        "Площадь, м²",
        "Ремонт",
        "Готово",
        "Единиц оборудования",
    ]
    assert header("Фирменный стиль") == ["Место", "Элемент", "Статус", "Комментарий", "Фото"]
    assert header("Показатели")[4:10] == ["Цель", "I кв.", "II кв.", "III кв.", "IV кв.", "% цели"]
    assert header("Сведения") == ["Параметр", "Значение"]
    assert header("Расхождения") == ["Позиция", "Наименование", "Что не так", "Единица №"]


# --- contents ----------------------------------------------------------------------------------


def test_profile_keeps_the_inn_as_text_and_types_numbers_and_dates(
    exported: Path, center: Center
) -> None:
    profile = center.checklist.profile()
    assert profile is not None and profile.inn == INN_WITH_LEADING_ZERO
    ws = load_workbook(exported)["Профиль"]
    values = {row[0].value: row[1] for row in ws.iter_rows(min_row=2)}

    assert len(values) == len(dataclasses.fields(CenterProfile))
    assert values["ИНН"].value == INN_WITH_LEADING_ZERO
    assert values["ИНН"].data_type == "s" and values["ИНН"].number_format == "@"
    assert values["Полное наименование школы"].value == profile.school_full_name
    assert values["Электронная почта"].value == profile.email
    assert values["Число обучающихся"].value == profile.pupils
    assert type(values["Число обучающихся"].value) is int
    assert values["Год создания Центра"].value == profile.campaign_year
    opening = values["Плановая дата открытия"]
    assert opening.value == as_cell(profile.opening_date)
    assert opening.number_format == "DD.MM.YYYY"


def test_checklist_rows_follow_the_snapshot_in_russian(
    exported: Path, snapshot: ReportSnapshot, center: Center
) -> None:
    evidence_names = {"photo": "фото", "document": "документ", "none": "не требуется"}
    statuses = {
        ItemStatus.NOT_STARTED: "не начато",
        ItemStatus.IN_PROGRESS: "в работе",
        ItemStatus.DONE: "выполнено",
        ItemStatus.NOT_REQUIRED: "не требуется",
    }
    states = center.checklist.states()
    ws = load_workbook(exported)["Чек-лист"]
    rows = list(ws.iter_rows(min_row=2))

    assert len(rows) == len(snapshot.checklist) == len(center.checklist.template.items())
    for cells, item in zip(rows, snapshot.checklist, strict=True):
        state = states[item.code]
        files = len(center.checklist.evidence(item.code))
        assert tuple(c.value for c in cells) == expected(
            item.section_title,
            item.code,
            item.title,
            item.done_when,
            evidence_names[item.evidence.value],
            item.role,
            item.due,
            statuses[state.status],
            state.responsible,
            state.completed_on,
            yes_no(item.overdue),
            state.not_required_reason,
            state.comment,
            files,
        )
        due = cells[6]
        assert due.number_format == "DD.MM.YYYY"
        red = due.font.color is not None and str(due.font.color.rgb).endswith("C00000")
        assert red == item.overdue, item.code
    assert any(item.overdue for item in snapshot.checklist)
    assert sum(c[13].value for c in rows) == 2  # the demo's two photos
    assert {c[7].value for c in rows} <= RUSSIAN_STATUSES
    formula = next(c[12] for c in rows if c[12].value == FORMULA_LIKE)
    assert formula.data_type == "s"  # text, not a formula


def test_equipment_units_and_discrepancies_are_numbers_and_words(
    exported: Path, snapshot: ReportSnapshot, center: Center
) -> None:
    registers = center.registers
    positions = registers.positions()
    units = registers.units()
    discrepancies = registers.discrepancies()
    assert units and {d.kind for d in discrepancies} >= {"not_delivered", "unit_without_room"}

    def what(kind: str, expected_count: int, actual: int) -> str:
        return {
            "not_delivered": f"поставлено {actual} из {expected_count} по плану",
            "not_installed": f"установлено {actual} из {expected_count} поставленных",
            "unit_without_room": "единица без помещения",
            "unit_without_inventory": "введена в эксплуатацию без инвентарного номера",
        }[kind]

    rows = rows_of(exported, "Оборудование")
    assert len(rows) == len(positions) == len(snapshot.positions)
    for row, view in zip(rows, positions, strict=True):
        state = view.state
        problems = "; ".join(
            what(d.kind, d.expected, d.actual) + (f" (ед. № {d.unit_id})" if d.unit_id else "")
            for d in discrepancies
            if d.position_code == view.position.code
        )
        assert row == expected(
            view.position.code,
            view.position.section,
            view.position.name,
            view.position.unit,
            view.planned,
            state.delivered,
            state.installed,
            state.in_use,
            view.units,
            state.supplier,
            state.contract_number,
            state.contract_date,
            state.delivery_date,
            state.act_number,
            state.act_date,
            problems,
        )
        assert all(type(v) is int for v in row[4:9])

    places = {r.id: f"{r.number} {r.name}" for r in registers.rooms()}
    statuses = {
        "stored": "на складе",
        "installed": "установлено",
        "in_use": "введено в эксплуатацию",
        "faulty": "неисправно",
        "written_off": "списано",
    }
    names = {v.position.code: v.position.name for v in positions}
    assert rows_of(exported, "Единицы оборудования") == [
        expected(
            u.id,
            u.position_code,
            names[u.position_code],
            u.inventory_number,
            u.serial_number,
            places[u.room_id] if u.room_id is not None else "",
            statuses[u.status.value],
        )
        for u in units
    ]
    assert rows_of(exported, "Расхождения") == [
        expected(
            d.position_code, names[d.position_code], what(d.kind, d.expected, d.actual), d.unit_id
        )
        for d in discrepancies
    ]


def test_rooms_and_brand_style(exported: Path, snapshot: ReportSnapshot, center: Center) -> None:
    registers = center.registers
    rooms = registers.rooms()
    zones = {z.code: z.title for z in registers.template.zone_types}
    assert rows_of(exported, "Помещения") == [
        expected(
            r.number,
            r.name,
            zones[r.zone_type],
            r.floor,
            whole(r.area),
            {"done": "выполнено", "in_progress": "в работе", "not_started": "не начато"}[
                r.repair_status.value
            ],
            yes_no(registers.room_ready(r)),
            len(registers.units_in(r.id)),
            r.comment.replace("\x07", ""),
        )
        for r in rooms
    ]
    assert rows_of(exported, "Помещения")[0][8] == "Звонок поставщику"

    brand = registers.brand_items()
    rows = rows_of(exported, "Фирменный стиль")
    assert len(rows) == len(brand) == len(snapshot.brand)
    for row, item in zip(rows, brand, strict=True):
        place = "Здание" if item.room is None else f"{item.room.number} {item.room.name}"
        photos = len(center.checklist.evidence(f"brand/{item.key}"))
        assert row == expected(place, item.element.title, row[2], item.state.comment, photos)
        assert row[2] in RUSSIAN_STATUSES
    assert rows[0][4] == 1  # the photo of the first element


def test_roadmap_dates_overdue_and_orders(
    exported: Path, snapshot: ReportSnapshot, center: Center
) -> None:
    tasks = center.registers.tasks(snapshot.today)
    ws = load_workbook(exported)["Дорожная карта"]
    rows = list(ws.iter_rows(min_row=2))

    assert len(rows) == len(tasks)
    for cells, view in zip(rows, tasks, strict=True):
        task, state = view.task, view.state
        assert tuple(c.value for c in cells) == expected(
            task.code,
            task.name,
            task.responsible,
            task.result,
            task.documents,
            view.due,
            cells[6].value,
            state.done_on,
            yes_no(view.overdue),
            state.order_number,
            state.order_date,
            yes_no(task.quarterly_report),
            state.comment,
        )
        assert cells[6].value in RUSSIAN_STATUSES
        red = cells[5].font.color is not None and str(cells[5].font.color.rgb).endswith("C00000")
        assert red == view.overdue
        for date_cell in (cells[5], cells[7], cells[10]):
            if date_cell.value is not None:
                assert isinstance(date_cell.value, dt.datetime)
                assert date_cell.number_format == "DD.MM.YYYY"
    assert any(v.overdue for v in tasks) and any(v.state.order_number for v in tasks)


def test_indicators_are_numbers_with_percent_of_target(
    exported: Path, snapshot: ReportSnapshot, center: Center
) -> None:
    indicators = center.registers.indicators()
    ws = load_workbook(exported)["Показатели"]
    rows = list(ws.iter_rows(min_row=2))

    assert len(rows) == len(indicators) == len(snapshot.indicators)
    for cells, row in zip(rows, indicators, strict=True):
        values = [c.value for c in cells]
        quarters = [whole(row.values[q].value) if q in row.values else None for q in (1, 2, 3, 4)]
        assert values[:9] == [
            row.indicator.code,
            row.indicator.name,
            row.indicator.unit,
            row.year,
            whole(row.target),
            *quarters,
        ]
        assert all(isinstance(v, int | float) for v in values[4:9] if v is not None)
        latest = row.latest
        assert latest is not None and row.target > 0
        percent = cells[9]
        assert "%" in percent.number_format
        assert percent.value == pytest.approx(latest.value / row.target)
        notes = "; ".join(
            f"{['I', 'II', 'III', 'IV'][q - 1]} кв.: {v.note}"
            for q, v in sorted(row.values.items())
            if v.note
        )
        assert values[10] == as_cell(notes)
    assert rows[0][9].value == pytest.approx(0.6)  # the demo's second quarter: 60 %
    assert rows[0][10].value == "II кв.: по данным журнала"


def test_about_sheet_names_the_template_the_time_and_the_version(
    exported: Path, snapshot: ReportSnapshot, center: Center
) -> None:
    template = center.checklist.template
    ws = load_workbook(exported)["Сведения"]
    about = {row[0].value: row[1] for row in ws.iter_rows(min_row=2)}

    assert list(about) == [
        "Шаблон",
        "Название шаблона",
        "Версия шаблона",
        "Сформировано",
        "Версия программы",
        "Школа",
        "ИНН",
        "Дата данных",
    ]
    assert about["Шаблон"].value == template.id
    assert about["Название шаблона"].value == template.title
    assert about["Версия шаблона"].value == template.version
    assert about["Версия программы"].value == APP_VERSION
    made = about["Сформировано"]
    assert isinstance(made.value, dt.datetime) and made.value.tzinfo is None
    local = snapshot.generated_at.astimezone().replace(tzinfo=None)
    assert abs(made.value - local) < dt.timedelta(seconds=1)
    assert "HH:MM" in made.number_format.upper()
    assert about["ИНН"].value == INN_WITH_LEADING_ZERO
    assert about["Дата данных"].value == as_cell(snapshot.today)


def test_a_new_center_exports_headers_and_an_empty_profile(data_dir: Path, tmp_path: Path) -> None:
    center = open_center(data_dir)
    try:
        out = tmp_path / "пусто.xlsx"
        write_workbook(take_snapshot(center), out)
    finally:
        center.checklist.store.close()  # type: ignore[attr-defined]
    workbook = load_workbook(out)

    assert workbook.sheetnames == ISSUE_SHEETS + EXTRA_SHEETS
    assert all(
        value is None for _, value in workbook["Профиль"].iter_rows(min_row=2, values_only=True)
    )
    assert workbook["Помещения"].max_row == 1
    assert workbook["Помещения"].auto_filter.ref == "A1:I1"
    assert workbook["Чек-лист"].max_row == 1 + len(center.checklist.template.items())


def test_progress_counts_sheets_and_the_save_and_replaces_an_old_file(
    snapshot: ReportSnapshot, tmp_path: Path, system_temp: Path
) -> None:
    out = tmp_path / "Готовность.xlsx"
    out.write_bytes(b"last week's workbook")
    reported: list[tuple[int, int]] = []

    write_workbook(snapshot, out, progress=lambda done, total: reported.append((done, total)))

    total = len(SHEET_NAMES) + 1
    assert reported == [(n, total) for n in range(1, total + 1)]
    assert load_workbook(out).sheetnames == list(SHEET_NAMES)
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == [out.name]
    assert list(system_temp.iterdir()) == []


def test_libreoffice_opens_the_workbook(exported: Path, tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed")
    converted = tmp_path / "converted"
    result = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",  # comma, quotes, UTF-8
            "--outdir",
            str(converted),
            str(exported),
        ],
        capture_output=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    csv = (converted / (exported.stem + ".csv")).read_text(encoding="utf-8")  # the first sheet
    assert csv.splitlines()[0] == "Поле,Значение"
    assert f"ИНН,{INN_WITH_LEADING_ZERO}" in csv.splitlines()


# --- failures ----------------------------------------------------------------------------------


def test_full_disk_is_disk_full_and_keeps_the_old_file(
    snapshot: ReportSnapshot, tiny_disk: Path, system_temp: Path
) -> None:
    out = tiny_disk / "Готовность.xlsx"
    out.write_bytes(b"last week's workbook")
    fill_up(tiny_disk, leave=16 * 1024)

    with pytest.raises(StorageError) as info:
        write_workbook(snapshot, out)

    assert (info.value.problem, info.value.path) == ("disk_full", out)
    assert out.read_bytes() == b"last week's workbook"
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["filler", out.name]
    assert list(system_temp.iterdir()) == []


def test_read_only_disk_is_read_only(
    snapshot: ReportSnapshot, mount_tmpfs: Callable[[str, str], Path]
) -> None:
    disk = mount_tmpfs("stick", "1m")
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)

    with pytest.raises(StorageError) as info:
        write_workbook(snapshot, disk / "Готовность.xlsx")

    assert info.value.problem == "read_only"
    assert list(disk.iterdir()) == []


def test_missing_folder_is_an_io_error(snapshot: ReportSnapshot, tmp_path: Path) -> None:
    with pytest.raises(StorageError) as info:
        write_workbook(snapshot, tmp_path / "нет такой папки" / "Готовность.xlsx")

    assert info.value.problem == "io_error"
    assert not (tmp_path / "нет такой папки").exists()


def test_cancel_before_the_first_sheet_leaves_no_file(
    snapshot: ReportSnapshot, tmp_path: Path, system_temp: Path
) -> None:
    out = tmp_path / "Готовность.xlsx"
    reported: list[tuple[int, int]] = []

    with pytest.raises(CancelledError):
        write_workbook(
            snapshot, out, progress=lambda *a: reported.append(a), cancelled=lambda: True
        )

    assert reported == []
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == []
    assert list(system_temp.iterdir()) == []


def test_cancel_inside_a_big_sheet_stops_there_and_keeps_the_old_file(
    snapshot: ReportSnapshot, tmp_path: Path, system_temp: Path
) -> None:
    # a thousand units and more, so that the sheet itself asks whether to stop
    big = dataclasses.replace(snapshot, units=snapshot.units * (1200 // len(snapshot.units) + 1))
    assert len(big.units) > 1200
    units_sheet = SHEET_NAMES.index("Единицы оборудования")  # sheets done before it
    out = tmp_path / "Готовность.xlsx"
    out.write_bytes(b"last week's workbook")
    reported: list[int] = []
    asked_during_units = 0

    def cancelled() -> bool:
        nonlocal asked_during_units
        if reported and reported[-1] == units_sheet:
            asked_during_units += 1
            return asked_during_units > 1  # the first ask is before the sheet starts
        return False

    with pytest.raises(CancelledError):
        write_workbook(
            big, out, progress=lambda done, total: reported.append(done), cancelled=cancelled
        )

    assert reported[-1] == units_sheet  # stopped inside the units sheet, not after it
    assert out.read_bytes() == b"last week's workbook"
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == [out.name]
    assert list(system_temp.iterdir()) == []
