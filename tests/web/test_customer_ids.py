"""Any customer id the store holds is reachable through the REST API and the dashboard, on both databases:
ids with `/`, `?`, `#`, `%` and spaces, sent percent-encoded, and the links the pages make encode them.
A NUL in an id is refused with 400 on every door, as PostgreSQL cannot hold it."""

from __future__ import annotations

from urllib.parse import quote, unquote

import pytest
from starlette.testclient import TestClient

from tests.factories import Factory
from tests.web.conftest import Team, bearer
from tests.web.dashboard.conftest import Elements, sign_in

PORTFOLIO = "/api/reports/engagement-metrics"
ODD_IDS = {
    "a/b": "Slash Co",
    "x/trends": "Ends Like A Sub-path",
    "q?x=1": "Question Inc",
    "h#1": "Hash Ltd",
    "sp ace": "Space Corp",
    "50%off": "Percent Partners",
    "%2F": "Encoded Looking",
    "correlation/2": "Correlation Two",
}


@pytest.fixture
def odd(factory: Factory, team: Team) -> None:
    for customer_id, name in ODD_IDS.items():
        factory.customer(customer_id, name, csm_id="avery")
        factory.activity(customer_id, "2026-11-20T10:00:00", participants=[f"ceo@{len(name)}.test"])


@pytest.mark.usefixtures("odd")
def test_rest_reaches_every_customer_id_percent_encoded(http: TestClient, team: Team) -> None:
    headers = bearer(team.tokens["avery"])
    for customer_id, name in ODD_IDS.items():
        encoded = quote(customer_id, safe="")

        detail = http.get(f"{PORTFOLIO}/{encoded}", headers=headers)
        trends = http.get(f"{PORTFOLIO}/{encoded}/trends", params={"periods": 3}, headers=headers)

        assert detail.status_code == 200, (customer_id, detail.text)
        assert (detail.json()["customer_id"], detail.json()["name"]) == (customer_id, name)
        assert trends.status_code == 200, (customer_id, trends.text)
        assert trends.json()["customer_id"] == customer_id and len(trends.json()["points"]) == 3


@pytest.mark.usefixtures("odd")
def test_a_customer_id_with_a_slash_is_still_scoped(http: TestClient, team: Team) -> None:
    outside = http.get(f"{PORTFOLIO}/{quote('a/b', safe='')}", headers=bearer(team.tokens["blake"]))

    assert outside.status_code == 404 and "Slash Co" not in outside.text


@pytest.mark.usefixtures("odd")
def test_the_dashboard_links_and_opens_every_customer_id(http: TestClient, team: Team) -> None:
    sign_in(http, team.tokens["avery"])
    page = http.get("/", params={"csm": "avery"}).text
    links = {a["href"] or "" for a in Elements(page).named("a") if (a["href"] or "").startswith("/customers/")}

    for customer_id, name in ODD_IDS.items():
        [link] = [href for href in links if href.split("?")[0] == "/customers/" + quote(customer_id, safe="")]
        opened = http.get(link)
        assert opened.status_code == 200, (customer_id, opened.text[:300])
        assert f"<h1>{name}</h1>" in opened.text


@pytest.mark.usefixtures("odd")
def test_signing_in_returns_to_a_customer_whose_id_holds_a_slash(http: TestClient, team: Team) -> None:
    sign_in(http, None)

    sent_away = http.get("/customers/a%2Fb", params={"period": "last_quarter"}, follow_redirects=False)

    assert sent_away.status_code == 303
    assert sent_away.headers["location"] == "/login?next=%2Fcustomers%2Fa%252Fb%3Fperiod%3Dlast_quarter"
    sign_in(http, team.tokens["avery"])
    assert "<h1>Slash Co</h1>" in http.get(unquote(sent_away.headers["location"].split("next=")[1])).text


@pytest.mark.parametrize("path", ["/customers/%00", "/customers/acme%00", f"{PORTFOLIO}/%00", f"{PORTFOLIO}/a%00/trends"])
def test_a_nul_in_a_customer_id_is_a_400_on_every_door(http: TestClient, team: Team, path: str) -> None:
    sign_in(http, team.tokens["ada"])

    answer = http.get(path, headers=bearer(team.tokens["ada"]))

    assert answer.status_code == 400
    assert "NUL character (%00); remove it" in answer.text
