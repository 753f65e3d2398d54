"""Alembic is the only way the schema changes: its head is the revision start-up checks for,
and the models and the migrations describe the same schema."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from core.paths import DataLayout
from storage.db import MIGRATIONS_DIR, open_database
from storage.migrations import HEAD_REVISION
from storage.models import Base


def script_directory() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config)


def test_head_revision_constant_is_alembics_head() -> None:
    scripts = script_directory()

    assert scripts.get_heads() == [HEAD_REVISION]
    assert scripts.get_current_head() == HEAD_REVISION


def test_revisions_form_one_line_from_base() -> None:
    revisions = list(script_directory().walk_revisions())

    assert revisions[-1].down_revision is None
    for newer, older in zip(revisions, revisions[1:], strict=False):
        assert newer.down_revision == older.revision


def test_models_and_migrations_do_not_drift(data_dir: Path) -> None:
    layout = DataLayout(data_dir)
    engine = open_database(layout.database, layout.backups)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection)
            assert context.get_current_revision() == HEAD_REVISION
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()
