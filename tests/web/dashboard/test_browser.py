"""The dashboard in a real browser: Debian's chromium driven by Playwright, against uvicorn serving the pages.

Screenshots go to test-artifacts/browser/ (git-ignored); the README's docs/img/*.png are retaken by
scripts/readme_screenshots.py, a tool run by hand, not a test.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page

from engagement.db import session_scope
from engagement.demo import load_demo
from engagement.models import Csm
from engagement.core import Core
from tests.conftest import AS_OF
from tests.factories import Factory
from tests.servers import ROOT
from tests.web.dashboard.conftest import ADMIN, token_for
from engagement.customer import customer
from engagement.portfolio import portfolio
from engagement.queries import CustomerQuery, PortfolioQuery

ARTIFACTS = ROOT / "test-artifacts" / "browser"
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def accounts(core: Core) -> dict[str, str]:
    """The demo portfolio, and tokens for its manager, Dana, and one of her CSMs, Priya."""
    load_demo(core.engine, as_of=AS_OF, seed=7)
    return {
        "dana": token_for(core.engine, "dana.whitfield@northwind-cs.example", "manager"),
        "priya": token_for(core.engine, "priya.raman@northwind-cs.example", "csm"),
    }


@pytest.fixture
def artifacts(core: Core, request: pytest.FixtureRequest) -> Path:
    folder = ARTIFACTS / core.engine.dialect.name / request.node.originalname
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


class Watched:
    """A page whose console errors (a CSP violation is one) and dialogs (an injected alert) are kept."""

    def __init__(self, browser: Browser, base: str, viewport: dict[str, int]) -> None:
        self.context = browser.new_context(viewport=viewport, base_url=base)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", self._console)
        self.page.on("dialog", self._dialog)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"{message.text} ({message.location.get('url')})")

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def sign_in(self, path: str, token: str, screenshot: Path | None = None) -> Page:
        self.page.goto(path)
        assert "/login" in self.page.url
        if screenshot is not None:
            self.page.screenshot(path=screenshot)
        self.page.fill("input[name=token]", token)
        with self.page.expect_navigation():
            self.page.click("button")
        return self.page

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def laptop(browser: Browser, live_server: str) -> Iterator[Watched]:
    watched = Watched(browser, live_server, LAPTOP)
    yield watched
    watched.close()


@pytest.fixture
def phone(browser: Browser, live_server: str) -> Iterator[Watched]:
    watched = Watched(browser, live_server, PHONE)
    yield watched
    watched.close()


def apply_filters(page: Page, **choices: str) -> None:
    for name, value in choices.items():
        page.select_option(f"select[name={name}]", value)
    with page.expect_navigation():
        page.click("form.filters button")


def test_a_manager_signs_in_filters_opens_a_customer_and_switches_period(
    laptop: Watched, accounts: dict[str, str], core: Core, artifacts: Path
) -> None:
    page = laptop.sign_in("/", accounts["dana"], screenshot=artifacts / "0-login.png")
    assert page.locator("h1").inner_text() == "Portfolio engagement"
    summary = portfolio(core, ADMIN, PortfolioQuery(csm_id="dana.whitfield")).summary
    counts = {c.category: c.count for c in summary.categories}
    assert page.locator(".kpi-value").all_inner_texts() == [
        f"{summary.average_score:.1f}/100", str(counts["high"]), str(counts["at_risk"])
    ]
    page.screenshot(path=artifacts / "1-portfolio.png", full_page=True)

    apply_filters(page, csm="priya.raman", segment="SMB")
    assert "csm=priya.raman" in page.url and "segment=SMB" in page.url
    expected = portfolio(core, ADMIN, PortfolioQuery(csm_id="priya.raman", segment="SMB", limit=25)).customers
    names = page.locator("table.customers tbody td:first-child a").all_inner_texts()
    assert names == [row.name for row in expected] and names
    assert set(page.locator("table.customers tbody td:nth-child(3)").all_inner_texts()) == {"Priya Raman"}
    page.screenshot(path=artifacts / "2-filtered.png", full_page=True)

    with page.expect_navigation():
        page.locator("table.customers tbody a").first.click()
    assert page.locator("h1").inner_text() == expected[0].name
    assert page.locator(".hero-value").inner_text() == f"{expected[0].engagement_score:.1f}/100"
    page.screenshot(path=artifacts / "3-customer.png", full_page=True)

    apply_filters(page, period="last_quarter")
    assert "period=last_quarter" in page.url
    detail = customer(core, ADMIN, CustomerQuery(customer=expected[0].customer_id, period="last_quarter"))
    assert page.locator(".hero-value").inner_text() == f"{detail.score.engagement_score:.1f}/100"
    assert "Last quarter" in page.locator(".hero-facts").inner_text()
    page.screenshot(path=artifacts / "4-customer-last-quarter.png", full_page=True)

    with page.expect_navigation():
        page.click(".crumbs a")
    assert page.locator("select[name=period]").input_value() == "last_quarter"

    with page.expect_navigation():
        page.click(".signout button")
    assert "/login" in page.url
    page.goto("/")
    assert "/login" in page.url  # the session cookie is gone
    assert laptop.errors == [] and laptop.dialogs == []


def test_every_view_fits_a_phone_screen(
    phone: Watched, accounts: dict[str, str], core: Core, artifacts: Path
) -> None:
    page = phone.sign_in("/", accounts["dana"])
    worst = portfolio(core, ADMIN, PortfolioQuery(csm_id="dana.whitfield", limit=1)).customers[0].customer_id
    for name, path in (("portfolio", "/"), ("customer", f"/customers/{worst}"), ("team", "/team")):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} is {width}px wide on a {PHONE['width']}px screen"
        cut = page.evaluate("[...document.querySelectorAll('.table-scroll')].filter(e => e.scrollWidth > e.clientWidth).length")
        assert cut == 0, f"a table on {path} needs sideways scrolling on a phone"
        page.screenshot(path=artifacts / f"{name}.png", full_page=True)
    assert phone.errors == [] and phone.dialogs == []


def test_hostile_names_stay_text_in_the_browser(
    laptop: Watched, accounts: dict[str, str], core: Core, factory: Factory, artifacts: Path
) -> None:
    payload = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    with session_scope(core.engine) as session:
        session.get(Csm, "priya.raman").name = f"Priya {payload}"  # type: ignore[union-attr]
    factory.customer("evil", f"Evil {payload}", csm_id="priya.raman")
    factory.stakeholder("evil", f"Mal {payload}", "mal@evil.test", title=f"CTO {payload}")
    factory.activity("evil", "2026-11-20T10:00:00", subject=f"Re: {payload}", participants=["mal@evil.test"])

    page = laptop.sign_in("/customers/evil", accounts["priya"])
    assert page.locator("h1").inner_text() == f"Evil {payload}"
    assert payload in page.locator(".activities").inner_text()
    assert page.locator("img").count() == 0
    page.screenshot(path=artifacts / "customer.png", full_page=True)
    page.goto("/")
    assert page.locator("img").count() == 0
    assert laptop.errors == [] and laptop.dialogs == []
