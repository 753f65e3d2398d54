"""A database made by the first release (revision 0001) with real data upgrades to head:
backup first, every row kept, constraints and indexes rebuilt by batch mode."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config

from core.paths import DataLayout
from storage.db import MIGRATIONS_DIR, create_db_engine, current_revision, open_database
from storage.migrations import HEAD_REVISION


def make_0001_database(path: Path) -> None:
    engine = create_db_engine(path)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    engine.dispose()
    con = sqlite3.connect(path)
    con.execute(
        "INSERT INTO evidence (item_code, sha256, kind, original_name, stored_name, size, "
        "added_at) VALUES ('REM-01', 'ab12', 'photo', 'до.jpg', 'ab/ab12.jpg', 10, "
        "'2026-10-01 10:00:00')"
    )
    con.execute(
        "INSERT INTO history (at, item_code, field, old, new) VALUES "
        "('2026-10-01 10:00:00', 'REM-01', 'status', 'not_started', 'done')"
    )
    con.execute("INSERT INTO setting (key, value) VALUES ('template.id', 'tochka-rosta-2024-khv')")
    con.commit()
    con.close()


def test_release_0001_database_upgrades_with_its_data(data_dir: Path) -> None:
    layout = DataLayout(data_dir)
    data_dir.mkdir(parents=True)
    make_0001_database(layout.database)
    assert current_revision(layout.database) == "0001"

    open_database(layout.database, layout.backups).dispose()

    assert current_revision(layout.database) == HEAD_REVISION
    backups = list(layout.backups.iterdir())
    assert len(backups) == 1
    old = sqlite3.connect(backups[0])
    assert old.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
    old.close()
    con = sqlite3.connect(layout.database)
    assert con.execute("SELECT item_code, original_name FROM evidence").fetchall() == [
        ("REM-01", "до.jpg")
    ]
    assert con.execute("SELECT field, new FROM history").fetchall() == [("status", "done")]
    # the unique (item, content) constraint survived the table rebuild
    with pytest.raises(sqlite3.IntegrityError):
        con.execute(
            "INSERT INTO evidence (item_code, sha256, kind, original_name, stored_name, size, "
            "added_at) VALUES ('REM-01', 'ab12', 'photo', 'x.jpg', 'ab/ab12.jpg', 10, "
            "'2026-10-02 10:00:00')"
        )
    indexes = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"ix_evidence_item_code", "ix_evidence_sha256", "ix_history_item_code_at"} <= indexes
    # a subject key longer than the old 16 characters now fits
    con.execute(
        "INSERT INTO history (at, item_code, field, old, new) VALUES "
        "('2026-10-02 10:00:00', 'brand/room/12/door_sign', 'status', '', 'done')"
    )
    con.close()
