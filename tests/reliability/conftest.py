"""Helpers for the reliability suite: real server processes, row counts, the schema at each revision."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, func, select
from sqlalchemy.engine import Engine

from engagement.db import alembic_config
from engagement.snapshots import WRITTEN_BY_READS
from tests.servers import free_port, http_server, server_env  # noqa: F401  (the suite imports them from here)

ROOT = Path(__file__).resolve().parents[2]
CORE_TABLES = ("csm", "customer", "stakeholder", "activity")  # the tables of the first migration


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table the store has (whatever its revision), but alembic's own and those a read may
    write (snapshots.WRITTEN_BY_READS: the scores it computed, saved for other processes)."""
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return {
            name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in sorted(metadata.tables.items())
            if name != "alembic_version" and name not in WRITTEN_BY_READS
        }


def tool_error_text(result: Any) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)
