"""What every response of the team server gets: Host/Origin checks, security headers, an access log by user id."""

from __future__ import annotations

import logging
import time

from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engagement.db import read_scope
from engagement.users import has_users
from web.api import error, fault_response, http_answer
from web.auth import identity_of

access_log = logging.getLogger("engagement.access")

# Nothing inline, nothing from elsewhere: the pages' CSS and images come from /static, charts are inline SVG.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
HSTS = (b"strict-transport-security", b"max-age=31536000")
FORM_TARGETS = "engagement.form_targets"
"""Scope key: origins a page's form may lead to besides this site (the consent form's answer goes on to the app)."""


class SecurityHeaders:
    """Security headers on every answer; answers other than static files are not to be cached (they are
    one user's data), and behind TLS browsers are told to stay on it."""

    def __init__(self, app: ASGIApp, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() not in {k for k, _ in HEADERS}]
                headers += HEADERS
                if targets := scope.get(FORM_TARGETS):
                    policy = CONTENT_SECURITY_POLICY.replace("form-action 'self'", "form-action 'self' " + " ".join(targets))
                    headers = [(k, policy.encode() if k == b"content-security-policy" else v) for k, v in headers]
                if not scope["path"].startswith("/static/") and not any(h[0].lower() == b"cache-control" for h in headers):
                    headers.append((b"cache-control", b"no-store"))
                if self.https:
                    headers.append(HSTS)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HostCheck:
    """The DNS-rebinding guard the MCP SDK puts on /mcp, on every path: only our Host names, and an Origin
    (when a browser sends one) of our own. An open loopback server relies on it: a page elsewhere must not
    reach it through a name that resolves to 127.0.0.1."""

    def __init__(self, app: ASGIApp, settings: TransportSecuritySettings) -> None:
        self.app = app
        self.guard = TransportSecurityMiddleware(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refused = await self.guard.validate_request(Request(scope), is_post=False)
            if refused is not None:
                await refused(scope, receive, send)
                return
        await self.app(scope, receive, send)


class AccessLog:
    """One line per request: method, path (never the query, which may hold an email), status, the user's
    id, milliseconds. No client address and no token, ever."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            access_log.info(
                "%s %s %d %s %.0fms", scope["method"], scope["path"], status, identity_of(scope.get("user")), elapsed
            )


class Faults:
    """Whatever escapes the routes (the store failing while a token is checked, say) is answered here by the
    one mapping every edge shares (engagement.errors.fault_of, which logs it once under the reference the
    answer gives: 503 "try again", or 500), and goes no further: no plain-text 500 and no bare traceback
    from the server. The MCP SDK's app gets one too, inside its own error handler, which would answer first."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_noting_start(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_noting_start)
        except Exception as exc:  # noqa: BLE001 - one mapping for every failure
            # A fault is logged by fault_of, with its reference, even when the answer can no longer be sent.
            answer = http_answer(exc) if isinstance(exc, HTTPException) else fault_response(exc)
            if not started:
                await answer(scope, receive, send)


class BodyLimit:
    """Request bodies up to `limit` bytes: a larger declared one is refused before it is read (413, as JSON),
    and a streamed one stops at the limit (HTTPException 413 from `receive`, answered by the app's handler)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            await too_large(self.limit)(scope, receive, send)
            return
        seen = 0

        async def receive_limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise HTTPException(413, too_large_message(self.limit))
            return message

        await self.app(scope, receive_limited, send)


def too_large_message(limit: int) -> str:
    return f"The request body is larger than {limit // 1024} KiB; send fewer activities per request."


def too_large(limit: int) -> JSONResponse:
    return error(413, "too_large", too_large_message(limit))


class OpenOnlyWithoutUsers:
    """An open server (loopback, no users at start) stops answering once someone adds a user: from then on
    sign-in is wanted, and this process was built without it. Fail closed and say to restart."""

    def __init__(self, app: ASGIApp, engine: Engine) -> None:
        self.app = app
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and await run_in_threadpool(self._has_users):
            message = "Sign-in was turned on (a user was added) after this server started: restart `engagement serve`."
            await error(503, "unavailable", message)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _has_users(self) -> bool:
        with read_scope(self.engine) as session:
            return has_users(session)
