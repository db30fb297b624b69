"""The import's CSMs, customers and stakeholders: every row of a file checked (a refused row goes to the
table with its reason), then its good rows added or changed in the store (engagement/imports/store.py).

A column the header leaves out leaves stored values alone; a row without an id finds its stored record
by name (customers) or email (stakeholders) rather than adding a second one.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlmodel import Session

from engagement import checks
from engagement.errors import EngagementError
from engagement.imports import store
from engagement.imports.files import Row, Table
from engagement.imports.report import Counts, ImportWarning, Writer
from engagement.lookalike import new_look_alikes
from engagement.lookup import CustomerIndex, normalize_segment
from engagement.models import Customer, Stakeholder
from engagement.vocabulary import STAKEHOLDER_LEVELS, STATUSES

ID_LENGTH, NAME_LENGTH, EMAIL_LENGTH, TITLE_LENGTH = 64, 200, 320, 200
Fields = store.Fields


def _once(seen: dict[Any, int], key: Any, row: Row, what: str) -> None:
    if key in seen:
        raise EngagementError(f"{what} is already row {seen[key]}; list each one once.")
    seen[key] = row.number


def plan_csms(session: Session, table: Table, as_of: dt.date) -> Writer:
    stored = store.csms(session)
    owners = {csm.email.lower(): csm.id for csm in stored.values()}
    wanted: dict[str, tuple[Row, Fields]] = {}
    seen: dict[str, int] = {}

    def check(row: Row) -> None:
        csm_id = checks.text("id", row["id"], ID_LENGTH, required=True) or ""
        fields = {
            "name": checks.text("name", row["name"], NAME_LENGTH, required=True),
            "email": checks.email("email", row["email"], EMAIL_LENGTH, required=True),
        }
        if owners.get(fields["email"], csm_id) != csm_id:
            raise EngagementError(f"email '{fields['email']}' belongs to stored CSM '{owners[fields['email']]}'.")
        _once(seen, csm_id, row, f"id '{csm_id}'")
        _once(seen, fields["email"], row, f"email '{fields['email']}'")
        wanted[csm_id] = (row, fields)

    table.check(check)
    lookup = {key.lower(): csm_id for csm_id, csm in stored.items() for key in (csm_id, csm.email)}
    lookup |= {key.lower(): csm_id for csm_id, (_, fields) in wanted.items() for key in (csm_id, fields["email"])}
    managers = {csm_id: csm.manager_id for csm_id, csm in stored.items()}
    if "manager" in table.columns:  # without the column, stored managers stay as they are
        for csm_id, (row, fields) in wanted.items():
            ref = row["manager"]
            manager = (ref if ref in wanted or ref in stored else lookup.get(ref.lower())) if ref else None
            managers[csm_id] = fields["manager_id"] = manager
    settled = "manager" not in table.columns
    while not settled:  # a rejected row may leave others pointing at a manager who no longer comes
        bad: dict[str, str] = {}
        for csm_id, (row, fields) in wanted.items():
            chain, step = [csm_id], fields["manager_id"]
            while step is not None and step not in chain:
                chain.append(step)
                step = managers.get(step)
            if row["manager"] and fields["manager_id"] not in wanted and fields["manager_id"] not in stored:
                bad[csm_id] = f"manager '{row['manager']}' is neither a stored CSM nor a good row of this file."
            elif step == csm_id:
                bad[csm_id] = f"managers would form a loop ({' -> '.join([*chain, csm_id])})."
        for csm_id, reason in bad.items():
            table.reject(wanted.pop(csm_id)[0], EngagementError(f"{reason} Give a CSM id or email, or leave it empty."))
            managers[csm_id] = stored[csm_id].manager_id if csm_id in stored else None
        settled = not bad

    def write() -> Counts:
        new = [(c, f["name"], f["email"], f.get("manager_id")) for c, (_, f) in wanted.items() if c not in stored]
        store.add_csms(session, new)
        counts = Counts(imported=len(new))
        for csm_id, (_, fields) in wanted.items():
            if csm_id in stored:
                changed = store.change(stored[csm_id], fields)
                counts.updated += changed
                counts.unchanged += not changed
        return counts

    return write


def plan_customers(session: Session, table: Table, as_of: dt.date) -> Writer:
    stored = store.customers(session)
    by_name: dict[str, list[str]] = defaultdict(list)
    for customer in stored.values():
        by_name[customer.name.lower()].append(customer.id)
    csms = store.csm_ids_by_key(session)
    wanted: dict[str, Fields] = {}
    seen: dict[str, int] = {}

    def check(row: Row) -> None:
        name = checks.text("name", row["name"], NAME_LENGTH, required=True) or ""
        if (segment := normalize_segment(row["segment"])) is None:
            raise EngagementError("segment is required; use one of Enterprise, Mid-Market, SMB.")
        fields: Fields = {"name": name, "segment": segment}
        if row["csm"] and row["csm"].lower() not in csms:
            raise EngagementError(f"csm '{row['csm']}' is not a stored CSM; give a stored CSM's id or email.")
        optional = {
            "csm": csms.get(row["csm"].lower()),
            "arr": checks.number("arr", row["arr"]),
            "health_score": checks.number("health_score", row["health_score"], maximum=100),
            "renewal_date": checks.day("renewal_date", row["renewal_date"]),
            "status": checks.choice("status", row["status"], STATUSES) or "active",
        }
        fields |= {"csm_id" if c == "csm" else c: value for c, value in optional.items() if c in table.columns}
        customer_id = checks.text("id", row["id"], ID_LENGTH)
        if customer_id is None:
            # Without an id, a stored customer of that name is updated rather than duplicated.
            same_name = by_name.get(name.lower(), [])
            if len(same_name) > 1:
                raise EngagementError(f"stored customers {', '.join(same_name)} are all named '{name}'; give the id.")
            customer_id = same_name[0] if same_name else checks.slug(name, ID_LENGTH)
            if not same_name and customer_id in stored:
                taken = stored[customer_id].name
                raise EngagementError(f"id '{customer_id}' (made from the name) is customer '{taken}'; give an id.")
        _once(seen, customer_id, row, f"customer id '{customer_id}'")
        wanted[customer_id] = fields

    table.check(check)

    def write() -> Counts:
        named = [(seen[c], c, f["name"]) for c, f in wanted.items() if c not in stored or stored[c].name != f["name"]]
        counts = store.upsert(session, stored, wanted, lambda customer_id, fields: Customer(id=customer_id, **fields))
        counts.warnings = [
            ImportWarning(row=row, name=same.name, looks_like=same.looks_like, customer_id=same.customer_id,
                          reason=same.reason())
            for row, same in new_look_alikes(names, sorted(named))
        ]  # fmt: skip
        return counts

    names = [(customer.id, customer.name) for customer in stored.values()]
    return write


def plan_stakeholders(session: Session, table: Table, as_of: dt.date) -> Writer:
    customers = CustomerIndex(session)
    # With an email a stakeholder is (customer, email); without one, (customer, name) among those without.
    stored = {
        (s.customer_id, (s.email or "").lower(), "" if s.email else s.name.lower()): s
        for s in store.stakeholders(session)
    }
    wanted: dict[tuple[str, str, str], Fields] = {}
    seen: dict[tuple[str, str, str], int] = {}

    def check(row: Row) -> None:
        customer_id = customers.resolve(row["customer"])
        name = checks.text("name", row["name"], NAME_LENGTH, required=True) or ""
        fields: Fields = {"name": name, "email": checks.email("email", row["email"], EMAIL_LENGTH)}
        if "title" in table.columns:
            fields["title"] = checks.text("title", row["title"], TITLE_LENGTH)
        if "level" in table.columns:
            fields["level"] = checks.choice("level", row["level"], STAKEHOLDER_LEVELS)
        key = (customer_id, fields["email"] or "", "" if fields["email"] else name.lower())
        _once(seen, key, row, "this stakeholder")
        wanted[key] = fields

    table.check(check)
    return lambda: store.upsert(session, stored, wanted, lambda key, fields: Stakeholder(customer_id=key[0], **fields))
