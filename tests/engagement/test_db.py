"""The store itself: migrations match the models, SQLite runs in WAL with foreign keys enforced."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from engagement import db
from engagement.db import alembic_config, create_tables, current_revision, make_engine, migrate, session_scope
from engagement.migrations import HEAD
from engagement.models import Customer
from engagement.settings import Settings


def test_migrations_create_exactly_the_models_tables(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": db.for_database(engine.dialect.name)})
        differences = compare_metadata(context, SQLModel.metadata)

    assert differences == [], "models and migrations differ: add a migration (README, Development)"
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


def test_the_head_known_without_alembic_is_alembics_head() -> None:
    # A new migration must move engagement.migrations.HEAD, or servers would not upgrade stores to it.
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD


def test_a_store_one_migration_behind_is_upgraded_and_a_new_one_created(settings: Settings) -> None:
    behind = ScriptDirectory.from_config(alembic_config()).get_revision(HEAD).down_revision
    assert isinstance(behind, str)
    engine = make_engine(settings.resolved_database_url())
    try:
        assert db.stored_revisions(engine) == set()
        migrate(engine, behind)
        assert db.stored_revisions(engine) == {behind}

        create_tables(engine)

        assert current_revision(engine) == HEAD
        with engine.connect() as connection:  # the last migration's table and its row are there
            assert connection.execute(text("SELECT version FROM store_version WHERE id = 1")).scalar_one() == 0
    finally:
        engine.dispose()


def test_a_store_at_head_is_not_migrated_again(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("create_tables ran Alembic on a store already at head")

    monkeypatch.setattr(db, "migrate", refuse)

    create_tables(engine)

    assert db.stored_revisions(engine) == {HEAD}
