"""Signing in to the dashboard with a token once (a signed, HttpOnly, SameSite cookie after), and out again."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from web.auth import CSRF_FIELD, SESSION_COOKIE, Principal, authenticator, check_csrf, cookie_header, csrf_token

MAX_FORM_FIELDS = 8


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this server only (never //elsewhere or a full URL)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target or len(target) > 2000:
        return "/"
    return target


def _page(request: Request, message: str | None, target: str, status: int = 200) -> HTMLResponse:
    notice = f'<p class="login-error" role="alert">{escape(message)}</p>' if message else ""
    company = getattr(request.app.state, "company_sign_in", None)  # the identity provider's name, when configured
    idp = (
        f'<a class="idp" href="/login/oidc?next={escape(quote(target, safe=""))}">Sign in with {escape(company)}</a>'
        "<p>Or with an API token:</p>"
        if company
        else "<p>Sign in with your API token (an admin makes one with <code>engagement token create --user YOUR-EMAIL</code>).</p>"
    )
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in - Engagement</title><link rel="stylesheet" href="/static/dashboard.css"></head>
<body class="login"><main class="login-box"><h1>Customer engagement</h1>
{idp}
{notice}<form method="post" action="/login">
<input type="hidden" name="{CSRF_FIELD}" value="{escape(csrf_token(request))}">
<input type="hidden" name="next" value="{escape(target)}">
<label for="token">Token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required maxlength="200" autofocus>
<button type="submit">Sign in</button></form></main></body></html>"""
    return HTMLResponse(body, status_code=status)


async def login_form(request: Request) -> Response:
    target = safe_next(request.query_params.get("next"))
    if isinstance(request.user, Principal) and request.user.via != "bearer":
        return RedirectResponse(target, status_code=303)  # already signed in (or an open server)
    return _page(request, None, target)


async def login(request: Request) -> Response:
    async with request.form(max_files=0, max_fields=MAX_FORM_FIELDS) as form:
        target = safe_next(str(form.get("next") or ""))
        try:
            check_csrf(request, form)
        except HTTPException as exc:
            return _page(request, str(exc.detail), target, status=403)
        token = str(form.get("token") or "").strip()
    auth = authenticator(request)
    principal = await run_in_threadpool(auth.from_token, token) if token else None
    if principal is None:
        return _page(request, "That token is not valid: unknown, expired or revoked.", target, status=401)
    value, max_age = await run_in_threadpool(auth.start_session, principal.email, principal.token_id, "token")
    return signed_in(request, target, value, max_age)


def signed_in(request: Request, target: str, value: str, max_age: int) -> Response:
    """Go on to `target` with the new session's cookie (HttpOnly, SameSite=Lax, Secure behind TLS)."""
    response = RedirectResponse(target, status_code=303)
    response.raw_headers.append(cookie_header(SESSION_COOKIE, value, max_age, authenticator(request).secure_cookies(request)))
    return response


async def logout(request: Request) -> Response:
    """Sign out on the server: the session is deleted, so a copy of the cookie stops working too."""
    async with request.form(max_files=0, max_fields=MAX_FORM_FIELDS) as form:
        check_csrf(request, form)
    auth = authenticator(request)
    if value := request.cookies.get(SESSION_COOKIE):
        await run_in_threadpool(auth.end_session, value)
    response = RedirectResponse("/login", status_code=303)
    response.raw_headers.append(cookie_header(SESSION_COOKIE, "", 0, auth.secure_cookies(request)))
    return response


def routes() -> list[Route]:
    return [
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
    ]
