"""SQLite storage: SQLAlchemy models, Alembic migrations, and the store core/ asks for.
The only package that imports SQLAlchemy or Alembic."""
