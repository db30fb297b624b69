"""Alembic migrations of the store; `engagement.db.migrate` runs them, no alembic.ini needed."""

HEAD = "0010"
"""The newest revision in versions/, known without importing Alembic so a start on a current store skips it.
A new migration must update it (tests/engagement/test_db.py checks it equals Alembic's head)."""
