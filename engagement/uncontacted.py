"""Silent customers: those not contacted for some days, never contacted first, then the longest silence.

Reads each customer's last contact up to the end of the as-of day from the store (`store.last_contacts`)
and ranks them as arrays; no score is needed.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from engagement import store
from engagement.answers import page
from engagement.caller import Caller
from engagement.core import Core
from engagement.db import read_scope
from engagement.metrics import days_before
from engagement.queries import UncontactedQuery
from engagement.schemas import UncontactedCustomers, UncontactedRow
from engagement.scope import resolve_scope


def uncontacted(core: Core, caller: Caller, q: UncontactedQuery) -> UncontactedCustomers:
    """The scope's customers silent for `q.days` or more as of the caller's day, a page of them."""
    as_of = caller.as_of
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
    with read_scope(core.engine) as session:
        scope = resolve_scope(session, caller, q.csm_id, q.segment)
        customers = store.customer_columns(session, scope)
        ids = customers["customer_id"]
        positions = {cid: i for i, cid in enumerate(ids.tolist())}
        dates, kinds = store.last_contacts(session, scope, positions, end)
    silent = days_before(as_of, dates)
    never = np.isnan(silent)
    # Never contacted first, then the longest silence, then by name (ids break ties).
    order = np.lexsort((ids.astype(str), customers["name"].astype(str), -np.nan_to_num(silent), ~never))
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
