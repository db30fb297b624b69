"""One error mapping for every edge: the caller's mistakes say what is accepted, our bugs only a reference."""

from __future__ import annotations

import logging

import pytest
from mcp import Client
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from cli import app
from engagement.errors import ConflictError, EngagementError, NotFoundError, fault_of
from engagement.scorer import Scorer
from engagement.settings import Settings
from server import create_server
from tests.factories import Factory
from tests.tools.conftest import call_error

SECRET = "SELECT password FROM /home/casey/.config/engagement-metrics/google/casey.json"


def boom(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError(SECRET)


@pytest.mark.parametrize(
    ("error", "kind", "status"),
    [
        (EngagementError("limit 0 is out of range; give 1 to 500."), "invalid", 400),
        (NotFoundError("No customer 'x'."), "not_found", 404),
        (ConflictError("external_id 'k' is already another activity's; use another external_id."), "conflict", 409),
        (RuntimeError(SECRET), "internal", 500),
        (IntegrityError("INSERT ...", {}, Exception("UNIQUE constraint failed")), "internal", 500),
    ],
)
def test_each_exception_maps_to_one_kind_and_status(error: Exception, kind: str, status: int) -> None:
    fault = fault_of(error, "test")

    assert (fault.kind, fault.status) == (kind, status)
    assert SECRET not in fault.message and "UNIQUE" not in fault.message


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_a_bug_inside_a_tool_reaches_the_model_as_a_reference_and_its_traceback_only_the_log(
    settings: Settings, engine: Engine, factory: Factory, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    factory.customer("acme", "Acme Corp")
    monkeypatch.setattr(Scorer, "portfolio", boom)

    with caplog.at_level(logging.ERROR, logger="engagement.errors"):
        async with Client(create_server(settings)) as client:
            message = await call_error(client, "get_portfolio_engagement")
            still = await client.call_tool("get_customer_engagement", {"customer": "acme"})

    assert "Internal error (ref " in message and SECRET not in message
    ref = message.split("(ref ")[1].split(")")[0]
    logged = [r for r in caplog.records if ref in r.getMessage()]
    # The traceback goes with the record (the server's redaction folds it into the line itself).
    assert logged and (logged[0].exc_info is not None or "Traceback" in logged[0].getMessage())
    assert not still.is_error  # one broken question does not take the server down


def test_a_bug_inside_a_command_is_one_line_with_its_reference_and_exit_code_1(
    settings: Settings, engine: Engine, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    factory.customer("acme", "Acme Corp")
    monkeypatch.setenv("ENGAGEMENT_DATABASE_URL", settings.resolved_database_url())
    monkeypatch.setattr(Scorer, "portfolio", boom)

    result = CliRunner().invoke(app, ["report"])

    assert result.exit_code == 1
    assert "Internal error (ref " in result.output and SECRET not in result.output
    assert "Traceback" not in result.output


def test_a_callers_mistake_in_a_command_says_what_is_accepted(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENGAGEMENT_DATABASE_URL", settings.resolved_database_url())

    result = CliRunner().invoke(app, ["report", "--period", "Q5"])

    assert result.exit_code == 1
    assert "Unknown period 'Q5'. Use this_quarter" in result.output and "ref" not in result.output


def test_a_bad_setting_is_one_line_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENGAGEMENT_AS_OF", "yesterday")

    result = CliRunner().invoke(app, ["report"])

    assert result.exit_code == 1
    assert "ENGAGEMENT_AS_OF" in result.output and "Traceback" not in result.output
