"""Cold start: what `python server.py` imports before its first answer stays what that answer needs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from engagement.errors import database_trouble
from engagement.settings import Settings
from tests.servers import server_env

ROOT = Path(__file__).resolve().parents[1]
NOT_AT_START = (
    "alembic", "mako", "pygments", "psycopg", "pandas", "sqlalchemy.dialects.postgresql",
    "engagement.capture.sync", "googleapiclient", "anthropic",
)


def test_a_server_on_a_current_sqlite_store_starts_without_alembic_psycopg_or_google(
    settings: Settings, engine: Engine
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL needs psycopg")
    code = (
        "import sys, server; server.create_server(); "
        f"print(sorted(m for m in sys.modules if m.startswith({NOT_AT_START!r})))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env=server_env(settings))  # fmt: skip
    assert out.stdout.strip() == "[]"


def test_a_psycopg_error_is_still_recognised_as_the_database_being_away() -> None:
    error = OperationalError("SELECT 1", {}, psycopg.OperationalError("connection refused"))

    assert database_trouble(error) == "it cannot be reached or is restarting"
