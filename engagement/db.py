"""Opening the store: an SQLite file (WAL, foreign keys, busy wait) or PostgreSQL, same tables."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, create_engine

from engagement import freshness, models  # noqa: F401  (registers the tables on SQLModel.metadata)
from engagement.access import models as access_models  # noqa: F401  (the same, for sessions and OAuth)
from engagement.migrations import HEAD

if TYPE_CHECKING:  # Alembic (and Mako, Pygments with it) is imported only to migrate: ~0.2 s of a cold start
    from alembic.config import Config

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite files get WAL, foreign keys on and a 30 s busy wait."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # A failed statement's message (logged with its traceback) would otherwise carry its values:
    # participants' addresses and subjects. Logs carry ids, not those.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "engagement:migrations")
    config.attributes["connection"] = connection
    return config


def for_database(dialect: str) -> Callable[[Any, Any, str, bool, Any], bool]:
    """Alembic autogenerate's `include_object`: an index the models create on one database only
    (`Index.ddl_if(dialect=...)`) is not missing on the others."""

    def include(item: Any, _name: Any, kind: str, _reflected: bool, _compare_to: Any) -> bool:
        only = getattr(getattr(item, "_ddl_if", None), "dialect", None)
        return kind != "index" or only is None or only == dialect

    return include


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the store's schema to `revision` (the latest by default), keeping every row."""
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def stored_revisions(engine: Engine) -> set[str]:
    """The revisions in the store's `alembic_version` table, read without Alembic; empty for a new store."""
    with engine.connect() as connection:
        # The check Alembic makes itself (on PostgreSQL it follows the search_path, as Alembic does).
        if not engine.dialect.has_table(connection, "alembic_version"):
            return set()
        return set(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())


def create_tables(engine: Engine) -> None:
    """The store's tables at the latest schema: new databases are created, older ones upgraded.

    A store already at `HEAD` (every start but the first after an upgrade) costs one query and no Alembic."""
    if stored_revisions(engine) != {HEAD}:
        migrate(engine)


@contextmanager
def read_scope(engine: Engine) -> Iterator[Session]:
    """A read-only session on one snapshot: every query of an answer sees the same committed state,
    so a customer is never seen half-way through someone else's import. (PostgreSQL needs REPEATABLE
    READ for it; SQLite an explicit BEGIN, since pysqlite opens transactions only before writes and
    would run each SELECT on its own snapshot - tests/reliability/test_concurrency.py shows both.)"""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        elif engine.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN")  # a WAL read transaction: one snapshot, writers not blocked
        with Session(bind=connection, expire_on_commit=False) as session:
            try:
                yield session
            finally:
                session.expunge_all()  # rollback expires what it holds; the rows read stay usable after
                session.rollback()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A write session that commits on success and rolls back on any error, so nothing is half-written.

    On PostgreSQL it first locks the store-version row that every write statement's trigger
    updates. Taken later, in statement order, that lock deadlocked: an import holding it while
    inserting a key that a concurrent log_activity had just inserted and was waiting on it for.
    Taken first, writers queue on one lock and no cycle can form. (SQLite has one writer anyway.)
    """
    with Session(engine, expire_on_commit=False) as session:
        try:
            if engine.dialect.name == "postgresql":
                freshness.lock_version(session)
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def temporary_schema(url: str, prefix: str = "t") -> Iterator[str]:
    """A private, empty PostgreSQL schema for a test or benchmark run: yields a URL whose connections
    use it, and drops it with everything in it afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
