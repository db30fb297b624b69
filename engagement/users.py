"""The team server's users and API tokens: who may ask, with which role, and which customers they see.

Tokens are random (`secrets`), shown once and kept only as a SHA-256; the token's text carries a
public key id that finds its row, and the hash is compared in constant time. A csm or manager user
is a CSM of the store (matched by email); a manager sees their team, an admin every customer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Literal, get_args

from sqlmodel import Session, col, func, select

from engagement.caller import Caller
from engagement.errors import EngagementError, NotFoundError
from engagement.models import ApiToken, AppUser, Csm, ServerSecret, utcnow
from engagement.lookup import team_of

Role = Literal["csm", "manager", "admin"]
ROLES: tuple[str, ...] = get_args(Role)
TOKEN_PREFIX = "emt"
TOKEN_SHAPE = re.compile(rf"^{TOKEN_PREFIX}_([0-9a-f]{{12}})_([A-Za-z0-9_-]{{43}})$")
MAX_EMAIL_LENGTH = 320


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalize_email(email: str) -> str:
    text = (email or "").strip().lower()
    if not text or "@" not in text or len(text) > MAX_EMAIL_LENGTH or any(c.isspace() for c in text):
        raise EngagementError(f"'{email}' is not an email address; give the user's email, e.g. casey@ourco.com.")
    return text


def add_user(session: Session, email: str, role: str, now: dt.datetime | None = None) -> AppUser:
    """A new user; a csm or manager must be a CSM of the store with that email."""
    address = normalize_email(email)
    if role not in ROLES:
        raise EngagementError(f"role '{role}' is not valid; use one of {', '.join(ROLES)}.")
    if session.exec(select(AppUser).where(AppUser.email == address)).first() is not None:
        raise EngagementError(f"{address} is already a user; `engagement user list` shows users and roles.")
    csm = session.exec(select(Csm).where(func.lower(Csm.email) == address)).first()
    if role != "admin" and csm is None:
        raise NotFoundError(
            f"No CSM has the email {address}: a {role} user must be a CSM of the store (import the CSMs first: "
            "`engagement import csms FILE`), or give --role admin."
        )
    user = AppUser(email=address, role=role, csm_id=csm.id if csm else None, created_at=now or utcnow())
    session.add(user)
    session.flush()
    return user


def list_users(session: Session) -> list[AppUser]:
    return list(session.exec(select(AppUser).order_by(AppUser.email)).all())


def find_user(session: Session, email: str) -> AppUser:
    address = normalize_email(email)
    user = session.exec(select(AppUser).where(AppUser.email == address)).first()
    if user is None:
        raise NotFoundError(f"No user {address}; add one with `engagement user add {address} --role csm`.")
    return user


@dataclass(frozen=True)
class IssuedToken:
    """A token just made: `token` is its only appearance in clear."""

    id: int
    token: str
    email: str
    expires_at: dt.datetime | None


def issue_token(session: Session, email: str, lifetime: dt.timedelta | None, now: dt.datetime | None = None) -> IssuedToken:
    """A new random token for the user, valid for `lifetime` (None: until revoked)."""
    user = find_user(session, email)
    created = now or utcnow()
    key_id = secrets.token_hex(6)
    token = f"{TOKEN_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    expires = None if lifetime is None else created + lifetime
    row = ApiToken(key_id=key_id, token_hash=_hash(token), user_id=user.id, created_at=created, expires_at=expires)
    session.add(row)
    session.flush()
    assert row.id is not None
    return IssuedToken(id=row.id, token=token, email=user.email, expires_at=expires)


def list_tokens(session: Session) -> list[tuple[ApiToken, AppUser]]:
    rows = session.exec(select(ApiToken, AppUser).join(AppUser).order_by(col(ApiToken.id))).all()
    return [(token, user) for token, user in rows]


def revoke_token(session: Session, token_id: int, now: dt.datetime | None = None) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFoundError(f"No token {token_id}; `engagement token list` shows the tokens and their ids.")
    if row.revoked_at is None:
        row.revoked_at = now or utcnow()
        session.add(row)
    return row


def is_active(token: ApiToken, now: dt.datetime) -> bool:
    return token.revoked_at is None and (token.expires_at is None or token.expires_at > now)


def token_holder(session: Session, token: str, now: dt.datetime) -> tuple[AppUser, ApiToken] | None:
    """The user and token row a presented token belongs to, or None if it is unknown, revoked or expired."""
    shape = TOKEN_SHAPE.match(token or "")
    if shape is None:
        return None
    row = session.exec(select(ApiToken).where(ApiToken.key_id == shape.group(1))).first()
    # Hash compared in constant time; a missing row still pays for one comparison.
    if not hmac.compare_digest(_hash(token), row.token_hash if row else "0" * 64) or row is None:
        return None
    if not is_active(row, now):
        return None
    user = session.get(AppUser, row.user_id)
    return None if user is None else (user, row)


def active_token(session: Session, token_id: int, now: dt.datetime) -> tuple[AppUser, ApiToken] | None:
    """The user of a still-valid token, by id (a signed session cookie names its token by id)."""
    row = session.get(ApiToken, token_id)
    if row is None or not is_active(row, now):
        return None
    user = session.get(AppUser, row.user_id)
    return None if user is None else (user, row)


def has_users(session: Session) -> bool:
    return session.exec(select(AppUser.id).limit(1)).first() is not None


def has_active_tokens(session: Session, now: dt.datetime) -> bool:
    usable = select(ApiToken.id).where(
        col(ApiToken.revoked_at).is_(None), (col(ApiToken.expires_at).is_(None)) | (col(ApiToken.expires_at) > now)
    )
    return session.exec(usable.limit(1)).first() is not None


def visible_csms(session: Session, user: AppUser) -> frozenset[str] | None:
    """Whose customers the user sees: None for an admin (everyone), the CSM for a csm, the team for a manager."""
    if user.role == "admin":
        return None
    csm = session.get(Csm, user.csm_id) if user.csm_id else None
    if csm is None:  # the CSM was removed from the store since: nobody's customers
        return frozenset()
    return frozenset(team_of(session, csm) if user.role == "manager" else [csm.id])


def caller_of(session: Session, user: AppUser, as_of: dt.date) -> Caller:
    """The scope of every answer to this user: "my accounts" are theirs (a manager's: the team's)."""
    visible = visible_csms(session, user)
    return Caller(as_of=as_of, user=user.csm_id if visible is not None else None, visible_csms=visible, label=f"user-{user.id}")


def server_secret(session: Session, name: str) -> str:
    """A named random secret the server keeps in the store, made on first use (the same for every process)."""
    row = session.get(ServerSecret, name)
    if row is None:
        row = ServerSecret(name=name, value=secrets.token_urlsafe(48))
        session.add(row)
        session.flush()
    return row.value
