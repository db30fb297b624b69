"""The database going away under a running server (PostgreSQL): a clear tool error while it is gone, and
answers again by itself once it is back, without a restart. The shared PostgreSQL is never restarted:
the server reaches it through a TCP proxy the test cuts and restores, or has its backends terminated."""

from __future__ import annotations

import socket
import threading
import uuid
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from mcp import Client
from sqlalchemy import text
from sqlalchemy.engine import Engine

from engagement.db import make_engine
from engagement.settings import Settings
from server import create_server
from tests.conftest import POSTGRES_URL
from tests.factories import Factory
from tests.reliability.conftest import free_port, tool_error_text
from tests.tools.conftest import call

pytestmark = pytest.mark.anyio
LOG = {"customer": "acme", "type": "call", "direction": "outbound", "date": "2026-11-20", "external_id": "during"}


class Proxy:
    """A TCP forwarder to PostgreSQL that can be cut (every connection dropped, new ones refused) and restored."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._running = threading.Event()

    def start(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._listener.settimeout(0.05)
        self._running.set()
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def cut(self) -> None:
        self._running.clear()
        assert self._listener is not None
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while self._running.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def through(url: str, port: int) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)
    netloc = (host[0] + "@" if len(host) == 2 else "") + f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=netloc))


@pytest.fixture
def postgres_only(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("a database server that can go away")


def activity_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM activity")).scalar_one())


def assert_clear_unavailable_error(result: Any, proxy_port: int) -> None:
    message = tool_error_text(result)
    assert result.is_error, "the tool answered although the database was gone"
    assert "database is unavailable" in message and "try again" in message, message
    assert str(proxy_port) not in message and "127.0.0.1" not in message, "the error names an address"


async def test_the_server_answers_a_clear_error_while_the_database_is_gone_and_recovers_without_restart(
    postgres_only: None, settings: Settings, engine: Engine, factory: Factory
) -> None:
    factory.customer("acme", "Acme Corp")
    factory.spec_example_one("acme")
    target = urlsplit(POSTGRES_URL or "")
    proxy = Proxy((target.hostname or "127.0.0.1", target.port or 5432))
    proxy.start()
    via_proxy = settings.model_copy(update={"database_url": through(settings.resolved_database_url(), proxy.port)})
    try:
        async with Client(create_server(via_proxy)) as client:
            assert (await call(client, "get_customer_engagement", customer="acme"))["score"]["engagement_score"] == 56.8
            before = activity_count(engine)

            proxy.cut()  # every open connection dropped, new ones refused: PostgreSQL is "down"
            read = await client.call_tool("get_portfolio_engagement", {})
            write = await client.call_tool("log_activity", LOG)
            assert_clear_unavailable_error(read, proxy.port)
            assert_clear_unavailable_error(write, proxy.port)
            assert activity_count(engine) == before  # the failed write stored nothing

            proxy.start()  # "back up", same address; the server was not touched
            detail = await call(client, "get_customer_engagement", customer="acme")
            logged = await call(client, "log_activity", **LOG)
    finally:
        proxy.cut()

    assert detail["score"]["engagement_score"] == 56.8
    assert logged["created"] is True and activity_count(engine) == before + 1


async def test_terminated_backend_connections_are_replaced_without_an_error(
    postgres_only: None, settings: Settings, engine: Engine, factory: Factory
) -> None:
    factory.customer("acme", "Acme Corp")
    factory.spec_example_one("acme")
    name = f"reliability-{uuid.uuid4().hex[:8]}"
    url = settings.resolved_database_url() + f"&application_name={name}"
    async with Client(create_server(settings.model_copy(update={"database_url": url}))) as client:
        await call(client, "get_portfolio_engagement")
        admin = make_engine(POSTGRES_URL or "")
        with admin.begin() as connection:  # what a PostgreSQL restart does to the server's pooled connections
            killed = connection.execute(
                text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :name"),
                {"name": name},
            ).scalar_one()
        admin.dispose()
        assert killed >= 1

        detail = await call(client, "get_customer_engagement", customer="acme")
        logged = await call(client, "log_activity", **LOG)

    assert detail["score"]["engagement_score"] == 56.8
    assert logged["created"] is True
