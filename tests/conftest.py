"""Shared fixtures: a real store on SQLite and, when ENGAGEMENT_TEST_POSTGRES_URL is set, on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy.engine import Engine

from engagement import snapshots
from engagement.db import create_tables, make_engine, temporary_schema
from engagement.core import Core
from engagement.scoring import load_scoring_config
from engagement.settings import Settings
from tests.factories import local, Factory

# CI (.ci/run sets HYPOTHESIS_PROFILE=ci) tries the same generated examples on every run, so main cannot
# turn red by the luck of the draw; other runs draw new ones, and what they find becomes an @example.
hypothesis_settings.register_profile("ci", derandomize=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

AS_OF = dt.date(2026, 11, 24)
POSTGRES_URL = os.environ.get("ENGAGEMENT_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)] if POSTGRES_URL else ["sqlite"]


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL: an SQLite file, or a private schema in the test PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'engagement.db'}"
        snapshots.wait_saved()
        return
    assert POSTGRES_URL is not None
    with temporary_schema(POSTGRES_URL) as url:
        yield url
        snapshots.wait_saved()  # scores saved beside an answer, before the schema goes


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, as_of=AS_OF, user=None)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.resolved_database_url())
    create_tables(engine)
    yield engine
    snapshots.wait_saved()
    engine.dispose()


@pytest.fixture
def core(engine: Engine, settings: Settings) -> Core:
    return Core(engine, settings, load_scoring_config())


@pytest.fixture
def factory(engine: Engine) -> Factory:
    return Factory(engine)
