"""Digests of new alerts, one per CSM per check: kept in the outbox, posted to a Slack-compatible webhook.

A digest leaves the outbox (gets `sent_at`) only once the webhook answered 2xx; a failure counts an
attempt, keeps the reason, and the next check (or `engagement check --retry-outbox`) tries again. Delivery
never fails the check: its alerts are in the store whatever the webhook does.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from engagement.alerts import store
from engagement.alerts.schemas import KIND_LABELS
from engagement.db import read_scope, session_scope
from engagement.models import utcnow
from engagement.text import visible

logger = logging.getLogger(__name__)

MAX_LINES = 30  # alerts listed in one digest; the rest are counted
TIMEOUT_SECONDS = 10

Post = Callable[[str, bytes], None]


@dataclass(frozen=True)
class NewAlert:
    alert_id: int
    name: str
    segment: str
    kind: str
    details: str


def mrkdwn(text: str) -> str:
    """Data as Slack mrkdwn text: &, < and > escaped, so a name can neither link nor mention anyone, and
    control characters shown (engagement.text), so a bidirectional override cannot make it read as another."""
    return visible(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def digest(day: dt.date, csm_name: str | None, alerts: Sequence[NewAlert]) -> dict[str, Any]:
    """One CSM's digest: the webhook's `{"text": ...}` plus what it is about, for the outbox."""
    who = mrkdwn(csm_name) if csm_name else "customers without a CSM"
    count = f"{len(alerts)} new alert{'s' if len(alerts) != 1 else ''}"
    lines = [f"*Engagement check {day}: {count} for {who}*"]
    lines += [
        f"• *{mrkdwn(a.name)}* ({mrkdwn(a.segment)}), {KIND_LABELS[a.kind]}: {mrkdwn(a.details)}" for a in alerts[:MAX_LINES]
    ]
    if len(alerts) > MAX_LINES:
        lines.append(f"…and {len(alerts) - MAX_LINES} more: `engagement alerts`")
    return {"text": "\n".join(lines), "alert_ids": [a.alert_id for a in alerts]}


def post_json(url: str, body: bytes) -> None:
    """POST `body` as JSON; anything but a 2xx answer raises."""
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (http(s) only: settings)
        response.read()


def failure(exc: BaseException) -> str:
    """Why a post failed, without the webhook's URL (it is the secret)."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return f"unreachable: {exc.reason}"
    return f"{type(exc).__name__}: {exc}"[:1000]


def deliver(engine: Engine, url: str, post: Post = post_json, now: Callable[[], dt.datetime] | None = None) -> int:
    """Post the digests still in the outbox, oldest first, until one fails; the number the webhook took."""
    clock = now or utcnow
    with read_scope(engine) as session:
        pending = store.pending_digests(session)
    sent = 0
    for outbox_id, attempts, digest in pending:
        if not _claim(engine, outbox_id, attempts):
            continue  # another check took it meanwhile
        try:
            post(url, json.dumps({"text": digest["text"]}).encode())
        except Exception as exc:  # any failure: the digest stays in the outbox for the next check
            logger.warning("alert digest %s not delivered (attempt %s): %s", outbox_id, attempts + 1, failure(exc))
            _finish(engine, outbox_id, last_error=failure(exc))
            break  # the rest wait too: a webhook that is down would make each of them wait out the timeout
        _finish(engine, outbox_id, sent_at=clock())
        sent += 1
    return sent


def _claim(engine: Engine, outbox_id: int, attempts: int) -> bool:
    """Count this attempt, only if nobody else counted one since we looked (two checks never both post it)."""
    with session_scope(engine) as session:
        return store.claim_digest(session, outbox_id, attempts)


def _finish(engine: Engine, outbox_id: int, **values: Any) -> None:
    with session_scope(engine) as session:
        store.finish_digest(session, outbox_id, **values)


def pending_count(engine: Engine) -> int:
    with read_scope(engine) as session:
        return store.pending_count(session)
