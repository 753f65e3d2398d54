"""Alembic migrations, shipped inside the application.

HEAD_REVISION lets start-up see that a database is current without importing Alembic;
tests/storage/test_migrations.py proves it equals Alembic's head."""

HEAD_REVISION = "0004"
