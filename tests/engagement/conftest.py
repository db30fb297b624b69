"""The `engagement` command over the test store, run in process as a user runs it."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from engagement.settings import Settings


@pytest.fixture
def runner(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("ENGAGEMENT_DATABASE_URL", settings.resolved_database_url())
    monkeypatch.setenv("ENGAGEMENT_AS_OF", str(settings.as_of))
    monkeypatch.setenv("COLUMNS", "140")
    return CliRunner()
