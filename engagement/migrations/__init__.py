"""Alembic migrations of the store; `engagement.db.migrate` runs them, no alembic.ini needed."""
