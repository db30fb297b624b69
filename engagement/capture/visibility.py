"""Engagement visibility: how much of the team's real engagement the store holds (PRD success metric).

Per CSM and for the team: who has mail and calendar connected; of the external messages and meetings
seen in connected mailboxes over the last 30 days (each once, however many mailboxes hold it), the
share attributed to a customer, the rest by domain with the command that maps it; and the sources
failing or older than their interval. The rule and what it cannot see: docs/rules.md.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from engagement.capture import store
from engagement.capture.report import CsmVisibility, UnattributedDomain, Visibility
from engagement.models import SyncSource

WINDOW = dt.timedelta(days=30)
STALE_AFTER = dt.timedelta(hours=1)  # the PRD's "activities sync within 1 hour"
MAX_DOMAINS = 20


def _share(attributed: int, external: int) -> float | None:
    return round(attributed / external, 4) if external else None


def visibility(
    session: Session, now: dt.datetime, csms: list[tuple[str, str]], connected: dict[str, list[str]],
    rows: list[SyncSource], expected: set[tuple[str, str]],
) -> Visibility:  # fmt: skip
    """`csms`: those the caller may see; `connected`: their providers; `rows`: their sources; `expected`:
    the (csm, kind) sources their providers sync."""
    visible = {csm_id for csm_id, _ in csms}
    # item (kind, key) -> attributed anywhere?, unmatched domains, the CSMs whose mailboxes saw it
    team: dict[tuple[str, str], tuple[bool, set[str], set[str]]] = {}
    for csm_id, kind, key, customer_id, unmatched in store.items_since(session, now - WINDOW, now):
        if csm_id not in visible or csm_id not in connected:
            continue
        claimed, domains, seen_by = team.get((kind, key), (False, set(), set()))
        domains |= set((unmatched or "").split(",")) - {""}
        team[(kind, key)] = (claimed or customer_id is not None, domains, seen_by | {csm_id})
    by_domain: dict[str, int] = {}
    for claimed, domains, _ in team.values():
        if not claimed:
            for domain in domains:
                by_domain[domain] = by_domain.get(domain, 0) + 1
    ranked = sorted(by_domain, key=lambda d: (-by_domain[d], d))[:MAX_DOMAINS]
    per_csm = []
    for csm_id, _ in csms:
        mine = [claimed for claimed, _, seen_by in team.values() if csm_id in seen_by]
        per_csm.append(
            CsmVisibility(
                csm_id=csm_id, connected=sorted(connected.get(csm_id, [])), external=len(mine),
                attributed=sum(mine), share=_share(sum(mine), len(mine)),
            )
        )  # fmt: skip
    attributed = sum(1 for claimed, _, _ in team.values() if claimed)
    watched = [r for r in rows if (r.csm_id, r.kind) in expected]
    return Visibility(
        days=WINDOW.days,
        csms_connected=sum(1 for csm_id, _ in csms if csm_id in connected),
        csms_total=len(csms),
        external=len(team),
        attributed=attributed,
        share=_share(attributed, len(team)),
        unattributed=[
            UnattributedDomain(domain=d, items=by_domain[d], command=f'engagement domain add {d} "CUSTOMER"') for d in ranked
        ],
        failing=[f"{r.csm_id}/{r.kind}" for r in watched if r.last_error],
        stale=[
            f"{r.csm_id}/{r.kind}"
            for r in watched
            if r.last_success_at is None or now - r.last_success_at > STALE_AFTER
        ],
        csms=per_csm,
    )
