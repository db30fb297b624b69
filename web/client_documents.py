"""Client ID Metadata Documents: an app whose client id is an https URL describes itself in the JSON there.

The document is fetched with a short timeout and a size limit, only from public addresses: every address
the name resolves to is checked (no private, loopback, link-local, reserved or multicast one), the
connection goes to the checked address (so a second DNS answer cannot swap it), and each redirect is
checked the same way. Its copy is kept as long as its HTTP caching headers allow. Tests give a resolver
and a transport of their own to serve a fake host offline; production refuses loopback like any private range.
"""

from __future__ import annotations

import email.utils
import ipaddress
import json
import re
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import anyio
import httpx
from mcp.shared.auth import OAuthClientInformationFull
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from engagement.access.clients import MAX_REDIRECT_URIS, find_client, redirect_uri_problem, save_client
from engagement.access.grants import SCOPES
from engagement.access.models import MAX_CLIENT_ID
from engagement.db import read_scope, session_scope
from engagement.models import utcnow

TIMEOUT_SECONDS = 5.0
MAX_BYTES = 16 * 1024
MAX_REDIRECTS = 3
DEFAULT_KEEP = timedelta(minutes=10)  # no caching headers at all
MAX_KEEP = timedelta(hours=24)
MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-maxage|max-age)\s*=\s*\"?(\d+)", re.IGNORECASE)

Resolver = Callable[[str, int], Awaitable[list[str]]]


class DocumentError(Exception):
    """Why a client id's metadata document cannot be used, in words for the person connecting."""


async def resolve_with_dns(host: str, port: int) -> list[str]:
    answers = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in answers})


def is_metadata_url(client_id: str) -> bool:
    return client_id.startswith("https://")


def refused_address(address: str) -> str | None:
    """What kind of address this is when the server must not fetch from it, or None for a public one."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind, bad in (("loopback", ip.is_loopback), ("link-local", ip.is_link_local), ("private", ip.is_private),
                      ("multicast", ip.is_multicast), ("reserved", ip.is_reserved or ip.is_unspecified)):  # fmt: skip
        if bad:
            return kind
    return None if ip.is_global else "non-public"


def keep_for(headers: httpx.Headers, now: datetime) -> timedelta:
    """How long a fetched document may be used without fetching it again, by its caching headers."""
    control = headers.get("cache-control", "").lower()
    if "no-store" in control or "no-cache" in control:
        return timedelta(0)
    if match := MAX_AGE.search(control):
        return min(timedelta(seconds=int(match.group(1))), MAX_KEEP)
    if expires := headers.get("expires"):
        try:
            when = email.utils.parsedate_to_datetime(expires)
        except (TypeError, ValueError):
            return timedelta(0)  # an invalid Expires means already expired (RFC 9111)
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        return min(max(when - now, timedelta(0)), MAX_KEEP)
    return DEFAULT_KEEP


def check_url(url: str) -> None:
    """A DocumentError saying what is wrong with a client id URL, if anything."""
    if len(url) > MAX_CLIENT_ID:
        raise DocumentError(f"The client id is longer than {MAX_CLIENT_ID} characters.")
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise DocumentError("The client id has spaces or control characters, which a URL may not hold.")
    try:
        parts = urlsplit(url)
        port = parts.port or 443
    except ValueError:
        raise DocumentError(f"The client id '{url[:100]}' is not a URL.") from None
    if parts.scheme != "https" or not parts.hostname:
        raise DocumentError(f"The client id '{url[:100]}' must be an https URL.")
    if parts.username is not None or parts.fragment or parts.path in ("", "/") or port <= 0:
        raise DocumentError(f"The client id '{url[:100]}' must be an https URL with a path, no user name and no fragment.")


class ClientDocuments:
    """Fetches, checks and keeps apps' metadata documents (the store holds the copies)."""

    def __init__(self, engine: Engine, resolver: Resolver | None = None, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.engine = engine
        self.resolver = resolver or resolve_with_dns
        self.transport = transport

    async def client(self, client_id: str) -> OAuthClientInformationFull:
        """The app named by a metadata URL: the kept copy while fresh, else fetched and checked now."""
        check_url(client_id)
        row = await run_in_threadpool(self._kept, client_id)
        if row is not None:
            return row
        document, keep = await self._fetch(client_id)
        info = client_from_document(client_id, document)
        await run_in_threadpool(self._keep, info, keep)
        return info

    def _kept(self, client_id: str) -> OAuthClientInformationFull | None:
        with read_scope(self.engine) as session:
            row = find_client(session, client_id, utcnow())
            return None if row is None or row.kind != "metadata" else OAuthClientInformationFull.model_validate(row.info)

    def _keep(self, info: OAuthClientInformationFull, keep: timedelta) -> None:
        now = utcnow()
        fields = {"client_id": info.client_id, "kind": "metadata", "client_name": info.client_name, "client_secret": None,
                  "info": info.model_dump(mode="json", exclude_none=True), "expires_at": now + keep, "now": now}  # fmt: skip
        try:
            with session_scope(self.engine) as session:
                save_client(session, **fields)
        except IntegrityError:  # another request kept the same document at the same moment: keep ours over it
            with session_scope(self.engine) as session:
                save_client(session, **fields)

    async def _fetch(self, url: str) -> tuple[dict[str, Any], timedelta]:
        target = url
        for _ in range(MAX_REDIRECTS + 1):
            response = await self._get(target)
            if response.status_code in (301, 302, 303, 307, 308) and "location" in response.headers:
                target = urljoin(target, response.headers["location"])
                continue
            if response.status_code != 200:
                raise DocumentError(f"The client metadata document at {url[:200]} answered HTTP {response.status_code}.")
            try:
                document = json.loads(response.content)
            except (ValueError, RecursionError):
                raise DocumentError(f"The client metadata document at {url[:200]} is not JSON.") from None
            if not isinstance(document, dict):
                raise DocumentError(f"The client metadata document at {url[:200]} is not a JSON object.")
            return document, keep_for(response.headers, datetime.now(UTC))
        raise DocumentError(f"The client metadata document at {url[:200]} redirects more than {MAX_REDIRECTS} times.")

    async def _get(self, url: str) -> httpx.Response:
        """One GET, to a checked public address of the URL's host, with the host's name for TLS and Host."""
        try:
            parts = urlsplit(url)
            host, port = parts.hostname or "", parts.port or 443
        except ValueError:
            raise DocumentError(f"The client metadata document redirects to '{url[:200]}', which is not a URL.") from None
        if parts.scheme != "https" or not host:
            raise DocumentError(f"The client metadata document at '{url[:200]}' is not on https.")
        try:
            with anyio.fail_after(TIMEOUT_SECONDS):
                addresses = await self.resolver(host, port)
        except (OSError, TimeoutError):
            raise DocumentError(f"The host of the client id, {host}, could not be resolved.") from None
        if not addresses:
            raise DocumentError(f"The host of the client id, {host}, has no address.")
        for address in addresses:
            if kind := refused_address(address):
                raise DocumentError(
                    f"The client metadata document's host {host} resolves to a {kind} address ({address}); this server "
                    "fetches documents only from public addresses."
                )
        literal = f"[{addresses[0]}]" if ":" in addresses[0] else addresses[0]
        pinned = urlunsplit(("https", f"{literal}:{port}", parts.path, parts.query, ""))
        headers = {"Host": parts.netloc, "Accept": "application/json"}
        # A client per fetch: connections are never shared between hosts that resolve to one address.
        async with httpx.AsyncClient(transport=self.transport, timeout=TIMEOUT_SECONDS, trust_env=False) as client:
            try:
                async with client.stream("GET", pinned, headers=headers, extensions={"sni_hostname": host}) as response:
                    body = bytearray()
                    async for chunk in response.aiter_bytes():
                        body += chunk
                        if len(body) > MAX_BYTES:
                            raise DocumentError(f"The client metadata document at {url[:200]} is larger than {MAX_BYTES // 1024} KiB.")
                    return httpx.Response(response.status_code, headers=response.headers, content=bytes(body))
            except httpx.HTTPError as exc:
                raise DocumentError(f"The client metadata document at {url[:200]} could not be fetched ({type(exc).__name__}).") from None


def client_from_document(client_id: str, document: dict[str, Any]) -> OAuthClientInformationFull:
    """The app a document describes, held to the same rules as a registration: it must name itself, and it is
    a public client (PKCE proves it is the same app; no secret can be shared with a document)."""
    if document.get("client_id") != client_id:
        raise DocumentError(f"The client metadata document at {client_id[:200]} does not give its own URL as client_id.")
    uris = document.get("redirect_uris")
    if not isinstance(uris, list) or not uris or len(uris) > MAX_REDIRECT_URIS or not all(isinstance(u, str) for u in uris):
        raise DocumentError(f"The client metadata document must list 1-{MAX_REDIRECT_URIS} redirect_uris.")
    for uri in uris:
        if problem := redirect_uri_problem(uri):
            raise DocumentError(f"The client metadata document is refused: {problem}.")
    method = document.get("token_endpoint_auth_method", "none")
    if method != "none" or "client_secret" in document:
        raise DocumentError("A client metadata document describes a public client: token_endpoint_auth_method must be 'none'.")
    scope = document.get("scope")
    if scope is not None and (not isinstance(scope, str) or not set(scope.split()) <= set(SCOPES)):
        raise DocumentError(f"The client metadata document asks for scope '{str(scope)[:100]}'; this server has {' '.join(SCOPES)}.")
    name = document.get("client_name")
    try:
        return OAuthClientInformationFull(
            client_id=client_id, redirect_uris=uris, token_endpoint_auth_method="none",
            grant_types=["authorization_code", "refresh_token"], response_types=["code"],
            scope=scope or " ".join(SCOPES), client_name=name[:200] if isinstance(name, str) else None,
        )  # fmt: skip
    except ValidationError:
        raise DocumentError("The client metadata document's redirect_uris are not URLs.") from None
