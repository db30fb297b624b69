"""The apps that may ask users for access, and which redirect URIs an app may name.

A registered app (RFC 7591) is kept as registered; one known by its Client ID Metadata Document is
kept until the document's HTTP caching headers say to fetch it again. Apps registered a day ago that
never got a grant are forgotten at the next registration, so anonymous registrations cannot pile up.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete
from sqlmodel import Session, col, select

from engagement.access.models import MAX_CLIENT_ID, OAuthClient, OAuthCode, OAuthGrant
from engagement.models import utcnow

MAX_REDIRECT_URIS = 10
MAX_REDIRECT_URI = 2000
UNUSED_CLIENT_KEPT = dt.timedelta(days=1)
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
HOST = re.compile(r"[a-z0-9.:-]+")  # a DNS name or an IP address (an IPv6 one without its brackets)


def redirect_uri_problem(uri: str) -> str | None:
    """Why an app may not use this redirect URI, or None: https anywhere, or http on this computer's loopback
    (a desktop app, RFC 8252); never a wildcard, a fragment, a user name, `javascript:` or `data:`."""
    if len(uri) > MAX_REDIRECT_URI:
        return f"a redirect URI is longer than {MAX_REDIRECT_URI} characters"
    try:
        parts = urlsplit(uri)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return f"'{uri[:100]}' is not a URL"
    if parts.scheme not in ("https", "http"):
        return f"redirect URI '{uri[:100]}' uses '{parts.scheme}:'; only https (or http on loopback) is accepted"
    if not host:
        return f"redirect URI '{uri[:100]}' has no host"
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS and not _loopback_ip(host):
        return f"redirect URI '{uri[:100]}' is plain http to another machine; use https (http only for 127.0.0.1, [::1] or localhost)"
    if "*" in uri:
        return f"redirect URI '{uri[:100]}' has a wildcard; register each URI exactly"
    if parts.fragment or "#" in uri:
        return f"redirect URI '{uri[:100]}' has a fragment (#...), which OAuth does not allow"
    if parts.username is not None or "@" in parts.netloc:
        return f"redirect URI '{uri[:100]}' carries a user name before the host"
    if not HOST.fullmatch(host):
        return f"redirect URI '{uri[:100]}' has a host name with characters a host name may not hold"
    if any(ord(c) < 0x21 or c in '"<>\\^`{|}' for c in uri):
        return f"redirect URI '{uri[:100]}' has spaces, control characters or characters a URL may not hold"
    return None


def _loopback_ip(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_loopback_uri(uri: str) -> bool:
    host = urlsplit(uri).hostname or ""
    return host in LOOPBACK_HOSTS or _loopback_ip(host)


def find_client(session: Session, client_id: str, now: dt.datetime) -> OAuthClient | None:
    """A registered app, or a metadata document still fresh by its caching headers."""
    if len(client_id) > MAX_CLIENT_ID or "\x00" in client_id:  # PostgreSQL refuses NUL in text: no such client
        return None
    row = session.get(OAuthClient, client_id)
    if row is None or (row.expires_at is not None and row.expires_at <= now):
        return None
    return row


def save_client(
    session: Session, *, client_id: str, kind: str, client_name: str | None, client_secret: str | None,
    info: dict[str, Any], expires_at: dt.datetime | None = None, now: dt.datetime | None = None,
) -> OAuthClient:  # fmt: skip
    """Register an app, or refresh a metadata document's copy (same id: replaced in place)."""
    created = now or utcnow()
    if kind == "registered":
        _forget_unused_registrations(session, created)
    row = session.get(OAuthClient, client_id)
    if row is None:
        row = OAuthClient(client_id=client_id, kind=kind, info=info, created_at=created)
    row.client_name, row.client_secret, row.info, row.expires_at = client_name, client_secret, info, expires_at
    session.add(row)
    session.flush()
    return row


def _forget_unused_registrations(session: Session, now: dt.datetime) -> None:
    session.execute(delete(OAuthCode).where(col(OAuthCode.expires_at) < now - UNUSED_CLIENT_KEPT, col(OAuthCode.grant_id).is_(None)))
    used = select(OAuthGrant.client_id).union(select(OAuthCode.client_id))
    session.execute(
        delete(OAuthClient).where(
            OAuthClient.kind == "registered",
            col(OAuthClient.created_at) < now - UNUSED_CLIENT_KEPT,
            col(OAuthClient.client_id).not_in(used),
        )
    )
