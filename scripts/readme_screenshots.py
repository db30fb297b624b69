"""Retake the README's two screenshots (docs/img/portfolio.png, docs/img/customer.png) from the demo portfolio.

Usage: .venv/bin/python scripts/readme_screenshots.py   (needs the dev extra's Playwright and Debian's chromium)

The demo portfolio (seed 7, as of 2026-11-24) goes into a temporary SQLite store; the team server runs on
a free loopback port; Chromium signs in as the team's manager, Dana Whitfield, and photographs the
portfolio and one customer (healthy, but sliding: one to talk about). A tool, not a test: it checks
nothing and is run by hand when the pages change.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import tempfile
import threading
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout: its own packages first

from engagement.app import create_core  # noqa: E402
from engagement.caller import Caller  # noqa: E402
from engagement.customer import search  # noqa: E402
from engagement.db import session_scope  # noqa: E402
from engagement.demo import load_demo  # noqa: E402
from engagement.queries import SearchQuery  # noqa: E402
from engagement.settings import Settings  # noqa: E402
from engagement.users import add_user, issue_token  # noqa: E402
from tests.servers import free_port  # noqa: E402
from tests.web.dashboard.conftest import ReadyServer  # noqa: E402
from web.app import create_app  # noqa: E402

AS_OF = dt.date(2026, 11, 24)
MANAGER = "dana.whitfield@northwind-cs.example"
STORY = "Hollowell Retail"
CHROMIUM = "/usr/bin/chromium"  # Debian's; Playwright's own browser download is not reachable here
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


def main() -> None:
    folder = ROOT / "docs" / "img"
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="engagement-screenshots-") as scratch:
        settings = Settings(database_url=f"sqlite:///{scratch}/demo.db", as_of=AS_OF, user=None)
        core = create_core(settings)
        load_demo(core.engine, as_of=AS_OF, seed=7)
        with session_scope(core.engine) as session:
            add_user(session, MANAGER, "manager")
            token = issue_token(session, MANAGER, dt.timedelta(days=1)).token
        story = search(core, Caller(AS_OF), SearchQuery(query=STORY)).matches[0].customer_id
        port = free_port()
        server = ReadyServer(uvicorn.Config(create_app(settings, core=core, port=port), host="127.0.0.1", port=port,
                                       log_level="warning"))  # fmt: skip
        thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
        thread.start()
        if not server.ready.wait(30):
            raise SystemExit("The team server did not start within 30 s.")
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_context(viewport={"width": 1280, "height": 1180}, base_url=f"http://127.0.0.1:{port}").new_page()
                page.goto("/")
                page.fill("input[name=token]", token)
                with page.expect_navigation():
                    page.click("button")
                page.screenshot(path=folder / "portfolio.png")
                page.goto(f"/customers/{story}")
                page.screenshot(path=folder / "customer.png", full_page=True)
                browser.close()
        finally:
            server.should_exit = True
            thread.join(30)
    print(f"Written: {folder / 'portfolio.png'}, {folder / 'customer.png'}")


if __name__ == "__main__":
    main()
