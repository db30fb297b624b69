"""The REST API at the edges, on both databases: periods outside the calendar, integers past their
bounds and a body nested 100,000 deep are refused with what is accepted (4xx), never a 500."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from engagement.app import load_settings
from engagement.errors import ConfigError
from engagement.scoring import load_scoring_config
from engagement.core import Core
from engagement.settings import Settings
from tests.web.conftest import BASE, Team, bearer
from tests.web.dashboard.test_pages import unreachable
from web.app import create_app

PORTFOLIO = "/api/reports/engagement-metrics"


@pytest.mark.parametrize(
    ("path", "period"),
    [(PORTFOLIO, "9999-12"), (PORTFOLIO, "0001-Q1"), (f"{PORTFOLIO}/acme", "0000-01"), (f"{PORTFOLIO}/acme", "1000-01")],
)
def test_a_period_outside_the_calendar_is_a_400_naming_the_range(http: TestClient, team: Team, path: str, period: str) -> None:
    answer = http.get(path, params={"period": period}, headers=bearer(team.tokens["ada"]))

    assert answer.status_code == 400
    assert f"Period {period} is outside the accepted range 1990-01-01 to 2100-12-31" in answer.json()["message"]


def test_ascii_digits_only_in_a_period(http: TestClient, team: Team) -> None:
    answer = http.get(PORTFOLIO, params={"period": "٢٠٢٦-Q1"}, headers=bearer(team.tokens["ada"]))

    assert answer.status_code == 400 and "Unknown period" in answer.json()["message"]


@pytest.mark.parametrize(
    ("path", "name", "value", "limit"),
    [(PORTFOLIO, "offset", 2**63, "1000000000"), (PORTFOLIO, "limit", 2**63, "500"), (f"{PORTFOLIO}/acme/trends", "periods", 2**64, "24")],
)
def test_an_integer_past_its_bound_names_the_bound(http: TestClient, team: Team, path: str, name: str, value: int, limit: str) -> None:
    answer = http.get(path, params={name: str(value)}, headers=bearer(team.tokens["ada"]))

    assert answer.status_code == 422
    assert answer.json()["message"].startswith(f"{name}:") and limit in answer.json()["message"]


def test_the_openapi_document_shows_the_offsets_bound(http: TestClient) -> None:
    operation = http.get("/openapi.json").json()["paths"][PORTFOLIO]["get"]
    offset = next(p for p in operation["parameters"] if p["name"] == "offset")

    assert offset["schema"]["maximum"] == 1_000_000_000


def test_a_body_nested_100000_deep_is_a_400_not_a_crash(http: TestClient, team: Team) -> None:
    body = "[" * 100_000 + "]" * 100_000

    answer = http.post("/api/activities", content=body, headers={**bearer(team.tokens["ada"]), "Content-Type": "application/json"})

    assert answer.status_code == 400 and "nested too deeply" in answer.json()["message"]


def test_mcp_sessions_past_the_limit_get_503_until_one_ends(settings: Settings, engine: Engine, team: Team) -> None:
    few = settings.model_copy(update={"http_max_sessions": 2})
    core = Core(engine, few, load_scoring_config())
    headers = {**bearer(team.tokens["ada"]), "Accept": "application/json, text/event-stream"}
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                  "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}  # fmt: skip

    with TestClient(create_app(few, core=core), base_url=BASE) as http:
        opened = [http.post("/mcp", json=initialize, headers=headers) for _ in range(3)]
        first = opened[0].headers["mcp-session-id"]
        ended = http.delete("/mcp", headers={**headers, "mcp-session-id": first, "mcp-protocol-version": "2025-06-18"})
        again = http.post("/mcp", json=initialize, headers=headers)

    assert [answer.status_code for answer in opened] == [200, 200, 503]
    assert "Too many open sessions" in opened[2].text
    assert ended.status_code == 200 and again.status_code == 200


def test_session_limits_are_settings_with_team_server_defaults() -> None:
    defaults = Settings(database_url="sqlite://")

    assert (defaults.http_max_sessions, defaults.http_session_idle_seconds) == (500, 600)
    with pytest.raises(ConfigError, match="ENGAGEMENT_HTTP_MAX_SESSIONS"):
        load_settings(http_max_sessions=0)


def test_with_the_store_unreachable_mcp_and_rest_answer_503_with_a_logged_reference_and_no_traceback(
    http: TestClient, team: Team, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # The token check is the first thing every request asks of the store: with it away, nothing else is reached.
    monkeypatch.setattr(http.app.state.authenticator, "engine", unreachable(engine, tmp_path))  # type: ignore[attr-defined]
    headers = {**bearer(team.tokens["ada"]), "Accept": "application/json, text/event-stream"}

    with caplog.at_level(logging.INFO):
        answers = {
            "mcp": http.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers=headers),
            "rest": http.get(PORTFOLIO, headers=headers),
            "page": http.get("/", headers=headers),
        }  # the test client raises whatever escaped the app: nothing did

    for door, answer in answers.items():
        assert answer.status_code == 503, door
        message = answer.json()["message"]
        assert "The engagement database is unavailable right now" in message and "try again shortly" in message, door
        assert "127.0.0.1" not in message and "missing" not in message, door
        [ref] = re.findall(r"\(ref ([0-9a-f]{8})\)", message)
        assert [r.levelname for r in caplog.records if ref in r.getMessage()] == ["WARNING"], door
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


def test_a_parameter_the_path_gives_is_refused_in_the_query_string(http: TestClient, team: Team) -> None:
    answer = http.get(f"{PORTFOLIO}/acme", params={"customer": "bolt"}, headers=bearer(team.tokens["ada"]))

    assert answer.status_code == 422
    assert answer.json()["message"] == "customer: the path gives it; leave it out of the query string."
