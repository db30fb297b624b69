"""Failed authentications are limited per client address: a wrong token, a failed sign-in or a refused OAuth
code or refresh token counts, and past `limit` in a minute the failure is answered 429 with Retry-After.

Only failures count and only failures are refused, so a right token from the same address keeps working.
The address is the connection's, or the one a trusted proxy forwarded (uvicorn's proxy headers, set from
ENGAGEMENT_TRUSTED_PROXIES). Counts are kept in this process's memory, per replica.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from html import escape

from starlette.datastructures import Headers
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.api import error
from web.oauth_routes import oauth_error

WINDOW_SECONDS = 60.0
MAX_ADDRESSES = 10_000  # the oldest address is forgotten past this, so a spray of addresses cannot fill memory
OAUTH_PATHS = ("/token", "/revoke")


class FailureLimiter:
    """Failures per address over the last minute (a sliding window)."""

    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def fail(self, address: str) -> int | None:
        """Count a failure; past the limit, the seconds until the address may fail again (else None)."""
        now = self.clock()
        times = self._failures.pop(address, None) or deque()
        while times and times[0] <= now - WINDOW_SECONDS:
            times.popleft()
        times.append(now)
        self._failures[address] = times
        while len(self._failures) > MAX_ADDRESSES:
            self._failures.popitem(last=False)
        if len(times) <= self.limit:
            return None
        # One more try is answered (not 429) once all but limit - 1 of these failures are older than the window.
        return max(1, math.ceil(times[-self.limit] + WINDOW_SECONDS - now))


def is_failure(scope: Scope, status: int) -> bool:
    """Whether this answer refused a credential: a 401 to a request that brought one (a bearer token, the
    sign-in form), or a refused client, code or token at the OAuth token and revocation endpoints."""
    path = scope["path"]
    if path in OAUTH_PATHS:
        return status in (400, 401)
    if status != 401:
        return False
    return "authorization" in Headers(scope=scope) or (path == "/login" and scope["method"] == "POST")


def too_many(scope: Scope, retry_after: int) -> Response:
    """The 429 in the form the endpoint speaks: the sign-in page's HTML, OAuth's error JSON, or the API's."""
    message = f"Too many failed sign-in attempts from your address; try again in {retry_after} seconds."
    headers = {"Retry-After": str(retry_after)}
    if scope["path"] == "/login":
        page = f'<!doctype html><html lang="en"><meta charset="utf-8"><title>Try again later</title><p role="alert">{escape(message)}</p></html>'
        return HTMLResponse(page, 429, headers)
    if scope["path"] in OAUTH_PATHS:
        return oauth_error(429, "temporarily_unavailable", message, headers)
    return error(429, "too_many_requests", message, headers)


class AuthFailureLimit:
    """Turns a failed authentication past the address's limit into 429 with Retry-After (nothing else changes)."""

    def __init__(self, app: ASGIApp, limiter: FailureLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        address = (scope.get("client") or ("-", 0))[0]
        replaced = False

        async def send_limited(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start" and is_failure(scope, message["status"]):
                retry_after = self.limiter.fail(address)
                if retry_after is not None:
                    replaced = True
                    await too_many(scope, retry_after)(scope, receive, send)
                    return
            if replaced:  # the refused answer's own body is dropped
                return
            await send(message)

        await self.app(scope, receive, send_limited)
