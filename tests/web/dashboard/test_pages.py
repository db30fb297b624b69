"""The dashboard's pages through the ASGI client: what they show is the core's answer, in the caller's scope."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from engagement.analysis.calls import compare_csms
from engagement.db import make_engine
from engagement.core import Core
from engagement.settings import Settings
from tests.factories import Factory
from tests.servers import free_port
from tests.web.dashboard.conftest import ADMIN, BASE, Elements, sign_in
from web import pages
from web.app import create_app
from engagement.customer import customer
from engagement.portfolio import portfolio
from engagement.queries import CsmsQuery, CustomerQuery, PortfolioQuery

@pytest.fixture
def book(factory: Factory, org: dict[str, str]) -> None:
    """Ana: a busy account and a silent one; Bo: one declining account; Cy (outside the lead's team): one."""
    factory.customer("acme", "Acme Corp", csm_id="ana", segment="Enterprise", arr=250_000)
    factory.stakeholder("acme", "Sarah Chen", "sarah@acme.test", level="executive", title="VP Operations")
    factory.spec_example_one("acme")
    factory.customer("quiet", "Quiet Co", csm_id="ana", segment="SMB")
    factory.customer("globex", "Globex", csm_id="bo", segment="Mid-Market")
    factory.activities("globex", 12, "2026-08-03T10:00:00", response_received=True)
    factory.activity("globex", "2026-10-02T09:00:00", subject="Renewal discussion")
    factory.customer("initech", "Initech", csm_id="cy", segment="Enterprise")
    factory.activities("initech", 3, "2026-11-02T10:00:00")


def kpis(page: str) -> list[str]:
    return re.findall(r'<p class="kpi-value">([^<]+)<', page)


def customer_links(page: str) -> list[str]:
    return [a["href"] or "" for a in Elements(page).named("a") if (a["href"] or "").startswith("/customers/")]


@pytest.mark.usefixtures("book")
def test_portfolio_shows_the_answers_figures_and_links_every_customer(client: TestClient, core: Core) -> None:
    answer = portfolio(core, ADMIN, PortfolioQuery(csm_id="all", limit=25))
    page = client.get("/").text

    counts = {c.category: c.count for c in answer.summary.categories}
    assert kpis(page) == [f"{answer.summary.average_score:.1f}", str(counts["high"]), str(counts["at_risk"])]
    for row in answer.customers:
        assert f"/customers/{row.customer_id}?period=this_quarter" in customer_links(page)
        assert f">{row.engagement_score:.1f}<" in page
    assert "Never contacted" in page  # Quiet Co's reason, from the answer


@pytest.mark.usefixtures("book")
def test_signed_out_visitor_is_sent_to_login_and_back(client: TestClient) -> None:
    sign_in(client, None)
    response = client.get("/customers/acme?period=last_quarter")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fcustomers%2Facme%3Fperiod%3Dlast_quarter"


@pytest.mark.usefixtures("book")
def test_filters_by_csm_and_segment_narrow_the_portfolio(client: TestClient) -> None:
    page = client.get("/", params={"csm": "ana", "segment": "Enterprise"}).text
    assert "Ana Alder&#39;s customers, Enterprise" in page
    assert customer_links(page) == ["/customers/acme?period=this_quarter"] * 2  # in the attention list and the table
    assert '<option value="ana" selected>' in page and '<option value="Enterprise" selected>' in page


@pytest.mark.usefixtures("book")
def test_category_filter_keeps_the_summary_and_lists_only_that_category(client: TestClient, core: Core) -> None:
    page = client.get("/", params={"category": "at_risk"}).text
    at_risk = portfolio(core, ADMIN, PortfolioQuery(csm_id="all", category="at_risk")).customers
    table = page.split('id="customers"')[1]
    assert {link.split("?")[0] for link in customer_links(table)} == {f"/customers/{r.customer_id}" for r in at_risk}
    assert kpis(page)[0] == f"{portfolio(core, ADMIN, PortfolioQuery(csm_id='all')).summary.average_score:.1f}"


@pytest.mark.usefixtures("book")
def test_customer_page_shows_score_components_coverage_trend_and_activities(client: TestClient, core: Core) -> None:
    detail = customer(core, ADMIN, CustomerQuery(customer="acme"))
    page = client.get("/customers/acme").text

    assert "<h1>Acme Corp</h1>" in page
    assert f"{detail.score.engagement_score:.1f}" == "56.8" and ">56.8<" in page  # SPEC.md example 1
    assert ">Low<" in page
    assert "Sarah Chen" in page and "VP Operations" in page
    assert "ana@acme.test" in page  # a participant who is not a known stakeholder still shows
    for name, value in detail.score.components:
        assert f'<span class="component-value">{round(value)}</span>' in page, name
    assert page.count('class="trend ') == 2  # the six-month chart, wide and narrow
    assert page.count('<circle class="dot') == 12
    assert "Emails sent</dt><dd>10<" in page and "Response rate</dt><dd>60%<" in page


@pytest.mark.usefixtures("book")
def test_customer_page_switches_period(client: TestClient, core: Core) -> None:
    page = client.get("/customers/globex", params={"period": "last_quarter"}).text
    detail = customer(core, ADMIN, CustomerQuery(customer="globex", period="last_quarter"))
    assert '<option value="last_quarter" selected>' in page
    assert f">{detail.score.engagement_score:.1f}<" in page
    assert "Emails sent</dt><dd>12<" in page


def test_hostile_text_is_shown_as_text_never_markup(client: TestClient, factory: Factory) -> None:
    script, image = "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>'
    factory.csm("evil", f"Eve {script}", manager_id="lead")
    factory.customer("bad", f"Bad {script} {image}", csm_id="evil")
    factory.stakeholder("bad", f"Mal {image}", "mal@bad.test", title=f"CTO {script}")
    factory.activity("bad", "2026-11-20T10:00:00", subject=f"Re: {image} {script}", participants=["mal@bad.test"])

    for url in ("/", "/customers/bad", "/team", "/?csm=evil"):
        page = client.get(url).text
        elements = Elements(page)
        assert not elements.named("script") and not elements.named("img"), url
        assert not [a for _, attrs in elements.tags for a in attrs if a.startswith("on")], url
        assert script not in page and image not in page, url
    detail = client.get("/customers/bad").text
    assert escape(f"Bad {script} {image}") in detail
    assert escape(f"Re: {image} {script}") in detail
    assert escape(f"CTO {script}") in detail


class Shown(HTMLParser):
    """What a reader of a page is shown: its text, and the labels of its elements (an SVG's aria-label, a title)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.svg_labels: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parts += [value or "" for _, value in attrs]
        if tag == "svg":
            self.svg_labels.append(dict(attrs).get("aria-label") or "")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def test_bidi_controls_and_esc_from_the_data_are_shown_not_obeyed(client: TestClient, factory: Factory) -> None:
    factory.csm("evil", "Eve\u2066Admin\u2069", manager_id="lead")
    factory.customer("bad", "Acme\u202eexe.TXT", csm_id="evil")
    factory.stakeholder("bad", "Mal\u200fory\x1b[2J", "mal@bad.test", title="CTO\u061c\u202d")
    factory.activity("bad", "2026-11-20T10:00:00", subject="Re:\x1b]8;;http://x.test\x07 hi\u2028", participants=["mal@bad.test"])
    obeyed = "\u202e\u2066\u2069\u200f\u061c\u202d\u2028\x1b\x07"

    pages = {url: Shown(client.get(url).text) for url in ("/", "/customers/bad", "/team", "/?csm=evil")}

    for url, page in pages.items():
        assert not [part for part in page.parts if any(char in part for char in obeyed)], url
    text = " ".join(pages["/customers/bad"].parts)
    assert "Acme\\u202eexe.TXT" in text and "Eve\\u2066Admin\\u2069" in text
    assert "Mal\\u200fory\\x1b[2J" in text and "CTO\\u061c\\u202d" in text
    assert "Re:\\x1b]8;;http://x.test\\x07 hi\\u2028" in text
    assert any("Mal\\u200fory\\x1b[2J" in label for label in pages["/customers/bad"].svg_labels)  # the SVG's label
    assert "Acme\\u202eexe.TXT" in " ".join(pages["/"].parts)


@pytest.mark.usefixtures("book")
def test_pages_have_no_script_no_inline_style_and_one_stylesheet(client: TestClient) -> None:
    for url in ("/", "/customers/acme", "/team", "/?period=nonsense"):
        elements = Elements(client.get(url).text)
        assert not elements.named("script") and not elements.named("style"), url
        assert not [tag for tag, attrs in elements.tags if "style" in attrs], url
        sheets = [link["href"] for link in elements.named("link") if link.get("rel") == "stylesheet"]
        assert sheets == ["/static/dashboard.css"], url
    assert client.get("/static/dashboard.css").headers["content-type"].startswith("text/css")


@pytest.mark.usefixtures("book")
def test_a_bad_filter_is_a_400_page_saying_what_is_accepted(client: TestClient) -> None:
    for params, expected in (
        ({"period": "Q5"}, "Unknown period &#39;Q5&#39;. Use this_quarter"),
        ({"segment": "Huge"}, "segment &#39;Huge&#39; is not valid; use one of Enterprise, Mid-Market, SMB."),
        ({"category": "meh"}, "category: Input should be &#39;high&#39;, &#39;healthy&#39;, &#39;low&#39; or &#39;at_risk&#39;."),
        ({"min_score": "120"}, "min_score: Input should be less than or equal to 100."),
        ({"max_score": "lots"}, "max_score: Input should be a valid number"),
        ({"offset": "-3"}, "offset &#39;-3&#39; is not a row number"),
        ({"csm": "x\x00y"}, "csm contains a NUL character (\\x00); remove it."),
        ({"segment": "x" * 321}, "segment is 321 characters long; at most 320 are accepted."),
    ):
        response = client.get("/", params=params)
        assert response.status_code == 400, params
        assert expected in response.text, params


@pytest.mark.usefixtures("book")
def test_a_customer_outside_the_callers_scope_is_not_found_and_names_nobody(client: TestClient, org: dict[str, str]) -> None:
    sign_in(client, org["lead"])
    assert client.get("/customers/acme").status_code == 200
    for url in ("/customers/initech", "/customers/Initech", "/customers/nobody-like-initek", "/?csm=cy"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Initech" not in response.text and "Cy Cole" not in response.text, url


def unreachable(engine: Engine, tmp_path: Path) -> Engine:
    """A store of the same kind that does not answer: a port nobody listens on, a file in a missing folder."""
    if engine.dialect.name == "postgresql":
        url = engine.url.set(host="127.0.0.1", port=free_port())
    else:
        url = engine.url.set(database=str(tmp_path / "missing" / "engagement.db"))
    return make_engine(url.render_as_string(hide_password=False))


@pytest.mark.usefixtures("book")
def test_a_database_outage_is_a_503_page_saying_try_again(
    client: TestClient, core: Core, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core, "engine", unreachable(engine, tmp_path))  # sign-in still reads the real store
    for url in ("/", "/customers/acme", "/team"):
        response = client.get(url)
        assert response.status_code == 503, url
        assert response.headers["content-type"].startswith("text/html"), url
        assert "The engagement database is unavailable right now" in response.text and "try again shortly" in response.text, url
        assert "127.0.0.1" not in response.text and "missing" not in response.text, url


@pytest.mark.usefixtures("book")
def test_a_csm_sees_only_their_book_and_no_team_view_link(client: TestClient, org: dict[str, str]) -> None:
    sign_in(client, org["ana"])
    page = client.get("/").text
    assert {link.split("?")[0] for link in customer_links(page)} == {"/customers/acme", "/customers/quiet"}
    assert "Ana Alder&#39;s customers" in page
    assert 'href="/team"' not in page
    assert "Bo Birch" not in page


@pytest.mark.usefixtures("book")
def test_team_view_is_the_csm_comparison_of_the_managers_team(
    client: TestClient, org: dict[str, str], core: Core
) -> None:
    sign_in(client, org["lead"])
    page = client.get("/team").text
    comparison = compare_csms(core, ADMIN, CsmsQuery(manager_id="lead"))
    rows = re.findall(r'<a class="strong" href="/\?csm=(\w+)&amp;period=this_quarter">([^<]+)</a>', page)
    assert rows == [(row.csm_id, row.name) for row in comparison.csms] == [("bo", "Bo Birch"), ("ana", "Ana Alder")]
    for row in comparison.csms:
        assert f'<td class="num">{row.average_score:.1f}</td>' in page
    assert "Cy Cole" not in page
    whole = portfolio(core, ADMIN, PortfolioQuery(csm_id="lead")).summary
    assert f'<th scope="row">All</th><td class="num wide">{whole.customer_count}</td><td class="num">{whole.average_score:.1f}</td>' in page


def test_team_view_scores_the_team_once_however_many_csms_it_has(
    client: TestClient, org: dict[str, str], core: Core, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    for number in range(12):
        factory.csm(f"rep{number}", f"Rep {number:02d}", manager_id="lead")
        factory.customer(f"k{number}", f"Customer {number:02d}", csm_id=f"rep{number}")
    asked: list[str | None] = []
    monkeypatch.setattr(pages, "portfolio_answer", lambda core, caller, q: asked.append(q.csm_id) or portfolio(core, caller, q))
    sign_in(client, org["lead"])

    page = client.get("/team").text

    assert asked == [None]  # the team's summary; each CSM's row comes from the one comparison
    assert all(f"Rep {number:02d}" in page for number in range(12))


def test_customer_ids_with_reserved_characters_link_and_open(client: TestClient, factory: Factory) -> None:
    factory.customer("acme/eu #1?", "Acme Europe", csm_id="ana")
    page = client.get("/").text
    assert "/customers/acme%2Feu%20%231%3F?period=this_quarter" in customer_links(page)
    detail = client.get("/customers/acme%2Feu%20%231%3F")
    assert detail.status_code == 200 and "<h1>Acme Europe</h1>" in detail.text


def test_portfolio_pages_through_every_customer(client: TestClient, factory: Factory) -> None:
    for number in range(30):
        factory.customer(f"c{number:02d}", f"Customer {number:02d}", csm_id="ana")
    first = client.get("/").text
    assert len(customer_links(first.split('id="customers"')[1])) == 25
    assert 'href="/?period=this_quarter&amp;offset=25#customers"' in first and "1–25 of 30" in first
    second = client.get("/?offset=25").text
    assert len(customer_links(second.split('id="customers"')[1])) == 5
    assert 'href="/?period=this_quarter#customers"' in second and "26–30 of 30" in second


def test_an_empty_store_says_nothing_matches(client: TestClient) -> None:
    page = client.get("/").text
    assert "No customers match these filters." in page


def test_a_laptop_server_without_users_shows_everything_without_sign_in(
    settings: Settings, core: Core, factory: Factory
) -> None:
    factory.customer("solo", "Solo Inc")
    with TestClient(create_app(settings, core=core), base_url=BASE) as local:
        page = local.get("/").text
    assert "Local, no sign-in" in page and "Solo Inc" in page
    assert "Sign out" not in page
