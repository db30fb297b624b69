"""The consent page of an OAuth connection: which app, where it sends the browser back, which scopes, as whom;
the user allows or denies. Server-rendered (Jinja2, autoescape), CSRF-protected, no script.

A browser that is not signed in goes to /login first (the company's identity provider when configured,
else a token) and comes back here. Allowing makes a single-use code and sends the browser to the app's
registered redirect URI with it (and `iss`, RFC 9207); denying sends `error=access_denied`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from engagement.access.clients import is_loopback_uri
from engagement.access.grants import READ, WRITE
from web.auth import Principal, check_csrf, csrf_token
from web.oauth import EngagementProvider, PendingRequest
from web.render import render
from web.security import FORM_TARGETS

MAX_FORM_FIELDS = 8
KNOWN_APP_HOSTS = {"claude.ai": "Claude", "claude.com": "Claude"}  # where Claude's connectors come back to


@dataclass(frozen=True)
class ScopeText:
    name: str
    title: str
    what: str


SCOPE_TEXT = {
    READ: ScopeText(READ, "Read", "scores, trends, touchpoints, alerts and comparisons"),
    WRITE: ScopeText(WRITE, "Write", "log touchpoints, acknowledge alerts and run the Google sync"),
}


def known_as(redirect_uri: str) -> str | None:
    """What a familiar redirect host is: Claude, or an app on this computer (loopback); else None."""
    host = (urlsplit(redirect_uri).hostname or "").lower()
    if is_loopback_uri(redirect_uri):
        return "an app on your own computer"
    return next((name for known, name in KNOWN_APP_HOSTS.items() if host == known or host.endswith("." + known)), None)


def problem(status: int, heading: str, message: str, back: str | None = None, back_label: str = "") -> HTMLResponse:
    """A sign-in or consent step that cannot go on, said in words (an HTML page: a browser is on the other end)."""
    return HTMLResponse(render("problem.html", heading=heading, message=message, back=back, back_label=back_label), status)


class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status, self.message = status, message


def origin_of(uri: str) -> str:
    """scheme://host[:port] of a redirect URI (checked at registration: a plain host name or IP, a numeric port)."""
    parts = urlsplit(uri)
    host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")


def routes(provider: EngagementProvider) -> list[Route]:
    def pending_of(sealed: str) -> PendingRequest:
        pending = provider.unseal(sealed)
        if pending is None:
            raise Refused(400, "This connection request has expired or was changed; start connecting the app again.")
        return pending

    async def page(request: Request) -> Response:
        try:
            return await _page(request)
        except Refused as refused:
            return problem(refused.status, "The app cannot be connected", refused.message)

    async def _page(request: Request) -> Response:
        sealed = request.query_params.get("request", "")
        pending = pending_of(sealed)
        if not isinstance(request.user, Principal) or request.user.via == "open":
            target = f"/oauth/consent?request={quote(sealed, safe='')}"
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        client = await provider.get_client(pending.client_id)
        if client is None:
            raise Refused(400, "The app asking for access is no longer registered; start connecting it again.")
        name = client.client_name or urlsplit(pending.client_id).hostname or pending.client_id
        familiar = known_as(pending.redirect_uri)
        origin = urlsplit(pending.redirect_uri)
        request.scope[FORM_TARGETS] = [origin_of(pending.redirect_uri)]  # the form's answer goes on to the app
        html = render(
            "consent.html", app_name=name[:200], email=request.user.email, role=request.user.role,
            scopes=[SCOPE_TEXT[s] for s in pending.scopes], redirect_host=origin.netloc, known_as=familiar,
            unfamiliar=familiar is None, csrf=csrf_token(request), sealed=sealed,
        )  # fmt: skip
        return HTMLResponse(html)

    async def answer(request: Request) -> Response:
        try:
            async with request.form(max_files=0, max_fields=MAX_FORM_FIELDS) as form:
                check_csrf(request, form)
                pending = pending_of(str(form.get("request") or ""))
                decision = form.get("decision")
        except HTTPException as exc:
            return problem(exc.status_code, "The app cannot be connected", str(exc.detail))
        except Refused as refused:
            return problem(refused.status, "The app cannot be connected", refused.message)
        if not isinstance(request.user, Principal) or request.user.user_id is None:
            return problem(403, "Sign in first", "Sign in, then allow or deny the app.", "/login", "Sign in")
        if decision == "approve":
            target = await run_in_threadpool(provider.approve, pending, request.user.user_id)
        elif decision == "deny":
            target = provider.back_to_app(pending, error="access_denied", error_description="The user denied access.")
        else:
            return problem(400, "The app cannot be connected", "Choose Allow or Deny.")
        return RedirectResponse(target, status_code=303)

    return [Route("/oauth/consent", page, methods=["GET"]), Route("/oauth/consent", answer, methods=["POST"])]
