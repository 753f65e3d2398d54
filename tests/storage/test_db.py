"""Opening the database file: pragmas, refusing files that are not ours or cannot be written,
upgrading with a backup first, keeping ten backups, and a full disk that loses nothing saved."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from core.errors import StorageError
from core.paths import DataLayout
from main import open_checklist
from storage.db import BACKUPS_KEPT, backup_database, open_database, upgrade_to_head
from storage.migrations import HEAD_REVISION
from storage.models import Base
from ui.messages import describe_error

APP_TABLES = set(Base.metadata.tables) | {"alembic_version", "sqlite_sequence"}


def tables(path: Path) -> set[str]:
    con = sqlite3.connect(path)
    try:
        rows = con.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
        return {name for (name,) in rows}
    finally:
        con.close()


def revision(path: Path) -> str:
    con = sqlite3.connect(path)
    try:
        return str(con.execute("SELECT version_num FROM alembic_version").fetchone()[0])
    finally:
        con.close()


def dump(path: Path) -> list[str]:
    con = sqlite3.connect(path)
    try:
        return list(con.iterdump())
    finally:
        con.close()


def test_engine_connections_use_wal_full_sync_and_foreign_keys(data_dir: Path) -> None:
    layout = DataLayout(data_dir)
    engine = open_database(layout.database, layout.backups)
    try:
        with engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA foreign_keys").scalar() == 1
            assert pragma("PRAGMA synchronous").scalar() == 2
    finally:
        engine.dispose()


def test_new_database_is_created_at_head(data_dir: Path) -> None:
    layout = DataLayout(data_dir)

    open_database(layout.database, layout.backups).dispose()

    assert tables(layout.database) == APP_TABLES
    assert revision(layout.database) == HEAD_REVISION


def test_empty_file_is_upgraded_to_head(data_dir: Path) -> None:
    layout = DataLayout(data_dir)
    data_dir.mkdir()
    layout.database.write_bytes(b"")

    open_database(layout.database, layout.backups).dispose()

    assert tables(layout.database) == APP_TABLES
    assert revision(layout.database) == HEAD_REVISION


def test_new_database_needs_no_backup(data_dir: Path) -> None:
    layout = DataLayout(data_dir)

    open_database(layout.database, layout.backups).dispose()

    assert not layout.backups.exists() or list(layout.backups.iterdir()) == []


def test_file_that_is_not_sqlite_is_refused_untouched(data_dir: Path) -> None:
    layout = DataLayout(data_dir)
    data_dir.mkdir()
    content = "Это не база данных, а список покупок.\n".encode() * 50
    layout.database.write_bytes(content)

    with pytest.raises(StorageError) as from_checklist:
        open_checklist(data_dir)
    with pytest.raises(StorageError) as from_database:
        open_database(layout.database, layout.backups)

    assert from_checklist.value.problem == from_database.value.problem == "not_sqlite"
    assert from_checklist.value.path == layout.database
    assert layout.database.read_bytes() == content
    assert sorted(p.name for p in data_dir.iterdir()) == ["tochka.sqlite3"]
    assert "tochka.sqlite3" in describe_error(from_checklist.value)


@pytest.fixture
def read_only_folder(mount_tmpfs: Callable[[str, str], Path]) -> Path:
    """A real file system to remount read-only (as root, chmod alone would not stop writes)."""
    return mount_tmpfs("ro", "16m")


def test_read_only_database_is_refused_and_stays_readable(read_only_folder: Path) -> None:
    checklist = open_checklist(read_only_folder)
    checklist.update_item("DOC-01", comment="Сохранено до защиты от записи")
    checklist.store.close()  # type: ignore[attr-defined]
    database = DataLayout(read_only_folder).database
    before = database.read_bytes()
    remount = ["mount", "-o", "remount,ro", str(read_only_folder)]
    if subprocess.run(remount, capture_output=True).returncode:
        pytest.skip("cannot remount read-only")
    assert not os.access(database, os.W_OK)

    with pytest.raises(StorageError) as caught:
        open_checklist(read_only_folder)

    assert caught.value.problem == "read_only"
    assert "только для чтения" in describe_error(caught.value)
    assert database.read_bytes() == before
    # a WAL database on read-only media opens only as immutable: SQLite cannot make the -shm
    con = sqlite3.connect(f"file:{database}?mode=ro&immutable=1", uri=True)
    try:
        comment = con.execute("SELECT comment FROM item_state WHERE code='DOC-01'").fetchone()
    finally:
        con.close()
    assert comment == ("Сохранено до защиты от записи",)


def make_pre_alembic_database(path: Path) -> None:
    """A database with data but no Alembic revision: what an older layout leaves behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")
    con.executemany(
        "INSERT INTO notes (text) VALUES (?)",
        [("Ремонт кабинета физики начат",), ("Акт приёмки подписан",), ("Вывеска заказана",)],
    )
    con.commit()
    con.close()


def test_upgrade_backs_the_database_up_first(data_dir: Path) -> None:
    layout = DataLayout(data_dir)
    make_pre_alembic_database(layout.database)
    original = dump(layout.database)

    engine = open_database(layout.database, layout.backups)
    engine.dispose()

    [backup] = list(layout.backups.iterdir())
    assert backup.name.startswith("tochka-")
    assert backup.name.endswith(f"-before-{HEAD_REVISION}.sqlite3")
    assert dump(backup) == original
    assert tables(backup) == {"notes"}
    assert tables(layout.database) == APP_TABLES | {"notes"}
    assert revision(layout.database) == HEAD_REVISION
    # the data that was there is still there after the upgrade
    assert [line for line in dump(layout.database) if "notes" in line] == [
        line for line in original if "notes" in line
    ]

    # at head: opening again neither upgrades nor backs up
    engine = open_database(layout.database, layout.backups)
    try:
        assert upgrade_to_head(engine, layout.database, layout.backups) is None
    finally:
        engine.dispose()
    assert list(layout.backups.iterdir()) == [backup]


def test_failed_upgrade_leaves_the_schema_as_it_was(data_dir: Path) -> None:
    layout = DataLayout(data_dir)
    layout.database.parent.mkdir(parents=True)
    con = sqlite3.connect(layout.database)
    # a table the migration also creates: the upgrade must fail on it
    con.execute("CREATE TABLE setting (key TEXT PRIMARY KEY, value TEXT)")
    con.execute("INSERT INTO setting VALUES ('template.id', 'старый')")
    con.commit()
    con.close()
    before = dump(layout.database)

    with pytest.raises(StorageError):
        open_database(layout.database, layout.backups)

    assert dump(layout.database) == before


def test_only_the_ten_newest_backups_are_kept(tmp_path: Path) -> None:
    database = tmp_path / "tochka.sqlite3"
    backups = tmp_path / "backups"
    con = sqlite3.connect(database)
    con.execute("CREATE TABLE counter (n INTEGER)")
    con.commit()
    made = []
    for n in range(1, BACKUPS_KEPT + 3):
        con.execute("INSERT INTO counter VALUES (?)", (n,))
        con.commit()
        made.append(backup_database(database, backups, "test"))
    con.close()

    kept = sorted(backups.iterdir())

    assert BACKUPS_KEPT == 10
    assert kept == made[-BACKUPS_KEPT:]
    counts = []
    for backup in kept:
        check = sqlite3.connect(backup)
        counts.append(check.execute("SELECT max(n) FROM counter").fetchone()[0])
        check.close()
    assert counts == list(range(3, BACKUPS_KEPT + 3))


def test_disk_full_is_reported_and_loses_nothing_saved(tiny_disk: Path) -> None:
    checklist = open_checklist(tiny_disk)
    codes = [item.code for item in checklist.template.items()]
    saved: list[str] = []
    long_comment = "Подробный протокол осмотра помещения. " * 500  # ~37 000 characters

    with pytest.raises(StorageError) as caught:
        for n, code in enumerate(codes):
            checklist.update_item(code, comment=f"{n}: {long_comment}")
            saved.append(code)
    checklist.store.close()  # type: ignore[attr-defined]

    assert caught.value.problem == "disk_full"
    assert "закончилось место" in describe_error(caught.value)
    assert 0 < len(saved) < len(codes)

    reopened = open_checklist(tiny_disk)
    try:
        states = reopened.states()
        for n, code in enumerate(saved):
            assert states[code].comment == f"{n}: {long_comment.strip()}"
            assert [e.field for e in reopened.history(code)] == ["comment"]
        failed = codes[len(saved)]
        assert states[failed].comment == ""
        assert reopened.history(failed) == []
    finally:
        reopened.store.close()  # type: ignore[attr-defined]
