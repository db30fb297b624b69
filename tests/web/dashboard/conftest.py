"""The dashboard in the team server over the test store: an ASGI client for the pages, and the server
run by uvicorn for the browser. People sign in with tokens made as `engagement token create` makes them."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from html.parser import HTMLParser

import pytest
import uvicorn
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from engagement.caller import Caller
from engagement.db import session_scope
from engagement.core import Core
from engagement.settings import Settings
from engagement.users import add_user, issue_token
from tests.conftest import AS_OF
from tests.factories import Factory
from tests.servers import free_port
from web.app import create_app

CHROMIUM = "/usr/bin/chromium"  # Debian's; Playwright's own browser download is not reachable here
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ADMIN = Caller(AS_OF)  # sees every customer: what the tests compare the pages with
BASE = "http://127.0.0.1:8000"


def token_for(engine: Engine, email: str, role: str) -> str:
    """A new user and a token for them (a csm or manager is the store's CSM with that email)."""
    with session_scope(engine) as session:
        add_user(session, email, role)
        return issue_token(session, email, dt.timedelta(days=1)).token


@pytest.fixture
def org(factory: Factory, engine: Engine) -> dict[str, str]:
    """A manager with two CSMs and one CSM outside that team; tokens of the admin, the lead and Ana."""
    factory.csm("lead", "Lena Lead")
    factory.csm("ana", "Ana Alder", manager_id="lead")
    factory.csm("bo", "Bo Birch", manager_id="lead")
    factory.csm("cy", "Cy Cole")
    return {
        "admin": token_for(engine, "admin@ourco.test", "admin"),
        "lead": token_for(engine, "lead@ourco.test", "manager"),
        "ana": token_for(engine, "ana@ourco.test", "csm"),
    }


@pytest.fixture
def client(settings: Settings, core: Core, org: dict[str, str]) -> Iterator[TestClient]:
    """The team server in process, signed in as the admin; `sign_in(client, token)` switches."""
    with TestClient(create_app(settings, core=core), base_url=BASE, follow_redirects=False) as test_client:
        sign_in(test_client, org["admin"])
        yield test_client


def sign_in(client: TestClient, token: str | None) -> None:
    """Ask with this token (None: signed out)."""
    client.headers.pop("Authorization", None)
    if token is not None:
        client.headers["Authorization"] = f"Bearer {token}"


class ReadyServer(uvicorn.Server):
    """uvicorn that says when it is listening (an event to wait on, not a poll)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list | None = None) -> None:  # type: ignore[type-arg]
        await super().startup(sockets)
        self.ready.set()


@pytest.fixture
def accounts(org: dict[str, str]) -> dict[str, str]:
    """Who may sign in to the browser's server, by name: made before it starts (a test module may bring its own)."""
    return org


@contextmanager
def serving(settings: Settings, core: Core) -> Iterator[str]:
    """The team server run by uvicorn on a free loopback port, for the browser; yields its base URL."""
    port = free_port()
    app = create_app(settings, core=core, port=port)
    server = ReadyServer(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    assert server.ready.wait(30), "uvicorn did not start within 30 s"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(30)


@pytest.fixture
def live_server(settings: Settings, core: Core, accounts: dict[str, str]) -> Iterator[str]:
    """The team server for the browser. Its users must exist before it starts (without any it would run
    open, as on a laptop)."""
    with serving(settings, core) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for a module's tests. Playwright's sync API keeps an event loop for as long as it
    runs: it stops with the module, before any async test elsewhere wants the thread's loop."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install -y chromium` (.ci/run does it).")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Elements(HTMLParser):
    """Every start tag of a page with its attributes, to check what markup a page really contains."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def named(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]
