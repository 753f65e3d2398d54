"""PDF documents of the center: the printed checklist (blank, for walking the rooms with a pen),
the readiness report (filled, with photo thumbnails) and the quarterly indicators report.

Reads only a ReportSnapshot. reportlab is heavy: this module is imported when a document is
made, never at start-up. Fonts are PT Sans / PT Serif from resources/fonts, embedded; no
standard-14 font (Helvetica...) ever reaches a file."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

from reportlab import rl_config  # type: ignore[import-untyped]
from reportlab.lib import colors  # type: ignore[import-untyped]
from reportlab.lib.enums import TA_CENTER, TA_RIGHT  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
from reportlab.pdfbase.ttfonts import TTFont  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]
from reportlab.platypus import (  # type: ignore[import-untyped]
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from core import APP_VERSION
from core.errors import CancelledError, DocumentError, StorageError
from core.files import fsync_dir, storage_problem
from core.model import CenterProfile, EquipmentUnit, EvidenceKind, ItemStatus, Room, UnitStatus
from core.readiness import CLOSED_STATUSES
from core.registers import BrandItem, IndicatorRow, PositionView
from core.report_data import ChecklistRow, EvidenceRef, ReportSnapshot
from core.thumbnails import THUMBNAIL_SIZE, make_thumbnail
from core.wording import (
    DISCREPANCY_TEXT,
    STATUS_NAMES,
    UNIT_STATUS_NAMES,
    days_phrase,
    format_date,
    format_datetime,
    format_number,
    plural,
    quarter_name,
)

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]

FONT_FILES = {
    "PTSans": "PTSans-Regular.ttf",
    "PTSans-Bold": "PTSans-Bold.ttf",
    "PTSans-Italic": "PTSans-Italic.ttf",
    "PTSans-BoldItalic": "PTSans-BoldItalic.ttf",
    "PTSerif": "PTSerif-Regular.ttf",
    "PTSerif-Bold": "PTSerif-Bold.ttf",
    "PTSerif-Italic": "PTSerif-Italic.ttf",
    "PTSerif-BoldItalic": "PTSerif-BoldItalic.ttf",
}
SANS, SANS_BOLD, SERIF, SERIF_BOLD = "PTSans", "PTSans-Bold", "PTSerif", "PTSerif-Bold"

# The GUI's thumbnail size: a photo the director has already looked at is in the cache. 320 px
# across a 56 mm cell prints at about 145 dpi, enough for evidence.
PHOTO_PX = THUMBNAIL_SIZE
# Pillow decodes and resizes with the GIL released: two photos at a time use both cores of an
# old PC, and memory stays flat (at most two half-size decodes, whatever the number of photos).
THUMBNAIL_WORKERS = 2

PAGE_WIDTH, PAGE_HEIGHT = A4
LEFT_MARGIN, RIGHT_MARGIN, BOTTOM_MARGIN = 20 * mm, 12 * mm, 16 * mm
HEADER_TOP = 9 * mm  # from the top edge of the sheet to the header's first line
FRAME_WIDTH = PAGE_WIDTH - LEFT_MARGIN - RIGHT_MARGIN
TALL_ROW = 150 * mm

INK = colors.HexColor("#1A1A1A")
GREY = colors.HexColor("#5F6368")
RULE = colors.HexColor("#9AA0A6")
HEAD_FILL = colors.HexColor("#E8EDF1")
GROUP_FILL = colors.HexColor("#F4F6F8")
OVERDUE_FILL = colors.HexColor("#FDECEC")
BAR_DONE = colors.HexColor("#2E7D32")
BAR_LEFT = colors.HexColor("#DADFE3")
OVERDUE = '<font color="#C00000"><b>просрочено</b></font>'
NBSP = "\u00a0"
CREATOR = f"Готовность центра «Точка роста» {APP_VERSION}"


_fonts_lock = threading.Lock()
_fonts_registered = False


# --- fonts -------------------------------------------------------------------------------


def register_fonts() -> None:
    """Register PT Sans and PT Serif with reportlab, once per process, and make PT Sans the
    canvas base font so that no Helvetica is ever referenced."""
    global _fonts_registered
    with _fonts_lock:
        if _fonts_registered:
            return
        folder = resources.files("resources") / "fonts"
        for name, file_name in FONT_FILES.items():
            with resources.as_file(folder / file_name) as path:
                pdfmetrics.registerFont(TTFont(name, str(path)))
        for family in (SANS, SERIF):
            pdfmetrics.registerFontFamily(
                family,
                normal=family,
                bold=f"{family}-Bold",
                italic=f"{family}-Italic",
                boldItalic=f"{family}-BoldItalic",
            )
        rl_config.canvas_basefontname = SANS
        rl_config.useA85 = 0  # JPEG thumbnails go in as they are, not a quarter larger in ASCII85
        _fonts_registered = True


# --- writing a file safely ---------------------------------------------------------------


def _write(out: Path | BinaryIO, make: Callable[[BinaryIO], int]) -> int:
    """Stream: write into it. Path: write a temporary file beside it, fsync, then replace the
    target, so a failure or a cancel leaves any existing file untouched and no partial file."""
    if not isinstance(out, str | os.PathLike):
        return make(out)
    target = Path(out)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        try:
            with open(tmp, "xb") as stream:
                pages = make(stream)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(tmp, target)
        except OSError as exc:
            raise StorageError(target, storage_problem(exc), exc.strerror or str(exc)) from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
    fsync_dir(target.parent)  # the rename itself survives a power cut
    return pages


# --- progress, page furniture, the document template -------------------------------------


class _Ticker:
    """progress(done, total) and the cancel check, between flowables and between photos."""

    def __init__(self, progress: Progress | None, cancelled: Cancelled | None) -> None:
        self._progress = progress
        self._cancelled = cancelled
        self.done = 0
        self.total = 1

    def check(self) -> None:
        if self._cancelled is not None and self._cancelled():
            raise CancelledError()

    def step(self) -> None:
        self.check()
        self.done += 1
        if self._progress is not None:
            # split tables report their parts too: stay below 100 % until the file is written
            self._progress(min(self.done, self.total - 1), self.total)

    def finish(self) -> None:
        if self._progress is not None:
            self._progress(self.total, self.total)


class _PageFurniture:
    """The header (school, center, campaign, date, «Стр. N из M») and the footer of a page."""

    RIGHT_WIDTH = 48 * mm

    def __init__(self, snapshot: ReportSnapshot, profile: CenterProfile, title: str) -> None:
        self.school = profile.school_short_name
        self.left = (
            f"{escape(profile.school_short_name)} · Центр «Точка роста» · "
            f"Кампания {profile.campaign_year}{NBSP}г."
        )
        self.date = format_date(snapshot.today)
        self.footer = f"{title} · сформировано {format_datetime(snapshot.generated_at)}"
        self.style = ParagraphStyle(
            "header", fontName=SANS, fontSize=8.5, leading=10.5, textColor=GREY
        )
        self.pages = 0

    def _paragraph(self) -> tuple[Any, float]:
        paragraph = Paragraph(self.left, self.style)
        _, height = paragraph.wrap(FRAME_WIDTH - self.RIGHT_WIDTH, PAGE_HEIGHT)
        return paragraph, height

    @property
    def top_margin(self) -> float:
        _, height = self._paragraph()
        return float(HEADER_TOP + max(height, 2 * self.style.leading) + 6 * mm)

    def draw(self, canvas: Any, page: int, total: int) -> None:
        canvas.saveState()
        paragraph, height = self._paragraph()
        top = PAGE_HEIGHT - HEADER_TOP
        paragraph.drawOn(canvas, LEFT_MARGIN, top - height)
        right = PAGE_WIDTH - RIGHT_MARGIN
        canvas.setFillColor(GREY)
        canvas.setFont(SANS, 8.5)
        canvas.drawRightString(right, top - 8.5, self.date)
        canvas.setFont(SANS_BOLD, 8.5)
        canvas.drawRightString(right, top - 8.5 - 10.5, f"Стр. {page} из {total}")
        rule = top - max(height, 2 * self.style.leading) - 2 * mm
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(LEFT_MARGIN, rule, right, rule)
        canvas.setFont(SANS, 7)
        canvas.drawString(LEFT_MARGIN, BOTTOM_MARGIN - 8 * mm, self.footer)
        canvas.drawRightString(right, BOTTOM_MARGIN - 8 * mm, CREATOR)
        canvas.restoreState()


class _NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab ships no type information
    """Keeps every page until the end, then draws the header with the page total: the classic
    reportlab two-pass «Стр. N из M»."""

    def __init__(self, *args: Any, furniture: _PageFurniture, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._furniture = furniture
        self._page_states: list[dict[str, Any]] = []

    def showPage(self) -> None:  # reportlab's name
        self._page_states.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._page_states)
        self._furniture.pages = total
        for state in self._page_states:
            self.__dict__.update(state)
            self._furniture.draw(self, self._pageNumber, total)
            Canvas.showPage(self)
        Canvas.save(self)


class _Document(BaseDocTemplate):  # type: ignore[misc]
    def __init__(
        self, out: BinaryIO, furniture: _PageFurniture, ticker: _Ticker, title: str
    ) -> None:
        super().__init__(
            out,
            pagesize=A4,
            leftMargin=LEFT_MARGIN,
            rightMargin=RIGHT_MARGIN,
            topMargin=furniture.top_margin,
            bottomMargin=BOTTOM_MARGIN,
            title=title,
            author=furniture.school,
            creator=CREATOR,
            initialFontName=SANS,
        )
        self._ticker = ticker
        frame = Frame(
            self.leftMargin,
            self.bottomMargin,
            self.width,
            self.height,
            id="body",
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )
        self.addPageTemplates([PageTemplate(id="page", frames=[frame])])

    def afterFlowable(self, flowable: Any) -> None:  # reportlab's name
        self._ticker.step()


def _build(
    out: BinaryIO,
    story: list[Any],
    furniture: _PageFurniture,
    ticker: _Ticker,
    title: str,
    photos: int = 0,
) -> int:
    ticker.total = len(story) + photos + 1
    doc = _Document(out, furniture, ticker, title)
    doc.build(story, canvasmaker=functools.partial(_NumberedCanvas, furniture=furniture))
    ticker.finish()
    return furniture.pages


# --- styles and small building blocks ----------------------------------------------------


class _Styles:
    def __init__(self) -> None:
        def style(name: str, **kw: Any) -> Any:
            # embeddedHyphenation=2: a long compound («административно-хозяйственной») breaks
            # at its hyphen before any word is cut at an arbitrary letter
            base: dict[str, Any] = {"fontName": SANS, "fontSize": 9, "leading": 11.5}
            base["embeddedHyphenation"] = 2
            base["textColor"] = INK
            base.update(kw)
            return ParagraphStyle(name, **base)

        self.body = style("body", spaceAfter=3)
        self.small = style("small", fontSize=8, leading=10, textColor=GREY, spaceAfter=2)
        self.cell = style("cell", fontSize=8.5, leading=10.5)
        self.cell_right = style("cell_right", fontSize=8.5, leading=10.5, alignment=TA_RIGHT)
        self.cell_center = style("cell_center", fontSize=8.5, leading=10.5, alignment=TA_CENTER)
        self.cell_small = style("cell_small", fontSize=7.5, leading=9.5, textColor=GREY)
        self.head = style("head", fontName=SANS_BOLD, fontSize=8, leading=10)
        self.caption = style("caption", fontSize=7.5, leading=9.2)
        self.h1 = style(
            "h1", fontName=SERIF_BOLD, fontSize=14, leading=18, spaceBefore=8, spaceAfter=6
        )
        self.h2 = style(
            "h2", fontName=SERIF_BOLD, fontSize=11.5, leading=14.5, spaceBefore=8, spaceAfter=4
        )
        self.h3 = style(
            "h3", fontName=SANS_BOLD, fontSize=9.5, leading=12, spaceBefore=6, spaceAfter=3
        )
        self.title = style(
            "title", fontName=SERIF_BOLD, fontSize=17, leading=22, alignment=TA_CENTER
        )
        self.title_big = style(
            "title_big", fontName=SERIF_BOLD, fontSize=24, leading=30, alignment=TA_CENTER
        )
        self.subtitle = style(
            "subtitle", fontName=SERIF, fontSize=12.5, leading=16.5, alignment=TA_CENTER
        )
        self.centered = style(
            "centered", fontName=SERIF, fontSize=11, leading=14.5, alignment=TA_CENTER
        )
        self.sign = style("sign", fontName=SERIF, fontSize=11, leading=14)
        self.sign_note = style(
            "sign_note", fontSize=7, leading=8.5, textColor=GREY, alignment=TA_CENTER
        )
        self.big_number = style(
            "big_number", fontName=SERIF_BOLD, fontSize=30, leading=34, alignment=TA_CENTER
        )


def _p(text: str, style: Any) -> Any:
    """A paragraph of plain text (escaped; line breaks kept)."""
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _m(markup: str, style: Any) -> Any:
    """A paragraph of reportlab markup: callers escape every value they put in."""
    return Paragraph(markup, style)


def _e(text: str) -> str:
    return escape(text).replace("\n", "<br/>")


def _heading(markup: str, style: Any, keep: float = 40 * mm) -> list[Any]:
    """A heading that never ends a page: it moves to the next one unless keep is left below.
    (keepWithNext would glue it to a whole long table and push both to the next page.)"""
    return [CondPageBreak(keep), Paragraph(markup, style)]


def _widths(*parts: float) -> list[float]:
    """Column widths in proportion to parts, summing exactly to the frame width."""
    total = sum(parts)
    widths = [FRAME_WIDTH * part / total for part in parts]
    widths[-1] = FRAME_WIDTH - sum(widths[:-1])
    return widths


def _percent(value: float) -> str:
    return f"{value:.0f}{NBSP}%"


def _plain(commands: Sequence[tuple[Any, ...]]) -> Any:
    """A table style whose cells default to PT Sans: an empty string cell is drawn with the
    table's font too, and reportlab's default would put Helvetica into the file."""
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), SANS), *commands])


def _grid_style(extra: Iterable[tuple[Any, ...]] = ()) -> Any:
    return TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), SANS),
            ("FONTSIZE", (0, 0), (-1, -1), 8.5),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("GRID", (0, 0), (-1, -1), 0.4, RULE),
            ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ("TOPPADDING", (0, 0), (-1, -1), 2.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            *extra,
        ]
    )


def _table(
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    widths: Sequence[float],
    st: _Styles,
    extra: Iterable[tuple[Any, ...]] = (),
) -> Any:
    """A data table: Paragraph in every cell, header repeated on every page it spans."""
    head = [_m(_e(text), st.head) for text in header]
    table = Table(
        [head, *rows],
        colWidths=list(widths),
        repeatRows=1,
        style=_grid_style(extra),
        hAlign="LEFT",
    )
    # Rows stay whole on a page; only a row taller than most of a page (a very long comment)
    # may continue on the next one, or it could never be placed at all.
    table.wrap(FRAME_WIDTH, PAGE_HEIGHT)  # measures the rows into _rowHeights
    if max(table._rowHeights, default=0) > TALL_ROW:
        table.splitInRow = 1
    return table


def _box(size: float = 4.2 * mm) -> Any:
    """An empty square to tick with a pen: drawn, not a glyph the font might lack."""
    return Table(
        [[""]],
        colWidths=[size],
        rowHeights=[size],
        style=_plain([("BOX", (0, 0), (-1, -1), 0.9, INK)]),
        hAlign="CENTER",
    )


def _note_lines(width: float, lines: int = 2) -> Any:
    """Ruled lines to write notes on."""
    return Table(
        [[""] for _ in range(lines)],
        colWidths=[width],
        rowHeights=[6 * mm] * lines,
        style=_plain([("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE)]),
        hAlign="LEFT",
    )


def _bar(fraction: float, width: float, height: float = 3 * mm) -> Any:
    """A readiness bar: the done part green, the rest grey."""
    fraction = min(max(fraction, 0.0), 1.0)
    done = round(width * fraction, 1)
    if done <= 0.5 or done >= width - 0.5:
        fill = BAR_DONE if done >= width - 0.5 else BAR_LEFT
        return Table(
            [[""]],
            colWidths=[width],
            rowHeights=[height],
            style=_plain([("BACKGROUND", (0, 0), (-1, -1), fill)]),
            hAlign="LEFT",
        )
    return Table(
        [["", ""]],
        colWidths=[done, width - done],
        rowHeights=[height],
        style=_plain(
            [
                ("BACKGROUND", (0, 0), (0, 0), BAR_DONE),
                ("BACKGROUND", (1, 0), (1, 0), BAR_LEFT),
            ]
        ),
        hAlign="LEFT",
    )


PERCENT_WIDTH = 14 * mm


def _bar_with_percent(percent: float, width: float, st: _Styles) -> Any:
    return Table(
        [[_bar(percent / 100, width), _p(_percent(percent), st.cell_right)]],
        colWidths=[width, PERCENT_WIDTH],
        style=_plain(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        ),
        hAlign="LEFT",
    )


def _initials(full_name: str) -> str:
    """«Иванова Светлана Петровна» → «С.П. Иванова», as a signature is spelled out."""
    parts = full_name.split()
    if len(parts) in (2, 3) and all(part[:1].isalpha() for part in parts):
        surname, *given = parts
        return "".join(f"{name[0].upper()}." for name in given) + f"{NBSP}{surname}"
    return full_name


def _signature_block(st: _Styles, profile: CenterProfile, year: int) -> Any:
    """Director and center head sign, with the seal (М.П.) and the date written by hand."""
    widths = [62 * mm, 48 * mm, 8 * mm, FRAME_WIDTH - 118 * mm]
    rows: list[list[Any]] = []
    for role, name in (
        ("Директор", profile.director),
        ("Руководитель Центра", profile.center_head),
    ):
        rows.append([_p(role, st.sign), "", "", _p(f"/ {_initials(name)} /", st.sign)])
        rows.append(
            ["", _p("(подпись)", st.sign_note), "", _p("(расшифровка подписи)", st.sign_note)]
        )
    rows.append(
        [_p("М.П.", st.sign), "", "", _p(f"«____» ________________ {year}{NBSP}г.", st.sign)]
    )
    table = Table(
        rows,
        colWidths=widths,
        style=_plain(
            [
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LINEBELOW", (1, 0), (1, 0), 0.6, INK),
                ("LINEBELOW", (1, 2), (1, 2), 0.6, INK),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ("TOPPADDING", (0, 0), (-1, 0), 8 * mm),
                ("TOPPADDING", (0, 2), (-1, 2), 9 * mm),
                ("TOPPADDING", (0, 4), (-1, 4), 9 * mm),
            ]
        ),
        hAlign="LEFT",
    )
    return KeepTogether([Spacer(1, 6 * mm), table])


def _profile(snapshot: ReportSnapshot) -> CenterProfile:
    if snapshot.profile is None:
        raise DocumentError("no_profile")
    return snapshot.profile


def _status_markup(status: ItemStatus, overdue: bool, done_on: dt.date | None = None) -> str:
    text = _e(STATUS_NAMES[status])
    if status is ItemStatus.DONE and done_on is not None:
        text += f" {format_date(done_on)}"
    if overdue:
        text += "<br/>" + OVERDUE
    return text


# --- photos ------------------------------------------------------------------------------


class _Thumbnails:
    """Thumbnails of the photos the document shows, made in the background in the order they
    are drawn (at most THUMBNAIL_WORKERS at a time), into the cache or a private folder. Only
    file paths are kept; reportlab embeds the small JPEG files as they are."""

    def __init__(
        self, refs: Sequence[EvidenceRef], cache_dir: Path | None, ticker: _Ticker
    ) -> None:
        self._refs = refs
        self._cache_dir = cache_dir
        self._ticker = ticker
        self._futures: dict[str, Future[Path | None]] = {}
        self._private: tempfile.TemporaryDirectory[str] | None = None
        self._pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> _Thumbnails:
        if not self._refs:
            return self
        self._private = tempfile.TemporaryDirectory(prefix="tochka-thumbnails-")
        self._pool = ThreadPoolExecutor(
            max_workers=THUMBNAIL_WORKERS, thread_name_prefix="pdf-thumbnail"
        )
        for ref in self._refs:
            if ref.sha256 not in self._futures:
                self._futures[ref.sha256] = self._pool.submit(self._make, ref)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        if self._private is not None:
            self._private.cleanup()

    def _make(self, ref: EvidenceRef) -> Path | None:
        assert self._private is not None
        private = Path(self._private.name)
        folders = [self._cache_dir, private] if self._cache_dir is not None else [private]
        for folder in folders:
            try:
                return make_thumbnail(ref.path, folder, ref.sha256, PHOTO_PX)
            except Exception:  # a missing or broken photo must not stop the report
                continue  # an unwritable cache falls back to the private folder
        return None

    def get(self, ref: EvidenceRef) -> Path | None:
        """The thumbnail of ref (None: the photo is missing or unreadable); one progress step."""
        self._ticker.check()
        future = self._futures.get(ref.sha256)
        path = future.result() if future is not None else None
        self._ticker.step()
        return path


class _Photo(Flowable):  # type: ignore[misc]
    """A photo thumbnail fitted into a fixed box; its thumbnail is fetched only when drawn."""

    def __init__(
        self, ref: EvidenceRef, thumbnails: _Thumbnails, width: float, height: float
    ) -> None:
        super().__init__()
        self.ref = ref
        self.thumbnails = thumbnails
        self.width = width
        self.height = height

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        path = self.thumbnails.get(self.ref)
        if path is not None:
            try:
                canvas.drawImage(
                    str(path), 0, 0, self.width, self.height, preserveAspectRatio=True, anchor="c"
                )
                return
            except Exception:  # a damaged cached thumbnail: shown as missing, the report goes on
                pass
        canvas.setFillColor(GROUP_FILL)
        canvas.setStrokeColor(RULE)
        canvas.rect(0, 0, self.width, self.height, stroke=1, fill=1)
        canvas.setFillColor(GREY)
        canvas.setFont(SANS, 8)
        canvas.drawCentredString(self.width / 2, self.height / 2, "фото недоступно")


PHOTO_COLUMNS = 3
PHOTO_HEIGHT = 40 * mm
PHOTO_KEEP = PHOTO_HEIGHT + 25 * mm  # a photo heading comes with at least one row of photos


def _photo_caption(ref: EvidenceRef, label: str) -> str:
    if ref.taken_at is not None:
        when = f"снято {format_datetime(ref.taken_at)}"
    else:
        when = f"добавлено {format_datetime(ref.added_at)}"
    return f"{label}<br/><font color='#5F6368'>{_e(when)} · {_e(ref.original_name)}</font>"


def _photo_rows(
    photos: Sequence[tuple[EvidenceRef, str]], thumbnails: _Thumbnails, st: _Styles
) -> list[Any]:
    """Photos three to a row, each with its caption; one table per row so that the progress
    and the cancel check run between rows."""
    width = FRAME_WIDTH / PHOTO_COLUMNS
    inner = width - 6
    rows = []
    for start in range(0, len(photos), PHOTO_COLUMNS):
        chunk = photos[start : start + PHOTO_COLUMNS]
        cells: list[Any] = [
            [
                _Photo(ref, thumbnails, inner, PHOTO_HEIGHT),
                _m(_photo_caption(ref, label), st.caption),
            ]
            for ref, label in chunk
        ]
        cells += [""] * (PHOTO_COLUMNS - len(cells))
        rows.append(
            Table(
                [cells],
                colWidths=[width] * PHOTO_COLUMNS,
                style=_plain(
                    [
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("LEFTPADDING", (0, 0), (-1, -1), 3),
                        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                        ("TOPPADDING", (0, 0), (-1, -1), 3),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
                    ]
                ),
                hAlign="LEFT",
            )
        )
    return rows


# --- filters of the checklist ------------------------------------------------------------


def _find_section(snapshot: ReportSnapshot, wanted: str) -> str:
    key = wanted.strip().casefold()
    for row in snapshot.checklist:
        if key in (row.section_code.casefold(), row.section_title.casefold()):
            return row.section_code
    raise DocumentError("unknown_section", wanted)


def _find_room(snapshot: ReportSnapshot, wanted: str) -> Room:
    key = wanted.strip().casefold()
    for room in snapshot.rooms:
        if room.number.strip().casefold() == key:
            return room
    raise DocumentError("unknown_room", wanted)


def _sections(rows: Iterable[ChecklistRow]) -> list[tuple[str, str, list[ChecklistRow]]]:
    grouped: dict[str, tuple[str, str, list[ChecklistRow]]] = {}
    for row in rows:
        grouped.setdefault(row.section_code, (row.section_code, row.section_title, []))[2].append(
            row
        )
    return list(grouped.values())


def _room_title(room: Room) -> str:
    return f"Помещение № {room.number} — {room.name}"


def _room_facts(snapshot: ReportSnapshot, room: Room) -> str:
    facts = [snapshot.zone_titles.get(room.zone_type, room.zone_type)]
    if room.floor is not None:
        facts.append(f"этаж {room.floor}")
    if room.area is not None:
        facts.append(f"{format_number(room.area)}{NBSP}м²")
    return " · ".join(facts)


# --- 1. the printed checklist ------------------------------------------------------------


def write_checklist_pdf(
    snapshot: ReportSnapshot,
    out: Path | BinaryIO,
    *,
    only_open: bool = False,
    section: str | None = None,
    room: str | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> int:
    """The blank checklist for walking the rooms with a pen: items by section, then what to
    check in each room. section (code or title) and room (its number) narrow it; both may be
    given. Returns the number of pages."""
    profile = _profile(snapshot)
    section_code = _find_section(snapshot, section) if section else None
    chosen_room = _find_room(snapshot, room) if room else None
    register_fonts()
    st = _Styles()
    title = "Чек-лист готовности Центра «Точка роста»"
    furniture = _PageFurniture(snapshot, profile, title)

    scope = []
    if only_open:
        scope.append("только невыполненные пункты")
    if section_code is not None:
        scope.append(
            next(
                f"раздел {r.section_code} «{r.section_title}»"
                for r in snapshot.checklist
                if r.section_code == section_code
            )
        )
    if chosen_room is not None:
        scope.append(f"помещение № {chosen_room.number} «{chosen_room.name}»")

    story: list[Any] = [
        _m(_e(title), st.title),
        Spacer(1, 2 * mm),
        _p(profile.school_full_name, st.centered),
        _p(
            f"Кампания {profile.campaign_year}{NBSP}г. · открытие Центра "
            f"{format_date(profile.opening_date)}",
            st.centered,
        ),
        _p(("Состав: " + "; ".join(scope)) if scope else "Все пункты и все помещения", st.centered),
        Spacer(1, 4 * mm),
        _walk_fields(st),
        Spacer(1, 2 * mm),
        _p(
            "Отметьте выполненное в квадрате, замечания запишите на строках справа. "
            "Просроченные пункты отмечены словом «просрочено».",
            st.small,
        ),
    ]
    show_sections = section_code is not None or chosen_room is None
    show_rooms = chosen_room is not None or section_code is None
    if show_sections:
        rows = [r for r in snapshot.checklist if section_code in (None, r.section_code)]
        if only_open:
            rows = [r for r in rows if r.open]
        story += _heading("Пункты чек-листа по разделам", st.h1, 60 * mm)
        groups = _sections(rows)
        if not groups:
            story.append(_p("Невыполненных пунктов нет.", st.body))
        for code, section_title, items in groups:
            story += _heading(f"{_e(code)}. {_e(section_title)}", st.h2)
            story.append(_checklist_table(items, st))
    if show_rooms:
        rooms = [chosen_room] if chosen_room is not None else list(snapshot.rooms)
        story += _heading("Обход помещений", st.h1, 60 * mm)
        if not rooms:
            story.append(_p("Помещения Центра ещё не внесены в реестр помещений.", st.body))
        for place in rooms:
            story.extend(_room_walk(snapshot, place, only_open, st))
        if chosen_room is None:
            story.extend(_building_walk(snapshot, only_open, st))
    story.append(_signature_block(st, profile, snapshot.today.year))

    ticker = _Ticker(progress, cancelled)
    return _write(out, lambda stream: _build(stream, story, furniture, ticker, title))


def _walk_fields(st: _Styles) -> Any:
    """«Дата обхода» and «Проверяющие», to fill in by hand."""
    return Table(
        [[_p("Дата обхода:", st.body), "", _p("Проверяющие:", st.body), ""]],
        colWidths=_widths(24, 34, 25, 95),
        style=_plain(
            [
                ("LINEBELOW", (1, 0), (1, 0), 0.5, INK),
                ("LINEBELOW", (3, 0), (3, 0), 0.5, INK),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
            ]
        ),
        hAlign="LEFT",
    )


CHECK_WIDTHS = _widths(11, 17, 96, 54)
CHECK_HEADER = ("Вып.", "Код", "Пункт и что считается выполненным", "Отметки")
CHECK_STYLE = [("ALIGN", (0, 0), (0, -1), "CENTER"), ("TOPPADDING", (0, 1), (0, -1), 4)]


def _check_row(code: str, markup: str, st: _Styles) -> list[Any]:
    return [
        _box(),
        _m(f"<b>{_e(code)}</b>", st.cell),
        _m(markup, st.cell),
        _note_lines(CHECK_WIDTHS[3] - 6),
    ]


def _checklist_table(items: Sequence[ChecklistRow], st: _Styles) -> Any:
    rows = []
    for item in items:
        facts = f"Срок: {format_date(item.due)} · {_e(item.role)}"
        if item.overdue:
            facts += f" · {OVERDUE}"
        markup = (
            f"<b>{_e(item.title)}</b><br/>"
            f"<font size='7.5' color='#5F6368'>Выполнено, если: {_e(item.done_when)}</font><br/>"
            f"<font size='7.5'>{facts}</font>"
        )
        rows.append(_check_row(item.code, markup, st))
    return _table(
        CHECK_HEADER,
        rows,
        CHECK_WIDTHS,
        st,
        CHECK_STYLE,
    )


def _brand_row(item: BrandItem, st: _Styles) -> list[Any]:
    return _check_row(
        "Стиль",
        f"<b>{_e(item.element.title)}</b><br/><font size='7.5' color='#5F6368'>"
        "По брендбуку Центров «Точка роста»</font><br/>"
        f"<font size='7.5'>Сейчас: {_e(STATUS_NAMES[item.state.status])}</font>",
        st,
    )


def _building_walk(snapshot: ReportSnapshot, only_open: bool, st: _Styles) -> list[Any]:
    """The brand elements of the whole building and the school site (the sign at the entrance,
    the ministry plate...)."""
    rows = [
        _brand_row(item, st)
        for item in snapshot.brand
        if item.room is None and not (only_open and item.state.status in CLOSED_STATUSES)
    ]
    if not rows:
        return []
    return [
        *_heading("Здание и сайт школы", st.h2),
        _table(CHECK_HEADER, rows, CHECK_WIDTHS, st, CHECK_STYLE),
    ]


def _room_walk(snapshot: ReportSnapshot, room: Room, only_open: bool, st: _Styles) -> list[Any]:
    positions = {view.position.code: view for view in snapshot.positions}
    rows = []
    if not only_open or room.repair_status not in CLOSED_STATUSES:
        rows.append(
            _check_row(
                "Ремонт",
                "<b>Текущий ремонт выполнен</b><br/><font size='7.5' color='#5F6368'>"
                "Двери, окна, стены, пол, электропроводка, освещение</font><br/>"
                f"<font size='7.5'>Сейчас: {_e(STATUS_NAMES[room.repair_status])}</font>",
                st,
            )
        )
    for item in snapshot.brand:
        if item.room is None or item.room.id != room.id:
            continue
        if only_open and item.state.status in CLOSED_STATUSES:
            continue
        rows.append(_brand_row(item, st))
    for unit in snapshot.units:
        if unit.room_id != room.id or unit.status is UnitStatus.WRITTEN_OFF:
            continue
        if only_open and unit.status is UnitStatus.IN_USE:
            continue
        rows.append(_check_row(unit.position_code, _unit_markup(unit, positions), st))
    heading = [
        *_heading(_e(_room_title(room)), st.h2),
        _p(_room_facts(snapshot, room), st.small),
    ]
    if not rows:
        return [*heading, _p("Всё выполнено: проверять нечего.", st.body)]
    return [
        *heading,
        _table(CHECK_HEADER, rows, CHECK_WIDTHS, st, CHECK_STYLE),
    ]


def _unit_markup(unit: EquipmentUnit, positions: dict[str, PositionView]) -> str:
    view = positions.get(unit.position_code)
    name = view.position.name if view is not None else unit.position_code
    blank = "________________"
    inventory = _e(unit.inventory_number) if unit.inventory_number else blank
    serial = _e(unit.serial_number) if unit.serial_number else blank
    return (
        f"<b>{_e(name)}</b><br/>"
        f"<font size='7.5'>Инв.{NBSP}№ {inventory} · зав.{NBSP}№ {serial}</font><br/>"
        f"<font size='7.5' color='#5F6368'>Сейчас: {_e(UNIT_STATUS_NAMES[unit.status])}</font>"
    )


# --- 2. the readiness report -------------------------------------------------------------


def write_readiness_report_pdf(
    snapshot: ReportSnapshot,
    out: Path | BinaryIO,
    *,
    thumbnails_dir: Path | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> int:
    """The filled readiness report: title page, sections, photo thumbnails, equipment, rooms,
    roadmap, indicators and signatures. Photos go in as thumbnails made one by one (cached in
    thumbnails_dir when given), never whole. Returns the number of pages."""
    profile = _profile(snapshot)
    register_fonts()
    st = _Styles()
    title = "Отчёт о готовности Центра «Точка роста»"
    furniture = _PageFurniture(snapshot, profile, title)
    ticker = _Ticker(progress, cancelled)
    photos = _photos_by_place(snapshot)
    ordered = [ref for group in photos.values() for ref, _ in group]

    def make(stream: BinaryIO) -> int:
        with _Thumbnails(ordered, thumbnails_dir, ticker) as thumbnails:
            story = _report_story(snapshot, profile, photos, thumbnails, st)
            return _build(stream, story, furniture, ticker, title, photos=len(ordered))

    return _write(out, make)


def _photos_by_place(snapshot: ReportSnapshot) -> dict[str, list[tuple[EvidenceRef, str]]]:
    """Every photo once, with its caption label, keyed by where the report shows it: a section
    code, «equipment», «rooms» or «other»."""
    items = {row.code: row for row in snapshot.checklist}
    positions = {view.position.code: view for view in snapshot.positions}
    rooms = {str(room.id): room for room in snapshot.rooms}
    brand = {f"brand/{item.key}": item for item in snapshot.brand}
    places: dict[str, list[tuple[EvidenceRef, str]]] = {}
    for ref in snapshot.evidence:
        if ref.kind is not EvidenceKind.PHOTO:
            continue
        subject = ref.subject
        if subject in items:
            row = items[subject]
            place, label = row.section_code, f"<b>{_e(row.code)}</b> {_e(row.title)}"
        elif subject in positions:
            view = positions[subject]
            place, label = "equipment", f"<b>{_e(subject)}</b> {_e(view.position.name)}"
        elif subject in brand:
            item = brand[subject]
            where = _room_title(item.room) if item.room is not None else "здание, сайт"
            place, label = "rooms", f"<b>{_e(item.element.title)}</b> — {_e(where)}"
        elif subject.startswith("room/") and subject.split("/")[1] in rooms:
            parts = subject.split("/")
            when = {"before": "до ремонта", "after": "после ремонта"}.get(
                parts[2] if len(parts) > 2 else "", ""
            )
            label = f"<b>{_e(_room_title(rooms[parts[1]]))}</b>"
            place, label = "rooms", label + (f" — {when}" if when else "")
        else:
            place, label = "other", f"<b>{_e(subject)}</b>"
        places.setdefault(place, []).append((ref, label))
    return places


def _documents_of(snapshot: ReportSnapshot, subject: str) -> list[str]:
    return [
        f"{ref.original_name} ({format_date(ref.added_at.astimezone().date())})"
        for ref in snapshot.evidence_of(subject)
        if ref.kind is EvidenceKind.DOCUMENT
    ]


def _report_story(
    snapshot: ReportSnapshot,
    profile: CenterProfile,
    photos: dict[str, list[tuple[EvidenceRef, str]]],
    thumbnails: _Thumbnails,
    st: _Styles,
) -> list[Any]:
    story = _title_page(snapshot, profile, st)
    story += _sections_summary(snapshot, st)
    story += _heading("3. Пункты чек-листа по разделам", st.h1, 60 * mm)
    for number, (code, section_title, items) in enumerate(_sections(snapshot.checklist), 1):
        story += _heading(f"3.{number}. {_e(section_title)} ({_e(code)})", st.h2)
        story.append(_items_table(snapshot, items, st))
        section_photos = photos.get(code, [])
        if section_photos:
            story += _heading(f"Фото по разделу «{_e(section_title)}»", st.h3, PHOTO_KEEP)
            story += _photo_rows(section_photos, thumbnails, st)
    story += _equipment_part(snapshot, st)
    if photos.get("equipment"):
        story += _heading("Фото оборудования", st.h3, PHOTO_KEEP)
        story += _photo_rows(photos["equipment"], thumbnails, st)
    story += _rooms_part(snapshot, st)
    if photos.get("rooms"):
        story += _heading("Фото помещений и фирменного стиля", st.h3, PHOTO_KEEP)
        story += _photo_rows(photos["rooms"], thumbnails, st)
    story += _roadmap_part(snapshot, st)
    story += _indicators_part(snapshot, st)
    if photos.get("other"):
        story += _heading("8. Прочие фото", st.h1, PHOTO_KEEP)
        story += _photo_rows(photos["other"], thumbnails, st)
    story.append(_signature_block(st, profile, snapshot.today.year))
    return story


def _title_page(snapshot: ReportSnapshot, profile: CenterProfile, st: _Styles) -> list[Any]:
    readiness = snapshot.readiness
    summary = snapshot.summary
    days = readiness.days_until_opening
    if days is None:
        opening = ""
    elif days > 0:
        opening = f"до открытия Центра {days_phrase(days)}"
    elif days == 0:
        opening = "Центр открывается сегодня"
    else:
        opening = f"Центр открыт {days_phrase(-days)} назад"
    overdue = len(readiness.overdue_codes)
    facts = [
        f"выполнено {readiness.done} из {readiness.applicable} "
        f"{plural(readiness.applicable, 'пункта', 'пунктов', 'пунктов')} · просрочено: {overdue}"
    ]
    if opening:
        facts.append(opening)
    bar_width = 120 * mm
    score = Table(
        [
            [_p("Общая готовность", st.centered)],
            [_m(_e(_percent(readiness.percent)), st.big_number)],
            [_bar(readiness.percent / 100, bar_width, 4 * mm)],
            [_m("<br/>".join(_e(f) for f in facts), st.centered)],
        ],
        colWidths=[bar_width + 10 * mm],
        style=_plain(
            [
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("BOX", (0, 0), (-1, -1), 0.6, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        ),
        hAlign="CENTER",
    )
    facts_rows = [
        ("Образовательная организация", profile.school_full_name),
        ("Муниципальное образование", profile.municipality),
        ("Адрес", profile.address),
        ("ИНН", profile.inn),
        ("Директор", profile.director),
        ("Руководитель Центра", profile.center_head),
        ("Телефон, e-mail", f"{profile.phone}, {profile.email}"),
        ("Обучающихся в школе", str(profile.pupils)),
        ("Открытие Центра", format_date(profile.opening_date)),
        (
            "Оборудование",
            f"поставлено {summary.delivered} из {summary.planned} ед. по плану, введено в "
            f"эксплуатацию {summary.in_use}, расхождений {summary.discrepancies}",
        ),
        ("Помещения", f"готово {summary.rooms_ready} из {summary.rooms_total}"),
        ("Фирменный стиль", f"готово {summary.brand_done} из {summary.brand_total} элементов"),
        (
            "Дорожная карта",
            f"мероприятий {summary.roadmap_total}, просрочено {summary.roadmap_overdue}",
        ),
    ]
    profile_table = Table(
        [[_p(label, st.cell_small), _p(value, st.cell)] for label, value in facts_rows],
        colWidths=_widths(50, 128),
        style=_plain(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        ),
        hAlign="LEFT",
    )
    return [
        _p(profile.municipality, st.centered),
        Spacer(1, 1 * mm),
        _m(f"<b>{_e(profile.school_full_name)}</b>", st.centered),
        Spacer(1, 22 * mm),
        _m("ОТЧЁТ", st.title_big),
        Spacer(1, 2 * mm),
        _p(
            "о готовности Центра образования естественно-научной и технологической "
            "направленностей «Точка роста»",
            st.subtitle,
        ),
        Spacer(1, 3 * mm),
        _p(
            f"Кампания {profile.campaign_year}{NBSP}года · по состоянию на "
            f"{format_date(snapshot.today)}",
            st.subtitle,
        ),
        Spacer(1, 12 * mm),
        score,
        Spacer(1, 12 * mm),
        *_heading("1. Сведения о Центре", st.h1),
        profile_table,
        Spacer(1, 4 * mm),
        _p(
            f"Шаблон чек-листа: {snapshot.template_title}, версия {snapshot.template_version}.",
            st.small,
        ),
    ]


def _sections_summary(snapshot: ReportSnapshot, st: _Styles) -> list[Any]:
    readiness = snapshot.readiness
    widths = _widths(84, 24, 50, 20)
    bar_width = widths[2] - 6 - PERCENT_WIDTH  # the cell's padding is 3 pt a side
    rows = []
    for section in readiness.sections:
        overdue = f"{section.overdue}" if section.overdue else "—"
        rows.append(
            [
                _p(f"{section.title} ({section.code})", st.cell),
                _p(f"{section.done} из {section.applicable}", st.cell_right),
                _bar_with_percent(section.percent, bar_width, st),
                _m(
                    f"<font color='#C00000'><b>{overdue}</b></font>" if section.overdue else "—",
                    st.cell_center,
                ),
            ]
        )
    rows.append(
        [
            _m("<b>Всего</b>", st.cell),
            _m(f"<b>{readiness.done} из {readiness.applicable}</b>", st.cell_right),
            _m(f"<b>{_e(_percent(readiness.percent))}</b>", st.cell_right),
            _m(f"<b>{len(readiness.overdue_codes)}</b>", st.cell_center),
        ]
    )
    return [
        PageBreak(),
        *_heading("2. Готовность по разделам чек-листа", st.h1),
        _table(
            ("Раздел", "Выполнено", "Готовность", "Просрочено"),
            rows,
            widths,
            st,
            [("BACKGROUND", (0, -1), (-1, -1), GROUP_FILL)],
        ),
        _p("Пункты со статусом «не требуется» в готовности не учитываются.", st.small),
    ]


ITEM_WIDTHS = _widths(15, 54, 23, 18, 32, 36)


def _items_table(snapshot: ReportSnapshot, items: Sequence[ChecklistRow], st: _Styles) -> Any:
    rows = []
    extra = []
    for number, item in enumerate(items, 1):
        markup = f"{_e(item.title)}"
        documents = _documents_of(snapshot, item.code)
        photos = sum(ref.kind is EvidenceKind.PHOTO for ref in snapshot.evidence_of(item.code))
        proof = []
        if photos:
            proof.append(f"фото: {photos}")
        if documents:
            proof.append("документы: " + "; ".join(documents))
        if proof:
            markup += f"<br/><font size='7.5' color='#5F6368'>{_e(' · '.join(proof))}</font>"
        comment = item.comment
        if item.status is ItemStatus.NOT_REQUIRED and item.not_required_reason:
            comment = f"Не требуется: {item.not_required_reason}" + (
                f"\n{comment}" if comment else ""
            )
        rows.append(
            [
                _m(f"<b>{_e(item.code)}</b>", st.cell),
                _m(markup, st.cell),
                _m(_status_markup(item.status, item.overdue, item.completed_on), st.cell),
                _p(format_date(item.due), st.cell),
                _p(item.responsible or item.role, st.cell),
                _p(comment, st.cell),
            ]
        )
        if item.overdue:
            extra.append(("BACKGROUND", (0, number), (-1, number), OVERDUE_FILL))
    return _table(
        ("Код", "Пункт", "Статус", "Срок", "Ответственный", "Комментарий"),
        rows,
        ITEM_WIDTHS,
        st,
        extra,
    )


def _equipment_part(snapshot: ReportSnapshot, st: _Styles) -> list[Any]:
    summary = snapshot.summary
    story: list[Any] = [
        *_heading("4. Оборудование (инфраструктурный лист)", st.h1, 60 * mm),
        _p(
            f"По плану {summary.planned} ед., поставлено {summary.delivered}, установлено "
            f"{summary.installed}, введено в эксплуатацию {summary.in_use}.",
            st.body,
        ),
    ]
    by_section: dict[str, list[PositionView]] = {}
    for view in snapshot.positions:
        by_section.setdefault(view.position.section, []).append(view)
    rows: list[list[Any]] = []
    groups: list[tuple[Any, ...]] = []
    for section, views in by_section.items():
        line = len(rows) + 1
        rows.append([_m(f"<b>{_e(section.capitalize())}</b>", st.cell), *[""] * 6])
        groups += [
            ("SPAN", (0, line), (-1, line)),
            ("BACKGROUND", (0, line), (-1, line), GROUP_FILL),
        ]
        rows += [_position_row(view, st) for view in views]
    story.append(
        _table(
            ("Код", "Наименование", "План", "Пост.", "Уст.", "Введено", "Поставщик, договор, акт"),
            rows,
            _widths(15, 58, 16, 12, 12, 14, 51),
            st,
            groups,
        )
    )
    story += _discrepancies_and_units(snapshot, st)
    return story


def _position_row(view: PositionView, st: _Styles) -> list[Any]:
    state = view.state
    papers = []
    if state.supplier:
        papers.append(state.supplier)
    if state.contract_number:
        contract = f"договор № {state.contract_number}"
        if state.contract_date:
            contract += f" от {format_date(state.contract_date)}"
        papers.append(contract)
    if state.act_number:
        act = f"акт № {state.act_number}"
        if state.act_date:
            act += f" от {format_date(state.act_date)}"
        papers.append(act)
    short = state.delivered < view.planned
    return [
        _m(f"<b>{_e(view.position.code)}</b>", st.cell),
        _p(view.position.name, st.cell),
        _p(f"{view.planned} {view.position.unit}", st.cell_right),
        _m(
            f"<font color='#C00000'><b>{state.delivered}</b></font>"
            if short
            else str(state.delivered),
            st.cell_right,
        ),
        _p(str(state.installed), st.cell_right),
        _p(str(state.in_use), st.cell_right),
        _p("; ".join(papers), st.cell),
    ]


def _discrepancies_and_units(snapshot: ReportSnapshot, st: _Styles) -> list[Any]:
    story: list[Any] = []
    positions = {view.position.code: view for view in snapshot.positions}
    units = {unit.id: unit for unit in snapshot.units}
    story += _heading("Расхождения", st.h2)
    if not snapshot.discrepancies:
        story.append(_p("Расхождений нет.", st.body))
    else:
        rows = []
        for found in snapshot.discrepancies:
            view = positions.get(found.position_code)
            name = view.position.name if view is not None else ""
            text = DISCREPANCY_TEXT.get(found.kind, found.kind).format(
                expected=found.expected, actual=found.actual
            )
            unit = units.get(found.unit_id) if found.unit_id is not None else None
            if unit is not None:
                numbers = [
                    f"зав. № {unit.serial_number}" if unit.serial_number else "",
                    f"инв. № {unit.inventory_number}" if unit.inventory_number else "",
                ]
                text += " (" + ", ".join(n for n in numbers if n) + ")" if any(numbers) else ""
            rows.append(
                [
                    _m(f"<b>{_e(found.position_code)}</b>", st.cell),
                    _p(name, st.cell),
                    _p(text, st.cell),
                ]
            )
        story.append(_table(("Код", "Позиция", "Расхождение"), rows, _widths(15, 83, 80), st))
    story += _heading("Единицы оборудования", st.h2)
    if not snapshot.units:
        story.append(_p("Единицы оборудования не внесены.", st.body))
    else:
        rows = []
        for unit in snapshot.units:
            view = positions.get(unit.position_code)
            name = view.position.name if view is not None else ""
            rows.append(
                [
                    _m(f"<b>{_e(unit.position_code)}</b> {_e(name)}", st.cell),
                    _p(unit.inventory_number or "—", st.cell),
                    _p(unit.serial_number or "—", st.cell),
                    _p(snapshot.room_name(unit.room_id) or "—", st.cell),
                    _p(UNIT_STATUS_NAMES[unit.status], st.cell),
                ]
            )
        story.append(
            _table(
                ("Позиция", "Инв. №", "Зав. №", "Помещение", "Состояние"),
                rows,
                _widths(62, 26, 26, 34, 30),
                st,
            )
        )
    documents = [f"{code}: {name}" for code in positions for name in _documents_of(snapshot, code)]
    if documents:
        story.append(_p("Документы по оборудованию: " + "; ".join(documents) + ".", st.small))
    return story


def _rooms_part(snapshot: ReportSnapshot, st: _Styles) -> list[Any]:
    summary = snapshot.summary
    story: list[Any] = [
        *_heading("5. Помещения и фирменный стиль", st.h1, 60 * mm),
        _p(
            f"Готово помещений: {summary.rooms_ready} из {summary.rooms_total}; элементов "
            f"фирменного стиля: {summary.brand_done} из {summary.brand_total}.",
            st.body,
        ),
    ]
    if not snapshot.rooms:
        story.append(_p("Помещения Центра ещё не внесены в реестр помещений.", st.body))
    else:
        rows = []
        for room in snapshot.rooms:
            brand = [b for b in snapshot.brand if b.room is not None and b.room.id == room.id]
            brand_done = sum(b.state.status in CLOSED_STATUSES for b in brand)
            ready = snapshot.room_ready.get(room.id, False)
            rows.append(
                [
                    _m(f"<b>{_e(room.number)}</b>", st.cell),
                    _p(room.name + (f"\n{room.comment}" if room.comment else ""), st.cell),
                    _p(snapshot.zone_titles.get(room.zone_type, room.zone_type), st.cell),
                    _p("" if room.floor is None else str(room.floor), st.cell_right),
                    _p(format_number(room.area), st.cell_right),
                    _p(STATUS_NAMES[room.repair_status], st.cell),
                    _p(f"{brand_done} из {len(brand)}", st.cell),
                    _m("<b>готово</b>" if ready else "не готово", st.cell),
                ]
            )
        story.append(
            _table(
                ("№", "Помещение", "Тип", "Этаж", "Площадь, м²", "Ремонт", "Стиль", "Итог"),
                rows,
                _widths(11, 42, 35, 11, 17, 23, 17, 22),
                st,
            )
        )
    story += _heading("Элементы фирменного стиля", st.h2)
    rows = []
    for item in snapshot.brand:
        where = _room_title(item.room) if item.room is not None else "Здание, сайт школы"
        rows.append(
            [
                _p(item.element.title, st.cell),
                _p(where, st.cell),
                _p(STATUS_NAMES[item.state.status], st.cell),
                _p(item.state.comment, st.cell),
            ]
        )
    story.append(
        _table(("Элемент", "Где", "Статус", "Комментарий"), rows, _widths(58, 52, 25, 43), st)
    )
    return story


def _roadmap_part(snapshot: ReportSnapshot, st: _Styles) -> list[Any]:
    rows = []
    extra = []
    for number, view in enumerate(snapshot.tasks, 1):
        state = view.state
        marks = []
        if state.done_on:
            marks.append(f"выполнено {format_date(state.done_on)}")
        if state.order_number:
            order = f"приказ № {state.order_number}"
            if state.order_date:
                order += f" от {format_date(state.order_date)}"
            marks.append(order)
        if state.comment:
            marks.append(state.comment)
        rows.append(
            [
                _m(f"<b>{_e(view.task.code)}</b>", st.cell),
                _m(
                    f"{_e(view.task.name)}<br/><font size='7.5' color='#5F6368'>"
                    f"Результат: {_e(view.task.result)}</font>",
                    st.cell,
                ),
                _p(view.task.responsible, st.cell),
                _p(format_date(view.due), st.cell),
                _m(_status_markup(state.status, view.overdue), st.cell),
                _p("; ".join(marks), st.cell),
            ]
        )
        if view.overdue:
            extra.append(("BACKGROUND", (0, number), (-1, number), OVERDUE_FILL))
    overdue = sum(view.overdue for view in snapshot.tasks)
    return [
        *_heading("6. Дорожная карта", st.h1, 60 * mm),
        _p(f"Мероприятий: {len(snapshot.tasks)}, просрочено: {overdue}.", st.body),
        _table(
            ("Код", "Мероприятие", "Ответственный", "Срок", "Статус", "Отметка о выполнении"),
            rows,
            _widths(15, 62, 27, 18, 22, 34),
            st,
            extra,
        ),
    ]


def _indicators_part(snapshot: ReportSnapshot, st: _Styles) -> list[Any]:
    year = snapshot.indicators[0].year if snapshot.indicators else None
    story = _heading(
        f"7. Показатели{f' {year}{NBSP}года' if year else ''} по кварталам", st.h1, 60 * mm
    )
    if not snapshot.indicators:
        return [*story, _p("Показатели не заданы в шаблоне.", st.body)]
    rows = []
    for row in snapshot.indicators:
        cells = [
            _m(f"<b>{_e(row.indicator.code)}</b> {_e(row.indicator.name)}", st.cell),
            _p(row.indicator.unit, st.cell),
            _p(format_number(row.target), st.cell_right),
        ]
        for quarter in (1, 2, 3, 4):
            value = row.values.get(quarter)
            cells.append(_p(format_number(value.value) if value else "—", st.cell_right))
        cells.append(_p(_percent(row.percent) if row.percent is not None else "—", st.cell_right))
        rows.append(cells)
    story.append(
        _table(
            ("Показатель", "Ед.", "Цель", "I кв.", "II кв.", "III кв.", "IV кв.", "% цели"),
            rows,
            _widths(70, 12, 15, 15, 15, 15, 15, 21),
            st,
        )
    )
    story.append(_p("% цели — значение последнего внесённого квартала к цели года.", st.small))
    return story


# --- 3. the quarterly indicators report --------------------------------------------------


def write_indicators_pdf(
    snapshot: ReportSnapshot,
    out: Path | BinaryIO,
    *,
    year: int,
    quarter: int,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> int:
    """The quarterly report on the indicators: target of the year, the quarter's value, % of the
    target, notes, signatures. Returns the number of pages."""
    profile = _profile(snapshot)
    if quarter not in (1, 2, 3, 4):
        raise DocumentError("bad_quarter", str(quarter))
    rows = [row for row in snapshot.indicators if row.year == year]
    if not rows:
        raise DocumentError("no_indicators", str(year))
    register_fonts()
    st = _Styles()
    roman = quarter_name(quarter).split()[0]
    title = f"Отчёт по показателям за {roman} квартал {year}{NBSP}г."
    furniture = _PageFurniture(snapshot, profile, title)
    first = dt.date(year, 3 * quarter - 2, 1)
    last = (
        dt.date(year, 12, 31)
        if quarter == 4
        else dt.date(year, 3 * quarter + 1, 1) - dt.timedelta(days=1)
    )
    filled = sum(quarter in row.values for row in rows)
    indicators = plural(len(rows), "показателю", "показателям", "показателям")
    story: list[Any] = [
        _p(profile.school_full_name, st.centered),
        Spacer(1, 6 * mm),
        _m("ОТЧЁТ", st.title),
        _p(
            "о достижении показателей деятельности Центра образования естественно-научной и "
            "технологической направленностей «Точка роста»",
            st.subtitle,
        ),
        _p(f"за {roman} квартал {year}{NBSP}года", st.subtitle),
        Spacer(1, 4 * mm),
        _p(
            f"Отчётный период: {format_date(first)} — {format_date(last)}. Значения внесены по "
            f"{filled} из {len(rows)} {indicators}.",
            st.body,
        ),
        Spacer(1, 2 * mm),
        _quarter_table(rows, quarter, roman, st),
        _p(
            "% цели — значение за квартал (нарастающим итогом с начала года) к цели года.",
            st.small,
        ),
        _p(
            f"Исполнитель: {profile.center_head}, руководитель Центра; "
            f"тел. {profile.phone}; {profile.email}",
            st.body,
        ),
        _signature_block(st, profile, snapshot.today.year),
    ]
    ticker = _Ticker(progress, cancelled)
    return _write(out, lambda stream: _build(stream, story, furniture, ticker, title))


def _quarter_table(rows: Sequence[IndicatorRow], quarter: int, roman: str, st: _Styles) -> Any:
    data = []
    for number, row in enumerate(rows, 1):
        value = row.values.get(quarter)
        if value is None:
            amount = _m("<i>не внесено</i>", st.cell_small)
            share = _p("—", st.cell_right)
            note = _p("", st.cell)
        else:
            amount = _p(format_number(value.value), st.cell_right)
            percent = 100.0 * value.value / row.target if row.target > 0 else None
            share = _p(_percent(percent) if percent is not None else "—", st.cell_right)
            note = _p(value.note, st.cell)
        data.append(
            [
                _p(str(number), st.cell_right),
                _m(f"<b>{_e(row.indicator.code)}</b> {_e(row.indicator.name)}", st.cell),
                _p(row.indicator.unit, st.cell),
                _p(format_number(row.target), st.cell_right),
                amount,
                share,
                note,
            ]
        )
    return _table(
        (
            "№",
            "Показатель",
            "Ед. изм.",
            "Цель на год",
            f"Значение за {roman}{NBSP}кв.",
            "% цели",
            "Примечание",
        ),
        data,
        _widths(8, 72, 13, 17, 20, 15, 33),
        st,
    )
