"""Full backups and restoring them: a round trip of the demo center, every kind of damaged or
forged archive refused with the data untouched, full and removed drives (real tmpfs), cancel,
a failure and a crash in the middle of the swap, and the automatic copy of the database on exit."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import sqlite3
import stat
import struct
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core.backup import (
    FORMAT_VERSION,
    MANIFEST_NAME,
    SAFETY_KEPT,
    Backups,
    last_backup,
    read_backup,
    recover_interrupted_restore,
)
from core.errors import CancelledError, StorageError
from core.paths import DataLayout
from storage.backup_store import EXIT_KEPT, SqliteBackupDatabase, backup_on_exit
from tests.conftest import fill_up

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_TOPS = ("backups", "cache", "logs")


# --- fixtures and helpers ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo center with 3 photos, its signing key and one report package, made once; plus
    what a backup must leave out: thumbnails, automatic copies, logs, temporary files."""
    from core.demo import fill_demo
    from core.outbox import Outbox
    from main import open_center

    folder = tmp_path_factory.mktemp("demo") / "data"
    center = open_center(folder)
    checklist = center.checklist
    fill_demo(checklist, checklist.today(), photos=3, registers=center.registers)
    assert center.outbox_store is not None
    Outbox(center, center.outbox_store, DataLayout(folder)).make("2027-Q2")
    checklist.store.close()  # type: ignore[attr-defined]
    (folder / "cache" / "thumbnails").mkdir(parents=True, exist_ok=True)
    (folder / "cache" / "thumbnails" / "ab.jpg").write_bytes(b"thumbnail")
    (folder / "logs").mkdir()
    (folder / "logs" / "tochka.log").write_text("log\n")
    (folder / "evidence" / "tmp").mkdir(exist_ok=True)
    (folder / "evidence" / "tmp" / "half.part").write_bytes(b"half a photo")
    return folder


@pytest.fixture
def data(demo_folder: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(demo_folder, folder)
    return folder


@pytest.fixture
def stick(tmp_path: Path) -> Path:
    folder = tmp_path / "флешка"
    folder.mkdir()
    return folder


def backups_of(data: Path) -> Backups:
    return Backups(DataLayout(data), SqliteBackupDatabase())


@pytest.fixture
def saved(data: Path, stick: Path) -> Path:
    """A backup of the demo data on the stick."""
    return backups_of(data).save(stick).path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def data_files(data: Path) -> dict[str, str]:
    """Every file a restore may touch, with its hash."""
    found = {}
    for path in sorted(data.rglob("*")):
        relative = path.relative_to(data).as_posix()
        if relative.split("/")[0] in SKIPPED_TOPS or not path.is_file():
            continue
        if relative.endswith(("-wal", "-shm")):
            continue
        found[relative] = sha256(path)
    return found


def db_rows(database: Path) -> dict[str, list[tuple]]:
    con = sqlite3.connect(database)
    try:
        tables = [
            row[0]
            for row in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY 1")
        ]
        return {t: sorted(con.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}
    finally:
        con.close()


def change_the_data(data: Path) -> None:
    """A day of work after the backup: an item done, a profile field changed."""
    from core.model import ItemStatus
    from main import open_center

    center = open_center(data)
    try:
        checklist = center.checklist
        code = next(
            code for code, s in checklist.states().items() if s.status is not ItemStatus.DONE
        )
        checklist.update_item(code, status=ItemStatus.DONE, completed_on=checklist.today())
    finally:
        center.checklist.store.close()  # type: ignore[attr-defined]


def no_leftovers(data: Path) -> None:
    assert list(data.glob(".restore-*")) == []
    backups = data / "backups"
    if backups.exists():
        assert [p.name for p in backups.iterdir() if p.name.startswith(".")] == []


def entry_data_range(zip_path: Path, name: str) -> tuple[int, int]:
    """Where an entry's (compressed) bytes lie in the ZIP file."""
    with zipfile.ZipFile(zip_path) as archive:
        info = archive.getinfo(name)
    with zip_path.open("rb") as stream:
        stream.seek(info.header_offset)
        header = stream.read(30)
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    start = info.header_offset + 30 + name_length + extra_length
    return start, info.compress_size


def flip_byte(path: Path, offset: int) -> None:
    with path.open("r+b") as stream:
        stream.seek(offset)
        value = stream.read(1)[0]
        stream.seek(offset)
        stream.write(bytes([value ^ 0x5A]))


def rebuild(
    source: Path,
    target: Path,
    *,
    drop: tuple[str, ...] = (),
    add: dict[str, bytes] | None = None,
    replace: dict[str, bytes] | None = None,
    manifest: Callable[[dict], None] | None = None,
    fix_hashes: bool = False,
    link: str | None = None,
) -> Path:
    """A copy of a backup with entries dropped, added or replaced and the manifest edited;
    fix_hashes lists the replaced contents honestly, as a forger would."""
    add, replace = add or {}, replace or {}
    with zipfile.ZipFile(source) as archive:
        entries = {i.filename: (i, archive.read(i)) for i in archive.infolist()}
    document = json.loads(entries[MANIFEST_NAME][1])
    if fix_hashes:
        for item in document["files"]:
            if item["path"] in replace:
                item["size"] = len(replace[item["path"]])
                item["sha256"] = hashlib.sha256(replace[item["path"]]).hexdigest()
    if manifest is not None:
        manifest(document)
    with zipfile.ZipFile(target, "w") as out:
        for name, (info, content) in entries.items():
            if name in drop:
                continue
            if name == MANIFEST_NAME:
                content = json.dumps(document).encode()
            out.writestr(info, replace.get(name, content))
        for name, content in add.items():
            out.writestr(zipfile.ZipInfo(name), content)
        if link is not None:
            info = zipfile.ZipInfo(link)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            out.writestr(info, "/etc/passwd")
    return target


def refused(data: Path, archive: Path, **kwargs) -> StorageError:
    """Restoring archive fails with a StorageError, and the data is exactly as it was."""
    before = data_files(data)
    with pytest.raises(StorageError) as caught:
        backups_of(data).restore(archive, **kwargs)
    assert data_files(data) == before
    no_leftovers(data)
    return caught.value


# --- saving --------------------------------------------------------------------------------------


def test_backup_holds_the_data_and_a_manifest(data: Path, stick: Path) -> None:
    progress: list[tuple[int, int]] = []
    when = dt.datetime(2027, 3, 12, 14, 5).astimezone()
    from core.backup import save_backup

    info = save_backup(
        DataLayout(data),
        stick,
        SqliteBackupDatabase(),
        progress=lambda *p: progress.append(p),
        now=when,
    )

    assert info.path == stick / "tochka-backup-2714006330-2027-03-12-1405.zip"
    assert sorted(p.name for p in stick.iterdir()) == [info.path.name]  # no temporary file
    with zipfile.ZipFile(info.path) as archive:
        names = set(archive.namelist())
        document = json.loads(archive.read(MANIFEST_NAME))
        types = {i.filename: i.compress_type for i in archive.infolist()}
    expected = {p for p in data_files(data) if not p.startswith(("evidence/tmp/", "outbox/.lock"))}
    assert names == expected | {MANIFEST_NAME}
    assert "keys/school.key" in names and any(n.startswith("outbox/") for n in names)
    assert not any(n.startswith(("cache/", "backups/", "logs/")) for n in names)
    assert document["format"] == "tochka-backup" and document["format_version"] == FORMAT_VERSION
    assert document["created_at"] == when.isoformat(timespec="seconds")
    assert document["school"]["inn"] == "2714006330" and document["school"]["name"]
    assert document["db_revision"] == SqliteBackupDatabase().known_revisions()[-1]
    listed = {f["path"]: f for f in document["files"]}
    for name in names - {MANIFEST_NAME, "tochka.sqlite3"}:
        assert listed[name]["sha256"] == sha256(data / name)
        assert listed[name]["size"] == (data / name).stat().st_size
    assert types["tochka.sqlite3"] == zipfile.ZIP_DEFLATED
    assert all(types[n] == zipfile.ZIP_STORED for n in names if n.endswith((".jpg", ".zip")))
    assert progress[-1][0] == progress[-1][1] > 0
    assert all(b[0] >= a[0] for a, b in zip(progress, progress[1:], strict=False))
    record = last_backup(DataLayout(data))
    assert record is not None and record.path == info.path and record.size == info.size


def test_the_database_in_the_backup_is_a_consistent_standalone_file(
    data: Path, stick: Path, tmp_path: Path
) -> None:
    """Made with the backup API while the engine is open and has just written (WAL): the copy
    holds that write and opens alone, without a WAL beside it."""
    from core.model import ItemStatus
    from main import open_center

    center = open_center(data)
    try:
        checklist = center.checklist
        code = next(c for c, s in checklist.states().items() if s.status is ItemStatus.NOT_STARTED)
        checklist.update_item(code, comment="Записано перед копией")
        assert (data / "tochka.sqlite3-wal").exists()
        info = backups_of(data).save(stick)
    finally:
        center.checklist.store.close()  # type: ignore[attr-defined]
    with zipfile.ZipFile(info.path) as archive:
        (tmp_path / "copy.sqlite3").write_bytes(archive.read("tochka.sqlite3"))
    con = sqlite3.connect(tmp_path / "copy.sqlite3")
    try:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        row = con.execute("SELECT comment FROM item_state WHERE code = ?", (code,)).fetchone()
        assert row == ("Записано перед копией",)
    finally:
        con.close()


def test_two_backups_in_one_minute_get_two_names(data: Path, stick: Path) -> None:
    from core.backup import save_backup

    when = dt.datetime(2027, 3, 12, 14, 5).astimezone()
    first = save_backup(DataLayout(data), stick, SqliteBackupDatabase(), now=when)
    second = save_backup(DataLayout(data), stick, SqliteBackupDatabase(), now=when)
    assert first.path != second.path and first.path.exists() and second.path.exists()
    assert second.path.name == "tochka-backup-2714006330-2027-03-12-1405-2.zip"


def test_missing_destination_and_destination_inside_the_data(data: Path, tmp_path: Path) -> None:
    with pytest.raises(StorageError) as caught:
        backups_of(data).save(tmp_path / "вынутая флешка")
    assert caught.value.problem == "backup_folder_missing"
    with pytest.raises(StorageError) as caught:
        backups_of(data).save(data / "evidence")
    assert caught.value.problem == "backup_inside_data"


def test_full_stick_says_disk_full_and_leaves_nothing(data: Path, tiny_disk: Path) -> None:
    fill_up(tiny_disk)
    before = data_files(data)
    with pytest.raises(StorageError) as caught:
        backups_of(data).save(tiny_disk)
    assert caught.value.problem == "disk_full"
    assert [p.name for p in tiny_disk.iterdir()] == ["filler"]
    assert data_files(data) == before
    assert list((data / "backups").glob(".snapshot-*")) == []


def test_stick_filling_up_while_writing_leaves_nothing(
    data: Path, mount_tmpfs: Callable[[str, str], Path]
) -> None:
    """Room enough at the start; another program takes it while the copy is written."""
    drive = mount_tmpfs("stick", "32m")
    filled: list[Path] = []

    def progress(done: int, total: int) -> None:
        if not filled:
            filled.append(fill_up(drive))

    with pytest.raises(StorageError) as caught:
        backups_of(data).save(drive, progress=progress)
    assert caught.value.problem == "disk_full"
    assert caught.value.path == drive
    assert [p.name for p in drive.iterdir()] == ["filler"]
    assert list((data / "backups").glob(".snapshot-*")) == []


def test_stick_pulled_out_while_writing(
    data: Path, mount_tmpfs: Callable[[str, str], Path]
) -> None:
    drive = mount_tmpfs("stick", "32m")
    pulled: list[bool] = []

    def progress(done: int, total: int) -> None:
        if not pulled:
            subprocess.run(["umount", "-l", str(drive)], check=True)
            pulled.append(True)

    with pytest.raises(StorageError) as caught:
        backups_of(data).save(drive, progress=progress)
    assert caught.value.problem == "backup_device_gone"
    assert list(drive.iterdir()) == []  # the folder where the stick was


def test_cancelled_backup_leaves_nothing(data: Path, stick: Path) -> None:
    calls: list[int] = []

    def progress(done: int, total: int) -> None:
        calls.append(done)

    with pytest.raises(CancelledError):
        backups_of(data).save(stick, progress=progress, cancelled=lambda: len(calls) >= 2)
    assert list(stick.iterdir()) == []
    assert list((data / "backups").glob(".snapshot-*")) == []
    assert last_backup(DataLayout(data)) is None


# --- restoring -----------------------------------------------------------------------------------


def test_round_trip_restores_rows_files_and_keys(data: Path, saved: Path) -> None:
    rows = db_rows(data / "tochka.sqlite3")
    files = data_files(data)
    change_the_data(data)
    assert db_rows(data / "tochka.sqlite3") != rows
    progress: list[tuple[int, int]] = []

    result = backups_of(data).restore(saved, progress=lambda *p: progress.append(p))

    assert db_rows(data / "tochka.sqlite3") == rows
    restored = data_files(data)
    for name, digest in files.items():
        if name == "tochka.sqlite3" or name.startswith(("evidence/tmp/", "outbox/.lock")):
            continue
        assert restored[name] == digest, name
    assert stat.S_IMODE((data / "keys" / "school.key").stat().st_mode) == 0o600
    assert result.manifest.inn == "2714006330" and not result.needs_upgrade
    assert result.safety_backup is not None and result.safety_backup.parent == data / "backups"
    assert result.safety_backup.name.startswith("tochka-backup-before-restore-")
    assert progress[-1][0] == progress[-1][1]
    no_leftovers(data)
    assert (data / "cache" / "thumbnails" / "ab.jpg").exists()  # not ours to touch
    assert (data / "logs" / "tochka.log").exists()
    from main import open_center

    center = open_center(data)  # the restored data opens as usual
    try:
        profile = center.checklist.profile()
        assert profile is not None and profile.inn == "2714006330"
    finally:
        center.checklist.store.close()  # type: ignore[attr-defined]


def test_the_data_before_a_restore_is_saved_and_restores_back(data: Path, saved: Path) -> None:
    change_the_data(data)
    changed_rows = db_rows(data / "tochka.sqlite3")
    result = backups_of(data).restore(saved)
    assert result.safety_backup is not None and result.safety_backup.is_file()
    assert db_rows(data / "tochka.sqlite3") != changed_rows

    backups_of(data).restore(result.safety_backup)

    assert db_rows(data / "tochka.sqlite3") == changed_rows


def test_only_the_last_safety_backups_are_kept(data: Path, saved: Path) -> None:
    for _ in range(SAFETY_KEPT + 2):
        backups_of(data).restore(saved)
    kept = list((data / "backups").glob("tochka-backup-before-restore-*.zip"))
    assert len(kept) == SAFETY_KEPT


def test_a_changed_byte_in_any_file_is_refused_naming_it(
    data: Path, saved: Path, tmp_path: Path
) -> None:
    with zipfile.ZipFile(saved) as archive:
        names = archive.namelist()
    assert len(names) >= 7
    for name in names:
        damaged = tmp_path / "damaged.zip"
        shutil.copyfile(saved, damaged)
        start, length = entry_data_range(damaged, name)
        flip_byte(damaged, start + length // 2)
        error = refused(data, damaged)
        assert error.problem == "backup_file_changed", name
        assert error.detail == name
        assert error.path == damaged


def test_a_changed_file_with_a_valid_zip_checksum_is_refused(
    data: Path, saved: Path, tmp_path: Path
) -> None:
    """A file swapped inside the archive by a tool that rewrites the ZIP: only the manifest's
    SHA-256 can tell."""
    with zipfile.ZipFile(saved) as archive:
        photo = next(n for n in archive.namelist() if n.startswith("evidence/"))
        content = bytearray(archive.read(photo))
    content[len(content) // 2] ^= 0xFF
    forged = rebuild(saved, tmp_path / "forged.zip", replace={photo: bytes(content)})
    error = refused(data, forged)
    assert (error.problem, error.detail) == ("backup_file_changed", photo)


def test_an_extra_or_a_missing_file_is_refused(data: Path, saved: Path, tmp_path: Path) -> None:
    extra = rebuild(saved, tmp_path / "extra.zip", add={"evidence/zz/virus.exe": b"MZ"})
    error = refused(data, extra)
    assert (error.problem, error.detail) == ("backup_extra_file", "evidence/zz/virus.exe")

    missing = rebuild(saved, tmp_path / "missing.zip", drop=("keys/school.pub",))
    error = refused(data, missing)
    assert (error.problem, error.detail) == ("backup_file_missing", "keys/school.pub")

    no_database = rebuild(
        saved,
        tmp_path / "no-db.zip",
        drop=("tochka.sqlite3",),
        manifest=lambda d: d.update(files=[f for f in d["files"] if f["path"] != "tochka.sqlite3"]),
    )
    error = refused(data, no_database)
    assert (error.problem, error.detail) == ("backup_file_missing", "tochka.sqlite3")


@pytest.mark.parametrize(
    "name",
    [
        "../outside.txt",
        "/etc/cron.d/evil",
        "evidence/../../outside.txt",
        "C:/Windows/evil.dll",
        "evidence\\..\\..\\evil",
        "evidence/ab/con.jpg",
        "evidence/ab/photo.jpg:stream",
        "settings.ini",
        "evidence",
    ],
)
def test_unsafe_names_are_refused_before_anything_is_extracted(
    data: Path, saved: Path, tmp_path: Path, name: str
) -> None:
    def listed(document: dict) -> None:
        document["files"].append({"path": name, "size": 4, "sha256": "0" * 64})

    forged = rebuild(saved, tmp_path / "forged.zip", add={name: b"evil"}, manifest=listed)
    error = refused(data, forged)
    assert (error.problem, error.detail) == ("backup_unsafe", name)
    assert not (tmp_path / "outside.txt").exists() and not (data / "settings.ini").exists()


def test_links_duplicates_and_huge_sizes_are_refused(
    data: Path, saved: Path, tmp_path: Path
) -> None:
    def listed(name: str, size: int = 11) -> Callable[[dict], None]:
        return lambda d: d["files"].append({"path": name, "size": size, "sha256": "0" * 64})

    link = rebuild(
        saved,
        tmp_path / "link.zip",
        link="evidence/ab/link.jpg",
        manifest=listed("evidence/ab/link.jpg"),
    )
    assert refused(data, link).problem == "backup_unsafe"

    def twice(document: dict) -> None:
        first = document["files"][1]
        document["files"].append(dict(first, path=first["path"].upper()))

    duplicate = rebuild(saved, tmp_path / "duplicate.zip", manifest=twice)
    assert refused(data, duplicate).problem == "backup_unsafe"

    def huge(document: dict) -> None:
        document["files"][1]["size"] = 1 << 45

    assert refused(data, rebuild(saved, tmp_path / "huge.zip", manifest=huge)).problem == (
        "backup_unsafe"
    )


def test_a_backup_of_a_newer_program_is_refused(data: Path, saved: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(saved) as archive:
        (tmp_path / "newer.sqlite3").write_bytes(archive.read("tochka.sqlite3"))
    con = sqlite3.connect(tmp_path / "newer.sqlite3")
    con.execute("UPDATE alembic_version SET version_num = '0099'")
    con.commit()
    con.close()
    newer_db = (tmp_path / "newer.sqlite3").read_bytes()

    # the manifest honest about the revision: refused before a byte is extracted
    honest = rebuild(
        saved,
        tmp_path / "honest.zip",
        replace={"tochka.sqlite3": newer_db},
        fix_hashes=True,
        manifest=lambda d: d.update(db_revision="0099", app_version="0.9.0"),
    )
    error = refused(data, honest)
    assert (error.problem, error.detail) == ("backup_too_new", "0.9.0")
    with pytest.raises(StorageError) as caught:
        backups_of(data).inspect(honest)  # what the GUI asks before its confirmation
    assert caught.value.problem == "backup_too_new"

    # a manifest that does not say so: the database itself is read before the swap
    quiet = rebuild(
        saved, tmp_path / "quiet.zip", replace={"tochka.sqlite3": newer_db}, fix_hashes=True
    )
    assert refused(data, quiet).problem == "backup_too_new"

    newer_format = rebuild(
        saved, tmp_path / "format.zip", manifest=lambda d: d.update(format_version=2)
    )
    assert refused(data, newer_format).problem == "backup_too_new"


def test_not_a_backup_and_a_broken_zip_are_refused(data: Path, saved: Path, tmp_path: Path) -> None:
    other = tmp_path / "фото.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("photo.jpg", b"jpeg")
    assert refused(data, other).problem == "backup_not_ours"

    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(saved.read_bytes()[: saved.stat().st_size // 2])
    assert refused(data, truncated).problem == "backup_unreadable"

    text = tmp_path / "readme.zip"
    text.write_text("not a zip")
    assert refused(data, text).problem == "backup_unreadable"
    assert refused(data, tmp_path / "нет такого.zip").problem == "backup_unreadable"


def test_a_damaged_database_in_the_backup_is_refused(
    data: Path, saved: Path, tmp_path: Path
) -> None:
    with zipfile.ZipFile(saved) as archive:
        database = bytearray(archive.read("tochka.sqlite3"))
    database[len(database) // 2 : len(database) // 2 + 4096] = b"\xff" * 4096
    damaged = rebuild(
        saved,
        tmp_path / "damaged.zip",
        replace={"tochka.sqlite3": bytes(database)},
        fix_hashes=True,
    )
    assert refused(data, damaged).problem == "backup_db_damaged"


def test_restore_while_the_database_is_open_is_refused(data: Path, saved: Path) -> None:
    from main import open_center

    center = open_center(data)
    try:
        center.checklist.profile()
        before = db_rows(data / "tochka.sqlite3")
        with pytest.raises(StorageError) as caught:
            backups_of(data).restore(saved)
        assert caught.value.problem == "locked"
        assert db_rows(data / "tochka.sqlite3") == before
    finally:
        center.checklist.store.close()  # type: ignore[attr-defined]
    no_leftovers(data)


def test_cancelled_restore_changes_nothing(data: Path, saved: Path) -> None:
    calls: list[int] = []
    before = data_files(data)
    with pytest.raises(CancelledError):
        backups_of(data).restore(
            saved, progress=lambda d, t: calls.append(d), cancelled=lambda: len(calls) >= 3
        )
    assert data_files(data) == before
    no_leftovers(data)
    assert list((data / "backups").glob("tochka-backup-before-restore-*")) == []


def test_restore_onto_a_full_data_disk_is_refused(
    saved: Path, demo_folder: Path, mount_tmpfs: Callable[[str, str], Path]
) -> None:
    disk = mount_tmpfs("disk", "24m")
    data = disk / "data"
    shutil.copytree(demo_folder, data)
    fill_up(disk)
    error = refused(data, saved)
    assert error.problem == "disk_full"


def test_data_disk_filling_up_during_the_restore_changes_nothing(
    saved: Path, demo_folder: Path, mount_tmpfs: Callable[[str, str], Path]
) -> None:
    disk = mount_tmpfs("disk", "48m")
    data = disk / "data"
    shutil.copytree(demo_folder, data)
    filled: list[Path] = []

    def progress(done: int, total: int) -> None:
        if not filled:
            filled.append(fill_up(disk))

    error = refused(data, saved, progress=progress)
    assert error.problem == "disk_full"


class PowerCut(Exception):
    pass


def test_a_failure_in_the_middle_of_the_swap_puts_the_old_data_back(
    data: Path, saved: Path
) -> None:
    change_the_data(data)
    before = data_files(data)
    rows = db_rows(data / "tochka.sqlite3")

    def progress(done: int, total: int) -> None:
        if not (data / "evidence").exists():  # the old evidence is aside, the new not yet in
            raise PowerCut()

    with pytest.raises(PowerCut):
        backups_of(data).restore(saved, progress=progress)
    assert data_files(data) == before
    assert db_rows(data / "tochka.sqlite3") == rows
    no_leftovers(data)


def test_a_crash_in_the_middle_of_the_swap_is_rolled_back_at_the_next_start(
    data: Path, saved: Path
) -> None:
    change_the_data(data)
    before = data_files(data)
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from core.backup import Backups\n"
        "from core.paths import DataLayout\n"
        "from storage.backup_store import SqliteBackupDatabase\n"
        "data = Path(sys.argv[1])\n"
        "def progress(done, total):\n"
        "    if not (data / 'evidence').exists():\n"
        "        os._exit(9)  # the power goes off\n"
        "Backups(DataLayout(data), SqliteBackupDatabase()).restore(Path(sys.argv[2]),"
        " progress=progress)\n"
    )
    run = subprocess.run([sys.executable, "-c", script, str(data), str(saved)], cwd=ROOT)
    assert run.returncode == 9
    assert not (data / "evidence").exists()  # half swapped
    assert list(data.glob(".restore-*"))

    assert recover_interrupted_restore(DataLayout(data)) is True

    assert data_files(data) == before
    no_leftovers(data)
    assert recover_interrupted_restore(DataLayout(data)) is False


def test_a_damaged_current_database_is_kept_in_the_safety_backup(data: Path, saved: Path) -> None:
    """Restoring is the remedy for a damaged database: the damaged file does not stop it, and
    its bytes are kept as they were."""
    (data / "tochka.sqlite3").write_bytes(b"this is not a database, it was damaged" * 100)
    result = backups_of(data).restore(saved)
    assert result.safety_backup is not None
    with zipfile.ZipFile(result.safety_backup) as archive:
        assert archive.read("tochka.sqlite3").startswith(b"this is not a database")
    assert db_rows(data / "tochka.sqlite3")["profile"]


def test_restore_into_an_empty_data_folder(saved: Path, tmp_path: Path) -> None:
    """A new computer: nothing to save first, the data arrives whole."""
    fresh = tmp_path / "новый компьютер" / "data"
    result = backups_of(fresh).restore(saved)
    assert result.safety_backup is None
    assert db_rows(fresh / "tochka.sqlite3")["profile"]
    assert (fresh / "keys" / "school.key").is_file()


def test_read_backup_shows_what_the_copy_is(saved: Path) -> None:
    manifest = read_backup(saved)
    assert manifest.inn == "2714006330" and manifest.created_at is not None
    assert manifest.total_size == sum(f.size for f in manifest.files)


# --- the automatic copy on exit ------------------------------------------------------------------


def test_backup_on_exit_skips_an_unchanged_database_and_keeps_ten(data: Path) -> None:
    from storage.db import backup_database

    layout = DataLayout(data)
    migration = backup_database(layout.database, layout.backups, "before-0004")

    first = backup_on_exit(layout)
    assert first is not None and first.name.startswith("on-exit-")
    assert db_rows(first) == db_rows(layout.database)
    assert backup_on_exit(layout) is None  # nothing changed since
    from main import open_center

    center = open_center(data)  # a session that only looks: no new copy either
    center.checklist.states()
    center.checklist.store.close()  # type: ignore[attr-defined]
    assert backup_on_exit(layout) is None

    for _ in range(EXIT_KEPT + 2):
        change_the_data(data)
        assert backup_on_exit(layout) is not None
    on_exit = sorted(layout.backups.glob("on-exit-*.sqlite3"))
    assert len(on_exit) == EXIT_KEPT
    assert first not in on_exit
    assert db_rows(on_exit[-1]) == db_rows(layout.database)
    assert migration.exists()  # another kind: not counted, not pruned
    backup_database(layout.database, layout.backups, "before-0004")
    assert len(list(layout.backups.glob("on-exit-*.sqlite3"))) == EXIT_KEPT
    assert list(layout.backups.glob(".*partial")) == []


def test_backup_on_exit_with_the_engine_still_open_is_consistent(data: Path) -> None:
    from core.model import ItemStatus
    from main import open_center

    center = open_center(data)
    try:
        checklist = center.checklist
        code = next(c for c, s in checklist.states().items() if s.status is ItemStatus.NOT_STARTED)
        checklist.update_item(code, comment="Последняя правка")
        made = backup_on_exit(DataLayout(data))
    finally:
        center.checklist.store.close()  # type: ignore[attr-defined]
    assert made is not None
    con = sqlite3.connect(made)
    try:
        assert con.execute("SELECT comment FROM item_state WHERE code = ?", (code,)).fetchone()
    finally:
        con.close()


def test_backup_on_exit_without_a_database_does_nothing(tmp_path: Path) -> None:
    assert backup_on_exit(DataLayout(tmp_path / "пусто")) is None
    assert not (tmp_path / "пусто").exists()


def test_known_revisions_are_alembics(tmp_path: Path) -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from storage.db import MIGRATIONS_DIR

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    revisions = [r.revision for r in ScriptDirectory.from_config(config).walk_revisions()]
    assert list(SqliteBackupDatabase().known_revisions()) == revisions[::-1]


@pytest.fixture(autouse=True)
def _no_writes_to_the_system_temp(system_temp: Path) -> Iterator[None]:
    yield
    assert list(system_temp.iterdir()) == []
