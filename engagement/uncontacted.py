"""Silent customers: those not contacted for some days, never contacted first, then the longest silence.

Reads each customer's last contact up to the end of the as-of day from the quarter to date's scored table
(cached, or saved by another process: no probe of every customer per call) and ranks them as arrays.
"""

from __future__ import annotations

import numpy as np

from engagement.answers import page
from engagement.caller import Caller
from engagement.core import Core
from engagement.db import read_scope
from engagement.metrics import days_before
from engagement.periods import resolve_period
from engagement.queries import UncontactedQuery
from engagement.schemas import UncontactedCustomers, UncontactedRow
from engagement.scope import resolve_scope


def uncontacted(core: Core, caller: Caller, q: UncontactedQuery) -> UncontactedCustomers:
    """The scope's customers silent for `q.days` or more as of the caller's day, a page of them."""
    as_of = caller.as_of
    # The quarter to date ends with the as-of day: its scored table holds each customer's last contact
    # up to the end of that day, cached (or saved) like every portfolio answer's.
    quarter = resolve_period("this_quarter", as_of)
    with read_scope(core.engine) as session:
        scope = resolve_scope(session, caller, q.csm_id, q.segment)
        table = core.scorer.portfolio(session, quarter)
    visible = core.scorer.visible(table, scope)
    customers = {name: table[name][visible] for name in ("name", "segment", "csm_id")}
    ids, dates, kinds = table.ids[visible], table["last_contact_date"][visible], table["last_contact_type"][visible]
    silent = days_before(as_of, dates)
    never = np.isnan(silent)
    # Never contacted first, then the longest silence, then by name (ids break ties: the table's name order).
    order = np.lexsort((table.name_rank()[visible], -np.nan_to_num(silent), ~never))
    chosen = order[(never | (np.nan_to_num(silent) >= q.days))[order]]
    rows = [
        UncontactedRow(
            customer_id=ids[p],
            name=customers["name"][p],
            segment=customers["segment"][p],
            csm_id=customers["csm_id"][p],
            last_contact=dates[p].item(),
            last_contact_type=kinds[p],
            days_since_last_contact=None if never[p] else int(silent[p]),
        )
        for p in chosen[q.offset : q.offset + q.limit]
    ]
    return UncontactedCustomers(
        as_of=as_of, days=q.days, scope=scope.label, customers=rows, page=page(len(chosen), q.offset, q.limit)
    )
