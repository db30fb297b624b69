"""Small builders for test data: a CSM, a customer, a stakeholder, activities, straight into the store."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sqlalchemy.engine import Engine

from engagement.caller import Caller
from engagement.db import session_scope
from engagement.models import Activity, Csm, Customer, Stakeholder
from engagement.core import Core


def local(core: Core) -> Caller:
    """The local user of the test store's settings, as of its fixed day (what the stdio server and the CLI ask as)."""
    return Caller.local(core.settings)


class Factory:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._ids = itertools.count(1)

    def _save(self, *rows: Any) -> None:
        with session_scope(self.engine) as session:
            session.add_all(rows)

    def csm(self, id: str = "csm-1", name: str = "Casey Morgan", email: str | None = None, manager_id: str | None = None) -> Csm:
        row = Csm(id=id, name=name, email=email or f"{id}@ourco.test", manager_id=manager_id)
        self._save(row)
        return row

    def customer(self, id: str | None = None, name: str | None = None, **fields: Any) -> Customer:
        number = next(self._ids)
        row = Customer(
            id=id or f"cust-{number}",
            name=name or f"Customer {number}",
            segment=fields.pop("segment", "Mid-Market"),
            **fields,
        )
        self._save(row)
        return row

    def stakeholder(self, customer_id: str, name: str, email: str, level: str | None = None, title: str | None = None) -> Stakeholder:
        row = Stakeholder(customer_id=customer_id, name=name, email=email, level=level, title=title)
        self._save(row)
        return row

    def activity(self, customer_id: str, when: str | dt.datetime, type: str = "email", direction: str = "outbound", **fields: Any) -> Activity:
        date = when if isinstance(when, dt.datetime) else dt.datetime.fromisoformat(when)
        row = Activity(customer_id=customer_id, type=type, direction=direction, date=date, **fields)
        self._save(row)
        return row

    def activities(self, customer_id: str, count: int, when: str, **fields: Any) -> None:
        date = dt.datetime.fromisoformat(when)
        rows = [Activity(customer_id=customer_id, date=date, **{"type": "email", "direction": "outbound", **fields}) for _ in range(count)]
        self._save(*rows)

    def spec_example_one(self, customer_id: str) -> None:
        """SPEC.md example 1: 10 outbound emails (6 answered), 3 x 30 min meetings, 3 people, last 2026-11-20."""
        people = ["ana@acme.test", "ben@acme.test", "cho@acme.test"]
        self.activities(customer_id, 6, "2026-10-05T10:00:00", response_received=True, response_time_hours=4.0)
        self.activities(customer_id, 4, "2026-10-06T10:00:00", response_received=False)
        for day, person in zip(("2026-10-20", "2026-11-03", "2026-11-20"), people):
            self.activity(customer_id, f"{day}T15:00:00", type="meeting", duration_minutes=30, participants=[person])
