"""Reading a supplier's delivery list: real XLSX files made with openpyxl, real ZIP and OLE2
files for what must be refused before openpyxl ever sees them. Every refusal has a Russian
sentence in DELIVERY_PROBLEMS that names the file."""

from __future__ import annotations

import ast
import datetime as dt
import os
import subprocess
import sys
import tracemalloc
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from core.delivery_import import (
    PROBLEMS,
    DeliveryImportError,
    DeliveryPreview,
    header_field,
    read_delivery_list,
)
from core.errors import CancelledError
from core.model import EquipmentPosition

ROOT = Path(__file__).resolve().parents[2]
DELIVERY_PROBLEMS: dict[str, str] = ast.literal_eval(
    (ROOT / "core" / "delivery_import_messages.txt").read_text(encoding="utf-8")
)
ROW_PROBLEMS = {"bad_number", "bad_name", "bad_date"}

POSITIONS = (
    EquipmentPosition("EQ-01", "физика", "Цифровая лаборатория по физике (ученическая)", "шт.", 2),
    EquipmentPosition(
        "EQ-02", "физика", "Цифровая лаборатория по физике (демонстрационная)", "шт.", 1
    ),
    EquipmentPosition("EQ-03", "ИТ", "Ноутбук", "шт.", 10),
    EquipmentPosition("EQ-04", "ИТ", "МФУ (принтер, сканер, копир)", "шт.", 1),
    EquipmentPosition("EQ-05", "робототехника", "Квадрокоптер", "шт.", 3),
    EquipmentPosition("EQ-06", "ИТ", "3D-принтер", "шт.", 1),
)
SHEET = "xl/worksheets/sheet1.xml"
SIMPLE_HEADER = ["Наименование", "Кол-во"]
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_NAME = "EncryptedPackage".encode("utf-16-le")


def write_xlsx(
    path: Path, rows: Iterable[Sequence[Any]], *, merge: Iterable[str] = (), title: str = "Лист1"
) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    for cells in merge:
        sheet.merge_cells(cells)
    workbook.save(path)
    return path


def rewrite_zip(
    path: Path, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None
) -> None:
    """Rewrite an XLSX with some parts replaced or added, as a tampered file would be."""
    with zipfile.ZipFile(path) as source:
        members = [(info.filename, source.read(info.filename)) for info in source.infolist()]
    replace = replace or {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in members:
            target.writestr(name, replace.get(name, content))
        for name, content in (add or {}).items():
            target.writestr(name, content)


def read(path: Path, **options: Any) -> DeliveryPreview:
    return read_delivery_list(path, POSITIONS, **options)


def refused(path: Path, problem: str, **options: Any) -> DeliveryImportError:
    """Reading fails with this problem, and the user gets a sentence that names the file."""
    with pytest.raises(DeliveryImportError) as info:
        read(path, **options)
    error = info.value
    assert error.problem == problem, str(error)
    assert error.path == path
    template = DELIVERY_PROBLEMS[problem]
    assert "{name}" in template
    text = template.format(name=error.path.name, detail=error.detail, row=error.row)
    assert f"«{path.name}»" in text
    return error


def simple_list(path: Path, rows: Iterable[Sequence[Any]], **options: Any) -> Path:
    """A title line, the header in row 2, then the rows from row 3 on."""
    return write_xlsx(path, [["Поставка оборудования"], SIMPLE_HEADER, *rows], **options)


def open_descriptors_of(path: Path) -> int:
    fd_dir = Path("/proc/self/fd")
    count = 0
    for entry in os.listdir(fd_dir):
        try:
            if os.readlink(fd_dir / entry) == str(path):
                count += 1
        except OSError:
            pass
    return count


# --- a good list ---------------------------------------------------------------------------


@pytest.fixture
def good_list(tmp_path: Path) -> Path:
    header = [
        "№ п/п",
        "Код позиции",
        "Наименование товара",
        "Кол-во",
        "Ед.изм.",
        "Зав. №",
        "Инв. номер",
        "Поставщик",
        "№ договора",
        "Дата поставки:",
    ]
    supplier, contract = "ООО «Учтех-Профи»", "К-15/2027"
    rows: list[list[Any]] = [
        ["Товарная накладная № 15 от 20.08.2027"],
        [],
        header,
        [1, None, "Ноутбук «Aquarius» Cmp NS685U", "2 шт", "шт.", 123456, "ИНВ-001", supplier,
         contract, dt.date(2027, 8, 20)],
        [2, None, "3D принтер", 1, "шт", 1234567.0, None, supplier, contract, "21.08.2027"],
        [],
        [3, None, "Цифровая лаборатория по физике", " 3,0 ", "компл.", "SN-77", None, supplier,
         contract, "2027-08-22"],
        [4, None, "Микроскоп цифровой", 4.0],
        [5, "EQ-04", "Квадрокоптер учебный", "5", "шт."],
        [6, "XX-99", "МФУ (принтер, сканер, копир)", 1],
        [None, None, "Итого", 14],
    ]  # fmt: skip
    # a merged title above the header is normal and must not be refused
    return write_xlsx(tmp_path / "Накладная 15.xlsx", rows, merge=["A1:J1"], title="ТОРГ-12")


def test_good_list_is_read_with_header_after_a_title(good_list: Path) -> None:
    preview = read(good_list)

    assert preview.path == good_list
    assert preview.sheet == "ТОРГ-12"
    assert preview.header_row == 3
    assert preview.columns == {
        "code": "Код позиции",
        "name": "Наименование товара",
        "quantity": "Кол-во",
        "unit": "Ед.изм.",
        "serial_number": "Зав. №",
        "inventory_number": "Инв. номер",
        "supplier": "Поставщик",
        "contract": "№ договора",
        "delivery_date": "Дата поставки:",
    }
    laptop = preview.matched[0]
    assert laptop.row_number == 4
    assert laptop.name == "Ноутбук «Aquarius» Cmp NS685U"
    assert laptop.quantity == 2
    assert laptop.unit == "шт."
    assert laptop.serial_number == "123456"
    assert laptop.inventory_number == "ИНВ-001"
    assert laptop.supplier == "ООО «Учтех-Профи»"
    assert laptop.contract == "К-15/2027"
    assert laptop.delivery_date == dt.date(2027, 8, 20)
    assert laptop.position_code == "EQ-03"
    assert laptop.reason == ""


def test_rows_are_matched_by_name_and_by_code(good_list: Path) -> None:
    preview = read(good_list)

    assert [(r.row_number, r.position_code, r.quantity) for r in preview.matched] == [
        (4, "EQ-03", 2),  # the position name is contained in the supplier's name
        (5, "EQ-06", 1),  # equal after case, punctuation and spaces are ignored
        (9, "EQ-04", 5),  # the code column wins over the name (Квадрокоптер is EQ-05)
        (10, "EQ-04", 1),  # an unknown code falls back to the name
    ]
    assert [(r.row_number, r.reason, r.position_code) for r in preview.unmatched] == [
        (7, "ambiguous", None),  # two physics labs contain this name
        (8, "no_match", None),
    ]
    # the empty row 6 and the «Итого» line 11 are not items


def test_numbers_serials_and_dates_in_cells_and_as_text(good_list: Path) -> None:
    rows = {row.row_number: row for row in read(good_list).matched + read(good_list).unmatched}

    assert rows[5].serial_number == "1234567"  # a float cell keeps its digits only
    assert rows[5].delivery_date == dt.date(2027, 8, 21)  # ДД.ММ.ГГГГ text
    assert rows[7].delivery_date == dt.date(2027, 8, 22)  # ISO text
    assert rows[7].quantity == 3  # " 3,0 "
    assert rows[7].serial_number == "SN-77"
    assert rows[8].quantity == 4  # 4.0
    assert rows[8].delivery_date is None
    assert rows[8].unit == rows[8].serial_number == rows[8].supplier == ""


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("Наименование", "name"),
        ("ТОВАР", "name"),
        ("  наименование   товара ", "name"),
        ("Наименование оборудования:", "name"),
        ("Наименование товара (работ, услуг)", "name"),
        ("Оборудование", "name"),
        ("Количество", "quantity"),
        ("КОЛ-ВО", "quantity"),
        ("Кол.", "quantity"),
        ("Количество (шт.)", "quantity"),
        ("Кол-во, шт.", "quantity"),
        ("Ед. изм.", "unit"),
        ("ед.изм", "unit"),
        ("Единица измерения", "unit"),
        ("Серийный номер", "serial_number"),
        ("Заводской №", "serial_number"),
        ("S/N", "serial_number"),
        ("SN", "serial_number"),
        ("Инв. №", "inventory_number"),
        ("Инв. N", "inventory_number"),
        ("Инвентарный номер", "inventory_number"),
        ("Поставщик", "supplier"),
        ("Госконтракт", "contract"),
        ("Номер контракта", "contract"),
        ("Договор", "contract"),
        ("Дата", "delivery_date"),
        ("Дата поставки", "delivery_date"),
        ("Код", "code"),
        ("Код позиции", "code"),
        ("№ п/п", None),
        ("Цена", None),
        ("Количество товара на складе", None),
        (None, None),
        (42, None),
    ],
)
def test_header_spellings(text: object, field: str | None) -> None:
    assert header_field(text) == field


def test_header_with_other_spellings_in_a_file(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "list.xlsx",
        [
            ["ТОВАР", "КОЛИЧЕСТВО (ШТ.)", "S/N", "Инв. №", "Госконтракт", "Дата"],
            ["Квадрокоптер", "2 шт", 990011, "001", "ГК-7", dt.datetime(2027, 8, 1, 9, 30)],
        ],
    )
    preview = read(path)

    assert preview.header_row == 1
    assert set(preview.columns) == {
        "name",
        "quantity",
        "serial_number",
        "inventory_number",
        "contract",
        "delivery_date",
    }
    (row,) = preview.matched
    assert (row.position_code, row.quantity, row.serial_number) == ("EQ-05", 2, "990011")
    assert (row.inventory_number, row.contract) == ("001", "ГК-7")
    assert row.delivery_date == dt.date(2027, 8, 1)


def test_column_numbers_and_a_repeated_header_are_not_items(tmp_path: Path) -> None:
    rows = [SIMPLE_HEADER, [1, 2], ["Ноутбук", 3], SIMPLE_HEADER, ["Квадрокоптер", 1], [3, 4]]
    preview = read(write_xlsx(tmp_path / "list.xlsx", rows))

    assert [(r.row_number, r.position_code) for r in preview.matched] == [
        (3, "EQ-03"),
        (5, "EQ-05"),
    ]
    # numbers further down are an item named «3» (not the column numbers under the header),
    # and «3» is not a whole word of «3D-принтер»
    assert [(r.row_number, r.name, r.reason) for r in preview.unmatched] == [(6, "3", "no_match")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2 шт", 2), (" 3,0 ", 3), (3.0, 3), ("4 шт.", 4), ("1 000", 1000), (7, 7), ("5\xa0шт", 5)],
)
def test_quantity_forms(tmp_path: Path, value: object, expected: int) -> None:
    path = simple_list(tmp_path / "list.xlsx", [["Ноутбук", value]])
    assert read(path).matched[0].quantity == expected


def test_a_wrong_dimension_in_the_file_neither_hides_nor_invents_rows(tmp_path: Path) -> None:
    path = simple_list(tmp_path / "list.xlsx", [["Ноутбук", n] for n in range(1, 11)])
    with zipfile.ZipFile(path) as source:
        sheet = source.read(SHEET).decode()
    assert '<dimension ref="A1:B12" />' in sheet
    for wrong in ("A1", "A1:XFD1048576"):
        rewrite_zip(path, {SHEET: sheet.replace('"A1:B12"', f'"{wrong}"').encode()})
        preview = read(path)
        assert [r.quantity for r in preview.matched] == list(range(1, 11))


# --- refused before openpyxl ---------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    refused(tmp_path / "нет такого.xlsx", "not_found")


def test_folder(tmp_path: Path) -> None:
    folder = tmp_path / "папка.xlsx"
    folder.mkdir()
    refused(folder, "not_a_file")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "пустой.xlsx"
    path.write_bytes(b"")
    refused(path, "empty")


def test_text_file_renamed_to_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "список.xlsx"
    path.write_text("Ноутбук — 2 шт.\nМФУ — 1 шт.\n", encoding="utf-8")
    refused(path, "not_xlsx")


def test_csv_named_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "выгрузка.xlsx"
    path.write_text(
        "Наименование;Количество;Ед. изм.\nНоутбук;2;шт.\nМФУ;1;шт.\n", encoding="cp1251"
    )
    refused(path, "not_xlsx")


def test_truncated_xlsx(tmp_path: Path) -> None:
    path = simple_list(tmp_path / "обрыв.xlsx", [["Ноутбук", 2]])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    refused(path, "not_xlsx")


@pytest.mark.parametrize(
    ("name", "marker", "problem"),
    [
        ("с паролем.xlsx", True, "encrypted"),
        ("с паролем.xls", True, "encrypted"),  # renamed, but the content says what it is
        ("без маркера.xlsx", False, "encrypted"),
        ("старый.xls", False, "old_xls"),
    ],
)
def test_ole2_file(tmp_path: Path, name: str, marker: bool, problem: str) -> None:
    content = OLE2_MAGIC + (ENCRYPTED_NAME if marker else b"Workbook".ljust(16, b"\x00"))
    path = tmp_path / name
    path.write_bytes(content.ljust(4096, b"\x00"))
    refused(path, problem)


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "архив.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    error = refused(path, "not_xlsx")
    assert "xl/workbook.xml" in error.detail


@pytest.mark.parametrize("member", ["../evil", "xl/../../evil", "/etc/evil"])
def test_zip_with_a_path_outside_the_archive(tmp_path: Path, member: str) -> None:
    path = simple_list(tmp_path / "list.xlsx", [["Ноутбук", 2]])
    rewrite_zip(path, add={member: b"x"})
    with zipfile.ZipFile(path) as archive:
        assert member in archive.namelist()
    error = refused(path, "not_xlsx")
    assert member in error.detail


def test_zip_bomb_is_refused_from_the_directory(tmp_path: Path) -> None:
    """200 MB of spaces in place of the sheet: refused from the central directory, before any
    byte is inflated."""
    path = simple_list(tmp_path / "бомба.xlsx", [["Ноутбук", 2]])
    with zipfile.ZipFile(path) as source:
        members = [(info.filename, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in members:
            if name != SHEET:
                target.writestr(name, content)
                continue
            with target.open(name, "w", force_zip64=True) as member:
                chunk = b" " * (1 << 20)
                for _ in range(200):
                    member.write(chunk)
    assert path.stat().st_size < 2 * 1024 * 1024

    tracemalloc.start()
    try:
        with pytest.raises(DeliveryImportError) as info:
            read(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.problem in {"zip_bomb", "too_large"}
    assert peak < 5 * 1024 * 1024  # refused from the directory: nothing was inflated
    refused(path, info.value.problem)


def test_zip_bomb_below_the_size_limit(tmp_path: Path) -> None:
    path = simple_list(tmp_path / "бомба.xlsx", [["Ноутбук", 2]])
    rewrite_zip(path, {SHEET: b" " * (10 * 1024 * 1024)})

    error = refused(path, "zip_bomb")
    assert error.detail == SHEET
    # the ratio limit is the caller's: allowed, the spaces then fail as a sheet
    refused(path, "not_xlsx", max_ratio=1_000_000)


def test_too_large_when_unpacked(tmp_path: Path) -> None:
    path = simple_list(tmp_path / "большой.xlsx", [["Ноутбук", 2]])
    refused(path, "too_large", max_uncompressed=2000)
    assert read(path, max_uncompressed=200_000).matched


BILLION_LAUGHS = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE {root} [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">\n'
        for n in range(1, 10)
    )
    + "]>\n"
)
SPREADSHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CONTENT_TYPES = "[Content_Types].xml"
SHARED_STRINGS = "xl/sharedStrings.xml"
SHARED_STRINGS_TYPE = (
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml" />'
)


@pytest.mark.parametrize(
    ("member", "body"),
    [
        (
            SHARED_STRINGS,
            f'<sst xmlns="{SPREADSHEET_NS}" count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>',
        ),
        (
            SHEET,
            f'<worksheet xmlns="{SPREADSHEET_NS}"><sheetData><row r="1">'
            '<c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>',
        ),
        (
            "xl/workbook.xml",
            f'<workbook xmlns="{SPREADSHEET_NS}"><fileVersion appName="&lol9;"/><sheets/>'
            "</workbook>",
        ),
    ],
)
def test_xml_bomb(tmp_path: Path, member: str, body: str) -> None:
    path = simple_list(tmp_path / "смех.xlsx", [["Ноутбук", 2]])
    root = body[1 : body.index(" ")]
    bomb = (BILLION_LAUGHS.replace("{root}", root) + body).encode()
    with zipfile.ZipFile(path) as source:
        types = source.read(CONTENT_TYPES).decode()
    if member == SHARED_STRINGS:
        # openpyxl writes inline strings; a workbook from Excel has this part, declared here
        types = types.replace("</Types>", f"{SHARED_STRINGS_TYPE}</Types>")
        rewrite_zip(path, {CONTENT_TYPES: types.encode()}, add={member: bomb})
    else:
        rewrite_zip(path, {member: bomb})

    tracemalloc.start()
    try:
        refused(path, "xml_bomb")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024  # the entities were never expanded


def test_sheet_that_is_not_xml(tmp_path: Path) -> None:
    path = simple_list(tmp_path / "битый.xlsx", [["Ноутбук", 2]])
    rewrite_zip(path, {SHEET: b"<worksheet><sheetData><row"})
    refused(path, "not_xlsx")


# --- refused by what the sheet holds -------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "merge", "ref"),
    [
        ([["Наименование", None, "Количество"], ["Ноутбук", None, 2]], "A1:B1", "A1:B1"),
        (
            [["Поставка"], ["Наименование", "Количество"], [None, None], ["Ноутбук", 2]],
            "B2:B3",
            "B2:B3",
        ),
    ],
)
def test_merged_header_cells(tmp_path: Path, rows: list[list[Any]], merge: str, ref: str) -> None:
    path = write_xlsx(tmp_path / "объединено.xlsx", rows, merge=[merge])
    error = refused(path, "merged_header")
    assert error.detail == ref


def test_merged_cells_of_the_second_sheet_do_not_count(tmp_path: Path) -> None:
    path = tmp_path / "два листа.xlsx"
    workbook = openpyxl.Workbook()
    first = workbook.active
    first.title = "Поставка"
    first.append(SIMPLE_HEADER)
    first.append(["Ноутбук", 2])
    second = workbook.create_sheet("Справочник")
    second.append(["Наименование", None, "Количество"])
    second.merge_cells("A1:B1")
    workbook.save(path)

    preview = read(path)
    assert preview.sheet == "Поставка"
    assert [r.position_code for r in preview.matched] == ["EQ-03"]


def test_wrong_headers_name_the_missing_one(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "list.xlsx", [["Наименование", "Число", "Цена"], ["Ноутбук"]])
    error = refused(path, "no_header")
    assert error.detail == "«Количество»"


@pytest.mark.parametrize(
    "rows",
    [
        [],  # an empty sheet
        [["Товарная накладная"], ["Цена", "Сумма"]],
        [[f"строка {n}"] for n in range(1, 16)] + [SIMPLE_HEADER, ["Ноутбук", 2]],  # row 16
    ],
)
def test_no_header_at_all(tmp_path: Path, rows: list[list[Any]]) -> None:
    path = write_xlsx(tmp_path / "list.xlsx", rows)
    error = refused(path, "no_header")
    assert error.detail == "«Наименование», «Количество»"


@pytest.mark.parametrize("value", ["три", "3,5", -2, 0, 2.5, "3 кг", "", 5_000_000])
def test_bad_quantity_names_row_and_column(tmp_path: Path, value: object) -> None:
    path = simple_list(
        tmp_path / "list.xlsx", [["Ноутбук", 1], ["МФУ", 2], ["Квадрокоптер", value]]
    )
    error = refused(path, "bad_number")
    assert error.row == 5
    assert "Кол-во" in error.detail
    assert f"«{value}»" in error.detail


def test_quantity_without_name(tmp_path: Path) -> None:
    path = simple_list(tmp_path / "list.xlsx", [["Ноутбук", 1], [None, 2]])
    error = refused(path, "bad_name")
    assert (error.row, error.detail) == (4, "Наименование")


@pytest.mark.parametrize("value", ["32.13.2027", "вчера", 46000])
def test_bad_date(tmp_path: Path, value: object) -> None:
    path = write_xlsx(
        tmp_path / "list.xlsx",
        [["Наименование", "Количество", "Дата поставки"], ["Ноутбук", 1, value]],
    )
    error = refused(path, "bad_date")
    assert error.row == 2
    assert f"«{value}» (Дата поставки)" == error.detail


def test_too_many_rows_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "огромный.xlsx"
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Поставка")
    sheet.append(SIMPLE_HEADER)
    for n in range(100_000):
        sheet.append([f"Позиция {n}", 1])
    workbook.save(path)

    error = refused(path, "too_many_rows")
    assert error.detail == "5000"
    # exactly max_rows data rows are fine
    small = simple_list(tmp_path / "ровно.xlsx", [["Ноутбук", 1]] * 5)
    assert len(read(small, max_rows=5).matched) == 5
    refused(small, "too_many_rows", max_rows=4)


# --- long work, cleanliness ----------------------------------------------------------------


@pytest.fixture
def long_list(tmp_path: Path) -> Path:
    return write_xlsx(
        tmp_path / "long.xlsx", [SIMPLE_HEADER] + [["Ноутбук", 1] for _ in range(1000)]
    )


def test_progress_is_reported(long_list: Path) -> None:
    calls: list[tuple[int, int]] = []
    preview = read(long_list, progress=lambda done, total: calls.append((done, total)))

    assert len(preview.matched) == 1000
    assert calls[0] == (0, 1001)
    assert calls[-1] == (1001, 1001)
    assert [done for done, _ in calls[1:-1]] == [200, 400, 600, 800, 1000]


def test_cancel_stops_reading(long_list: Path) -> None:
    calls: list[tuple[int, int]] = []

    def cancelled() -> bool:
        return bool(calls) and calls[-1][0] >= 200

    with pytest.raises(CancelledError):
        read(
            long_list, progress=lambda done, total: calls.append((done, total)), cancelled=cancelled
        )
    assert calls[-1] == (200, 1001)


def test_reading_writes_nothing_and_closes_the_file(good_list: Path, tmp_path: Path) -> None:
    def snapshot() -> dict[str, tuple[int, int]]:
        return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in tmp_path.rglob("*")}

    before = snapshot()
    content = good_list.read_bytes()
    read(good_list)
    bad = simple_list(tmp_path / "bad.xlsx", [["Ноутбук", "три"]])
    before_bad = snapshot()
    refused(bad, "bad_number")

    assert snapshot() == before_bad
    assert {k: v for k, v in before_bad.items() if k != str(bad)} == before
    assert good_list.read_bytes() == content
    if Path("/proc/self/fd").is_dir():
        assert open_descriptors_of(good_list) == 0
        assert open_descriptors_of(bad) == 0


def test_every_problem_has_a_message() -> None:
    assert set(DELIVERY_PROBLEMS) == set(PROBLEMS)
    for problem, template in DELIVERY_PROBLEMS.items():
        assert "{name}" in template, problem
        assert ("{row}" in template) == (problem in ROW_PROBLEMS), problem
        text = template.format(name="список.xlsx", detail="X", row=7)
        assert "«список.xlsx»" in text


def test_importing_the_module_loads_no_excel_library() -> None:
    code = (
        "import sys, core.delivery_import;"
        "print('HEAVY', [m for m in ('openpyxl', 'defusedxml') if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "HEAVY []" in result.stdout
