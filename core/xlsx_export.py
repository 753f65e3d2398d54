"""The XLSX workbook of the whole center, for the municipality and the region: one sheet per
register, written from a ReportSnapshot with openpyxl in write-only mode (rows stream to disk,
so a big equipment list does not sit in memory).

Sheets, in this order: «Профиль», «Чек-лист», «Оборудование», «Помещения», «Фирменный стиль»,
«Дорожная карта», «Показатели», «Сведения» (the eight the issue names), then «Единицы
оборудования» (one row per unit) and «Расхождения» (one row per discrepancy): a filtered table
cannot hold a second table below it, so units and discrepancies get sheets of their own.

Every sheet: a bold, filled, frozen header row, an autofilter over the data, column widths.
Dates are real dates (ДД.ММ.ГГГГ), quantities and values are numbers, % of target is a fraction
shown as a percentage, statuses are Russian words from core.wording. Text is always stored as
text: an ИНН keeps its leading zeros, a comment starting with «=» never becomes a formula."""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import CancelledError
from core.files import storage_error
from core.report_data import ReportSnapshot
from core.wording import (
    DISCREPANCY_TEXT,
    EVIDENCE_NAMES,
    STATUS_NAMES,
    UNIT_STATUS_NAMES,
    quarter_name,
)

DATE_FORMAT = "DD.MM.YYYY"
DATETIME_FORMAT = "DD.MM.YYYY HH:MM"
PERCENT_FORMAT = "0%"
TEXT_FORMAT = "@"
HEADER_FILL = "DDEBF7"  # light blue: prints readably in black and white too
OVERDUE_COLOR = "C00000"
CANCEL_EVERY = 500  # rows between checks of the cancel flag
MAX_CELL_TEXT = 32767  # Excel refuses longer cell text
YES, NO = "да", "нет"
BUILDING = "Здание"

# openpyxl refuses control characters in cell text; a pasted comment may carry some
_ILLEGAL_CHARACTERS = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")

PROFILE_LABELS = {
    "school_full_name": "Полное наименование школы",
    "school_short_name": "Краткое наименование",
    "inn": "ИНН",
    "municipality": "Муниципальное образование",
    "address": "Адрес",
    "director": "Директор",
    "center_head": "Руководитель Центра",
    "phone": "Телефон",
    "email": "Электронная почта",
    "pupils": "Число обучающихся",
    "campaign_year": "Год создания Центра",
    "opening_date": "Плановая дата открытия",
}


@dataclass(frozen=True)
class Text:
    """Text that looks like a number (ИНН) and must stay text, formatted «@»."""

    value: str


@dataclass(frozen=True)
class Percent:
    """A fraction shown as a percentage: 0.6 → 60 %."""

    value: float


@dataclass(frozen=True)
class OverdueDate:
    """A due date that has passed with the work still open: shown in red."""

    value: dt.date


Value = str | int | float | dt.date | Text | Percent | OverdueDate | None
Row = Sequence[Value]


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: tuple[tuple[str, float], ...]  # header and width in characters
    rows: Callable[[ReportSnapshot], Iterable[Row]]


def _number(value: float | None) -> int | float | None:
    """Whole values as int, so that a spreadsheet shows 12, not 12.0."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _yes_no(flag: bool) -> str:
    return YES if flag else NO


def _due(due: dt.date, overdue: bool) -> dt.date | OverdueDate:
    return OverdueDate(due) if overdue else due


def _discrepancy_text(kind: str, expected: int, actual: int, unit_id: int | None) -> str:
    text = DISCREPANCY_TEXT[kind].format(expected=expected, actual=actual)
    return f"{text} (ед. № {unit_id})" if unit_id else text


# --- rows of each sheet ----------------------------------------------------------------------


def profile_rows(snapshot: ReportSnapshot) -> Iterator[Row]:
    profile = snapshot.profile
    for name, label in PROFILE_LABELS.items():
        value: Value = getattr(profile, name) if profile is not None else None
        if name == "inn" and value is not None:
            value = Text(str(value))
        yield label, value


def checklist_rows(snapshot: ReportSnapshot) -> Iterator[Row]:
    files = Counter(e.subject for e in snapshot.evidence)
    for row in snapshot.checklist:
        yield (
            row.section_title,
            row.code,
            row.title,
            row.done_when,
            EVIDENCE_NAMES[row.evidence],
            row.role,
            _due(row.due, row.overdue),
            STATUS_NAMES[row.status],
            row.responsible,
            row.completed_on,
            _yes_no(row.overdue),
            row.not_required_reason,
            row.comment,
            files[row.code],
        )


def equipment_rows(snapshot: ReportSnapshot) -> Iterator[Row]:
    problems: dict[str, list[str]] = defaultdict(list)
    for d in snapshot.discrepancies:
        problems[d.position_code].append(_discrepancy_text(d.kind, d.expected, d.actual, d.unit_id))
    for view in snapshot.positions:
        position, state = view.position, view.state
        yield (
            position.code,
            position.section,
            position.name,
            position.unit,
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
            "; ".join(problems.get(position.code, ())),
        )


def room_rows(snapshot: ReportSnapshot) -> Iterator[Row]:
    units = Counter(u.room_id for u in snapshot.units if u.room_id is not None)
    for room in snapshot.rooms:
        yield (
            room.number,
            room.name,
            snapshot.zone_titles.get(room.zone_type, room.zone_type),
            room.floor,
            _number(room.area),
            STATUS_NAMES[room.repair_status],
            _yes_no(snapshot.room_ready.get(room.id, False)),
            units[room.id],
            room.comment,
        )


def brand_rows(snapshot: ReportSnapshot) -> Iterator[Row]:
    photos = Counter(e.subject for e in snapshot.evidence)
    for item in snapshot.brand:
        place = BUILDING if item.room is None else f"{item.room.number} {item.room.name}"
        yield (
            place,
            item.element.title,
            STATUS_NAMES[item.state.status],
            item.state.comment,
            photos[f"brand/{item.key}"],
        )


def roadmap_rows(snapshot: ReportSnapshot) -> Iterator[Row]:
    for view in snapshot.tasks:
        task, state = view.task, view.state
        yield (
            task.code,
            task.name,
            task.responsible,
            task.result,
            task.documents,
            _due(view.due, view.overdue),
            STATUS_NAMES[state.status],
            state.done_on,
            _yes_no(view.overdue),
            state.order_number,
            state.order_date,
            _yes_no(task.quarterly_report),
            state.comment,
        )


def indicator_rows(snapshot: ReportSnapshot) -> Iterator[Row]:
    for row in snapshot.indicators:
        latest = row.latest
        share = (
            Percent(latest.value / row.target)
            if latest is not None and row.percent is not None
            else None
        )
        notes = "; ".join(
            f"{quarter_name(q)}: {row.values[q].note}"
            for q in sorted(row.values)
            if row.values[q].note
        )
        quarters = [_number(row.values[q].value) if q in row.values else None for q in (1, 2, 3, 4)]
        yield (
            row.indicator.code,
            row.indicator.name,
            row.indicator.unit,
            row.year,
            _number(row.target),
            *quarters,
            share,
            notes,
        )


def about_rows(snapshot: ReportSnapshot) -> Iterator[Row]:
    profile = snapshot.profile
    generated = snapshot.generated_at
    if generated.tzinfo is not None:
        generated = generated.astimezone().replace(tzinfo=None)  # the user's local time
    yield "Шаблон", snapshot.template_id
    yield "Название шаблона", snapshot.template_title
    yield "Версия шаблона", Text(snapshot.template_version)
    yield "Сформировано", generated.replace(microsecond=0)
    yield "Версия программы", Text(snapshot.app_version)
    yield "Школа", profile.school_full_name if profile else None
    yield "ИНН", Text(profile.inn) if profile else None
    yield "Дата данных", snapshot.today


def unit_rows(snapshot: ReportSnapshot) -> Iterator[Row]:
    names = {view.position.code: view.position.name for view in snapshot.positions}
    places = {room.id: f"{room.number} {room.name}" for room in snapshot.rooms}
    for unit in snapshot.units:
        yield (
            unit.id,
            unit.position_code,
            names.get(unit.position_code, ""),
            unit.inventory_number,
            unit.serial_number,
            places.get(unit.room_id, "") if unit.room_id is not None else "",
            UNIT_STATUS_NAMES[unit.status],
        )


def discrepancy_rows(snapshot: ReportSnapshot) -> Iterator[Row]:
    names = {view.position.code: view.position.name for view in snapshot.positions}
    for d in snapshot.discrepancies:
        yield (
            d.position_code,
            names.get(d.position_code, ""),
            _discrepancy_text(d.kind, d.expected, d.actual, None),
            d.unit_id,
        )


SHEETS: tuple[Sheet, ...] = (
    Sheet("Профиль", (("Поле", 30), ("Значение", 80)), profile_rows),
    Sheet(
        "Чек-лист",
        (
            ("Раздел", 28),
            ("Код", 9),
            ("Пункт", 50),
            ("Что считается выполненным", 50),
            ("Подтверждение", 15),
            ("Ответственный по шаблону", 24),
            ("Срок", 12),
            ("Статус", 14),
            ("Ответственный", 28),
            ("Дата выполнения", 12),
            ("Просрочено", 12),
            ("Причина «не требуется»", 36),
            ("Комментарий", 40),
            ("Файлов", 9),
        ),
        checklist_rows,
    ),
    Sheet(
        "Оборудование",
        (
            ("Код", 9),
            ("Раздел", 16),
            ("Наименование", 50),
            ("Ед.", 8),
            ("План", 8),
            ("Поставлено", 12),
            ("Установлено", 12),
            ("Введено в эксплуатацию", 14),
            ("Единиц учтено", 10),
            ("Поставщик", 28),
            ("Контракт №", 22),
            ("Дата контракта", 12),
            ("Дата поставки", 12),
            ("Акт №", 12),
            ("Дата акта", 12),
            ("Расхождения", 50),
        ),
        equipment_rows,
    ),
    Sheet(
        "Помещения",
        (
            ("№", 8),
            ("Название", 30),
            ("Зона", 30),
            ("Этаж", 8),
            ("Площадь, м²", 12),
            ("Ремонт", 14),
            ("Готово", 10),
            ("Единиц оборудования", 12),
            ("Комментарий", 40),
        ),
        room_rows,
    ),
    Sheet(
        "Фирменный стиль",
        (("Место", 30), ("Элемент", 45), ("Статус", 14), ("Комментарий", 40), ("Фото", 8)),
        brand_rows,
    ),
    Sheet(
        "Дорожная карта",
        (
            ("Код", 9),
            ("Мероприятие", 50),
            ("Ответственный", 24),
            ("Результат", 36),
            ("Документы", 30),
            ("Срок", 12),
            ("Статус", 14),
            ("Выполнено", 12),
            ("Просрочено", 12),
            ("Приказ №", 12),
            ("Дата приказа", 12),
            ("Отчёт по мониторингу", 12),
            ("Комментарий", 40),
        ),
        roadmap_rows,
    ),
    Sheet(
        "Показатели",
        (
            ("Код", 9),
            ("Показатель", 55),
            ("Ед.", 8),
            ("Год", 8),
            ("Цель", 10),
            ("I кв.", 10),
            ("II кв.", 10),
            ("III кв.", 10),
            ("IV кв.", 10),
            ("% цели", 10),
            ("Примечания", 50),
        ),
        indicator_rows,
    ),
    Sheet("Сведения", (("Параметр", 24), ("Значение", 60)), about_rows),
    Sheet(
        "Единицы оборудования",
        (
            ("Единица №", 10),
            ("Позиция", 9),
            ("Наименование", 50),
            ("Инв. номер", 18),
            ("Серийный номер", 20),
            ("Помещение", 30),
            ("Статус", 22),
        ),
        unit_rows,
    ),
    Sheet(
        "Расхождения",
        (("Позиция", 9), ("Наименование", 50), ("Что не так", 50), ("Единица №", 10)),
        discrepancy_rows,
    ),
)

SHEET_NAMES: tuple[str, ...] = tuple(sheet.title for sheet in SHEETS)


# --- writing ---------------------------------------------------------------------------------


def write_workbook(
    snapshot: ReportSnapshot,
    out: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> None:
    """Write the workbook to out: to a temporary file next to it, then renamed over it, so an
    existing file at out stays whole if anything fails. progress(done, total) counts the sheets
    and the final save; cancelled() is asked between sheets and every CANCEL_EVERY rows.

    Raises StorageError(out, "disk_full" | "read_only" | "io_error") and CancelledError; in both
    cases no new file is left behind."""
    from openpyxl import Workbook  # type: ignore[import-untyped]

    out = Path(out)
    total = len(SHEETS) + 1

    def check_cancelled() -> None:
        if cancelled is not None and cancelled():
            raise CancelledError("xlsx export cancelled")

    workbook = Workbook(write_only=True)
    workbook.properties.creator = f"Точка роста {snapshot.app_version}"
    workbook.properties.title = "Готовность центра «Точка роста»"
    styles = _Styles()
    try:
        for done, sheet in enumerate(SHEETS, 1):
            check_cancelled()
            _write_sheet(workbook, sheet, snapshot, styles, check_cancelled)
            if progress is not None:
                progress(done, total)
        check_cancelled()
        _save_replacing(workbook, out)
    except OSError as exc:
        raise storage_error(out, exc) from exc
    finally:
        _discard_sheet_files(workbook)
    if progress is not None:
        progress(total, total)


class _Styles:
    """openpyxl style objects, made once and shared by every cell that needs them."""

    def __init__(self) -> None:
        from openpyxl.styles import Font, PatternFill  # type: ignore[import-untyped]

        self.header_font = Font(bold=True)
        self.header_fill = PatternFill("solid", fgColor=HEADER_FILL)
        self.overdue_font = Font(color=OVERDUE_COLOR)


def _write_sheet(
    workbook: Any,
    sheet: Sheet,
    snapshot: ReportSnapshot,
    styles: _Styles,
    check_cancelled: Callable[[], None],
) -> None:
    from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    ws = workbook.create_sheet(sheet.title)
    # a write-only sheet writes its widths and panes with the first row: set them before
    for index, (_, width) in enumerate(sheet.columns, 1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"

    def cell(value: Any, number_format: str | None = None, font: Any = None) -> Any:
        made = WriteOnlyCell(ws, value)
        if isinstance(value, str):
            made.data_type = "s"  # never a formula, even when it starts with «=»
        if number_format is not None:
            made.number_format = number_format
        if font is not None:
            made.font = font
        return made

    def to_cell(value: Value) -> Any:
        if value is None or isinstance(value, int | float):
            return value
        if isinstance(value, str):
            text = _clean(value)
            if not text:
                return None  # an empty cell, not an empty string: filters show it as blank
            return cell(text) if text.startswith("=") else text
        if isinstance(value, Text):
            return cell(_clean(value.value), TEXT_FORMAT)
        if isinstance(value, Percent):
            return cell(value.value, PERCENT_FORMAT)
        if isinstance(value, OverdueDate):
            return cell(value.value, DATE_FORMAT, styles.overdue_font)
        if isinstance(value, dt.datetime):
            return cell(value, DATETIME_FORMAT)
        return cell(value, DATE_FORMAT)

    header = []
    for title, _ in sheet.columns:
        head = cell(title, font=styles.header_font)
        head.fill = styles.header_fill
        header.append(head)
    ws.append(header)
    rows = 0
    for row in sheet.rows(snapshot):
        ws.append([to_cell(value) for value in row])
        rows += 1
        if rows % CANCEL_EVERY == 0:
            check_cancelled()
    ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.columns))}{rows + 1}"


def _clean(text: str) -> str:
    return _ILLEGAL_CHARACTERS.sub("", text)[:MAX_CELL_TEXT]


def _save_replacing(workbook: Any, out: Path) -> None:
    from zipfile import ZIP_DEFLATED, ZipFile

    from openpyxl.writer.excel import ExcelWriter  # type: ignore[import-untyped]

    temporary = out.with_name(f".{out.name}.{secrets.token_hex(4)}.tmp")
    try:
        # the file and the archive are ours, not openpyxl's, so that both are closed when
        # saving fails half-way (openpyxl's save would leave them to the garbage collector)
        with open(temporary, "xb") as stream:
            archive = ZipFile(stream, "w", ZIP_DEFLATED, allowZip64=True)
            try:
                workbook.properties.modified = dt.datetime.now(dt.UTC).replace(tzinfo=None)
                ExcelWriter(workbook, archive).save()
            except BaseException:
                _abandon(archive)
                raise
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, out)
    except BaseException:
        try:
            temporary.unlink(missing_ok=True)
        except OSError:
            pass  # the original error is the one to report
        raise


def _abandon(archive: Any) -> None:
    try:
        archive.close()  # tries to finish the archive; on a full disk that fails too
    except Exception:
        pass  # the file is removed anyway


def _discard_sheet_files(workbook: Any) -> None:
    """A write-only sheet streams its rows to a file in the system temporary folder that only
    a successful save removes; remove them after a cancel or a failure too."""
    for ws in workbook.worksheets:
        writer = getattr(ws, "_writer", None)
        if writer is None or not isinstance(writer.out, str):
            continue
        try:
            if not ws.closed:
                ws.close()  # ends the XML stream and closes the file
        except Exception:
            pass  # a sheet that cannot be finished is removed all the same
        try:
            os.remove(writer.out)
        except OSError:
            pass  # already removed by a successful save
