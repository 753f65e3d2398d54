"""Full backups of the data folder, and restoring from one.

A backup is ONE file, tochka-backup-<ИНН or «школа»>-<YYYY-MM-DD-HHMM>.zip, holding:
  tochka.sqlite3  the database: a consistent snapshot made with SQLite's backup API (never the
                  live file's bytes), in rollback-journal mode so the file stands alone;
  evidence/…      the attached photos and documents;
  keys/…          the school's signing key pair (school.key is SECRET) and retired public keys;
  outbox/…        the report packages made;
  manifest.json   format version, app version, created_at, DB revision, school name and ИНН,
                  and every file above with its relative path, size and SHA-256.
Not included: backups/ (automatic copies of the database), cache/ (thumbnails, remade on
demand), logs/, and temporary or hidden files (outbox/.lock, .building-…, evidence/tmp).

Saving writes under a hidden temporary name in the destination, syncs, drops the file from the
cache where the system allows, reads everything back and checks every hash, and only then gives
the file its name: a full or removed stick, or a cancel, leaves nothing behind.

Restoring changes nothing until everything is checked: the manifest lists exactly the files of
the ZIP, no path is unsafe, every file is extracted (into a hidden folder inside the data folder:
same file system, so the swap is a rename) and its hash checked, the database passes
`PRAGMA integrity_check` and its schema revision is one this version knows. Then the current data
is saved as a full backup in backups/ (tochka-backup-before-restore-….zip, the last 3 kept), and
the parts are swapped by renames, with a plan written first so that a failure (or a crash, see
recover_interrupted_restore) puts the old data back. The caller must have closed the database:
restoring under an open engine is refused (StorageError "locked").

Database access goes through BackupDatabase (storage/backup_store.py implements it), so this
module stays plain Python."""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import os
import re
import shutil
import stat
import time
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from core import APP_VERSION
from core.errors import CancelledError, StorageError
from core.files import DISK_FULL, READ_ONLY, fsync_dir
from core.paths import DataLayout

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]

FORMAT = "tochka-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
DATABASE_NAME = "tochka.sqlite3"
FOLDERS = ("evidence", "keys", "outbox")
# what a restore swaps in the data folder: the database's side files go aside with it, so a
# stale WAL is never read against the restored file
SWAPPED_NAMES = (
    DATABASE_NAME,
    f"{DATABASE_NAME}-wal",
    f"{DATABASE_NAME}-shm",
    f"{DATABASE_NAME}-journal",
    *FOLDERS,
)
# already compressed: deflating them again costs time and saves nothing
STORED_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic", ".pdf", ".zip", ".xlsx", ".docx", ".odt"}
    | {".ods", ".pptx", ".gz", ".7z", ".rar"}
)
CHUNK = 1 << 20
SAFETY_PREFIX = "tochka-backup-before-restore-"
SAFETY_KEPT = 3
LAST_BACKUP_FILE = "last-backup.json"
JOB_PREFIX = ".restore-"
SNAPSHOT_PREFIX = ".snapshot-"
MAX_MANIFEST_BYTES = 64 << 20
MAX_FILE_BYTES = 1 << 40  # a declared size above a terabyte is a forged archive, not a photo
MAX_FILES = 1_000_000
ZIP_OVERHEAD_PER_FILE = 512  # local header, central directory entry, ZIP64 extra: generous
_SHA256 = re.compile(r"[0-9a-f]{64}")
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*\\\x00-\x1f]')
_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{n}" for n in range(10)} | {f"lpt{n}" for n in range(10)}
)
_GONE = {errno.ENOENT, errno.ENODEV, errno.EIO, errno.ENXIO, errno.ESTALE}
# Windows: not ready, no such device, device not connected, hardware error, I/O device error
_GONE_WINERRORS = {21, 55, 483, 1117, 1167}
_SHARING_WINERRORS = {32, 33}  # the file is open in another program
RENAME_TRIES = 5


# --- what this module needs from storage --------------------------------------------------------


@dataclass(frozen=True)
class DatabaseFacts:
    revision: str | None  # the Alembic revision; None when the file has no schema
    school_name: str | None
    inn: str | None


class BackupDatabase(Protocol):
    """Database-level work a backup needs; storage/backup_store.py implements it."""

    def snapshot(self, source: Path, target: Path) -> None:
        """A consistent copy of source (live, WAL, possibly open) at target, made with SQLite's
        backup API, in rollback-journal mode. StorageError on failure, target removed."""
        ...

    def facts(self, database: Path) -> DatabaseFacts: ...

    def integrity_errors(self, database: Path, *, quick: bool = False) -> list[str]:
        """What PRAGMA integrity_check (quick_check) reports; [] when the file is sound. A file
        that is not a database at all reports that, it does not raise."""
        ...

    def known_revisions(self) -> Sequence[str]:
        """Every schema revision this version can open, oldest first (the last is head)."""
        ...

    def ensure_not_in_use(self, database: Path) -> None:
        """StorageError(database, "locked") when any connection (this process or another) has
        the database open."""
        ...


# --- values -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupFile:
    path: str  # relative, with "/" separators
    size: int
    sha256: str


@dataclass(frozen=True)
class BackupManifest:
    format_version: int
    app_version: str
    created_at: dt.datetime | None
    db_revision: str | None
    school_name: str | None
    inn: str | None
    files: tuple[BackupFile, ...]

    @property
    def total_size(self) -> int:
        return sum(f.size for f in self.files)

    def to_json(self) -> bytes:
        school = {"name": self.school_name, "inn": self.inn} if self.school_name else None
        document = {
            "format": FORMAT,
            "format_version": self.format_version,
            "app_version": self.app_version,
            "created_at": self.created_at.isoformat(timespec="seconds")
            if self.created_at
            else None,
            "db_revision": self.db_revision,
            "school": school,
            "included": [DATABASE_NAME, *FOLDERS],
            "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in self.files],
        }
        return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


@dataclass(frozen=True)
class BackupInfo:
    """A backup written and verified."""

    path: Path
    size: int  # bytes of the ZIP file
    manifest: BackupManifest


@dataclass(frozen=True)
class BackupRecord:
    """The last backup saved to a folder or a stick, for «Последняя копия: …»."""

    path: Path
    created_at: dt.datetime
    size: int


@dataclass(frozen=True)
class RestoreResult:
    source: Path
    manifest: BackupManifest
    safety_backup: Path | None  # the data as it was before the restore; None if there was none
    needs_upgrade: bool  # an older schema: opening the data migrates it (backing it up first)


@dataclass(frozen=True)
class _Source:
    name: str  # path inside the ZIP
    path: Path
    size: int


class _Meter:
    """Progress in bytes across phases, and the cancel flag."""

    def __init__(self, progress: Progress | None, cancelled: Cancelled | None) -> None:
        self._progress = progress
        self._cancelled = cancelled
        self.done = 0
        self.total = 0

    def grow(self, amount: int) -> None:
        self.total += amount

    def add(self, amount: int) -> None:
        self.done += amount
        if self._progress is not None:
            total = max(self.total, self.done, 1)
            self._progress(self.done, total)

    def check(self) -> None:
        if self._cancelled is not None and self._cancelled():
            raise CancelledError()

    def finish(self) -> None:
        if self._progress is not None:
            total = max(self.total, self.done, 1)
            self._progress(total, total)


# --- the facade the GUI and the command line use ------------------------------------------------


class Backups:
    """Backups of one data folder; main.py makes it with storage's BackupDatabase."""

    def __init__(self, layout: DataLayout, database: BackupDatabase) -> None:
        self.layout = layout
        self.database = database

    def save(
        self,
        destination: Path,
        *,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> BackupInfo:
        return save_backup(
            self.layout, destination, self.database, progress=progress, cancelled=cancelled
        )

    def restore(
        self,
        zip_path: Path,
        *,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> RestoreResult:
        return restore_backup(
            zip_path, self.layout, self.database, progress=progress, cancelled=cancelled
        )

    def inspect(self, zip_path: Path) -> BackupManifest:
        """What the copy is (date, school), refusing early one this version cannot restore."""
        manifest = read_backup(zip_path)
        if manifest.db_revision not in self.database.known_revisions():
            raise StorageError(zip_path, "backup_too_new", manifest.app_version)
        return manifest

    def last(self) -> BackupRecord | None:
        return last_backup(self.layout)

    def current_school(self) -> DatabaseFacts:
        if not self.layout.database.is_file():
            return DatabaseFacts(None, None, None)
        return self.database.facts(self.layout.database)


# --- saving -------------------------------------------------------------------------------------


def backup_file_name(inn: str | None, when: dt.datetime) -> str:
    digits = "".join(ch for ch in inn or "" if ch.isdigit())
    return f"tochka-backup-{digits or 'школа'}-{when.strftime('%Y-%m-%d-%H%M')}.zip"


def save_backup(
    layout: DataLayout,
    destination: Path,
    database: BackupDatabase,
    *,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    now: dt.datetime | None = None,
) -> BackupInfo:
    """Save a full backup into the folder destination (a USB stick or any folder), verified by
    reading it back. Progress is in bytes (writing, then reading back). StorageError:
    backup_folder_missing, disk_full, backup_too_big_for_drive, read_only, backup_device_gone,
    backup_readback_mismatch, backup_inside_data, io_error. CancelledError on cancel. Whatever
    the failure, the destination holds no partial file and the data folder is untouched."""
    destination = Path(destination)
    if not destination.is_dir():
        raise StorageError(destination, "backup_folder_missing")
    if not layout.database.is_file():
        raise StorageError(layout.database, "cannot_open")
    if _is_inside_included(destination, layout):
        raise StorageError(destination, "backup_inside_data")
    when = (now or dt.datetime.now()).astimezone()
    meter = _Meter(progress, cancelled)
    info = _write_backup(
        layout,
        database,
        destination,
        lambda facts: backup_file_name(facts.inn, when),
        meter,
        when,
        keep_damaged_database=False,
    )
    meter.finish()
    _remember_last(layout, info)
    return info


def last_backup(layout: DataLayout) -> BackupRecord | None:
    try:
        document = json.loads((layout.backups / LAST_BACKUP_FILE).read_text(encoding="utf-8"))
        return BackupRecord(
            Path(document["path"]),
            dt.datetime.fromisoformat(document["created_at"]),
            int(document["size"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _remember_last(layout: DataLayout, info: BackupInfo) -> None:
    created = info.manifest.created_at or dt.datetime.now().astimezone()
    document = {"path": str(info.path), "created_at": created.isoformat(), "size": info.size}
    try:
        _write_json_atomically(layout.backups / LAST_BACKUP_FILE, document)
    except OSError:
        pass  # the backup itself is made and verified; only the reminder is lost


def _write_backup(
    layout: DataLayout,
    database: BackupDatabase,
    folder: Path,
    name_for: Callable[[DatabaseFacts], str],
    meter: _Meter,
    when: dt.datetime,
    *,
    keep_damaged_database: bool,
    reserved: int = 0,
) -> BackupInfo:
    """Write the backup; reserved: bytes of progress the caller has already counted for it."""
    snapshot: Path | None = None
    try:
        sources: list[_Source] = []
        facts = DatabaseFacts(None, None, None)
        if layout.database.is_file():
            snapshot = _snapshot_path(layout)
            try:
                database.snapshot(layout.database, snapshot)
                facts = database.facts(snapshot)
                sources.append(_Source(DATABASE_NAME, snapshot, snapshot.stat().st_size))
            except StorageError as exc:
                if not (keep_damaged_database and exc.problem == "not_sqlite"):
                    raise
                # the data about to be replaced is damaged: keep its bytes as they are
                sources.append(_Source(DATABASE_NAME, layout.database, _size(layout.database)))
        sources += _collect(layout)
        payload = sum(s.size for s in sources)
        meter.grow(max(0, 2 * payload - reserved))  # written, then read back
        _ensure_room(folder, payload + ZIP_OVERHEAD_PER_FILE * (len(sources) + 1) + (64 << 10))

        def manifest_for(files: tuple[BackupFile, ...]) -> BackupManifest:
            return BackupManifest(
                FORMAT_VERSION,
                APP_VERSION,
                when,
                facts.revision,
                facts.school_name,
                facts.inn,
                files,
            )

        path, manifest = _write_verified_zip(folder, name_for(facts), sources, manifest_for, meter)
        return BackupInfo(path, _size(path), manifest)
    finally:
        if snapshot is not None:
            _unlink_quietly(snapshot)
            _unlink_quietly(snapshot.with_name(snapshot.name + "-journal"))


def _snapshot_path(layout: DataLayout) -> Path:
    try:
        layout.backups.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _local_error(layout.backups, exc) from exc
    return layout.backups / f"{SNAPSHOT_PREFIX}{uuid.uuid4().hex[:12]}.sqlite3"


def _collect(layout: DataLayout) -> list[_Source]:
    """The files of evidence/, keys/ and outbox/, sorted; hidden and temporary ones skipped,
    links never followed."""
    found: list[_Source] = []
    for top in FOLDERS:
        base = layout.root / top
        if not base.is_dir() or base.is_symlink():
            continue
        for dirpath, dirnames, filenames in os.walk(base, onerror=_raise_walk_error):
            here = Path(dirpath)
            dirnames[:] = sorted(
                d
                for d in dirnames
                if not d.startswith(".")
                and not (here / d).is_symlink()
                and not (top == "evidence" and here == base and d == "tmp")
            )
            for name in sorted(filenames):
                path = here / name
                if name.startswith(".") or name.endswith((".partial", ".part", ".tmp")):
                    continue
                try:
                    info = path.lstat()
                except OSError as exc:
                    raise _local_error(path, exc) from exc
                if not stat.S_ISREG(info.st_mode):
                    continue
                relative = path.relative_to(layout.root).as_posix()
                if _unsafe_reason(relative) is not None:
                    raise StorageError(path, "io_error", "имя файла не годится для копии")
                found.append(_Source(relative, path, info.st_size))
    return found


def _raise_walk_error(exc: OSError) -> None:
    raise _local_error(Path(exc.filename or "."), exc) from exc


def _write_verified_zip(
    folder: Path,
    name: str,
    sources: Sequence[_Source],
    manifest_for: Callable[[tuple[BackupFile, ...]], BackupManifest],
    meter: _Meter,
) -> tuple[Path, BackupManifest]:
    temp = folder / f".{name}.{uuid.uuid4().hex[:8]}.partial"
    try:
        manifest = _write_zip(temp, sources, manifest_for, meter)
        _verify_written(temp, manifest, meter)
        final = _free_name(folder, name)
        try:
            os.replace(temp, final)
        except OSError as exc:
            raise _destination_error(folder, exc) from exc
        fsync_dir(folder)
        return final, manifest
    except BaseException:
        _unlink_quietly(temp)
        raise


def _write_zip(
    temp: Path,
    sources: Sequence[_Source],
    manifest_for: Callable[[tuple[BackupFile, ...]], BackupManifest],
    meter: _Meter,
) -> BackupManifest:
    folder = temp.parent
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        # 0600: the backup holds the school's secret key
        fd = os.open(temp, flags, 0o600)
    except OSError as exc:
        raise _destination_error(folder, exc) from exc
    files: list[BackupFile] = []
    try:
        with os.fdopen(fd, "wb") as raw:
            with zipfile.ZipFile(raw, "w", allowZip64=True) as archive:
                for source in sources:
                    meter.check()
                    files.append(_add_file(archive, source, meter))
                manifest = manifest_for(tuple(files))
                info = zipfile.ZipInfo(MANIFEST_NAME, _zip_time(dt.datetime.now()))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = (stat.S_IFREG | 0o644) << 16
                archive.writestr(info, manifest.to_json())
            raw.flush()
            os.fsync(raw.fileno())
    except OSError as exc:
        raise _destination_error(folder, exc) from exc
    return manifest


def _add_file(archive: zipfile.ZipFile, source: _Source, meter: _Meter) -> BackupFile:
    try:
        mtime = dt.datetime.fromtimestamp(source.path.stat().st_mtime)
    except (OSError, ValueError, OverflowError):
        mtime = dt.datetime.now()
    info = zipfile.ZipInfo(source.name, _zip_time(mtime))
    stored = Path(source.name).suffix.lower() in STORED_SUFFIXES
    info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    info.external_attr = (stat.S_IFREG | (0o600 if _is_secret(source.name) else 0o644)) << 16
    info.file_size = source.size  # lets zipfile decide on ZIP64 before the first byte
    digest = hashlib.sha256()
    size = 0
    with archive.open(info, "w") as out:
        for chunk in _read_chunks(source.path):
            meter.check()
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
            meter.add(len(chunk))
    return BackupFile(source.name, size, digest.hexdigest())


def _read_chunks(path: Path) -> Iterator[bytes]:
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(CHUNK):
                yield chunk
    except OSError as exc:
        raise _local_error(path, exc) from exc


def _verify_written(temp: Path, manifest: BackupManifest, meter: _Meter) -> None:
    """Read the written file back (from the device, not the cache, where the system allows)."""
    folder = temp.parent
    _drop_from_cache(temp)
    try:
        with zipfile.ZipFile(temp) as archive:
            _check_contents(archive, manifest, temp)
            for file in manifest.files:
                meter.check()
                _read_entry(archive, file, None, meter, temp)
    except StorageError as exc:
        if exc.problem == "backup_device_gone":
            raise StorageError(folder, "backup_device_gone", exc.detail) from exc
        if exc.problem.startswith("backup_"):  # what was written is not what reads back
            raise StorageError(folder, "backup_readback_mismatch", exc.detail) from exc
        raise
    except zipfile.BadZipFile as exc:
        raise StorageError(folder, "backup_readback_mismatch", str(exc)) from exc
    except OSError as exc:
        raise _destination_error(folder, exc) from exc


def _drop_from_cache(path: Path) -> None:
    advise = getattr(os, "posix_fadvise", None)
    if advise is None:
        return
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        advise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    except OSError:
        pass
    finally:
        os.close(fd)


def _free_name(folder: Path, name: str) -> Path:
    candidate = folder / name
    stem, suffix = os.path.splitext(name)
    number = 2
    while os.path.lexists(candidate):
        candidate = folder / f"{stem}-{number}{suffix}"
        number += 1
    return candidate


def _ensure_room(folder: Path, needed: int) -> None:
    probe = folder
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    try:
        free = shutil.disk_usage(probe).free
    except OSError:
        return  # cannot tell: the writes themselves will say
    if free < needed:
        from core.wording import format_size

        raise StorageError(
            folder,
            "disk_full",
            f"нужно около {format_size(needed)}, свободно {format_size(free)}",
        )


# --- reading and checking a backup --------------------------------------------------------------


def read_backup(zip_path: Path) -> BackupManifest:
    """The manifest of a backup, after checking that the ZIP holds exactly the files it lists
    under safe names (hashes are checked while restoring). Used to show «копия от …» before the
    user confirms. StorageError: backup_unreadable, backup_not_ours, backup_too_new,
    backup_unsafe, backup_extra_file, backup_file_missing, backup_file_changed."""
    with _open_archive(zip_path) as archive:
        manifest = _load_manifest(archive, zip_path)
        _check_contents(archive, manifest, zip_path)
        return manifest


def _open_archive(zip_path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(zip_path)
    except FileNotFoundError as exc:
        raise StorageError(zip_path, "backup_unreadable", "файл не найден") from exc
    except IsADirectoryError as exc:
        raise StorageError(zip_path, "backup_unreadable", "это папка") from exc
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise StorageError(zip_path, "backup_unreadable", "не ZIP-архив или он повреждён") from exc
    except OSError as exc:
        raise StorageError(zip_path, "backup_unreadable", exc.strerror or str(exc)) from exc


def _load_manifest(archive: zipfile.ZipFile, zip_path: Path) -> BackupManifest:
    infos = archive.infolist()
    names = [i.filename for i in infos]
    if len(names) != len(set(names)):
        duplicate = next(n for n in names if names.count(n) > 1)
        raise StorageError(zip_path, "backup_unsafe", duplicate)
    if MANIFEST_NAME not in names:
        raise StorageError(zip_path, "backup_not_ours")
    info = archive.getinfo(MANIFEST_NAME)
    if info.file_size > MAX_MANIFEST_BYTES:
        raise StorageError(zip_path, "backup_unsafe", MANIFEST_NAME)
    if info.flag_bits & 0x1:
        raise StorageError(zip_path, "backup_unsafe", MANIFEST_NAME)
    try:
        data = archive.read(MANIFEST_NAME)
    except _ZIP_DATA_ERRORS as exc:
        raise StorageError(zip_path, "backup_file_changed", MANIFEST_NAME) from exc
    except OSError as exc:
        raise StorageError(zip_path, "backup_unreadable", exc.strerror or str(exc)) from exc
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise StorageError(zip_path, "backup_not_ours") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise StorageError(zip_path, "backup_not_ours")
    try:
        return _manifest_from(document)
    except _NewerFormat as exc:
        raise StorageError(zip_path, "backup_too_new", str(exc)) from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise StorageError(zip_path, "backup_file_changed", MANIFEST_NAME) from exc


class _NewerFormat(Exception):
    pass


def _manifest_from(document: dict[str, Any]) -> BackupManifest:
    version = document["format_version"]
    app_version = document.get("app_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValueError("format_version")
    if version > FORMAT_VERSION:
        raise _NewerFormat(str(app_version or f"формат {version}"))
    if not isinstance(app_version, str):
        raise TypeError("app_version")
    created_text = document.get("created_at")
    created = dt.datetime.fromisoformat(created_text) if isinstance(created_text, str) else None
    revision = document.get("db_revision")
    if revision is not None and not isinstance(revision, str):
        raise TypeError("db_revision")
    school = document.get("school")
    name = inn = None
    if school is not None:
        name, inn = school["name"], school.get("inn")
        if not isinstance(name, str) or (inn is not None and not isinstance(inn, str)):
            raise TypeError("school")
    files = []
    for item in document["files"]:
        path, size, sha = item["path"], item["size"], item["sha256"]
        if not isinstance(path, str) or not isinstance(sha, str):
            raise TypeError("files")
        if not isinstance(size, int) or isinstance(size, bool):
            raise TypeError("files")
        files.append(BackupFile(path, size, sha))
    return BackupManifest(version, app_version, created, revision, name, inn, tuple(files))


def _check_contents(archive: zipfile.ZipFile, manifest: BackupManifest, zip_path: Path) -> None:
    """Exactly the listed files, under safe names, of the declared sizes: checked before a single
    byte is extracted."""
    if len(manifest.files) > MAX_FILES:
        raise StorageError(zip_path, "backup_unsafe", f"{len(manifest.files)} файлов")
    listed: dict[str, BackupFile] = {}
    folded: set[str] = set()
    for file in manifest.files:
        if (
            _unsafe_reason(file.path) is not None
            or not 0 <= file.size <= MAX_FILE_BYTES
            or file.path.casefold() in folded  # one file on Windows and on a FAT stick
        ):
            raise StorageError(zip_path, "backup_unsafe", file.path)
        if not _SHA256.fullmatch(file.sha256):
            raise StorageError(zip_path, "backup_file_changed", MANIFEST_NAME)
        folded.add(file.path.casefold())
        listed[file.path] = file
    in_zip: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        name = info.filename
        if name == MANIFEST_NAME:
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            raise StorageError(zip_path, "backup_unsafe", name)
        if info.is_dir():
            # a folder entry some archivers add: nothing to extract, but its name must be sound
            bare = name.rstrip("/")
            if bare not in FOLDERS and _unsafe_reason(bare) is not None:
                raise StorageError(zip_path, "backup_unsafe", name)
            continue
        if (
            _unsafe_reason(name) is not None
            or info.flag_bits & 0x1  # encrypted
            or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
        ):
            raise StorageError(zip_path, "backup_unsafe", name)
        in_zip[name] = info
    for name in in_zip:
        if name not in listed:
            raise StorageError(zip_path, "backup_extra_file", name)
    for path, file in listed.items():
        if path not in in_zip:
            raise StorageError(zip_path, "backup_file_missing", path)
        if in_zip[path].file_size != file.size:
            raise StorageError(zip_path, "backup_file_changed", path)
    if DATABASE_NAME not in listed:
        raise StorageError(zip_path, "backup_file_missing", DATABASE_NAME)


def _unsafe_reason(name: str) -> str | None:
    if not name or len(name) > 1024:
        return "length"
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "absolute"
    parts = name.split("/")
    for part in parts:
        if part in ("", ".", ".."):
            return "dots"
        if _WINDOWS_FORBIDDEN.search(part) or part.endswith((" ", ".")):
            return "characters"
        if part.split(".")[0].lower() in _WINDOWS_RESERVED:
            return "reserved"
    if name == DATABASE_NAME:
        return None
    if parts[0] not in FOLDERS or len(parts) < 2:
        return "outside"
    return None


_ZIP_DATA_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    NotImplementedError,
    RuntimeError,
    ValueError,
)


def _read_entry(
    archive: zipfile.ZipFile,
    file: BackupFile,
    write: Callable[[bytes], None] | None,
    meter: _Meter,
    zip_path: Path,
) -> None:
    """Stream one entry, checking size and SHA-256; write gets each chunk (its own errors are
    its own StorageErrors)."""
    digest = hashlib.sha256()
    size = 0
    try:
        with archive.open(file.path) as stream:
            while chunk := stream.read(CHUNK):
                meter.check()
                size += len(chunk)
                if size > file.size:
                    raise StorageError(zip_path, "backup_file_changed", file.path)
                digest.update(chunk)
                if write is not None:
                    write(chunk)
                meter.add(len(chunk))
    except _ZIP_DATA_ERRORS as exc:
        raise StorageError(zip_path, "backup_file_changed", file.path) from exc
    except OSError as exc:
        if _is_gone(exc):
            raise StorageError(zip_path, "backup_device_gone", exc.strerror or "") from exc
        raise StorageError(zip_path, "backup_unreadable", exc.strerror or str(exc)) from exc
    if size != file.size or digest.hexdigest() != file.sha256:
        raise StorageError(zip_path, "backup_file_changed", file.path)


# --- restoring ----------------------------------------------------------------------------------


def restore_backup(
    zip_path: Path,
    layout: DataLayout,
    database: BackupDatabase,
    *,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> RestoreResult:
    """Replace the data folder's database, evidence/, keys/ and outbox/ with those of the backup.

    The database must be closed (every engine disposed): an open one is refused ("locked").
    Everything is checked before anything changes; then the current data is saved as
    backups/tochka-backup-before-restore-….zip; then the parts are swapped by renames and the
    restored database is checked to open; any failure puts the old data back. Reopen the data
    afterwards (open_database migrates an older schema, backing it up first).
    StorageError: locked, backup_unreadable, backup_not_ours, backup_too_new, backup_unsafe,
    backup_extra_file, backup_file_missing, backup_file_changed (detail: the file),
    backup_db_damaged, disk_full, read_only, io_error, restore_rollback_failed.
    CancelledError until the swap begins."""
    zip_path = Path(zip_path)
    root = layout.root
    recover_interrupted_restore(layout)
    database.ensure_not_in_use(layout.database)
    meter = _Meter(progress, cancelled)
    job = root / f"{JOB_PREFIX}{dt.datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
    staging = job / "new"
    with _open_archive(zip_path) as archive:
        manifest = _load_manifest(archive, zip_path)
        _check_contents(archive, manifest, zip_path)
        known = list(database.known_revisions())
        if manifest.db_revision not in known:
            raise StorageError(zip_path, "backup_too_new", manifest.app_version)
        current, current_database = _current_size(layout)
        # the extracted copy, the safety backup, and the database snapshot it is made from
        _ensure_room(root, manifest.total_size + current + current_database + (1 << 20))
        meter.grow(manifest.total_size + 2 * current + len(SWAPPED_NAMES) * 2)
        try:
            _make_private_dir(staging)
            _extract(archive, manifest, staging, zip_path, meter, database, known)
            safety = _save_current(layout, database, meter, reserved=2 * current)
        except BaseException:
            _remove_tree(job)
            raise
    _swap(layout, job, database, meter)
    _prune_safety_backups(layout.backups)
    meter.finish()
    return RestoreResult(zip_path, manifest, safety, manifest.db_revision != known[-1])


def _current_size(layout: DataLayout) -> tuple[int, int]:
    """Bytes the safety backup will hold, and of those the database's (with its WAL)."""
    files = sum(s.size for s in _collect(layout))
    database = 0
    for name in (DATABASE_NAME, f"{DATABASE_NAME}-wal"):
        path = layout.root / name
        if path.is_file():
            database += _size(path)
    return files + database, database


def _extract(
    archive: zipfile.ZipFile,
    manifest: BackupManifest,
    staging: Path,
    zip_path: Path,
    meter: _Meter,
    database: BackupDatabase,
    known: Sequence[str],
) -> None:
    # the database first: a backup this version cannot open is refused before the photos
    ordered = sorted(manifest.files, key=lambda f: f.path != DATABASE_NAME)
    folders: set[Path] = set()
    for file in ordered:
        meter.check()
        target = staging.joinpath(*file.path.split("/"))
        _extract_one(archive, file, target, zip_path, meter, staging)
        folders.add(target.parent)
        if file.path == DATABASE_NAME:
            problems = database.integrity_errors(target)
            if problems:
                raise StorageError(zip_path, "backup_db_damaged", problems[0])
            revision = database.facts(target).revision
            if revision not in known:
                raise StorageError(zip_path, "backup_too_new", manifest.app_version)
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        fsync_dir(folder)


def _extract_one(
    archive: zipfile.ZipFile,
    file: BackupFile,
    target: Path,
    zip_path: Path,
    meter: _Meter,
    staging: Path,
) -> None:
    secret = _is_secret(file.path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if file.path.startswith("keys/"):
            os.chmod(target.parent, 0o700)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        fd = os.open(target, flags, 0o600 if secret else 0o644)
    except OSError as exc:
        raise _local_error(staging.parent.parent, exc) from exc
    try:
        with os.fdopen(fd, "wb") as out:

            def write(chunk: bytes) -> None:
                try:
                    out.write(chunk)
                except OSError as exc:
                    raise _local_error(staging.parent.parent, exc) from exc

            _read_entry(archive, file, write, meter, zip_path)
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        raise _local_error(staging.parent.parent, exc) from exc
    if file.path.startswith("evidence/"):
        try:
            target.chmod(0o444)  # as EvidenceFolder keeps them: content-addressed, never changed
        except OSError:
            pass


def _save_current(
    layout: DataLayout, database: BackupDatabase, meter: _Meter, *, reserved: int
) -> Path | None:
    """The data about to be replaced, as a full backup in backups/."""
    if not layout.database.is_file() and not any(
        _has_entries(layout.root / top) for top in FOLDERS
    ):
        return None
    try:
        layout.backups.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _local_error(layout.backups, exc) from exc
    when = dt.datetime.now().astimezone()
    info = _write_backup(
        layout,
        database,
        layout.backups,
        lambda _facts: f"{SAFETY_PREFIX}{when:%Y-%m-%d-%H%M%S}.zip",
        meter,
        when,
        keep_damaged_database=True,
        reserved=reserved,
    )
    return info.path


def _has_entries(folder: Path) -> bool:
    try:
        with os.scandir(folder) as entries:
            return any(True for _ in entries)
    except OSError:
        return False


def _swap(layout: DataLayout, job: Path, database: BackupDatabase, meter: _Meter) -> None:
    root = layout.root
    staging, aside = job / "new", job / "old"
    plan = {
        "old": [n for n in SWAPPED_NAMES if os.path.lexists(root / n)],
        "new": [n for n in SWAPPED_NAMES if os.path.lexists(staging / n)],
    }
    try:
        _write_json_atomically(job / "plan.json", plan)
        # the last moment anyone could have opened it; closing here also folds a WAL back in
        database.ensure_not_in_use(layout.database)
        aside.mkdir()
    except BaseException as exc:
        _discard_job(job)
        if isinstance(exc, OSError):
            raise _local_error(root, exc) from exc
        raise
    try:
        for name in plan["old"]:
            _rename(root / name, aside / name)
            meter.add(1)
        for name in plan["new"]:
            _rename(staging / name, root / name)
            meter.add(1)
        fsync_dir(root)
        problems = database.integrity_errors(layout.database, quick=True)
        if problems:
            raise StorageError(layout.database, "backup_db_damaged", problems[0])
        _write_json_atomically(job / "committed", {"at": dt.datetime.now().isoformat()})
    except BaseException as exc:
        try:
            _roll_back(root, job, plan)
        except OSError as failed:
            raise StorageError(root, "restore_rollback_failed", str(aside)) from failed
        if isinstance(exc, OSError):
            raise _local_error(root, exc) from exc
        raise
    _discard_job(job)  # the old data; what cannot be removed now is swept at the next start


def _roll_back(root: Path, job: Path, plan: dict[str, list[str]]) -> None:
    staging, aside = job / "new", job / "old"
    for name in plan.get("new", []):
        if not os.path.lexists(staging / name) and os.path.lexists(root / name):
            _rename(root / name, staging / name)
    for name in plan.get("old", []):
        if os.path.lexists(aside / name) and not os.path.lexists(root / name):
            _rename(aside / name, root / name)
    fsync_dir(root)
    _discard_job(job)


def _discard_job(job: Path) -> None:
    """Remove a restore's folder. The plan goes first: while it exists, recovery trusts new/
    and old/ to be whole, so nothing in them may be deleted before it."""
    try:
        (job / "plan.json").unlink(missing_ok=True)
    except OSError:
        return  # left whole: recovery at the next start decides from the plan
    fsync_dir(job)
    _remove_tree(job)


def recover_interrupted_restore(layout: DataLayout) -> bool:
    """Finish what a restore killed half-way left (power cut, crash): a restore not committed
    is rolled back — the old data returns — and one committed has its leftovers removed. Call
    before opening the database (main.open_center). True when something was found."""
    root = layout.root
    if not root.is_dir():
        return False
    found = False
    for job in sorted(root.glob(f"{JOB_PREFIX}*")):
        if not job.is_dir() or job.is_symlink():
            continue
        found = True
        if (job / "committed").exists():
            _discard_job(job)
            continue
        try:
            plan = json.loads((job / "plan.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            _remove_tree(job)  # stopped before the swap: the data was never touched
            continue
        except (OSError, ValueError) as exc:
            raise StorageError(job, "restore_rollback_failed", str(job / "old")) from exc
        try:
            _roll_back(root, job, plan)
        except OSError as exc:
            raise StorageError(root, "restore_rollback_failed", str(job / "old")) from exc
    return found


def _prune_safety_backups(folder: Path) -> None:
    made = sorted(folder.glob(f"{SAFETY_PREFIX}*.zip"))
    for old in made[:-SAFETY_KEPT]:
        _unlink_quietly(old)


# --- small helpers ------------------------------------------------------------------------------


def _is_secret(name: str) -> bool:
    return name.startswith("keys/") and name.endswith(".key")


def _is_inside_included(folder: Path, layout: DataLayout) -> bool:
    try:
        resolved = folder.resolve()
        tops = [(layout.root / top).resolve() for top in FOLDERS]
    except OSError:
        return False
    return any(resolved == top or top in resolved.parents for top in tops)


def _zip_time(when: dt.datetime) -> tuple[int, int, int, int, int, int]:
    if when.year < 1980:
        when = dt.datetime(1980, 1, 1)
    return (when.year, when.month, when.day, when.hour, when.minute, when.second)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError as exc:
        raise _local_error(path, exc) from exc


def _is_gone(exc: OSError) -> bool:
    return exc.errno in _GONE or getattr(exc, "winerror", None) in _GONE_WINERRORS


def _destination_error(folder: Path, exc: OSError) -> StorageError:
    """A failure writing to the chosen folder or stick."""
    if exc.errno in DISK_FULL:
        return StorageError(folder, "disk_full")
    if exc.errno == errno.EFBIG:
        return StorageError(folder, "backup_too_big_for_drive")
    if _is_gone(exc):
        return StorageError(folder, "backup_device_gone", exc.strerror or "")
    if exc.errno in READ_ONLY:
        return StorageError(folder, "read_only", exc.strerror or "")
    return StorageError(folder, "io_error", exc.strerror or str(exc))


def _rename(source: Path, target: Path) -> None:
    """os.rename; on Windows a few tries, as an antivirus or the indexer holds a file briefly."""
    for attempt in range(RENAME_TRIES):
        try:
            os.rename(source, target)
            return
        except PermissionError:
            if os.name != "nt" or attempt == RENAME_TRIES - 1:
                raise
            time.sleep(0.2 * (attempt + 1))


def _local_error(path: Path, exc: OSError) -> StorageError:
    """A failure in the data folder itself."""
    if exc.errno in DISK_FULL:
        return StorageError(path, "disk_full")
    if getattr(exc, "winerror", None) in _SHARING_WINERRORS:
        return StorageError(path, "locked")
    if exc.errno in READ_ONLY:
        return StorageError(path, "read_only", exc.strerror or "")
    return StorageError(path, "io_error", exc.strerror or str(exc))


def _make_private_dir(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, mode=0o700)
    except OSError as exc:
        raise _local_error(folder.parent, exc) from exc


def _write_json_atomically(path: Path, document: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with temp.open("xb") as stream:
            stream.write(json.dumps(document, ensure_ascii=False).encode("utf-8"))
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        _unlink_quietly(temp)
        raise
    fsync_dir(path.parent)


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass  # the drive is gone: nothing left to clean


def _remove_tree(folder: Path) -> None:
    """Remove a folder of ours, read-only evidence included (Windows refuses those)."""

    def make_writable_and_retry(function: Any, path: str, _info: Any) -> None:
        try:
            os.chmod(path, stat.S_IWRITE | stat.S_IREAD | stat.S_IEXEC)
            function(path)
        except OSError:
            pass  # best effort: a leftover is swept by recover_interrupted_restore

    if os.path.lexists(folder):
        shutil.rmtree(folder, onerror=make_writable_and_retry)
