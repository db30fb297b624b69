"""Recording touchpoints: one activity or a list of them, checked, stored in one write, answered with the fresh score.

Every field is checked by `ActivityCreate` (engagement/models.py, engagement/checks.py) and stored by
`engagement.writer.write_activities`, the one write path of every writer; the customers written are
rescored inside the write and the cache patched after it commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np

from engagement import lookup
from engagement.answers import SCORE_COLUMNS, period_info, score_of
from engagement.caller import Caller
from engagement.core import Core
from engagement.db import session_scope
from engagement.errors import ConflictError, EngagementError
from engagement.models import ActivityCreate, Customer
from engagement.periods import resolve_period
from engagement.queries import LogActivityQuery
from engagement.schemas import LoggedActivity
from engagement.writer import NewActivity, key_held, write_activities


def log_activity(core: Core, caller: Caller, q: LogActivityQuery) -> LoggedActivity:
    """Store one touchpoint, then answer with it and the customer's fresh score."""
    [logged] = log_activities(core, caller, [q])
    return logged


def log_activities(core: Core, caller: Caller, rows: Sequence[LogActivityQuery]) -> list[LoggedActivity]:
    """Store touchpoints in one write transaction: all of them, or none when any row is refused (a value, a
    customer the caller may not see, a key another customer's activity holds). Each (source, external_id) is
    stored once, for one customer: sent again for that customer it is a replay (`created` false, the stored
    activity). Every row is answered as log_activity answers, in order, with its customer's score after the
    whole write."""
    if not rows:
        raise EngagementError("No activities to log; give at least one.")
    numbered = len(rows) > 1  # a refusal names the row when there are several
    checked = []
    for number, sent in enumerate(rows, 1):
        with _row(number if numbered else None):
            checked.append(ActivityCreate.checked(sent.model_dump(exclude={"customer"}), as_of=caller.as_of, strict=True))
    period = resolve_period(None, caller.as_of)
    with session_scope(core.engine) as session:
        found = lookup.customers_by_id(session, [sent.customer for sent in rows], caller)  # one query for a batch's ids
        for number, sent in enumerate(rows, 1):
            if sent.customer not in found:
                with _row(number if numbered else None):
                    found[sent.customer] = lookup.find_customer(session, sent.customer, caller)
        targets = [found[sent.customer] for sent in rows]
        written = write_activities(session, [NewActivity(t.id, row) for t, row in zip(targets, checked, strict=True)])
        for number, (each, row) in enumerate(zip(written, checked, strict=True), 1):
            if each.conflict:  # raised inside the session: it rolls back the rows written before
                with _row(number if numbered else None):
                    raise ConflictError(key_held(row.source, row.external_id or ""))
        stored = [(each.activity, each.created) for each in written]
        earliest: dict[str, tuple[Customer, dt.datetime]] = {}
        for target, row in zip(targets, checked, strict=True):
            if target.id not in earliest or row.date < earliest[target.id][1]:
                earliest[target.id] = (target, row.date)
        created = sum(was_created for _, was_created in stored)
        rescored = core.scorer.rescore_written(session, list(earliest.values()), created, period)
    core.scorer.keep(rescored)
    scores, info = rescored.tables[period], period_info(period)
    assert scores is not None  # the answer's own period is always rescored
    # Each customer's score once, from the few columns a score shows (a batch may name 500 customers).
    score = {cid: score_of(row) for cid, row in scores.rows(np.arange(len(scores)), SCORE_COLUMNS)}
    return [
        LoggedActivity(created=was_created, activity=activity, score=score[target.id], period=info)
        for target, (activity, was_created) in zip(targets, stored, strict=True)
    ]


@contextmanager
def _row(number: int | None) -> Iterator[None]:
    """A refusal of the `number`th of several rows says which row it was."""
    try:
        yield
    except EngagementError as exc:
        if number is None:
            raise
        raise type(exc)(f"activity {number}: {exc}") from None
