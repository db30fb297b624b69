"""The server over the demo portfolio, and its tool contract as the SDK's own client lists it."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from mcp import Client

from sqlalchemy import func
from sqlmodel import Session, col, select

from engagement.db import create_tables, make_engine
from engagement.demo import load_demo
from engagement.models import Activity, Customer, Stakeholder
from engagement.settings import Settings
from server import create_server
from tests.conftest import AS_OF
from tests.contract.contract import Contract, fetch_contract


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo portfolio (seed 7) in an SQLite file, built once; tests work on copies."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    engine = make_engine(f"sqlite:///{path}")
    create_tables(engine)
    load_demo(engine, as_of=AS_OF, seed=7)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def demo_customer_ids(demo_template: Path) -> list[str]:
    engine = make_engine(f"sqlite:///{demo_template}")
    with Session(engine) as session:
        ids = list(session.exec(select(Customer.id).order_by(Customer.id)).all())
    engine.dispose()
    return ids


@pytest.fixture(scope="session")
def demo_heaviest_customers(demo_template: Path) -> list[str]:
    """The customers with the most stakeholders and with the most activities: the largest detail answers.

    Trying these few instead of all 48 keeps the budget test fast; one customer's answer grows only
    with its stakeholders (recent activities are capped), so these are the worst cases.
    """
    engine = make_engine(f"sqlite:///{demo_template}")
    heaviest: list[str] = []
    with Session(engine) as session:
        for model in (Stakeholder, Activity):
            counted = select(model.customer_id).group_by(col(model.customer_id))
            top = session.exec(counted.order_by(func.count().desc(), col(model.customer_id)).limit(2)).all()
            heaviest += [customer for customer in top if customer not in heaviest]
    engine.dispose()
    return heaviest


@pytest.fixture
def demo_settings(demo_template: Path, tmp_path: Path) -> Settings:
    """Settings over a private copy of the demo store, so a write in one test never leaks into another."""
    copy = tmp_path / "demo.db"
    shutil.copyfile(demo_template, copy)
    return Settings(database_url=f"sqlite:///{copy}", as_of=AS_OF, user=None)


@pytest.fixture
async def demo_client(demo_settings: Settings) -> AsyncIterator[Client]:
    async with Client(create_server(demo_settings)) as connected:
        yield connected


@pytest.fixture
async def contract(demo_client: Client) -> Contract:
    return await fetch_contract(demo_client)
