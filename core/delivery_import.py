"""A supplier's delivery list (XLSX) read into a preview the director checks before anything is
recorded. This module only reads: nothing is written anywhere.

A file from outside is distrusted in layers. The bytes are checked before openpyxl sees them
(OLE2 means an encrypted workbook or an old .xls; the ZIP central directory is checked for zip
bombs and path tricks), every XML part is checked for a DTD with defusedxml, and only then
openpyxl reads the first worksheet row by row in read-only mode, so a huge sheet costs time up
to max_rows and never much memory. The file is opened once and every layer reads that handle,
so what was checked is what is read."""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import ParseError

from core.errors import CancelledError, TochkaError
from core.model import EquipmentPosition

# Every problem code read_delivery_list may raise; ui/messages.py has a sentence for each.
PROBLEMS: tuple[str, ...] = (
    "not_found",
    "not_a_file",
    "unreadable",
    "empty",
    "encrypted",
    "old_xls",
    "not_xlsx",
    "too_large",
    "zip_bomb",
    "xml_bomb",
    "merged_header",
    "no_header",
    "too_many_rows",
    "bad_number",
    "bad_name",
    "bad_date",
)

FIELDS: tuple[str, ...] = (
    "name",
    "quantity",
    "unit",
    "serial_number",
    "inventory_number",
    "supplier",
    "contract",
    "delivery_date",
    "code",
)
REQUIRED_FIELDS: tuple[str, ...] = ("name", "quantity")
# How the required headers are named when we tell the user they are missing.
REQUIRED_TITLES = {"name": "Наименование", "quantity": "Количество"}

HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": (
        "наименование",
        "наименование товара",
        "наименование оборудования",
        "наименование товара (работ, услуг)",
        "наименование позиции",
        "товар",
        "оборудование",
    ),
    "quantity": ("количество", "кол-во", "кол.", "количество (шт.)"),
    "unit": ("ед. изм.", "ед.изм.", "единица измерения", "ед. измерения", "ед"),
    "serial_number": ("серийный номер", "заводской номер", "зав. номер", "s/n", "sn"),
    "inventory_number": ("инвентарный номер", "инв. номер", "инв. №"),
    "supplier": ("поставщик",),
    "contract": ("контракт", "номер контракта", "госконтракт", "договор", "номер договора"),
    "delivery_date": ("дата поставки", "дата"),
    "code": ("код", "код позиции"),
}

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_MARKER = "EncryptedPackage".encode("utf-16-le")
ENCRYPTED_SUFFIXES = frozenset({".xlsx", ".xlsm"})
WORKBOOK_PART = "xl/workbook.xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
XML_SUFFIXES = (".xml", ".rels", ".vml")
HEADER_SEARCH_ROWS = 15
PROGRESS_EVERY = 200
CHUNK = 1 << 16
BOMB_MIN_SIZE = 1 << 20  # small parts compress well by nature; only big ones can be bombs
MAX_MEMBERS = 10_000  # a workbook has dozens of parts; a huge directory is itself an attack
MAX_QUANTITY = 1_000_000  # more pieces than that is a typo (a price or an article number)

_SPACES = re.compile(r"\s+")
_UNIT_SUFFIX = re.compile(r"\s*[,(]\s*(шт|ед)\.?\)?$")
_QUANTITY_TEXT = re.compile(
    r"^(?P<number>\d{1,3}(?: \d{3})+|\d+)(?:[.,]0+)?\s*"
    r"(?:шт|штук|штуки|штука|ед|компл|комплект|комплекта|комплектов|к-т|набор|набора|наборов|"
    r"упак|уп)?\.?$"
)
_DATE_RU = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s*г\.?)?$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T][\d:.]+)?$")
_TOTAL = re.compile(r"^(итого|всего)\b")
_NOT_WORD = re.compile(r"[^\w\s]|_")
_DIGITS = re.compile(r"\d+")


class DeliveryImportError(TochkaError):
    """A delivery list that cannot be read. problem is a stable code (see PROBLEMS), detail a
    value that helps (a header, the wrong cell text), row the Excel row number when one row is
    at fault."""

    def __init__(
        self, path: Path | str, problem: str, detail: str = "", row: int | None = None
    ) -> None:
        self.path = Path(path)
        self.problem = problem
        self.detail = detail
        self.row = row
        where = f" row {row}" if row is not None else ""
        super().__init__(f"{self.path}{where}: {problem} {detail}".strip())


@dataclass(frozen=True)
class DeliveryRow:
    row_number: int  # as Excel shows it (1-based)
    name: str
    quantity: int
    unit: str = ""
    serial_number: str = ""
    inventory_number: str = ""
    supplier: str = ""
    contract: str = ""
    delivery_date: dt.date | None = None
    position_code: str | None = None  # matched position, None when unmatched
    reason: str = ""  # why unmatched: "no_match" | "ambiguous"


@dataclass(frozen=True)
class DeliveryPreview:
    path: Path
    sheet: str
    header_row: int
    columns: dict[str, str]  # field → header text as found in the file
    matched: tuple[DeliveryRow, ...]
    unmatched: tuple[DeliveryRow, ...]


def read_delivery_list(
    path: Path,
    positions: Sequence[EquipmentPosition],
    *,
    max_rows: int = 5000,
    max_uncompressed: int = 50 * 1024 * 1024,
    max_ratio: int = 100,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> DeliveryPreview:
    """Read the first worksheet of a supplier's XLSX list and match its rows to positions."""
    path = Path(path)
    _check_cancelled(cancelled)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise DeliveryImportError(path, "not_found") from None
    except OSError as exc:
        raise DeliveryImportError(path, "unreadable", exc.strerror or str(exc)) from None
    if path.is_dir():
        raise DeliveryImportError(path, "not_a_file")
    if st.st_size == 0:
        raise DeliveryImportError(path, "empty")
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        raise DeliveryImportError(path, "not_found") from None
    except OSError as exc:
        raise DeliveryImportError(path, "unreadable", exc.strerror or str(exc)) from None
    with fh:
        try:
            _check_signature(fh, path, max_uncompressed)
            sheet_parts = _inspect_package(fh, path, max_uncompressed, max_ratio)
            fh.seek(0)
        except OSError as exc:
            raise DeliveryImportError(path, "unreadable", exc.strerror or str(exc)) from None
        return _read_sheet(fh, path, sheet_parts, positions, max_rows, progress, cancelled)


# --- before openpyxl: the bytes and the ZIP directory ----------------------------------------


def _check_signature(fh: IO[bytes], path: Path, scan_limit: int) -> None:
    head = fh.read(len(OLE2_MAGIC))
    if head == OLE2_MAGIC:
        # Excel saves a password-protected .xlsx as an OLE2 container, like an old .xls
        encrypted = path.suffix.lower() in ENCRYPTED_SUFFIXES or _contains(
            fh, ENCRYPTED_MARKER, scan_limit
        )
        raise DeliveryImportError(path, "encrypted" if encrypted else "old_xls")
    fh.seek(0)
    if not zipfile.is_zipfile(fh):
        raise DeliveryImportError(path, "not_xlsx", "not a ZIP archive")


def _contains(fh: IO[bytes], needle: bytes, limit: int) -> bool:
    fh.seek(0)
    tail = b""
    read = 0
    while read < limit:
        chunk = fh.read(CHUNK)
        if not chunk:
            return False
        read += len(chunk)
        if needle in tail + chunk:
            return True
        tail = chunk[-(len(needle) - 1) :]
    return False


def _inspect_package(
    fh: IO[bytes], path: Path, max_uncompressed: int, max_ratio: int
) -> dict[str, str]:
    """Check the ZIP directory, then every XML part's prolog; return sheet title → part name."""
    from defusedxml import DefusedXmlException  # type: ignore[import-untyped]

    fh.seek(0)
    try:
        with zipfile.ZipFile(fh) as zf:
            infos = zf.infolist()
            _check_members(infos, path, max_uncompressed, max_ratio)
            names = {info.filename for info in infos}
            if WORKBOOK_PART not in names:
                raise DeliveryImportError(path, "not_xlsx", f"no {WORKBOOK_PART}")
            for info in infos:
                if info.filename.lower().endswith(XML_SUFFIXES):
                    _check_prolog(zf, info.filename)
            return _sheet_parts(zf, names)
    except DefusedXmlException as exc:
        raise DeliveryImportError(path, "xml_bomb", type(exc).__name__) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ParseError) as exc:
        raise DeliveryImportError(path, "not_xlsx", _short(exc)) from None


def _check_members(
    infos: list[zipfile.ZipInfo], path: Path, max_uncompressed: int, max_ratio: int
) -> None:
    # Python's zipfile never inflates a member past the file_size written in the directory
    # (it stops there and fails the CRC), so these numbers bound what openpyxl can unpack.
    if len(infos) > MAX_MEMBERS:
        raise DeliveryImportError(path, "too_large", f"{len(infos)} файлов внутри архива")
    for info in infos:
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
            raise DeliveryImportError(path, "not_xlsx", f"unsafe path {name}")
        if info.flag_bits & 0x1:
            raise DeliveryImportError(path, "encrypted", name)
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > BOMB_MIN_SIZE and ratio > max_ratio:
            raise DeliveryImportError(path, "zip_bomb", info.filename)
    total = sum(info.file_size for info in infos)
    if total > max_uncompressed:
        raise DeliveryImportError(path, "too_large", f"{_mib(total)} МБ после распаковки")


class _RootReached(Exception):
    """Raised from the parser target at the first element: the prolog is behind us."""


class _StopAtRoot:
    def start(self, tag: str, attrib: dict[str, str]) -> None:
        raise _RootReached


def _check_prolog(zf: zipfile.ZipFile, name: str) -> None:
    """A DTD (where entity bombs live) can only come before the root element, and OOXML never
    has one: parse each part up to its root with defusedxml, refusing any DTD."""
    from defusedxml.ElementTree import XMLParser  # type: ignore[import-untyped]

    parser = XMLParser(target=_StopAtRoot(), forbid_dtd=True)
    with zf.open(name) as member:
        try:
            while chunk := member.read(CHUNK):
                parser.feed(chunk)
            parser.close()
        except _RootReached:
            return
        except ParseError:
            return  # not XML at all: openpyxl decides whether it needs this part


def _sheet_parts(zf: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """Sheet title → part name for worksheets (not chart sheets), resolved through the
    workbook's relationships as openpyxl does."""
    from defusedxml.ElementTree import parse

    with zf.open(WORKBOOK_PART) as member:
        workbook = parse(member, forbid_dtd=True).getroot()
    targets: dict[str, str] = {}
    if WORKBOOK_RELS in names:
        with zf.open(WORKBOOK_RELS) as member:
            rels = parse(member, forbid_dtd=True).getroot()
        for rel in rels.iter():
            if _local(rel.tag) == "Relationship" and rel.get("Type", "").endswith("/worksheet"):
                target = rel.get("Target", "")
                if target.startswith("/"):
                    part = target.lstrip("/")
                else:
                    part = posixpath.normpath(
                        posixpath.join(posixpath.dirname(WORKBOOK_PART), target)
                    )
                targets[rel.get("Id", "")] = part
    parts: dict[str, str] = {}
    for sheet in workbook.iter():
        if _local(sheet.tag) != "sheet":
            continue
        rel_id = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), "")
        part = targets.get(rel_id)
        if part is not None and part in names:
            parts.setdefault(sheet.get("name", ""), part)
    return parts


class _MergeCollector:
    """Parser target keeping the merged ranges that reach into the rows a header may be in."""

    def __init__(self) -> None:
        self.ranges: list[tuple[int, int, str]] = []

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if tag.endswith("}mergeCell") or tag == "mergeCell":
            ref = attrib.get("ref", "")
            rows = [int(number) for number in _DIGITS.findall(ref)]
            if rows and min(rows) <= HEADER_SEARCH_ROWS:
                self.ranges.append((min(rows), max(rows), ref))

    def start_expat(self, tag: str, attributes: list[str]) -> None:
        """start() as expat calls it: attributes as [name, value, name, value, ...]."""
        if tag.endswith("}mergeCell") or tag == "mergeCell":
            self.start(tag, dict(zip(attributes[::2], attributes[1::2], strict=True)))


def _merged_ranges(fh: IO[bytes], path: Path, part: str) -> list[tuple[int, int, str]]:
    """Read-only worksheets hide merged cells, so read the sheet's merge list ourselves,
    streaming (a target without end() builds no tree)."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import XMLParser

    collector = _MergeCollector()
    parser = XMLParser(target=collector, forbid_dtd=True)
    # A big sheet has millions of elements and only its few mergeCell matter: let expat call
    # the collector directly instead of through ElementTree's pure-Python layer (3-5x faster).
    # defusedxml's DTD, entity and external-reference handlers stay on the same expat parser.
    parser.parser.DefaultHandlerExpand = None
    parser.parser.StartElementHandler = collector.start_expat
    try:
        with zipfile.ZipFile(fh) as zf, zf.open(part) as member:
            while chunk := member.read(CHUNK):
                parser.feed(chunk)
            parser.close()
    except DefusedXmlException as exc:
        raise DeliveryImportError(path, "xml_bomb", type(exc).__name__) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ParseError) as exc:
        raise DeliveryImportError(path, "not_xlsx", _short(exc)) from None
    except OSError as exc:
        raise DeliveryImportError(path, "unreadable", exc.strerror or str(exc)) from None
    return collector.ranges


# --- openpyxl: the rows --------------------------------------------------------------------


def _read_sheet(
    fh: IO[bytes],
    path: Path,
    sheet_parts: dict[str, str],
    positions: Sequence[EquipmentPosition],
    max_rows: int,
    progress: Callable[[int, int], None] | None,
    cancelled: Callable[[], bool] | None,
) -> DeliveryPreview:
    from defusedxml import DefusedXmlException
    from openpyxl import load_workbook  # type: ignore[import-untyped]
    from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped]

    read_errors = (
        zipfile.BadZipFile,
        KeyError,
        InvalidFileException,
        ValueError,
        TypeError,
        OSError,
        ParseError,
        zlib.error,
        EOFError,
        IndexError,
        NotImplementedError,
    )
    try:
        # the open handle, not the path: the file checked above is the file read here
        workbook = load_workbook(fh, read_only=True, data_only=True)
    except DefusedXmlException as exc:
        raise DeliveryImportError(path, "xml_bomb", type(exc).__name__) from None
    except read_errors as exc:
        raise _openpyxl_failure(path, exc, DefusedXmlException) from None
    try:
        if not workbook.worksheets:
            raise DeliveryImportError(path, "not_xlsx", "no worksheet")
        sheet = workbook.worksheets[0]
        part = sheet_parts.get(sheet.title)
        if part is None:
            raise DeliveryImportError(path, "not_xlsx", f"sheet {sheet.title} not found")
        merges = _merged_ranges(fh, path, part)
        total = sheet.max_row if isinstance(sheet.max_row, int) else 0
        # a wrong <dimension> in the file must neither hide rows nor invent millions of them
        sheet.reset_dimensions()

        def rows() -> Iterator[tuple[Any, ...]]:
            source = sheet.iter_rows(values_only=True)
            while True:
                try:
                    values = next(source)
                except StopIteration:
                    return
                except DefusedXmlException as exc:
                    raise DeliveryImportError(path, "xml_bomb", type(exc).__name__) from None
                except read_errors as exc:
                    raise _openpyxl_failure(path, exc, DefusedXmlException) from None
                yield tuple(values)

        return _collect(
            path, str(sheet.title), rows(), merges, positions, max_rows, total, progress, cancelled
        )
    finally:
        workbook.close()


def _openpyxl_failure(
    path: Path, exc: BaseException, bomb: type[BaseException]
) -> DeliveryImportError:
    """openpyxl re-raises some parse failures as its own ("could not read strings"): look for
    defusedxml's refusal behind them."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, bomb):
            return DeliveryImportError(path, "xml_bomb", type(cause).__name__)
        cause = cause.__cause__ or cause.__context__
    return DeliveryImportError(path, "not_xlsx", _short(exc))


def _collect(
    path: Path,
    sheet: str,
    rows: Iterator[tuple[Any, ...]],
    merges: list[tuple[int, int, str]],
    positions: Sequence[EquipmentPosition],
    max_rows: int,
    total: int,
    progress: Callable[[int, int], None] | None,
    cancelled: Callable[[], bool] | None,
) -> DeliveryPreview:
    match = _Matcher(positions)
    header_row = 0
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    best_missing = REQUIRED_FIELDS
    matched: list[DeliveryRow] = []
    unmatched: list[DeliveryRow] = []
    data_rows = 0
    row_number = 0
    _report(progress, cancelled, 0, total)
    for row_number, values in enumerate(rows, start=1):
        if row_number % PROGRESS_EVERY == 0:
            _report(progress, cancelled, row_number, max(total, row_number))
        if not header_row:
            if row_number > HEADER_SEARCH_ROWS:
                break
            found = _match_header(values)
            missing = tuple(field for field in REQUIRED_FIELDS if field not in found)
            if len(missing) < len(best_missing):
                best_missing = missing
            if not missing:
                header_row = row_number
                columns = found
                headers = {field: _text(values[index]) for field, index in found.items()}
                for top, bottom, ref in merges:
                    if top <= header_row <= bottom:
                        raise DeliveryImportError(path, "merged_header", ref)
            continue
        if all(_is_blank(value) for value in values):
            continue
        data_rows += 1
        if data_rows > max_rows:
            raise DeliveryImportError(path, "too_many_rows", str(max_rows))
        if row_number == header_row + 1 and _is_column_numbers(values):
            continue
        if _is_total(values, columns["name"]) or _is_header_again(values, columns):
            continue
        row = _parse_row(path, row_number, values, columns, headers)
        if row is None:
            continue
        code, reason = match(row.name, _text(_cell(values, columns.get("code"))))
        if code is not None:
            matched.append(_with_match(row, code, ""))
        else:
            unmatched.append(_with_match(row, None, reason))
    if not header_row:
        detail = ", ".join(f"«{REQUIRED_TITLES[field]}»" for field in best_missing)
        raise DeliveryImportError(path, "no_header", detail)
    _report(progress, cancelled, row_number, max(total, row_number))
    return DeliveryPreview(
        path=path,
        sheet=sheet,
        header_row=header_row,
        columns=headers,
        matched=tuple(matched),
        unmatched=tuple(unmatched),
    )


def _parse_row(
    path: Path,
    row_number: int,
    values: tuple[Any, ...],
    columns: dict[str, int],
    headers: dict[str, str],
) -> DeliveryRow | None:
    name_value = _cell(values, columns["name"])
    quantity_value = _cell(values, columns["quantity"])
    if _is_blank(name_value) and _is_blank(quantity_value):
        return None  # a note or a signature line under the list, not a delivered item
    name = _text(name_value)
    if not name:
        raise DeliveryImportError(path, "bad_name", headers["name"], row=row_number)
    quantity = _quantity(quantity_value)
    if quantity is None:
        detail = f"«{_text(quantity_value)}» ({headers['quantity']})"
        raise DeliveryImportError(path, "bad_number", detail, row=row_number)
    delivery_date: dt.date | None = None
    if "delivery_date" in columns:
        date_value = _cell(values, columns["delivery_date"])
        delivery_date = _date(date_value)
        if delivery_date is None and not _is_blank(date_value):
            detail = f"«{_text(date_value)}» ({headers['delivery_date']})"
            raise DeliveryImportError(path, "bad_date", detail, row=row_number)

    def text(field: str) -> str:
        return _text(_cell(values, columns.get(field)))

    return DeliveryRow(
        row_number=row_number,
        name=name,
        quantity=quantity,
        unit=text("unit"),
        serial_number=text("serial_number"),
        inventory_number=text("inventory_number"),
        supplier=text("supplier"),
        contract=text("contract"),
        delivery_date=delivery_date,
    )


def _with_match(row: DeliveryRow, code: str | None, reason: str) -> DeliveryRow:
    return replace(row, position_code=code, reason=reason)


def _report(
    progress: Callable[[int, int], None] | None,
    cancelled: Callable[[], bool] | None,
    done: int,
    total: int,
) -> None:
    _check_cancelled(cancelled)
    if progress is not None:
        progress(done, total)


def _check_cancelled(cancelled: Callable[[], bool] | None) -> None:
    if cancelled is not None and cancelled():
        raise CancelledError()


# --- headers ------------------------------------------------------------------------------


def normalize_header(value: object) -> str:
    """Header text compared loosely: case, ё, spaces and a trailing colon or dot ignored."""
    text = _SPACES.sub(" ", str(value).casefold().replace("ё", "е")).strip()
    return text.rstrip(":.").strip()


def _header_key(text: str) -> str:
    # «№», «N» and «номер» mean the same in a header; spaces around dots vary
    return text.replace("номер", "№").replace("№", "n").replace(" ", "")


_HEADER_FIELDS: dict[str, str] = {
    _header_key(normalize_header(synonym)): field
    for field, synonyms in HEADER_SYNONYMS.items()
    for synonym in synonyms
}


def header_field(value: object) -> str | None:
    """The field a header cell names, or None."""
    if _is_blank(value):
        return None
    text = normalize_header(value)
    field = _HEADER_FIELDS.get(_header_key(text))
    if field is None:
        # «Кол-во, шт.» and «Количество (шт)» name the quantity too
        field = _HEADER_FIELDS.get(_header_key(_UNIT_SUFFIX.sub("", text)))
    return field


def _match_header(values: tuple[Any, ...]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, value in enumerate(values):
        field = header_field(value)
        if field is not None and field not in found:
            found[field] = index
    return found


# --- cells --------------------------------------------------------------------------------


def _cell(values: tuple[Any, ...], index: int | None) -> Any:
    if index is None or index >= len(values):
        return None
    return values[index]


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: object) -> str:
    """Cell text; numbers keep their digits (a serial 123456 stays "123456", not "123456.0")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    return str(value).strip()


def _quantity(value: object) -> int | None:
    number: int | None = None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):
        text = _SPACES.sub(" ", value.replace("\u00a0", " ").replace("\u202f", " "))
        found = _QUANTITY_TEXT.match(text.strip().casefold())
        if found is not None:
            number = int(found["number"].replace(" ", ""))
    if number is None or not 0 < number <= MAX_QUANTITY:
        return None
    return number


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if found := _DATE_RU.match(text):
            day, month, year = (int(part) for part in found.groups())
            return dt.date(year, month, day)
        if found := _DATE_ISO.match(text):
            year, month, day = (int(part) for part in found.groups())
            return dt.date(year, month, day)
    except ValueError:
        return None
    return None


def _is_column_numbers(values: tuple[Any, ...]) -> bool:
    """The row «1 2 3 …» that Russian forms put under the header to number the columns."""
    numbers = [value for value in values if not _is_blank(value)]
    if len(numbers) < 2:
        return False
    try:
        as_ints = [int(_text(value)) for value in numbers]
    except ValueError:
        return False
    return as_ints == list(range(as_ints[0], as_ints[0] + len(as_ints)))


def _is_header_again(values: tuple[Any, ...], columns: dict[str, int]) -> bool:
    """The header repeated on every printed page of a long list."""
    return all(header_field(_cell(values, columns[field])) == field for field in REQUIRED_FIELDS)


def _is_total(values: tuple[Any, ...], name_column: int) -> bool:
    """«Итого» / «Всего» in the name column or left of it: a sum line, not an item."""
    for value in values[: name_column + 1]:
        if isinstance(value, str) and _TOTAL.match(normalize_header(value)):
            return True
    return False


# --- matching -----------------------------------------------------------------------------


def normalize_name(text: str) -> str:
    """Names compared loosely: case, ё, quotes and punctuation ignored."""
    return _SPACES.sub(" ", _NOT_WORD.sub(" ", text.casefold().replace("ё", "е"))).strip()


class _Matcher:
    def __init__(self, positions: Sequence[EquipmentPosition]) -> None:
        self.by_code = {position.code.strip().casefold(): position for position in positions}
        self.names = [
            (normalize_name(position.name), position)
            for position in positions
            if normalize_name(position.name)
        ]

    def __call__(self, name: str, code: str) -> tuple[str | None, str]:
        """(position code, "") when matched, else (None, "no_match" | "ambiguous")."""
        by_code = self.by_code.get(code.strip().casefold()) if code else None
        if by_code is not None:
            return by_code.code, ""
        key = normalize_name(name)
        if not key:
            return None, "no_match"
        for candidates in (
            [position for known, position in self.names if known == key],
            [position for known, position in self.names if _within(known, key)],
        ):
            codes = {position.code for position in candidates}
            if len(codes) == 1:
                return codes.pop(), ""
            if len(codes) > 1:
                return None, "ambiguous"
        return None, "no_match"


def _within(a: str, b: str) -> bool:
    """One name inside the other as whole words: «ноутбук» is in «ноутбук hp 250», but «3»
    is not in «3d принтер» (a wrong match would silently count equipment as delivered)."""
    return f" {a} " in f" {b} " or f" {b} " in f" {a} "


# --- small helpers ------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _mib(size: int) -> int:
    return max(1, round(size / (1024 * 1024)))


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."
