"""The team server over the test store: a small team (a manager, two CSMs, an admin), their tokens, the app."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from starlette.responses import JSONResponse
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from engagement.db import session_scope
from engagement.core import Core
from engagement.settings import Settings
from engagement.users import add_user, issue_token
from tests.factories import Factory
from web.app import create_app

BASE = "http://127.0.0.1:8000"


@dataclass
class Team:
    """Who sees what: Morgan manages Avery; Blake is on another team; Ada is an admin."""

    tokens: dict[str, str]  # by person: avery, morgan, blake, ada
    customers: dict[str, set[str]]  # the customer ids each person may see


def make_team(engine: Engine, factory: Factory) -> Team:
    factory.csm("morgan", "Morgan Lee", "morgan@ourco.test")
    factory.csm("avery", "Avery Diaz", "avery@ourco.test", manager_id="morgan")
    factory.csm("blake", "Blake Chen", "blake@ourco.test")
    factory.customer("acme", "Acme Corp", csm_id="avery")
    factory.customer("apex", "Apex Labs", csm_id="avery")
    factory.customer("mosaic", "Mosaic Health", csm_id="morgan")
    factory.customer("bolt", "Bolt Freight", csm_id="blake")
    factory.customer("orphan", "Orphan Inc")  # no CSM: only an admin sees it
    for customer in ("acme", "mosaic", "bolt"):
        factory.activity(customer, "2026-11-20T10:00:00", participants=[f"ceo@{customer}.test"])
    roles = {"avery": "csm", "morgan": "manager", "blake": "csm", "ada": "admin"}
    tokens = {}
    with session_scope(engine) as session:
        for person, role in roles.items():
            add_user(session, f"{person}@ourco.test", role)
            tokens[person] = issue_token(session, f"{person}@ourco.test", dt.timedelta(days=30)).token
    return Team(
        tokens=tokens,
        customers={
            "avery": {"acme", "apex"},
            "morgan": {"acme", "apex", "mosaic"},
            "blake": {"bolt"},
            "ada": {"acme", "apex", "mosaic", "bolt", "orphan"},
        },
    )


def plant_outcomes(factory: Factory) -> None:
    """For Avery and for Blake: 12 accounts with a health score that rises with their emails this quarter,
    and 12 past their renewal (renewed when emailed more in the quarter before it, two the other way)."""
    for csm in ("avery", "blake"):
        for i in range(12):
            sent = 1 + (i * 7) % 20
            factory.customer(f"h-{csm}-{i:02d}", f"Health {csm} {i:02d}", csm_id=csm,
                             health_score=round(30 + 2.5 * sent + (5 if i % 2 else -5), 1))  # fmt: skip
            factory.activities(f"h-{csm}-{i:02d}", sent, "2026-11-14T09:00:00")
            sent = 2 + i % 12
            renewed = (sent >= 6) != (i in (3, 8))
            factory.customer(f"r-{csm}-{i:02d}", f"Renewal {csm} {i:02d}", csm_id=csm, segment="Enterprise",
                             renewal_date=dt.date(2026, 8, 10), status="renewed" if renewed else "churned")  # fmt: skip
            factory.activities(f"r-{csm}-{i:02d}", sent, "2026-06-24T10:00:00")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def team(engine: Engine, factory: Factory) -> Team:
    return make_team(engine, factory)


@pytest.fixture
def http(settings: Settings, core: Core, team: Team) -> Iterator[TestClient]:
    """The whole team server in process (users exist, so every request needs a token)."""
    with TestClient(create_app(settings, core=core), base_url=BASE) as client:
        yield client


def already_started(app: ASGIApp, documents: dict[str, Any] | None = None) -> ASGIApp:
    """`app`, whose lifespan a fixture already runs (schemathesis's client starts one per call), also serving
    the JSON `documents` by path (an OpenAPI description the tests bring)."""

    async def served(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            for reply in ("lifespan.startup.complete", "lifespan.shutdown.complete"):
                await receive()
                await send({"type": reply})
            return
        if documents and scope["path"] in documents:
            await JSONResponse(documents[scope["path"]])(scope, receive, send)
            return
        await app(scope, receive, send)

    return served


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
