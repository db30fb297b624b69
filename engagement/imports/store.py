"""Every statement the import runs against the store but the activities' insert (engagement/imports/insert.py,
reached through engagement.writer): the CSMs, customers and stakeholders stored, and their rows added or
changed. The import's other modules decide; this one reads and writes, in the import's one session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session, select

from engagement.imports.report import Counts
from engagement.models import Csm, Customer, Stakeholder

Fields = dict[str, Any]


def csms(session: Session) -> dict[str, Csm]:
    """Every stored CSM by id."""
    return {csm.id: csm for csm in session.exec(select(Csm)).all()}


def csm_ids_by_key(session: Session) -> dict[str, str]:
    """Every stored CSM's id by its lower-cased id and email: what a customers file's csm column may give."""
    return {key.lower(): csm for csm, email in session.exec(select(Csm.id, Csm.email)).all() for key in (csm, email)}


def customers(session: Session) -> dict[str, Customer]:
    """Every stored customer by id."""
    return {customer.id: customer for customer in session.exec(select(Customer)).all()}


def stakeholders(session: Session) -> list[Stakeholder]:
    return list(session.exec(select(Stakeholder)).all())


def add_csms(session: Session, new: list[tuple[str, str, str, str | None]]) -> None:
    """New CSMs (id, name, email, manager id), then their managers once every new CSM exists: foreign keys
    are checked per statement, and a manager may be another new row."""
    for csm_id, name, email, _ in new:
        session.add(Csm(id=csm_id, name=name, email=email))
    session.flush()
    for csm_id, _, _, manager_id in new:
        session.get_one(Csm, csm_id).manager_id = manager_id


def change(row: Any, fields: Fields) -> bool:
    """Set `fields` on a stored row (written at the session's next flush); whether any value differed."""
    changed = any(getattr(row, name) != value for name, value in fields.items())
    for name, value in fields.items():
        setattr(row, name, value)
    return changed


def upsert(session: Session, stored: dict[Any, Any], wanted: dict[Any, Fields], new: Callable[..., Any]) -> Counts:
    """Add the rows not stored (`new(key, fields)` makes one), change those that differ, and count which was which."""
    counts = Counts()
    for key, fields in wanted.items():
        if key not in stored:
            session.add(new(key, fields))
            counts.imported += 1
        elif change(stored[key], fields):
            counts.updated += 1
        else:
            counts.unchanged += 1
    return counts
