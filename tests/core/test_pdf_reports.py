"""The PDF documents over a real data folder (real SQLite, the demo center with real photos),
read back as a director's PDF viewer would: pypdf for pages and images, poppler's pdftotext for
the words and where they sit, pdffonts for the fonts. Then the failures: unknown filters, a full
disk, a read-only disk, a cancel. One page of each document is rendered into screenshots/."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import io
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from core.demo import fill_demo
from core.errors import CancelledError, StorageError
from core.model import EvidenceKind, ItemStatus
from core.pdf_reports import (
    DocumentError,
    write_checklist_pdf,
    write_indicators_pdf,
    write_readiness_report_pdf,
)
from core.registers import Center, room_subject
from core.report_data import ReportSnapshot, take_snapshot
from core.thumbnails import THUMBNAIL_SIZE, thumbnail_path
from core.wording import format_date
from tests.conftest import SECTION_TITLES, fill_up, make_photo

SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
LONG_ROOM = (
    "Лаборатория естественно-научных исследований и проектной деятельности обучающихся "
    "с зоной хранения цифровых лабораторий и демонстрационного оборудования"
)
LONG_COMMENT = " ".join(
    [
        "Подрядчик заменил электропроводку и светильники, но акт скрытых работ не подписан:",
        "ждём инженера управления образования, он обещал приехать после проверки соседней",
        "школы. Окна установлены, откосы не оштукатурены, подоконники привезут в четверг.",
        "Пол выровнен, линолеум уложен, плинтус прибит частично; двери покрашены, доводчики",
        "не поставлены. Розетки у лабораторных столов подключены, заземление проверено.",
    ]
)
LONG_RESPONSIBLE = (
    "Сидоров Павел Николаевич, заместитель директора по административно-хозяйственной части"
)
LONG_SERIAL = "SN-" + "0123456789" * 6
ROOM_PHOTO_NAME = "кабинет-до-ремонта.jpg"
STANDARD_14 = ("Helvetica", "Times", "Courier", "Symbol", "ZapfDingbats")
RIGHT_MARGIN_PT = 12 / 25.4 * 72
LEFT_MARGIN_PT = 20 / 25.4 * 72


def open_center(data_dir: Path) -> Center:
    from main import open_center as opener

    return opener(data_dir)


def close(center: Center) -> None:
    center.checklist.store.close()  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Center]:
    """The demo center with 3 photos and every register, plus what makes a page hard: a very
    long room name, a 400-character comment, a long responsible, a serial number with no
    space in it, and a room photo «до ремонта»."""
    root = tmp_path_factory.mktemp("pdf-demo")
    center = open_center(root / "data")
    today = center.checklist.today()  # the demo records work done before today
    fill_demo(center.checklist, today, photos=3, registers=center.registers)
    registers = center.registers
    room = registers.add_room("31", LONG_ROOM, registers.template.zone_types[0].code, area=80)
    registers.add_unit(
        registers.template.equipment[0].code, serial_number=LONG_SERIAL, room_id=room.id
    )
    registers.attach(
        room_subject(room.id, "before"),
        [make_photo(root / ROOM_PHOTO_NAME, (1200, 900), taken=dt.datetime(2027, 3, 14, 9, 30))],
    )
    item = center.checklist.template.item("REM-02")
    center.checklist.update_item(
        item.code,
        status=ItemStatus.IN_PROGRESS,
        comment=LONG_COMMENT,
        responsible=LONG_RESPONSIBLE,
    )
    yield center
    close(center)


@pytest.fixture(scope="module")
def snapshot(demo: Center) -> ReportSnapshot:
    return take_snapshot(demo)


# --- reading a PDF back ------------------------------------------------------------------------


def page_texts(pdf: Path) -> list[str]:
    out = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return out.split("\f")[:-1]


def raw_text(pdf: Path) -> str:
    """The text in drawing order: the lines of one table cell come one after another."""
    return subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def squeezed(text: str) -> str:
    """Without spaces, line ends and hyphens: pdftotext glues a word broken at its hyphen."""
    return "".join(text.split()).replace("-", "")


def has_whole(pdf: Path, text: str) -> bool:
    """text is in the PDF, every word in order, however its lines were wrapped."""
    return squeezed(text) in squeezed(raw_text(pdf))


def font_rows(pdf: Path) -> list[list[str]]:
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    return [line.split() for line in out.stdout.splitlines()[2:]]


def word_boxes(pdf: Path, tmp_path: Path) -> list[tuple[float, float, float, float, float, str]]:
    """Every word with its box (xMin, yMin, xMax, yMax) and the page width, from pdftotext."""
    out = tmp_path / f"{pdf.stem}-bbox.html"
    subprocess.run(["pdftotext", "-bbox", str(pdf), str(out)], check=True)
    boxes = []
    width = 0.0
    for line in out.read_text(encoding="utf-8").splitlines():
        page = re.search(r'<page width="([\d.]+)"', line)
        if page:
            width = float(page.group(1))
        word = re.search(
            r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*)</word>', line
        )
        if word:
            x0, y0, x1, y1 = (float(word.group(n)) for n in range(1, 5))
            boxes.append((x0, y0, x1, y1, width, html.unescape(word.group(5))))
    return boxes


def image_sizes(pdf: Path) -> list[tuple[int, int]]:
    """Width and height of every image XObject, also inside form XObjects."""
    sizes: list[tuple[int, int]] = []
    seen: set[int] = set()

    def walk(resources: Any) -> None:
        xobjects = resources.get("/XObject") if resources else None
        for ref in (xobjects or {}).values():
            obj = ref.get_object()
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if obj.get("/Subtype") == "/Image":
                sizes.append((int(obj["/Width"]), int(obj["/Height"])))
            elif obj.get("/Subtype") == "/Form":
                walk(obj.get("/Resources"))

    for page in PdfReader(pdf).pages:
        walk(page.get("/Resources"))
    return sizes


def assert_well_formed(pdf: Path, pages: int, snapshot: ReportSnapshot, tmp_path: Path) -> None:
    """Page count, the header on every page, fonts embedded, nothing outside the margins."""
    assert pages == len(PdfReader(pdf).pages) >= 1
    texts = page_texts(pdf)
    assert len(texts) == pages
    profile = snapshot.profile
    assert profile is not None
    for number, text in enumerate(texts, 1):
        assert f"Стр. {number} из {pages}" in text
        assert profile.school_short_name in text
        assert "Центр «Точка роста»" in text
        assert f"Кампания {profile.campaign_year}" in text
        assert format_date(snapshot.today) in text
    rows = font_rows(pdf)
    assert rows, "no fonts at all"
    for row in rows:
        name, emb = row[0], row[-5]
        assert emb == "yes", row
        assert "+PTSans" in name or "+PTSerif" in name, row
    listing = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert not any(base in listing for base in STANDARD_14)
    for x0, _, x1, _, width, word in word_boxes(pdf, tmp_path):
        assert x0 >= LEFT_MARGIN_PT - 1 and x1 <= width - RIGHT_MARGIN_PT + 1, word


def screenshot(pdf: Path, page: int, name: str) -> Path:
    """Render one page at print-preview size into screenshots/ (git-ignored) to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    prefix = SCREENSHOTS / Path(name).stem  # pdftoppm adds the .png
    subprocess.run(
        ["pdftoppm", "-png", "-r", "90", "-f", str(page), "-l", str(page), "-singlefile"]
        + [str(pdf), str(prefix)],
        check=True,
    )
    return prefix.with_suffix(".png")


def page_of(pdf: Path, needle: str) -> int:
    return next(n for n, text in enumerate(page_texts(pdf), 1) if needle in text)


# --- the printed checklist ---------------------------------------------------------------------


def test_checklist_lists_every_item_by_section_and_every_room(
    snapshot: ReportSnapshot, tmp_path: Path
) -> None:
    out = tmp_path / "Чек-лист.pdf"

    pages = write_checklist_pdf(snapshot, out)

    assert_well_formed(out, pages, snapshot, tmp_path)
    text = "\n".join(page_texts(out))
    for title in SECTION_TITLES:
        assert title in text
    for row in snapshot.checklist:
        assert row.code in text
    for room in snapshot.rooms:
        assert f"Помещение № {room.number}" in text
    assert "Обход помещений" in text
    assert "Здание и сайт школы" in text and "Вывеска у входа" in text
    assert has_whole(out, LONG_ROOM)
    assert "просрочено" in text  # the demo has overdue items
    for label in ("Директор", "Руководитель Центра", "М.П.", "(подпись)", "Дата обхода"):
        assert label in text
    last = page_texts(out)[-1]
    assert "М.П." in last and "Руководитель Центра" in last
    assert "С.П. Иванова" in last  # the director's name spelled out under the signature
    screenshot(out, 1, "pdf-checklist-page1.png")
    screenshot(out, page_of(out, "Обход помещений"), "pdf-checklist-rooms.png")


def test_only_open_items_leave_out_what_is_done(snapshot: ReportSnapshot, tmp_path: Path) -> None:
    done = [r for r in snapshot.checklist if r.status is ItemStatus.DONE]
    not_required = [r for r in snapshot.checklist if r.status is ItemStatus.NOT_REQUIRED]
    still_open = [r for r in snapshot.checklist if r.open]
    assert done and not_required and still_open
    out = tmp_path / "open.pdf"

    pages = write_checklist_pdf(snapshot, out, only_open=True)

    assert_well_formed(out, pages, snapshot, tmp_path)
    text = "\n".join(page_texts(out))
    for row in done + not_required:
        assert row.code not in text
    for row in still_open:
        assert row.code in text
    assert "только невыполненные пункты" in text
    assert pages < write_checklist_pdf(snapshot, tmp_path / "all.pdf")


def test_one_section_by_code_or_title(snapshot: ReportSnapshot, tmp_path: Path) -> None:
    out = tmp_path / "rem.pdf"

    pages = write_checklist_pdf(snapshot, out, section="REM")

    assert_well_formed(out, pages, snapshot, tmp_path)
    text = "\n".join(page_texts(out))
    assert "Ремонт помещений" in text
    assert all(r.code in text for r in snapshot.checklist if r.section_code == "REM")
    assert not any(r.code in text for r in snapshot.checklist if r.section_code != "REM")
    assert "Обход помещений" not in text
    by_title = tmp_path / "by-title.pdf"
    assert write_checklist_pdf(snapshot, by_title, section="ремонт помещений") == pages


def test_one_room_lists_its_repair_brand_and_equipment(
    snapshot: ReportSnapshot, tmp_path: Path
) -> None:
    room = next(r for r in snapshot.rooms if r.number == "12")
    units = [u for u in snapshot.units if u.room_id == room.id and u.serial_number]
    brand = [b for b in snapshot.brand if b.room is not None and b.room.id == room.id]
    assert units and brand
    out = tmp_path / "12.pdf"

    pages = write_checklist_pdf(snapshot, out, room=" 12 ")

    assert_well_formed(out, pages, snapshot, tmp_path)
    text = "\n".join(page_texts(out))
    assert f"Помещение № 12 — {room.name}" in text
    assert "Текущий ремонт выполнен" in text
    for item in brand:
        assert item.element.title in text
    for unit in units:
        assert unit.serial_number in text
    others = [r for r in snapshot.rooms if r.id != room.id]
    assert not any(f"Помещение № {r.number} " in text for r in others)
    assert "Пункты чек-листа по разделам" not in text
    assert "М.П." in text
    lab = tmp_path / "14a.pdf"
    write_checklist_pdf(snapshot, lab, room="14А")  # typed with a capital letter
    assert "Помещение № 14а — Лаборантская" in "\n".join(page_texts(lab))


def test_long_names_and_numbers_wrap_without_losing_a_word(
    snapshot: ReportSnapshot, tmp_path: Path
) -> None:
    out = tmp_path / "room31.pdf"

    pages = write_checklist_pdf(snapshot, out, room="31")

    assert_well_formed(out, pages, snapshot, tmp_path)  # nothing beyond the margins
    assert has_whole(out, LONG_ROOM)
    assert has_whole(out, LONG_SERIAL)
    report = tmp_path / "report.pdf"
    pages = write_readiness_report_pdf(snapshot, report)
    assert_well_formed(report, pages, snapshot, tmp_path)
    assert has_whole(report, LONG_ROOM)
    assert has_whole(report, LONG_SERIAL)  # cut into pieces inside its narrow cell


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"section": "XYZ"}, "unknown_section"),
        ({"room": "99"}, "unknown_room"),
    ],
)
def test_unknown_section_or_room_is_a_document_error(
    snapshot: ReportSnapshot, tmp_path: Path, options: dict[str, str], problem: str
) -> None:
    out = tmp_path / "x.pdf"

    with pytest.raises(DocumentError) as info:
        write_checklist_pdf(snapshot, out, **options)

    assert info.value.problem == problem
    assert info.value.detail in options.values()
    assert list(tmp_path.iterdir()) == []


def test_a_center_without_a_profile_cannot_print(data_dir: Path, tmp_path: Path) -> None:
    center = open_center(data_dir)
    try:
        snapshot = take_snapshot(center)
    finally:
        close(center)
    for write in (
        lambda: write_checklist_pdf(snapshot, tmp_path / "a.pdf"),
        lambda: write_readiness_report_pdf(snapshot, tmp_path / "b.pdf"),
        lambda: write_indicators_pdf(snapshot, tmp_path / "c.pdf", year=2027, quarter=1),
    ):
        with pytest.raises(DocumentError) as info:
            write()
        assert info.value.problem == "no_profile"


# --- the readiness report ----------------------------------------------------------------------


def test_readiness_report_has_every_part_and_the_signatures(
    snapshot: ReportSnapshot, tmp_path: Path, system_temp: Path
) -> None:
    out = tmp_path / "Отчёт.pdf"

    pages = write_readiness_report_pdf(snapshot, out)

    assert_well_formed(out, pages, snapshot, tmp_path)
    texts = page_texts(out)
    text = "\n".join(texts)
    profile = snapshot.profile
    assert profile is not None
    assert "ОТЧЁТ" in texts[0] and "Общая готовность" in texts[0]
    assert f"{snapshot.readiness.percent:.0f} %" in texts[0]
    assert profile.inn in texts[0] and profile.municipality in texts[0]
    for title in SECTION_TITLES:
        assert title in text
    for row in snapshot.checklist:
        assert row.code in text
    for heading in (
        "Готовность по разделам чек-листа",
        "Оборудование (инфраструктурный лист)",
        "Расхождения",
        "Единицы оборудования",
        "Помещения и фирменный стиль",
        "Элементы фирменного стиля",
        "Дорожная карта",
        "Показатели",
    ):
        assert heading in text
    for view in snapshot.tasks:
        assert view.task.code in text
    for row in snapshot.indicators:
        assert row.indicator.code in text
    assert any(view.overdue for view in snapshot.tasks)
    assert "просрочено" in text
    assert has_whole(out, LONG_COMMENT)
    assert has_whole(out, LONG_RESPONSIBLE)
    assert "админ\nистративно" not in raw_text(out)  # the compound breaks at its hyphen
    last = texts[-1]
    assert "М.П." in last and "Руководитель Центра" in last and "Директор" in last
    assert list(system_temp.iterdir()) == []  # the private thumbnails are gone
    screenshot(out, 1, "pdf-report-title.png")
    screenshot(out, page_of(out, "Фото по разделу"), "pdf-report-photos.png")
    screenshot(out, page_of(out, "Дорожная карта"), "pdf-report-roadmap.png")


def test_report_photos_are_downscaled_thumbnails_with_captions(
    snapshot: ReportSnapshot, tmp_path: Path
) -> None:
    photos = [e for e in snapshot.evidence if e.kind is EvidenceKind.PHOTO]
    assert len(photos) == 4
    cache = tmp_path / "cache"
    out = tmp_path / "report.pdf"

    write_readiness_report_pdf(snapshot, out, thumbnails_dir=cache)

    sizes = image_sizes(out)
    assert len(sizes) == len({p.sha256 for p in photos})
    assert all(max(size) <= 600 for size in sizes), sizes
    assert out.stat().st_size < 2 * 1024 * 1024  # the 3000×2000 demo photos are not in it
    text = "\n".join(page_texts(out))
    for photo in photos:
        assert photo.original_name in text
    assert "снято 14.03.2027 09:30" in text  # the room photo's EXIF date
    assert "до ремонта" in text
    cached = sorted(cache.rglob("*.jpg"))
    assert len(cached) == len(photos)
    stamps = [p.stat().st_mtime_ns for p in cached]
    write_readiness_report_pdf(snapshot, tmp_path / "again.pdf", thumbnails_dir=cache)
    assert [p.stat().st_mtime_ns for p in cached] == stamps  # reused, not made again


def test_a_missing_photo_is_shown_as_unavailable(snapshot: ReportSnapshot, tmp_path: Path) -> None:
    evidence = list(snapshot.evidence)
    first = next(n for n, e in enumerate(evidence) if e.kind is EvidenceKind.PHOTO)
    evidence[first] = dataclasses.replace(
        evidence[first], path=tmp_path / "пропал.jpg", sha256="0" * 64
    )
    broken = dataclasses.replace(snapshot, evidence=tuple(evidence))
    out = tmp_path / "report.pdf"

    pages = write_readiness_report_pdf(broken, out)

    assert pages >= 1
    assert "фото недоступно" in "\n".join(page_texts(out))
    photos = {e.sha256 for e in snapshot.evidence if e.kind is EvidenceKind.PHOTO}
    assert len(image_sizes(out)) == len(photos) - 1


def test_a_damaged_cached_thumbnail_is_shown_as_unavailable(
    snapshot: ReportSnapshot, tmp_path: Path
) -> None:
    photo = next(e for e in snapshot.evidence if e.kind is EvidenceKind.PHOTO)
    cache = tmp_path / "cache"
    damaged = thumbnail_path(cache, photo.sha256, THUMBNAIL_SIZE)
    damaged.parent.mkdir(parents=True)
    damaged.write_bytes(b"not a JPEG at all")
    out = tmp_path / "report.pdf"

    write_readiness_report_pdf(snapshot, out, thumbnails_dir=cache)

    assert "фото недоступно" in "\n".join(page_texts(out))


def test_progress_reaches_the_end_and_a_stream_works(snapshot: ReportSnapshot) -> None:
    reported: list[tuple[int, int]] = []
    stream = io.BytesIO()

    pages = write_readiness_report_pdf(
        snapshot, stream, progress=lambda done, total: reported.append((done, total))
    )

    assert len(PdfReader(io.BytesIO(stream.getvalue())).pages) == pages
    assert reported[-1][0] == reported[-1][1]
    assert [done for done, _ in reported] == sorted(done for done, _ in reported)
    assert len({total for _, total in reported}) == 1


# --- the quarterly indicators report -----------------------------------------------------------


def test_indicators_report_for_a_quarter(snapshot: ReportSnapshot, tmp_path: Path) -> None:
    year = snapshot.indicators[0].year
    out = tmp_path / "Показатели.pdf"

    pages = write_indicators_pdf(snapshot, out, year=year, quarter=2)

    assert_well_formed(out, pages, snapshot, tmp_path)
    text = "\n".join(page_texts(out))
    assert f"за II квартал {year}" in text
    assert f"01.04.{year}" in text and f"30.06.{year}" in text
    for row in snapshot.indicators:
        assert row.indicator.code in text
        value = row.values[2]
        assert f"{100 * value.value / row.target:.0f} %" in text
    assert "по данным журнала" in text
    assert "% цели" in text and "Цель на год" in text
    assert "М.П." in text and "Руководитель Центра" in text
    screenshot(out, 1, "pdf-indicators.png")
    empty = tmp_path / "q4.pdf"
    write_indicators_pdf(snapshot, empty, year=year, quarter=4)
    assert "не внесено" in "\n".join(page_texts(empty))


def test_indicators_of_another_year_or_a_bad_quarter_are_refused(
    snapshot: ReportSnapshot, tmp_path: Path
) -> None:
    year = snapshot.indicators[0].year
    with pytest.raises(DocumentError) as info:
        write_indicators_pdf(snapshot, tmp_path / "a.pdf", year=year - 5, quarter=1)
    assert (info.value.problem, info.value.detail) == ("no_indicators", str(year - 5))
    with pytest.raises(DocumentError) as info:
        write_indicators_pdf(snapshot, tmp_path / "b.pdf", year=year, quarter=5)
    assert info.value.problem == "bad_quarter"
    assert list(tmp_path.iterdir()) == []


# --- failures ----------------------------------------------------------------------------------


WRITERS: dict[str, Callable[..., int]] = {
    "checklist": lambda snapshot, out, **kw: write_checklist_pdf(snapshot, out, **kw),
    "report": lambda snapshot, out, **kw: write_readiness_report_pdf(snapshot, out, **kw),
    "indicators": lambda snapshot, out, **kw: write_indicators_pdf(
        snapshot, out, year=snapshot.indicators[0].year, quarter=1, **kw
    ),
}


@pytest.mark.parametrize("document", sorted(WRITERS))
def test_full_disk_is_disk_full_and_keeps_the_old_file(
    snapshot: ReportSnapshot, tiny_disk: Path, system_temp: Path, document: str
) -> None:
    out = tiny_disk / "Отчёт.pdf"
    out.write_bytes(b"last week's report")
    fill_up(tiny_disk, leave=16 * 1024)

    with pytest.raises(StorageError) as info:
        WRITERS[document](snapshot, out)

    assert (info.value.problem, info.value.path) == ("disk_full", out)
    assert out.read_bytes() == b"last week's report"
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["filler", out.name]
    assert list(system_temp.iterdir()) == []


def test_read_only_disk_is_read_only(
    snapshot: ReportSnapshot, mount_tmpfs: Callable[[str, str], Path]
) -> None:
    disk = mount_tmpfs("stick", "1m")
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)

    with pytest.raises(StorageError) as info:
        write_checklist_pdf(snapshot, disk / "Чек-лист.pdf")

    assert info.value.problem == "read_only"
    assert list(disk.iterdir()) == []


def test_missing_folder_is_an_io_error(snapshot: ReportSnapshot, tmp_path: Path) -> None:
    with pytest.raises(StorageError) as info:
        write_checklist_pdf(snapshot, tmp_path / "нет такой папки" / "Чек-лист.pdf")

    assert info.value.problem == "io_error"
    assert not (tmp_path / "нет такой папки").exists()


@pytest.mark.parametrize("document", sorted(WRITERS))
def test_cancel_at_once_leaves_no_file(
    snapshot: ReportSnapshot, tmp_path: Path, system_temp: Path, document: str
) -> None:
    out = tmp_path / "doc.pdf"

    with pytest.raises(CancelledError):
        WRITERS[document](snapshot, out, cancelled=lambda: True)

    assert sorted(p.name for p in tmp_path.iterdir()) == ["system-temp"]
    assert list(system_temp.iterdir()) == []


def test_cancel_midway_stops_there_and_keeps_the_old_file(
    snapshot: ReportSnapshot, tmp_path: Path, system_temp: Path
) -> None:
    out = tmp_path / "Отчёт.pdf"
    out.write_bytes(b"old")
    reported: list[tuple[int, int]] = []
    asked = []

    def cancelled() -> bool:
        asked.append(1)
        return bool(reported) and reported[-1][0] >= reported[-1][1] // 2

    with pytest.raises(CancelledError):
        write_readiness_report_pdf(
            snapshot, out, progress=lambda d, t: reported.append((d, t)), cancelled=cancelled
        )

    done, total = reported[-1]
    assert total // 2 <= done < total
    assert len(asked) > 10
    assert out.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["system-temp", out.name]
    assert list(system_temp.iterdir()) == []
