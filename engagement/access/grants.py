"""What a user allowed an app: authorization codes, grants, and their access and refresh tokens.

Codes live five minutes and work once (a second use revokes what the first one made); access tokens
live an hour; a refresh token works once and is replaced by a new one (a spent one presented again
means it was copied, so the whole grant is revoked). Every code and token is kept as its SHA-256 only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, col, select

from engagement.access.models import OAuthClient, OAuthCode, OAuthGrant, OAuthToken
from engagement.errors import EngagementError, NotFoundError
from engagement.models import AppUser, utcnow

READ = "engagement:read"
WRITE = "engagement:write"
SCOPES = (READ, WRITE)
CODE_LIFETIME = dt.timedelta(minutes=5)
ACCESS_LIFETIME = dt.timedelta(hours=1)
REFRESH_LIFETIME = dt.timedelta(days=90)
LAST_USED_EVERY = dt.timedelta(minutes=5)  # `last_used_at` is written at most this often per grant
PREFIX = {"code": "emc", "access": "ema", "refresh": "emr"}


class GrantError(EngagementError):
    """A code or refresh token that must not be honoured, with what to do (the OAuth `invalid_grant`).
    `revoke` is a grant the refusal must revoke (a replayed code or refresh token): in a transaction of its
    own, since the refused one is rolled back."""

    def __init__(self, message: str, revoke: int | None = None) -> None:
        super().__init__(message)
        self.revoke = revoke


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _secret(kind: str) -> str:
    return f"{PREFIX[kind]}_{secrets.token_urlsafe(32)}"


@dataclass(frozen=True)
class Issued:
    """Tokens just made: their only appearance in clear."""

    access_token: str
    refresh_token: str
    expires_in: int
    scopes: list[str]
    grant_id: int


def new_code(
    session: Session, *, client_id: str, user_id: int, scopes: list[str], resource: str, redirect_uri: str,
    redirect_uri_explicit: bool, code_challenge: str, now: dt.datetime | None = None,
) -> str:  # fmt: skip
    """An authorization code for what the user just approved."""
    created = now or utcnow()
    code = _secret("code")
    session.add(OAuthCode(
        code_hash=digest(code), client_id=client_id, user_id=user_id, scopes=" ".join(scopes), resource=resource,
        redirect_uri=redirect_uri, redirect_uri_explicit=redirect_uri_explicit, code_challenge=code_challenge,
        created_at=created, expires_at=created + CODE_LIFETIME,
    ))  # fmt: skip
    session.flush()
    return code


def find_code(session: Session, code: str) -> OAuthCode | None:
    return session.get(OAuthCode, digest(code)) if code.startswith(PREFIX["code"] + "_") else None


def _issue(session: Session, grant: OAuthGrant, scopes: list[str], now: dt.datetime) -> Issued:
    assert grant.id is not None
    access, refresh = _secret("access"), _secret("refresh")
    joined = " ".join(scopes)
    session.add(OAuthToken(token_hash=digest(access), kind="access", grant_id=grant.id, scopes=joined,
                           created_at=now, expires_at=now + ACCESS_LIFETIME))  # fmt: skip
    session.add(OAuthToken(token_hash=digest(refresh), kind="refresh", grant_id=grant.id, scopes=joined,
                           created_at=now, expires_at=now + REFRESH_LIFETIME))  # fmt: skip
    grant.last_used_at = now
    session.add(grant)
    session.flush()
    return Issued(access, refresh, int(ACCESS_LIFETIME.total_seconds()), scopes, grant.id)


def exchange_code(session: Session, code: str, now: dt.datetime | None = None) -> Issued:
    """A new grant and its first tokens for an unused, unexpired code; a used one revokes what it made."""
    moment = now or utcnow()
    row = find_code(session, code)
    if row is None or row.expires_at <= moment:
        raise GrantError("This authorization code is unknown or expired; start the connection again.")
    spent = session.execute(
        update(OAuthCode).where(col(OAuthCode.code_hash) == row.code_hash, col(OAuthCode.used_at).is_(None)).values(used_at=moment)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(row)
        raise GrantError(
            "This authorization code was already used; the access it gave is revoked. Start the connection again.",
            revoke=row.grant_id,
        )
    grant = OAuthGrant(user_id=row.user_id, client_id=row.client_id, scopes=row.scopes, resource=row.resource,
                       created_at=moment, last_used_at=moment)  # fmt: skip
    session.add(grant)
    session.flush()
    row.grant_id = grant.id
    session.add(row)
    return _issue(session, grant, row.scopes.split(), moment)


def find_token(session: Session, token: str, kind: str) -> tuple[OAuthToken, OAuthGrant] | None:
    """A stored access or refresh token and its grant, whatever their state (the caller judges)."""
    if not token.startswith(PREFIX[kind] + "_") or len(token) > 100:
        return None
    row = session.get(OAuthToken, digest(token))
    if row is None or row.kind != kind:
        return None
    grant = session.get(OAuthGrant, row.grant_id)
    return None if grant is None else (row, grant)


def refresh(session: Session, token: str, scopes: list[str], now: dt.datetime | None = None) -> Issued:
    """New tokens for a refresh token, which is spent; presenting a spent one revokes the whole grant."""
    moment = now or utcnow()
    found = find_token(session, token, "refresh")
    if found is None:
        raise GrantError("This refresh token is unknown; connect the app again.")
    row, grant = found
    if grant.revoked_at is not None:
        raise GrantError("This app's access was revoked (disconnected, or a refresh token was reused); connect it again.")
    if row.expires_at <= moment:
        raise GrantError("This refresh token has expired; connect the app again.")
    spent = session.execute(
        update(OAuthToken).where(col(OAuthToken.token_hash) == row.token_hash, col(OAuthToken.used_at).is_(None)).values(used_at=moment)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        raise GrantError(
            "This refresh token was already used, so it may have been copied: the app's access is revoked. "
            "Connect the app again.",
            revoke=grant.id,
        )
    return _issue(session, grant, scopes, moment)


def access_holder(session: Session, token: str, now: dt.datetime) -> tuple[AppUser, OAuthGrant, OAuthToken] | None:
    """The user, grant and token of a live access token (not expired, its grant not revoked), else None."""
    found = find_token(session, token, "access")
    if found is None:
        return None
    row, grant = found
    if grant.revoked_at is not None or row.expires_at <= now:
        return None
    user = session.get(AppUser, grant.user_id)
    return None if user is None else (user, grant, row)


def touch(session: Session, grant_id: int, now: dt.datetime) -> None:
    """Note that the grant was used (at most every few minutes: it is a write on a read path)."""
    session.execute(
        update(OAuthGrant).where(col(OAuthGrant.id) == grant_id, col(OAuthGrant.last_used_at) < now - LAST_USED_EVERY).values(last_used_at=now)
    )


def revoke_grant(session: Session, grant_id: int, now: dt.datetime | None = None) -> OAuthGrant:
    """Stop every token of the grant at once."""
    grant = session.get(OAuthGrant, grant_id)
    if grant is None:
        raise NotFoundError(f"No connected app {grant_id}; `engagement grant list` shows them and their ids.")
    if grant.revoked_at is None:
        grant.revoked_at = now or utcnow()
        session.add(grant)
        session.flush()
    return grant


@dataclass(frozen=True)
class GrantRow:
    """A connected app as people see it: whose, which app, what it may do, since when, last used."""

    id: int
    email: str
    client_id: str
    app_name: str
    scopes: list[str]
    created_at: dt.datetime
    last_used_at: dt.datetime
    revoked_at: dt.datetime | None


def list_grants(session: Session, user_id: int | None = None, active_only: bool = False) -> list[GrantRow]:
    query = select(OAuthGrant, OAuthClient, AppUser).join(OAuthClient).join(AppUser, col(AppUser.id) == OAuthGrant.user_id)
    if user_id is not None:
        query = query.where(OAuthGrant.user_id == user_id)
    if active_only:
        query = query.where(col(OAuthGrant.revoked_at).is_(None))
    rows = session.exec(query.order_by(col(OAuthGrant.id))).all()
    return [
        GrantRow(g.id or 0, u.email, c.client_id, c.client_name or c.client_id, g.scopes.split(), g.created_at,
                 g.last_used_at, g.revoked_at)  # fmt: skip
        for g, c, u in rows
    ]
