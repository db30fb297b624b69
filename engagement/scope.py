"""Which customers a question is about: a CSM's, a team's, a segment's, one customer, or everyone's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlmodel import Session

from engagement.caller import Caller
from engagement.lookup import find_csm, normalize_segment, team_of


class Shape(NamedTuple):
    """What a scope's condition tests, not its values: statements are built once per shape."""

    one_customer: bool
    include_churned: bool
    by_csm: bool
    by_segment: bool
    by_ids: bool = False  # customers named by id (bound as one parameter, whatever their number)


@dataclass(frozen=True)
class Scope:
    label: str
    csm_ids: tuple[str, ...] | None = None  # None: every CSM
    segment: str | None = None
    customer_id: str | None = None
    include_churned: bool = False
    customer_ids: tuple[str, ...] | None = None

    @property
    def shape(self) -> Shape:
        if self.customer_id is not None:
            return Shape(one_customer=True, include_churned=True, by_csm=False, by_segment=False)
        if self.customer_ids is not None:
            return Shape(False, True, False, False, by_ids=True)
        return Shape(False, self.include_churned, self.csm_ids is not None, self.segment is not None)

    @property
    def params(self) -> dict[str, Any]:
        return {"scope_customer": self.customer_id, "scope_csms": list(self.csm_ids or ()), "scope_segment": self.segment,
                "scope_ids": list(self.customer_ids or ())}  # fmt: skip


EVERYONE = Scope("everyone", include_churned=True)


def one_customer(customer_id: str, name: str) -> Scope:
    return Scope(name, customer_id=customer_id)


def some_customers(customer_ids: list[str]) -> Scope:
    """The customers with these ids (churned or not): what a write or a change rescores, in one pass."""
    return Scope(f"{len(customer_ids)} customers", customer_ids=tuple(customer_ids), include_churned=True)


def resolve_scope(session: Session, caller: Caller, csm_ref: str | None, segment: str | None) -> Scope:
    """The customers of `csm_ref` (or of the caller's own user), their team's if a manager; `all` means
    every customer the caller may see. A CSM outside what the caller may see is "not found"."""
    ref = csm_ref if csm_ref not in (None, "") else caller.user
    seg = normalize_segment(segment)
    suffix = f", {seg}" if seg else ""
    if ref is None or ref.strip().lower() == "all":
        if caller.visible_csms is None:
            return Scope("all customers" + suffix, None, seg)
        return Scope("your customers" + suffix, tuple(sorted(caller.visible_csms)), seg)
    csm = find_csm(session, ref, caller)
    team = [member for member in team_of(session, csm) if caller.may_see(member)]
    label = f"{csm.name}'s customers" if len(team) == 1 else f"{csm.name}'s team ({len(team)} CSMs)"
    return Scope(label + suffix, tuple(team), seg)
