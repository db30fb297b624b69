"""Dashboard sessions kept on the server: a cookie names one by a random value whose hash is the row's key.

Signing out deletes the row, so a cookie copied before stops working; a session made by signing in with an
API token ends with the token; sessions last 12 hours, and expired ones are deleted at the next sign-in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Literal

from sqlalchemy import delete
from sqlmodel import Session, col

from engagement.access.models import WebSession
from engagement.models import ApiToken, AppUser, utcnow
from engagement.users import is_active

SESSION_LIFETIME = dt.timedelta(hours=12)
MAX_COOKIE = 100


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def start_session(
    session: Session, user: AppUser, via: Literal["token", "oidc"], token: ApiToken | None = None, now: dt.datetime | None = None
) -> tuple[str, dt.datetime]:
    """A new session for `user`: the cookie's value (shown only now) and when it expires."""
    assert user.id is not None
    created = now or utcnow()
    session.execute(delete(WebSession).where(col(WebSession.expires_at) < created))
    value = secrets.token_urlsafe(32)
    expires = created + SESSION_LIFETIME
    token_id = token.id if token is not None else None
    session.add(WebSession(session_hash=_hash(value), user_id=user.id, token_id=token_id, via=via, created_at=created, expires_at=expires))
    session.flush()
    return value, expires


def session_holder(session: Session, value: str, now: dt.datetime) -> tuple[AppUser, WebSession] | None:
    """The user of a live session cookie, or None (unknown, signed out, expired, or its token revoked)."""
    if not value or len(value) > MAX_COOKIE:
        return None
    row = session.get(WebSession, _hash(value))
    if row is None or row.expires_at <= now:
        return None
    if row.token_id is not None:
        token = session.get(ApiToken, row.token_id)
        if token is None or not is_active(token, now):
            return None
    user = session.get(AppUser, row.user_id)
    return None if user is None else (user, row)


def end_session(session: Session, value: str) -> None:
    """Sign out: the row goes, so the cookie (and any copy of it) names nothing any more."""
    if value and len(value) <= MAX_COOKIE:
        session.execute(delete(WebSession).where(col(WebSession.session_hash) == _hash(value)))
