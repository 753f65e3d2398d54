"""«Карточка открытого ключа»: one A4 page the director signs and stamps and the school sends to
the regional operator, so the operator can trust the key that checks the school's packages. It
holds the key line for `minisign -P`, the key id, a fingerprint large enough to read out on the
phone, and a short instruction for checking a package.

The key line is drawn one character to a cell with every digit underlined: the PT fonts the
program ships have no monospace face, and 0/O and 1/l/I must not be confused when the key is
typed from paper."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER  # type: ignore[import-untyped]
from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.platypus import (  # type: ignore[import-untyped]
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepInFrame,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
)

from core.keys import (
    key_fingerprint,
    key_history,
    key_id_of,
    load_or_create_key,
    public_key_base64,
)
from core.model import CenterProfile
from core.paths import DataLayout
from core.pdf_reports import (
    CREATOR,
    GREY,
    INK,
    NBSP,
    RULE,
    SANS,
    SANS_BOLD,
    SERIF,
    SERIF_BOLD,
    _initials,
    _plain,
    _write,
    register_fonts,
)
from core.wording import format_date

TITLE = "Карточка открытого ключа подписи пакетов отчётов"
PAGE_WIDTH, PAGE_HEIGHT = 210 * mm, 297 * mm
LEFT, RIGHT, TOP, BOTTOM = 20 * mm, 15 * mm, 14 * mm, 14 * mm
WIDTH = PAGE_WIDTH - LEFT - RIGHT
HEIGHT = PAGE_HEIGHT - TOP - BOTTOM
SHADE = "#F4F6F8"


def write_key_card_pdf(
    profile: CenterProfile,
    public_key: Any,
    out: Path,
    *,
    made_on: dt.date,
    previous_key_id: str | None = None,
    key_created: dt.date | None = None,
) -> None:
    """Write the key card of public_key (a minisign.PublicKey) to out: a temporary file beside
    it, synced, then renamed over it. Raises StorageError ("disk_full", "read_only",
    "io_error"), out then untouched and nothing left behind."""
    register_fonts()
    story = _story(profile, public_key, made_on, previous_key_id, key_created)

    def make(stream: BinaryIO) -> int:
        doc = BaseDocTemplate(
            stream,
            pagesize=(PAGE_WIDTH, PAGE_HEIGHT),
            leftMargin=LEFT,
            rightMargin=RIGHT,
            topMargin=TOP,
            bottomMargin=BOTTOM,
            title=TITLE,
            author=profile.school_short_name or profile.school_full_name,
            subject=f"Ключ {key_id_of(public_key)}",
            creator=CREATOR,
            initialFontName=SANS,
        )
        frame = Frame(LEFT, BOTTOM, WIDTH, HEIGHT, 0, 0, 0, 0, id="card")
        doc.addPageTemplates([PageTemplate(id="card", frames=[frame])])
        # one page whatever the length of the names: the whole card shrinks to fit
        doc.build([KeepInFrame(WIDTH, HEIGHT, story, mode="shrink")])
        return int(doc.page)

    _write(out, make)


# --- the content -------------------------------------------------------------------------------


class _Styles:
    def __init__(self) -> None:
        def style(name: str, **kw: Any) -> Any:
            base: dict[str, Any] = {"fontName": SANS, "fontSize": 9.5, "leading": 12.5}
            base["textColor"] = INK
            base.update(kw)
            return ParagraphStyle(name, **base)

        self.school = style(
            "school", fontName=SERIF_BOLD, fontSize=11.5, leading=14.5, alignment=TA_CENTER
        )
        self.school_line = style(
            "school_line", fontName=SERIF, fontSize=9.5, leading=12, alignment=TA_CENTER
        )
        self.title = style(
            "title", fontName=SERIF_BOLD, fontSize=17, leading=21, alignment=TA_CENTER
        )
        self.subtitle = style(
            "subtitle", fontName=SERIF, fontSize=10.5, leading=13.5, alignment=TA_CENTER
        )
        self.h2 = style(
            "h2", fontName=SERIF_BOLD, fontSize=11.5, leading=14.5, spaceBefore=2, spaceAfter=3
        )
        self.label = style("label", fontSize=8.5, leading=11, textColor=GREY)
        self.value = style("value", fontSize=10, leading=12.5)
        self.key_id = style("key_id", fontName=SANS_BOLD, fontSize=12, leading=14)
        self.note = style("note", fontSize=8, leading=10.5, textColor=GREY)
        self.step = style("step", fontSize=9, leading=11.5, leftIndent=5 * mm, firstLineIndent=0)
        self.command = style(
            "command", fontSize=8.5, leading=11, leftIndent=5 * mm, backColor=SHADE, borderPad=2
        )
        # a long double surname breaks at its hyphen, never inside a word
        self.sign = style("sign", fontName=SERIF, fontSize=11, leading=14, embeddedHyphenation=2)
        self.sign_note = style(
            "sign_note", fontSize=7, leading=8.5, textColor=GREY, alignment=TA_CENTER
        )
        self.footer = style("footer", fontSize=7, leading=9, textColor=GREY)


def _glyph(char: str) -> str:
    """A character of the key as the key line shows it (the legend's own font has one bar for
    both l and I)."""
    underline = ("<u>", "</u>") if char.isdigit() else ("", "")
    return f"<font name='{SERIF}' size='10'>{underline[0]}{char}{underline[1]}</font>"


def _e(text: str) -> str:
    return escape(text)


def _story(
    profile: CenterProfile,
    public_key: Any,
    made_on: dt.date,
    previous_key_id: str | None,
    key_created: dt.date | None,
) -> list[Any]:
    st = _Styles()
    key_line = public_key_base64(public_key)
    key_id = key_id_of(public_key)
    facts: list[tuple[str, Any]] = [
        ("Образовательная организация", Paragraph(_e(profile.school_full_name), st.value)),
        ("ИНН", Paragraph(_e(profile.inn), st.value)),
        ("Адрес", Paragraph(_e(profile.address), st.value)),
        ("Директор", Paragraph(_e(profile.director), st.value)),
        ("Идентификатор ключа", Paragraph(key_id, st.key_id)),
    ]
    if key_created is not None:
        facts.append(("Ключ создан", Paragraph(format_date(key_created), st.value)))
    if previous_key_id:
        facts.append(
            (
                "Заменяет ключ",
                Paragraph(
                    f"<b>{_e(previous_key_id)}</b> — пакеты, подписанные до замены, "
                    "проверяются прежним ключом",
                    st.value,
                ),
            )
        )
    facts.append(("Дата выдачи карточки", Paragraph(format_date(made_on), st.value)))
    facts_table = Table(
        [[Paragraph(_e(label), st.label), value] for label, value in facts],
        colWidths=[46 * mm, WIDTH - 46 * mm],
        style=_plain(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
            ]
        ),
        hAlign="LEFT",
    )
    return [
        Paragraph(_e(profile.school_full_name), st.school),
        Paragraph(_e(f"ИНН {profile.inn} · {profile.address}"), st.school_line),
        _Rule(WIDTH, 3 * mm),
        Spacer(1, 5 * mm),
        Paragraph(_e(TITLE), st.title),
        Paragraph(
            "центра образования «Точка роста» · подпись Ed25519 в формате minisign", st.subtitle
        ),
        Spacer(1, 6 * mm),
        facts_table,
        Spacer(1, 6 * mm),
        Paragraph("Открытый ключ", st.h2),
        Paragraph(
            f"Строка для команды <b>minisign{NBSP}-P</b>, 56{NBSP}знаков: латинские буквы "
            "(заглавные и строчные различаются), цифры и знаки «+» и «/». "
            f"<u>Цифры подчёркнуты</u>: {_glyph('0')} — ноль, {_glyph('O')} — буква O; "
            f"{_glyph('1')} — единица, {_glyph('l')} — строчная L, {_glyph('I')} — заглавная i.",
            st.note,
        ),
        Spacer(1, 2 * mm),
        _KeyLine(key_line, WIDTH),
        Spacer(1, 5 * mm),
        Paragraph("Отпечаток ключа", st.h2),
        Paragraph(
            "Сверьте по телефону со школой, группа за группой, прежде чем доверять ключу. "
            "Отпечаток — SHA-256 строки ключа после декодирования base64: "
            f"<font name='{SANS_BOLD}'>printf{NBSP}'%s'{NBSP}'ключ'{NBSP}|{NBSP}base64{NBSP}-d"
            f"{NBSP}|{NBSP}sha256sum</font>.",
            st.note,
        ),
        Spacer(1, 2 * mm),
        _Fingerprint(key_fingerprint(public_key), WIDTH),
        Spacer(1, 5 * mm),
        *_instruction(profile, key_line, st),
        Spacer(1, 3 * mm),
        _signature(profile, made_on, st),
        Spacer(1, 5 * mm),
        Paragraph(
            "Открытый ключ не секретен: карточку можно копировать и пересылать. Секретный ключ "
            "хранится только на компьютере школы и никому не передаётся. "
            f"Сформировано: {_e(CREATOR)}, {format_date(made_on)}.",
            st.footer,
        ),
    ]


def _instruction(profile: CenterProfile, key_line: str, st: _Styles) -> list[Any]:
    steps = [
        "Сверьте отпечаток ключа со школой по телефону (см. выше).",
        "Распакуйте каждую часть пакета и перейдите в папку <b>tochka-…</b>:",
        None,
        "Проверьте подпись. Команда должна ответить «Signature and comment signature "
        f"verified», а доверенный комментарий — содержать inn={_e(profile.inn)} и период:",
        None,
        "Проверьте полноту и целостность файлов: <b>bagit.py --validate .</b> (или "
        "<b>sha256sum -c tagmanifest-sha256.txt</b> и <b>sha256sum -c manifest-sha256.txt</b>).",
    ]
    commands = [
        "unzip пакет.zip -d проверка &amp;&amp; cd проверка/tochka-*",
        f"minisign -Vm tagmanifest-sha256.txt -P {key_line}",
    ]
    story: list[Any] = [Paragraph("Как проверить пакет в регионе", st.h2)]
    number = 0
    for step in steps:
        if step is None:
            story.append(Paragraph(commands.pop(0), st.command))
            story.append(Spacer(1, 1.5 * mm))
            continue
        number += 1
        story.append(Paragraph(f"{number}.{NBSP}{step}", st.step))
        story.append(Spacer(1, 1 * mm))
    return story


def _signature(profile: CenterProfile, made_on: dt.date, st: _Styles) -> Any:
    """The director signs, the seal goes over «М.П.», the date is written by hand."""
    rows = [
        [
            Paragraph("Директор", st.sign),
            "",
            "",
            Paragraph(f"/ {_e(_initials(profile.director))} /", st.sign),
        ],
        [
            "",
            Paragraph("(подпись)", st.sign_note),
            "",
            Paragraph("(расшифровка подписи)", st.sign_note),
        ],
        [
            Paragraph("М.П.", st.sign),
            "",
            "",
            Paragraph(f"«____» ________________ {made_on.year}{NBSP}г.", st.sign),
        ],
    ]
    return Table(
        rows,
        colWidths=[28 * mm, 52 * mm, 5 * mm, WIDTH - 85 * mm],
        style=_plain(
            [
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LINEBELOW", (1, 0), (1, 0), 0.6, INK),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ("TOPPADDING", (0, 0), (-1, 0), 6 * mm),
                ("TOPPADDING", (0, 2), (-1, 2), 9 * mm),
            ]
        ),
        hAlign="LEFT",
    )


# --- drawn pieces ----------------------------------------------------------------------------


class _Rule(Flowable):  # type: ignore[misc]  # reportlab ships no type information
    def __init__(self, width: float, space: float) -> None:
        super().__init__()
        self.width, self.space = width, space

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.space

    def draw(self) -> None:
        self.canv.setStrokeColor(INK)
        self.canv.setLineWidth(0.8)
        self.canv.line(0, self.space / 2, self.width, self.space / 2)


class _KeyLine(Flowable):  # type: ignore[misc]
    """The key line, 28 characters to a row in cells, grouped by four, digits underlined. The
    characters are drawn before the row labels, so text copied from the PDF is the key."""

    PER_ROW, GROUP = 28, 4
    ROW_HEIGHT, ROW_GAP, GROUP_GAP, LABEL = 9 * mm, 2 * mm, 1.6 * mm, 13 * mm

    def __init__(self, key_line: str, width: float) -> None:
        super().__init__()
        self.key_line = key_line
        self.width = width
        self.rows = [key_line[i : i + self.PER_ROW] for i in range(0, len(key_line), self.PER_ROW)]

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        rows = len(self.rows)
        return self.width, rows * self.ROW_HEIGHT + (rows - 1) * self.ROW_GAP

    def _cell_width(self) -> float:
        gaps = (self.PER_ROW // self.GROUP - 1) * self.GROUP_GAP
        return float((self.width - self.LABEL - gaps) / self.PER_ROW)

    def draw(self) -> None:
        canvas = self.canv
        cell = self._cell_width()
        _, height = self.wrap(self.width, 0)
        places = []
        for row_index, row in enumerate(self.rows):
            y = height - (row_index + 1) * self.ROW_HEIGHT - row_index * self.ROW_GAP
            places.append(y)
            for index, char in enumerate(row):
                x = self.LABEL + index * cell + (index // self.GROUP) * self.GROUP_GAP
                canvas.setFillColor(SHADE)
                canvas.setStrokeColor(RULE)
                canvas.setLineWidth(0.4)
                canvas.rect(x, y, cell, self.ROW_HEIGHT, stroke=1, fill=1)
                canvas.setFillColor(INK)
                canvas.setFont(SERIF, 14)
                canvas.drawCentredString(x + cell / 2, y + 2.9 * mm, char)
                if char.isdigit():
                    canvas.setStrokeColor(INK)
                    canvas.setLineWidth(0.7)
                    canvas.line(x + cell * 0.22, y + 1.7 * mm, x + cell * 0.78, y + 1.7 * mm)
        canvas.setFillColor(GREY)
        canvas.setFont(SANS, 7.5)
        for row_index, y in enumerate(places):
            first = row_index * self.PER_ROW + 1
            last = first + len(self.rows[row_index]) - 1
            canvas.drawRightString(self.LABEL - 2 * mm, y + 3.2 * mm, f"{first}–{last}")


class _Fingerprint(Flowable):  # type: ignore[misc]
    """Sixteen groups of four hex digits in two rows, large, each group numbered below (the
    numbers are drawn after the groups, so copied text is the fingerprint)."""

    PER_ROW = 8
    ROW_HEIGHT, NUMBER_HEIGHT, PAD = 10 * mm, 3.5 * mm, 2.5 * mm

    def __init__(self, fingerprint: str, width: float) -> None:
        super().__init__()
        self.groups = fingerprint.split()
        self.width = width

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        rows = -(-len(self.groups) // self.PER_ROW)
        return self.width, rows * (self.ROW_HEIGHT + self.NUMBER_HEIGHT) + 2 * self.PAD

    def draw(self) -> None:
        canvas = self.canv
        _, height = self.wrap(self.width, 0)
        canvas.setStrokeColor(INK)
        canvas.setLineWidth(0.8)
        canvas.rect(0, 0, self.width, height, stroke=1, fill=0)
        column = (self.width - 2 * self.PAD) / self.PER_ROW
        places = []
        canvas.setFillColor(INK)
        canvas.setFont(SANS_BOLD, 19)
        for index, group in enumerate(self.groups):
            row, col = divmod(index, self.PER_ROW)
            x = self.PAD + col * column + column / 2
            y = height - self.PAD - (row + 1) * self.ROW_HEIGHT - row * self.NUMBER_HEIGHT
            places.append((x, y))
            canvas.drawCentredString(x, y + 2.6 * mm, group)
        canvas.setFillColor(GREY)
        canvas.setFont(SANS, 7)
        for index, (x, y) in enumerate(places, start=1):
            canvas.drawCentredString(x, y - 0.6 * mm, str(index))


def write_school_key_card(
    profile: CenterProfile,
    layout: DataLayout,
    out: Path,
    *,
    passphrase: str | None = None,
    made_on: dt.date | None = None,
) -> tuple[str, str]:
    """The card of the school's current key (made now if there is none yet, as the first
    package would), naming the key it replaces. Returns (key id, fingerprint)."""
    history = key_history(layout)
    current = next((r for r in history if r.current), None)
    if current is None:
        load_or_create_key(layout, passphrase)
        history = key_history(layout)
        current = next(r for r in history if r.current)
    retired = [r for r in history if not r.current]
    write_key_card_pdf(
        profile,
        current.public,
        out,
        made_on=made_on or dt.date.today(),
        previous_key_id=retired[0].key_id if retired else None,
        key_created=current.created,
    )
    return current.key_id, key_fingerprint(current.public)
