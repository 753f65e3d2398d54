"""What backups need from SQLite: consistent snapshots with the backup API, facts and integrity
of a database file, the schema revisions this version knows — core/backup.py's BackupDatabase —
and the automatic copy of the database on exit."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path

from core.backup import DatabaseFacts
from core.errors import StorageError
from core.paths import DataLayout
from storage.db import translate_db_error, translate_os_error
from storage.migrations import HEAD_REVISION

EXIT_PREFIX = "on-exit-"  # not "tochka-…": storage.db prunes those, the before-migration copies
EXIT_KEPT = 10
EXIT_STATE = "on-exit.json"


class SqliteBackupDatabase:
    """core.backup.BackupDatabase over plain sqlite3 (no engine: it works with the engine
    disposed, and while one is open for snapshots)."""

    def snapshot(self, source: Path, target: Path) -> None:
        snapshot_database(source, target)

    def facts(self, database: Path) -> DatabaseFacts:
        with _reading(database) as con:
            tables = {
                row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            revision = None
            if "alembic_version" in tables:
                row = con.execute("SELECT version_num FROM alembic_version").fetchone()
                revision = str(row[0]) if row else None
            name = inn = None
            if "profile" in tables:
                row = con.execute(
                    "SELECT school_short_name, school_full_name, inn FROM profile LIMIT 1"
                ).fetchone()
                if row:
                    name, inn = str(row[0] or row[1] or "") or None, str(row[2] or "") or None
        return DatabaseFacts(revision, name, inn)

    def integrity_errors(self, database: Path, *, quick: bool = False) -> list[str]:
        if not database.is_file():
            return ["файла базы данных нет"]
        try:
            con = sqlite3.connect(database, isolation_level=None)
        except sqlite3.Error as exc:
            return [str(exc)]
        try:
            con.execute("PRAGMA query_only=ON")
            pragma = "quick_check" if quick else "integrity_check"
            found = [str(row[0]) for row in con.execute(f"PRAGMA {pragma}")]
            problems = [text for text in found if text != "ok"]
            if (
                not problems
                and con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
            ):
                problems = ["в базе данных нет таблиц"]
            return problems
        except sqlite3.DatabaseError as exc:
            return [str(exc)]
        finally:
            con.close()

    def known_revisions(self) -> Sequence[str]:
        # revisions are numbered 0001, 0002…, one line from base to head
        # (tests/storage/test_migrations.py); a newer program's database has a larger number
        return tuple(f"{n:04d}" for n in range(1, int(HEAD_REVISION) + 1))

    def ensure_not_in_use(self, database: Path) -> None:
        if not database.exists():
            return
        try:
            con = sqlite3.connect(database, timeout=0, isolation_level=None)
        except sqlite3.Error:
            return  # cannot be opened at all, so not by anyone else either
        try:
            # an exclusive lock fails while any other connection, in any process, is open
            con.execute("PRAGMA locking_mode=EXCLUSIVE")
            con.execute("BEGIN EXCLUSIVE")
            con.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            message = str(exc).lower()
            if "locked" in message or "busy" in message:
                raise StorageError(database, "locked") from exc
        except sqlite3.DatabaseError:
            pass  # a damaged file is what a restore is for: let it be replaced
        finally:
            con.close()


def snapshot_database(source: Path, target: Path) -> None:
    """A consistent copy with SQLite's backup API, even of a WAL database another connection is
    writing; the copy is switched to a rollback journal so the one file is the whole database."""
    if not source.is_file():
        raise StorageError(source, "cannot_open")
    try:
        with closing(sqlite3.connect(source, timeout=15)) as src:
            with closing(sqlite3.connect(target, isolation_level=None)) as dst:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as exc:
        _remove(target)
        error = translate_db_error(source, exc)
        if error.problem in ("disk_full", "read_only"):
            raise StorageError(target.parent, error.problem) from exc
        raise error from exc
    except OSError as exc:
        _remove(target)
        raise translate_os_error(target.parent, exc) from exc


def backup_on_exit(layout: DataLayout) -> Path | None:
    """Copy the database to backups/on-exit-<stamp>.sqlite3 unless it has not changed since
    the last such copy; the last EXIT_KEPT are kept. Returns the new copy, or None.

    Call it after the engine is disposed (every connection closed): the database file then holds
    everything and an unchanged one is recognised by its size and time alone, without reading
    it. (Called with an engine still open, it still makes a consistent copy, only one more often
    than needed.) StorageError when the copy cannot be made; the partial file is removed."""
    database = layout.database
    if not database.is_file():
        return None
    fingerprint = _fingerprint(database)
    state_path = layout.backups / EXIT_STATE
    try:
        state = json.loads(state_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = {}
    last = state.get("backup") if isinstance(state, dict) else None
    if (
        isinstance(last, str)
        and state.get("fingerprint") == fingerprint
        and (layout.backups / last).is_file()
    ):
        return None
    if not _has_tables(database):
        return None
    try:
        layout.backups.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise translate_os_error(layout.backups, exc) from exc
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = layout.backups / f"{EXIT_PREFIX}{stamp}.sqlite3"
    temp = layout.backups / f".{target.name}.{uuid.uuid4().hex[:8]}.partial"
    try:
        snapshot_database(database, temp)
        os.replace(temp, target)
    except OSError as exc:
        _remove(temp)
        raise translate_os_error(layout.backups, exc) from exc
    finally:
        _remove(temp)
    try:
        text = json.dumps({"fingerprint": fingerprint, "backup": target.name})
        state_temp = state_path.with_name(f".{state_path.name}.{uuid.uuid4().hex[:8]}.tmp")
        state_temp.write_text(text, encoding="utf-8")
        os.replace(state_temp, state_path)
    except OSError:
        pass  # the copy is made; the next exit merely makes another
    _prune_exit_backups(layout.backups)
    return target


def _fingerprint(database: Path) -> str:
    """Size and modification time of the database and of its WAL: any committed write changes
    one of them (a write appends to the WAL, a checkpoint rewrites the file)."""
    parts = []
    for path in (database, database.with_name(database.name + "-wal")):
        try:
            info = path.stat()
            parts.append(f"{info.st_size}:{info.st_mtime_ns}")
        except FileNotFoundError:
            parts.append("-")
    return "/".join(parts)


def _has_tables(database: Path) -> bool:
    try:
        with _reading(database) as con:
            return con.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone() is not None
    except StorageError:
        return True  # let the copy itself say what is wrong


def _prune_exit_backups(folder: Path) -> None:
    made = sorted(folder.glob(f"{EXIT_PREFIX}*.sqlite3"))
    for old in made[:-EXIT_KEPT]:
        old.unlink(missing_ok=True)
    for leftover in folder.glob(f".{EXIT_PREFIX}*.partial"):
        leftover.unlink(missing_ok=True)


@contextmanager
def _reading(database: Path) -> Iterator[sqlite3.Connection]:
    """A read-only look with a normal connection: unlike mode=ro, it removes the WAL files it
    makes when it closes, and it never creates a missing database."""
    if not database.is_file():
        raise StorageError(database, "cannot_open")
    try:
        con = sqlite3.connect(database, timeout=15, isolation_level=None)
    except sqlite3.Error as exc:
        raise translate_db_error(database, exc) from exc
    try:
        con.execute("PRAGMA query_only=ON")
        yield con
    except sqlite3.Error as exc:
        raise translate_db_error(database, exc) from exc
    finally:
        con.close()


def _remove(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + "-journal")):
        try:
            candidate.unlink(missing_ok=True)
        except OSError:
            pass
