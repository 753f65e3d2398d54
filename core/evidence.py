"""Evidence files: copied into the data folder, content-addressed by SHA-256, never modified.

A file is first copied (and hashed in the same pass) to a temporary name inside the evidence
folder, then inspected there, then renamed to <sha[:2]>/<sha><ext>. What we inspect is exactly
what we keep, and a source that vanishes or changes half-way never leaves a half file behind."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from core.errors import EvidenceError
from core.files import storage_error
from core.model import EvidenceKind

CHUNK = 1 << 20
# Pillow formats we accept as photos, and the extension we keep them under.
IMAGE_FORMATS = {
    "JPEG": ".jpg",
    "PNG": ".png",
    "GIF": ".gif",
    "BMP": ".bmp",
    "TIFF": ".tif",
    "WEBP": ".webp",
    "MPO": ".jpg",  # JPEG from some phone cameras
}
IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp"}
)
DOCUMENT_EXTENSIONS = frozenset(
    {".pdf", ".doc", ".docx", ".odt", ".rtf", ".xls", ".xlsx", ".ods", ".djvu", ".txt"}
)
EXIF_IFD = 0x8769
EXIF_DATETIME_ORIGINAL = 0x9003
EXIF_DATETIME = 0x0132


@dataclass(frozen=True)
class ImportedFile:
    sha256: str
    kind: EvidenceKind
    stored_name: str
    size: int
    taken_at: dt.datetime | None


class EvidenceFolder:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, stored_name: str) -> Path:
        return self.root / stored_name

    def import_file(self, source: Path) -> ImportedFile:
        try:
            st = source.stat()
        except FileNotFoundError:
            raise EvidenceError(source, "not_found") from None
        except OSError as exc:
            raise EvidenceError(source, "unreadable", exc.strerror or "") from None
        if not source.is_file():
            raise EvidenceError(source, "not_a_file")
        if st.st_size == 0:
            raise EvidenceError(source, "empty")

        tmp_dir = self.root / "tmp"
        try:
            tmp_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise storage_error(self.root, exc) from None
        tmp = tmp_dir / f"{uuid.uuid4().hex}.part"
        try:
            sha, size = _copy_and_hash(source, tmp)
            if size == 0:
                raise EvidenceError(source, "empty")
            kind, ext, taken_at = _inspect(tmp, source)
            stored_name = f"{sha[:2]}/{sha}{ext}"
            final = self.root / stored_name
            if final.exists():
                tmp.unlink()
            else:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, final)
                _make_read_only(final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return ImportedFile(sha, kind, stored_name, size, taken_at)


def _copy_and_hash(source: Path, target: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    try:
        src = source.open("rb")
    except FileNotFoundError:
        raise EvidenceError(source, "vanished") from None
    except OSError as exc:
        raise EvidenceError(source, "unreadable", exc.strerror or "") from None
    with src:
        try:
            dst = target.open("wb")
        except OSError as exc:
            raise storage_error(target.parent, exc) from None
        with dst:
            while True:
                try:
                    chunk = src.read(CHUNK)
                except OSError as exc:
                    raise EvidenceError(source, "vanished", exc.strerror or "") from None
                if not chunk:
                    break
                digest.update(chunk)
                size += len(chunk)
                try:
                    dst.write(chunk)
                except OSError as exc:
                    raise storage_error(target.parent, exc) from None
            try:
                dst.flush()
                os.fsync(dst.fileno())
            except OSError as exc:
                raise storage_error(target.parent, exc) from None
    if not source.exists():
        # the file went away while we read it: what we have may be incomplete
        raise EvidenceError(source, "vanished")
    return digest.hexdigest(), size


def _inspect(copy: Path, source: Path) -> tuple[EvidenceKind, str, dt.datetime | None]:
    """Decide photo or document from the content; reject what we cannot use."""
    from PIL import Image, UnidentifiedImageError

    suffix = source.suffix.lower()
    with copy.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(b"%PDF-"):
        return EvidenceKind.DOCUMENT, ".pdf", None
    try:
        with Image.open(copy) as img:
            fmt = img.format or ""
            taken_at = exif_taken_at(img)
            # decode the whole stream (at reduced scale for JPEG) to catch truncated files
            img.draft("RGB", (img.width // 8 or 1, img.height // 8 or 1))
            img.load()
    except Image.DecompressionBombError:
        raise EvidenceError(source, "image_too_large") from None
    except UnidentifiedImageError:
        if suffix in IMAGE_EXTENSIONS:
            raise EvidenceError(source, "corrupt_image") from None
        if suffix == ".pdf":
            raise EvidenceError(source, "corrupt_pdf") from None
        if suffix in DOCUMENT_EXTENSIONS:
            return EvidenceKind.DOCUMENT, suffix, None
        raise EvidenceError(source, "unsupported_type", suffix) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise EvidenceError(source, "corrupt_image", str(exc)) from None
    ext = IMAGE_FORMATS.get(fmt)
    if ext is None:
        raise EvidenceError(source, "unsupported_type", fmt)
    return EvidenceKind.PHOTO, ext, taken_at


def exif_taken_at(img: object) -> dt.datetime | None:
    """The date the photo was taken, from EXIF DateTimeOriginal or DateTime, as local time."""
    getexif = getattr(img, "getexif", None)
    if getexif is None:
        return None
    try:
        exif = getexif()
        raw = exif.get_ifd(EXIF_IFD).get(EXIF_DATETIME_ORIGINAL) or exif.get(EXIF_DATETIME)
    except Exception:  # a damaged EXIF block must not block the photo itself
        return None
    if not isinstance(raw, str):
        return None
    try:
        return dt.datetime.strptime(raw.strip("\x00 ").strip(), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None


def _make_read_only(path: Path) -> None:
    try:
        path.chmod(0o444)
    except OSError:
        pass  # a file system without permissions (FAT on a stick) still keeps the file
