"""The REST API's OpenAPI document: exactly the PRD's paths, made from the answer models, and fuzzed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case
from schemathesis.specs.openapi.checks import positive_data_acceptance
from starlette.applications import Starlette
from starlette.testclient import TestClient

from engagement.core import Core
from engagement.schemas import PortfolioEngagement
from engagement.settings import Settings
from tests.factories import Factory
from tests.web.conftest import BASE, Team, already_started, bearer, plant_outcomes
from web.app import create_app


@pytest.fixture
def app(settings: Settings, core: Core, team: Team) -> Iterator[Starlette]:
    # schemathesis sends a wrong token on purpose, many times: past the failed-authentication limit that is a
    # 429 (documented, and tested in test_ratelimit.py), here each must be the 401 it checks for.
    app = create_app(settings.model_copy(update={"auth_failures_per_minute": 10_000}), core=core)
    with TestClient(app, base_url=BASE):  # runs the app's lifespan around the whole test
        yield app


def test_the_document_has_exactly_the_prds_paths_and_the_tools_answer_models(app: Starlette) -> None:
    document = TestClient(app, base_url=BASE).get("/openapi.json").json()

    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {
        "/api/reports/engagement-metrics",
        "/api/reports/engagement-metrics/{customerId}",
        "/api/reports/engagement-metrics/{customerId}/trends",
        "/api/reports/engagement-metrics/correlation",
        "/api/activities",
    }
    listing = document["paths"]["/api/reports/engagement-metrics"]["get"]
    answer = listing["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/PortfolioEngagement"}
    assert document["components"]["schemas"]["PortfolioEngagement"]["properties"].keys() == PortfolioEngagement.model_fields.keys()
    assert [p["name"] for p in listing["parameters"]] == [
        "csm_id", "period", "segment", "min_score", "max_score", "category", "limit", "offset"
    ]  # fmt: skip
    assert document["security"] == [{"bearer": []}]


def test_no_input_gets_a_server_error_or_an_answer_outside_the_schema(app: Starlette, team: Team, factory: Factory) -> None:
    """schemathesis's checks (no 5xx, status codes, content types, answers and headers as documented, bad
    input refused) on every operation, as an admin who may read and write everything. Not "schema-valid
    input accepted": a period that has not begun, or an activity dated after today, fits the schema and is
    rightly refused (422, with a message that the other checks hold to the schema)."""

    plant_outcomes(factory)  # correlations with numbers in them, not only "not enough data"
    # schemathesis's pytest loaders need pytest's private node id (gone in pytest 9): drive each operation's
    # hypothesis strategy directly instead.
    schema = schemathesis.openapi.from_asgi("/openapi.json", already_started(app), headers={"Host": "127.0.0.1:8000"})
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 5

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def call(case: Case) -> None:
            case.call_and_validate(
                base_url=BASE, headers=bearer(team.tokens["ada"]), excluded_checks=[positive_data_acceptance]
            )

        call()
        # Random ids seldom name a real customer: every real one is checked against the schema too.
        known: list[Case] = []
        if "customerId" in operation.path:
            known = [operation.Case(path_parameters={"customerId": c}) for c in sorted(team.customers["ada"])]
        elif operation.path.endswith("/correlation"):
            known = [operation.Case(query={"outcome": outcome}) for outcome in ("health", "renewal", "churn")]
        elif operation.method.upper() == "POST":
            known = [operation.Case(body=[{"customer": "acme", "type": "meeting", "direction": "outbound",
                                           "date": "2026-11-23T15:30:00+02:00", "participants": ["ceo@acme.test"]}])]
        else:
            known = [operation.Case(query={"csm_id": "morgan", "limit": 500})]
        for case in known:
            case.call_and_validate(base_url=BASE, headers=bearer(team.tokens["ada"]))


def test_correlation_refuses_an_unknown_outcome_period_or_segment_saying_what_is_accepted(app: Starlette, team: Team) -> None:
    http = TestClient(app, base_url=BASE, headers=bearer(team.tokens["ada"]))
    correlation = "/api/reports/engagement-metrics/correlation"

    outcome = http.get(correlation, params={"outcome": "mood"})
    period = http.get(correlation, params={"outcome": "health", "period": "Q5"})
    segment = http.get(correlation, params={"outcome": "renewal", "segment": "Retail"})

    assert outcome.status_code == 422 and "'health', 'renewal' or 'churn'" in outcome.json()["message"]
    assert period.status_code == 400 and "this_quarter" in period.json()["message"]
    assert segment.status_code == 400 and "Enterprise, Mid-Market, SMB" in segment.json()["message"]


def test_moments_go_out_as_rfc_3339_utc_date_times_as_the_document_says(app: Starlette, team: Team) -> None:
    http = TestClient(app, base_url=BASE, headers=bearer(team.tokens["ada"]))
    components = http.get("/openapi.json").json()["components"]["schemas"]

    detail = http.get("/api/reports/engagement-metrics/acme").json()

    assert components["ActivityPublic"]["properties"]["date"] == {"format": "date-time", "title": "Date", "type": "string"}
    assert components["LastContact"]["properties"]["date"]["format"] == "date-time"
    assert detail["last_contact"]["date"] == detail["recent_activities"][0]["date"] == "2026-11-20T10:00:00Z"
    assert detail["stakeholders"][0]["last_contact"] == "2026-11-20T10:00:00Z"
