"""The dashboard over the test store: an ASGI client for the pages, and a real server for the browser."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.testclient import TestClient

from engagement.caller import Caller
from engagement.service import EngagementService
from tests.conftest import AS_OF
from tests.factories import Factory
from tests.servers import free_port
from tests.web.dashboard.testapp import COOKIE, Principal, create_test_app


ADMIN = Caller(AS_OF)  # sees every customer: what the tests compare the pages with


@pytest.fixture
def org(factory: Factory) -> None:
    """A manager with two CSMs, and one CSM outside that team."""
    factory.csm("lead", "Lena Lead")
    factory.csm("ana", "Ana Alder", manager_id="lead")
    factory.csm("bo", "Bo Birch", manager_id="lead")
    factory.csm("cy", "Cy Cole")


@pytest.fixture
def users() -> dict[str, Principal]:
    return {
        "admin-token": Principal("admin@ourco.test", "admin", Caller(AS_OF)),
        "lead-token": Principal(
            "lead@ourco.test", "manager", Caller(AS_OF, user="lead", visible_csms=frozenset({"lead", "ana", "bo"}))
        ),
        "ana-token": Principal("ana@ourco.test", "csm", Caller(AS_OF, user="ana", visible_csms=frozenset({"ana"}))),
    }


@pytest.fixture
def app(service: EngagementService, users: dict[str, Principal]) -> Starlette:
    return create_test_app(service, users)


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    """Signed in as the admin; `sign_in(client, token)` switches."""
    with TestClient(app, follow_redirects=False) as test_client:
        sign_in(test_client, "admin-token")
        yield test_client


def sign_in(client: TestClient, token: str) -> None:
    client.cookies.set(COOKIE, token)


class _Server(uvicorn.Server):
    """uvicorn that says when it is listening (an event to wait on, not a poll)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list | None = None) -> None:  # type: ignore[type-arg]
        await super().startup(sockets)
        self.ready.set()


@pytest.fixture
def live_server(app: Starlette) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port, for the browser; yields its base URL."""
    port = free_port()
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    assert server.ready.wait(30), "uvicorn did not start within 30 s"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(30)


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
