"""The store itself: migrations match the models, SQLite runs in WAL with foreign keys enforced."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from engagement.db import current_revision, session_scope
from engagement.models import Customer


def test_migrations_create_exactly_the_models_tables(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)

    assert differences == [], "models and migrations differ: add a migration (see docs/operations.md)"
    assert current_revision(engine) is not None


def test_sqlite_store_uses_wal_and_enforces_foreign_keys(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_customer_with_unknown_csm_is_refused_and_not_stored(engine: Engine) -> None:
    with pytest.raises(IntegrityError):
        with session_scope(engine) as session:
            session.add(Customer(id="x", name="X", segment="SMB", csm_id="nobody"))

    with session_scope(engine) as session:
        assert session.get(Customer, "x") is None
