"""Alembic migration scripts (run through app.db.migrate, no alembic.ini needed)."""
