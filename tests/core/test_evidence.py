"""Evidence files: copied into the data folder under their SHA-256, checked, never modified;
every refusal leaves the folder and the database as they were. Thumbnails of photos."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import pytest

from core.checklist import Checklist
from core.errors import CancelledError, EvidenceError, StorageError
from core.evidence import EvidenceFolder
from core.model import EvidenceKind
from core.thumbnails import THUMBNAIL_SIZE, make_thumbnail, thumbnail_path
from tests.conftest import make_photo
from ui.messages import describe_error

TAKEN = dt.datetime(2027, 5, 3, 14, 30, 15)


def minimal_pdf() -> bytes:
    """A small but well-formed PDF: one empty A4 page, with its xref table and trailer."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stored_files(root: Path) -> dict[str, str]:
    """Every kept evidence file (not the temporary folder), by relative path, with its hash."""
    return {
        str(p.relative_to(root)): sha256_of(p)
        for p in root.rglob("*")
        if p.is_file() and p.relative_to(root).parts[0] != "tmp"
    }


def leftovers(root: Path) -> list[Path]:
    tmp = root / "tmp"
    return sorted(tmp.iterdir()) if tmp.exists() else []


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    return make_photo(tmp_path / "src" / "IMG_0001.jpg", taken=TAKEN)


# --- what gets stored ----------------------------------------------------------------------


def test_photo_is_stored_by_hash_with_its_exif_date(checklist: Checklist, photo: Path) -> None:
    source_bytes = photo.read_bytes()
    sha = hashlib.sha256(source_bytes).hexdigest()

    result = checklist.attach("REM-01", [photo])

    assert result.failed == []
    [evidence] = result.added
    assert evidence.kind is EvidenceKind.PHOTO
    assert evidence.taken_at == TAKEN
    assert evidence.sha256 == sha
    assert evidence.size == len(source_bytes)
    assert evidence.original_name == "IMG_0001.jpg"
    assert evidence.stored_name == f"{sha[:2]}/{sha}.jpg"
    kept = checklist.evidence_path(evidence)
    assert kept == checklist.evidence_folder.root / sha[:2] / f"{sha}.jpg"
    assert kept.read_bytes() == source_bytes
    assert photo.read_bytes() == source_bytes
    assert checklist.evidence("REM-01") == [evidence]
    assert checklist.evidence_counts() == {"REM-01": 1}
    [entry] = checklist.history("REM-01")
    assert entry.field == "evidence_added" and "IMG_0001.jpg" in entry.new
    assert leftovers(checklist.evidence_folder.root) == []


def test_png_photo_keeps_png_extension(checklist: Checklist, tmp_path: Path) -> None:
    png = make_photo(tmp_path / "plan.png", fmt="PNG")

    [evidence] = checklist.attach("ZON-01", [png]).added

    assert evidence.kind is EvidenceKind.PHOTO
    assert evidence.stored_name.endswith(".png")
    assert evidence.taken_at is None


def test_pdf_is_a_document(checklist: Checklist, tmp_path: Path) -> None:
    pdf = tmp_path / "Приказ о создании Центра.pdf"
    pdf.write_bytes(minimal_pdf())

    [evidence] = checklist.attach("DOC-01", [pdf]).added

    assert evidence.kind is EvidenceKind.DOCUMENT
    assert evidence.stored_name == f"{evidence.sha256[:2]}/{evidence.sha256}.pdf"
    assert checklist.evidence_path(evidence).read_bytes() == pdf.read_bytes()
    assert evidence.original_name == "Приказ о создании Центра.pdf"


def test_same_file_on_two_items_is_stored_once(checklist: Checklist, photo: Path) -> None:
    first = checklist.attach("REM-01", [photo]).added
    second = checklist.attach("ZON-01", [photo]).added

    assert len(first) == len(second) == 1
    assert first[0].id != second[0].id
    assert first[0].stored_name == second[0].stored_name
    assert len(stored_files(checklist.evidence_folder.root)) == 1
    assert checklist.evidence_counts() == {"REM-01": 1, "ZON-01": 1}


def test_same_file_twice_on_one_item_is_refused(checklist: Checklist, photo: Path) -> None:
    checklist.attach("REM-01", [photo])
    copy = photo.with_name("копия.jpg")
    copy.write_bytes(photo.read_bytes())

    result = checklist.attach("REM-01", [copy])

    assert result.added == []
    [failure] = result.failed
    assert isinstance(failure, EvidenceError) and failure.problem == "already_attached"
    assert "копия.jpg" in describe_error(failure)
    assert len(checklist.evidence("REM-01")) == 1
    assert len(checklist.history("REM-01")) == 1


def test_one_bad_file_does_not_stop_the_others(checklist: Checklist, tmp_path: Path) -> None:
    good1 = make_photo(tmp_path / "a.jpg", seed=1)
    good2 = make_photo(tmp_path / "b.jpg", seed=2)
    missing = tmp_path / "нет такого.jpg"
    calls: list[tuple[int, int]] = []

    result = checklist.attach(
        "REM-02", [good1, missing, good2], progress=lambda done, total: calls.append((done, total))
    )

    assert [e.original_name for e in result.added] == ["a.jpg", "b.jpg"]
    [failure] = result.failed
    assert isinstance(failure, EvidenceError)
    assert (failure.problem, failure.path) == ("not_found", missing)
    assert [e.original_name for e in checklist.evidence("REM-02")] == ["a.jpg", "b.jpg"]
    assert calls == [(0, 3), (1, 3), (2, 3), (3, 3)]


def test_cancel_before_the_first_file_attaches_nothing(checklist: Checklist, photo: Path) -> None:
    with pytest.raises(CancelledError):
        checklist.attach("REM-01", [photo], cancelled=lambda: True)

    assert checklist.evidence("REM-01") == []
    assert stored_files(checklist.evidence_folder.root) == {}


# --- what gets refused ---------------------------------------------------------------------


def truncated_jpeg(path: Path, tmp_path: Path) -> None:
    whole = make_photo(tmp_path / "whole.jpg").read_bytes()
    path.write_bytes(whole[: len(whole) // 2])


BAD_FILES = {
    "text_named_jpg": ("отчёт.jpg", "corrupt_image"),
    "truncated_jpeg": ("IMG_0002.jpg", "corrupt_image"),
    "empty": ("пустой.jpg", "empty"),
    "missing": ("нет.pdf", "not_found"),
    "exe": ("setup.exe", "unsupported_type"),
    "zip": ("фото.zip", "unsupported_type"),
    "fake_pdf": ("акт.pdf", "corrupt_pdf"),
    "folder": ("папка.jpg", "not_a_file"),
}


def make_bad_file(kind: str, tmp_path: Path) -> Path:
    name, _ = BAD_FILES[kind]
    path = tmp_path / "bad" / name
    path.parent.mkdir(exist_ok=True)
    if kind == "text_named_jpg":
        path.write_text("Это не фотография, а текст.\n" * 20, encoding="utf-8")
    elif kind == "truncated_jpeg":
        truncated_jpeg(path, tmp_path)
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "missing":
        pass
    elif kind in ("exe", "zip"):
        path.write_bytes(b"MZ\x90\x00" + os.urandom(4096) if kind == "exe" else os.urandom(4096))
    elif kind == "fake_pdf":
        path.write_bytes(b"<html><body>Not a PDF</body></html>\n" * 10)
    elif kind == "folder":
        path.mkdir()
    return path


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_file_is_refused_and_leaves_everything_as_it_was(
    checklist: Checklist, photo: Path, tmp_path: Path, kind: str
) -> None:
    [earlier] = checklist.attach("REM-01", [photo]).added
    root = checklist.evidence_folder.root
    files_before = stored_files(root)
    history_before = checklist.history("REM-01")
    bad = make_bad_file(kind, tmp_path)

    result = checklist.attach("REM-01", [bad])

    assert result.added == []
    [failure] = result.failed
    assert isinstance(failure, EvidenceError)
    assert failure.problem == BAD_FILES[kind][1]
    assert leftovers(root) == []
    assert stored_files(root) == files_before
    assert checklist.evidence("REM-01") == [earlier]
    assert checklist.history("REM-01") == history_before
    message = describe_error(failure)
    assert bad.name in message and failure.problem not in message


def test_disk_full_while_copying_raises_and_keeps_earlier_evidence(
    checklist: Checklist, tiny_disk: Path, photo: Path, tmp_path: Path
) -> None:
    on_tiny_disk = Checklist(checklist.store, checklist.template, EvidenceFolder(tiny_disk))
    [earlier] = on_tiny_disk.attach("REM-01", [photo]).added
    files_before = stored_files(tiny_disk)
    big = tmp_path / "смета.pdf"
    big.write_bytes(b"%PDF-1.4\n" + os.urandom(3 * 1024 * 1024))

    with pytest.raises(StorageError) as caught:
        on_tiny_disk.attach("REM-03", [big])

    assert caught.value.problem == "disk_full"
    assert "мест" in describe_error(caught.value)
    assert leftovers(tiny_disk) == []
    assert stored_files(tiny_disk) == files_before
    assert on_tiny_disk.evidence_path(earlier).read_bytes() == photo.read_bytes()
    assert on_tiny_disk.evidence("REM-01") == [earlier]
    assert on_tiny_disk.evidence("REM-03") == []
    assert on_tiny_disk.history("REM-03") == []


# --- removing ------------------------------------------------------------------------------


def test_remove_evidence_writes_history_and_keeps_the_file(
    checklist: Checklist, photo: Path
) -> None:
    [evidence] = checklist.attach("REM-01", [photo]).added
    kept = checklist.evidence_path(evidence)

    checklist.remove_evidence(evidence.id)

    assert checklist.evidence("REM-01") == []
    assert checklist.store.get_evidence(evidence.id) is None
    latest = checklist.history("REM-01")[0]
    assert latest.field == "evidence_removed"
    assert "IMG_0001.jpg" in latest.old and latest.new == ""
    assert kept.read_bytes() == photo.read_bytes()

    checklist.remove_evidence(evidence.id)  # already gone: nothing happens
    assert len(checklist.history("REM-01")) == 2


def test_removed_file_can_be_attached_again(checklist: Checklist, photo: Path) -> None:
    [evidence] = checklist.attach("REM-01", [photo]).added
    checklist.remove_evidence(evidence.id)

    result = checklist.attach("REM-01", [photo])

    assert result.failed == []
    assert result.added[0].stored_name == evidence.stored_name
    assert len(stored_files(checklist.evidence_folder.root)) == 1


# --- thumbnails ----------------------------------------------------------------------------


def test_thumbnail_applies_exif_orientation_and_is_cached(
    checklist: Checklist, tmp_path: Path
) -> None:
    from PIL import Image

    landscape = make_photo(tmp_path / "rotated.jpg", size=(400, 200), orientation=6)
    [evidence] = checklist.attach("REM-01", [landscape]).added
    original = checklist.evidence_path(evidence)
    original_bytes = original.read_bytes()
    cache = tmp_path / "cache" / "thumbnails"

    thumb = make_thumbnail(original, cache, evidence.sha256)

    assert thumb == thumbnail_path(cache, evidence.sha256)
    with Image.open(thumb) as img:
        assert img.format == "JPEG"
        assert img.height > img.width
        assert max(img.size) <= THUMBNAIL_SIZE
    first = thumb.stat()

    again = make_thumbnail(original, cache, evidence.sha256)

    second = again.stat()
    assert again == thumb
    assert (second.st_ino, second.st_mtime_ns) == (first.st_ino, first.st_mtime_ns)
    assert original.read_bytes() == original_bytes
    assert [p.name for p in thumb.parent.iterdir()] == [thumb.name]


def test_thumbnail_of_a_transparent_png_is_flattened(tmp_path: Path) -> None:
    from PIL import Image

    source = tmp_path / "logo.png"
    Image.new("RGBA", (800, 600), (0, 0, 255, 0)).save(source)

    thumb = make_thumbnail(source, tmp_path / "cache", "ab" * 32)

    with Image.open(thumb) as img:
        assert img.mode == "RGB"
        assert img.size == (THUMBNAIL_SIZE, 240)
        assert img.getpixel((10, 10)) == pytest.approx((255, 255, 255), abs=3)
