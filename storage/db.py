"""Opening the database: checks, the engine with its pragmas, backup and upgrade to head."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from core.errors import StorageError
from storage.migrations import HEAD_REVISION

SQLITE_HEADER = b"SQLite format 3\x00"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BACKUPS_KEPT = 10


def check_database_file(path: Path) -> None:
    """Refuse, before SQLite touches it, a file that is not a database or cannot be written."""
    if path.exists():
        if not path.is_file():
            raise StorageError(path, "not_sqlite")
        try:
            with path.open("rb") as fh:
                header = fh.read(len(SQLITE_HEADER))
        except OSError as exc:
            raise StorageError(path, "cannot_open", exc.strerror or "") from None
        if header and header != SQLITE_HEADER:
            raise StorageError(path, "not_sqlite")
        if not os.access(path, os.W_OK):
            raise StorageError(path, "read_only")
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise translate_os_error(folder, exc) from None
    if not os.access(folder, os.W_OK):
        raise StorageError(folder, "read_only")


def translate_os_error(path: Path, exc: OSError) -> StorageError:
    import errno

    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageError(path, "disk_full")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return StorageError(path, "read_only")
    return StorageError(path, "io_error", exc.strerror or str(exc))


def translate_db_error(path: Path, exc: BaseException) -> StorageError:
    message = str(getattr(exc, "orig", exc)).lower()
    if "not a database" in message or "malformed" in message:
        return StorageError(path, "not_sqlite")
    if "readonly" in message or "read-only" in message:
        return StorageError(path, "read_only")
    if "full" in message:
        return StorageError(path, "disk_full")
    if "locked" in message or "busy" in message:
        return StorageError(path, "locked")
    if "unable to open" in message:
        return StorageError(path, "cannot_open")
    return StorageError(path, "io_error", message)


@contextmanager
def db_errors(path: Path) -> Iterator[None]:
    try:
        yield
    except (DBAPIError, sqlite3.Error) as exc:
        raise translate_db_error(path, exc) from exc


def create_db_engine(path: Path) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": 15},
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite would commit DDL on its own; we issue BEGIN ourselves (SQLAlchemy's recipe)
        # so a failed migration rolls back whole instead of leaving half a schema behind
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine


def has_tables(path: Path) -> bool:
    """Whether the file holds any table at all (a new file has only SQLite's header)."""
    if not path.exists() or path.stat().st_size == 0:
        return False
    with db_errors(path):
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return (
                con.execute("SELECT 1 FROM sqlite_master WHERE type='table'").fetchone() is not None
            )
        finally:
            con.close()


def current_revision(path: Path) -> str | None:
    """The Alembic revision of the file, read with plain sqlite3 so a start-up that finds the
    database at head never imports Alembic."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    with db_errors(path):
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            has_table = con.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
            ).fetchone()
            if not has_table:
                return None
            row = con.execute("SELECT version_num FROM alembic_version").fetchone()
            return str(row[0]) if row else None
        finally:
            con.close()


def backup_database(path: Path, backups_dir: Path, reason: str) -> Path:
    """Copy the live database with SQLite's backup API (consistent even with a WAL)."""
    backups_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = backups_dir / f"tochka-{stamp}-{reason}.sqlite3"
    with db_errors(path):
        src = sqlite3.connect(path)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
    _prune_backups(backups_dir)
    return target


def _prune_backups(backups_dir: Path) -> None:
    backups = sorted(backups_dir.glob("tochka-*.sqlite3"))
    for old in backups[:-BACKUPS_KEPT]:
        old.unlink(missing_ok=True)


def upgrade_to_head(engine: Engine, path: Path, backups_dir: Path) -> Path | None:
    """Bring the schema to head. Returns the backup made first, if there was data to keep."""
    revision = current_revision(path)
    if revision == HEAD_REVISION:
        return None
    backup = None
    if has_tables(path):
        backup = backup_database(path, backups_dir, f"before-{HEAD_REVISION}")
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with db_errors(path), engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return backup


def open_database(path: Path, backups_dir: Path) -> Engine:
    check_database_file(path)
    engine = create_db_engine(path)
    try:
        with db_errors(path), engine.connect() as connection:
            connection.exec_driver_sql("SELECT count(*) FROM sqlite_master").fetchone()
        upgrade_to_head(engine, path, backups_dir)
    except BaseException:
        engine.dispose()
        raise
    return engine
