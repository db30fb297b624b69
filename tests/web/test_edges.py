"""The REST API at the edges, on both databases: periods outside the calendar, integers past their
bounds and a body nested 100,000 deep are refused with what is accepted (4xx), never a 500."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.web.conftest import Team, bearer

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
