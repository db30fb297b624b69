"""Finding what a caller names: customers, CSMs and teams, and reading one customer's records.

Each lookup takes the caller, and a record the caller may not see is answered exactly as one that
does not exist: no data, no hint that it is there.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, func, or_, select

from engagement.caller import Caller
from engagement.errors import EngagementError, NotFoundError
from engagement.models import Activity, Csm, Customer, Stakeholder
from engagement.query import MAX_REF_LENGTH
from engagement.vocabulary import SEGMENTS



def _visible_customers(caller: Caller) -> list[ColumnElement[bool]]:
    if caller.visible_csms is None:
        return []
    return [col(Customer.csm_id).in_(sorted(caller.visible_csms))]


def find_customer(session: Session, ref: str, caller: Caller) -> Customer:
    """A customer by id, or by name ignoring case (a unique partial name works too).

    Unknown or ambiguous references raise NotFoundError listing the close matches the caller may see.
    """
    text = (ref or "").strip()
    if not text:
        raise EngagementError("customer is empty; give a customer id or name (search_customers finds them).")
    if len(text) > MAX_REF_LENGTH:
        raise EngagementError(f"customer is {len(text)} characters long; ids and names are at most {MAX_REF_LENGTH}.")
    visible = _visible_customers(caller)
    if (by_id := session.get(Customer, text)) and caller.may_see(by_id.csm_id):
        return by_id
    lowered = text.lower()
    exact = session.exec(select(Customer).where(func.lower(Customer.name) == lowered, *visible)).all()
    if len(exact) == 1:
        return exact[0]
    partial = exact or session.exec(
        select(Customer).where(func.lower(Customer.name).contains(lowered, autoescape=True), *visible).limit(11)
    ).all()
    if len(partial) == 1:
        return partial[0]
    if partial:
        raise ambiguous_customer(text, [(c.id, c.name) for c in partial])
    names = session.exec(select(Customer.name).where(*visible)).all()
    raise no_customer(text, names, "search_customers lists customers by name.")


def no_customer(ref: str, names: Sequence[str], otherwise: str) -> NotFoundError:
    """A reference that names no customer, in the words every lookup uses: the names among `names` close to
    it (ignoring case), else `otherwise`, what to do instead."""
    lowered = {name.lower(): name for name in names}
    close = [lowered[key] for key in difflib.get_close_matches(ref.lower(), list(lowered), n=5, cutoff=0.5)]
    return NotFoundError(f"No customer '{ref}'. " + (f"Close matches: {', '.join(close)}." if close else otherwise))


def ambiguous_customer(ref: str, matches: Sequence[tuple[str, str]]) -> NotFoundError:
    """A reference that names several customers ((id, name) each), in the words every lookup uses."""
    names = ", ".join(f"{name} ({customer_id})" for customer_id, name in matches[:10])
    return NotFoundError(f"customer '{ref}' is ambiguous; it matches {names}. Give the id or the full name.")


class CustomerIndex:
    """Every customer by id and by exact name ignoring case, read once, for the many references of a CSV
    import (no query per row, and no partial names: a file's row goes to the customer it names exactly).
    A reference that names none, or several, is refused in find_customer's words."""

    def __init__(self, session: Session) -> None:
        self.ids: set[str] = set()
        self.by_name: dict[str, list[tuple[str, str]]] = {}
        self._answers: dict[str, str | EngagementError] = {}  # a bad reference repeats: difflib once
        for customer_id, name in session.exec(select(Customer.id, Customer.name)).all():
            self.ids.add(customer_id)
            self.by_name.setdefault(name.lower(), []).append((customer_id, name))
        self._names = [name for matches in self.by_name.values() for _, name in matches]

    def resolve(self, ref: str) -> str:
        """The id of the customer `ref` names (its id, or its exact name ignoring case)."""
        if ref not in self._answers:
            try:
                self._answers[ref] = self._resolve(ref)
            except EngagementError as error:
                self._answers[ref] = error
        answer = self._answers[ref]
        if isinstance(answer, EngagementError):
            raise type(answer)(str(answer))
        return answer

    def _resolve(self, ref: str) -> str:
        if not ref:
            raise EngagementError("customer is empty; give a customer id or exact name.")
        if ref in self.ids:
            return ref
        found = self.by_name.get(ref.lower(), [])
        if len(found) == 1:
            return found[0][0]
        if found:
            raise ambiguous_customer(ref, found)
        raise no_customer(ref, self._names, "Import the customers first, or give a stored customer's id or exact name.")


def customers_by_id(session: Session, refs: Sequence[str], caller: Caller) -> dict[str, Customer]:
    """The references that are ids of customers the caller may see, each with its customer, found in one
    query: what `find_customer` answers first for them (a batch's rows name their customers by id)."""
    ids = {ref: ref.strip() for ref in refs if ref and 0 < len(ref.strip()) <= MAX_REF_LENGTH}
    if not ids:
        return {}
    chosen = sorted(set(ids.values()))
    found = {c.id: c for c in session.exec(select(Customer).where(col(Customer.id).in_(chosen))).all()}
    return {ref: found[i] for ref, i in ids.items() if i in found and caller.may_see(found[i].csm_id)}


def find_csm(session: Session, ref: str, caller: Caller) -> Csm:
    """A CSM by id or email (case-insensitive), among those the caller may see."""
    text = (ref or "").strip()
    found = session.get(Csm, text) or session.exec(
        select(Csm).where(or_(func.lower(Csm.email) == text.lower(), func.lower(Csm.id) == text.lower()))
    ).first()
    if found is None or not caller.may_see(found.id):
        # Ids only: an address is personal data, and the caller may have typed anything.
        known = [c for c in session.exec(select(Csm.id).order_by(Csm.id)).all() if caller.may_see(c)][:20]
        raise NotFoundError(f"No CSM '{text}'. Give a CSM id or email: {', '.join(known) or 'none are stored yet'}.")
    return found


def team_of(session: Session, csm: Csm) -> list[str]:
    """The CSM's id and the ids of everyone reporting to them, directly or not."""
    rows = session.exec(select(Csm.id, Csm.manager_id)).all()
    reports: dict[str | None, list[str]] = {}
    for csm_id, manager_id in rows:
        reports.setdefault(manager_id, []).append(csm_id)
    team, queue = [csm.id], [csm.id]
    while queue:
        for member in reports.get(queue.pop(), []):
            if member not in team:
                team.append(member)
                queue.append(member)
    return team


def normalize_segment(value: str | None) -> str | None:
    if value is None or value.strip() == "":
        return None
    for segment in SEGMENTS:
        if value.strip().lower() == segment.lower():
            return segment
    raise EngagementError(f"segment '{value}' is not valid; use one of {', '.join(SEGMENTS)}.")


def search_customers(session: Session, caller: Caller, text: str, offset: int, limit: int) -> tuple[int, Sequence[Customer]]:
    """Customers whose name or id contains `text` (ignoring case), by name: the total and one page."""
    lowered = text.lower()
    matching = [
        or_(
            func.lower(Customer.name).contains(lowered, autoescape=True),
            func.lower(Customer.id).contains(lowered, autoescape=True),
        ),
        *_visible_customers(caller),
    ]
    total = session.exec(select(func.count()).select_from(Customer).where(*matching)).one()
    found = session.exec(
        select(Customer).where(*matching).order_by(Customer.name, Customer.id).offset(offset).limit(limit)
    ).all()
    return total, found


def recent_activities(session: Session, customer_id: str, before: dt.datetime, limit: int) -> Sequence[Activity]:
    """The customer's latest activities before `before`, newest first (the last stored first among equal dates)."""
    return session.exec(
        select(Activity)
        .where(Activity.customer_id == customer_id, col(Activity.date) < before)
        .order_by(col(Activity.date).desc(), col(Activity.id).desc())
        .limit(limit)
    ).all()


def participant_history(session: Session, customer_id: str, before: dt.datetime) -> Sequence[Any]:
    """(date, participants) of every activity of the customer before `before`."""
    return session.exec(
        select(Activity.date, Activity.participants).where(
            Activity.customer_id == customer_id, col(Activity.date) < before
        )
    ).all()


def stakeholders_of(session: Session, customer_id: str) -> Sequence[Stakeholder]:
    return session.exec(select(Stakeholder).where(Stakeholder.customer_id == customer_id)).all()


def csm_names(session: Session) -> dict[str, str]:
    """Every CSM's name by id (digests and comparisons name CSMs whoever asks; scope is the caller's job)."""
    return {csm_id: name for csm_id, name in session.exec(select(Csm.id, Csm.name)).all()}


def csms_of(session: Session, caller: Caller) -> list[tuple[str, str, bool]]:
    """(id, name, leads others) of every CSM the caller may see, by name: what a CSM filter offers."""
    rows = session.exec(select(Csm.id, Csm.name, Csm.manager_id).order_by(Csm.name, Csm.id)).all()
    managers = {manager for _, _, manager in rows if manager}
    return [(csm_id, name, csm_id in managers) for csm_id, name, _ in rows if caller.may_see(csm_id)]
