"""A stand-in for the team server's app (web/app.py, issue 16) until it lands: the pages router behind a
test-only sign-in that sets `request.user` to a principal with a `caller`, as web.auth will."""

from __future__ import annotations

import html
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.authentication import AuthCredentials, AuthenticationBackend, BaseUser
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engagement.caller import Caller
from engagement.service import EngagementService
from web import pages

COOKIE = "test_user"
# As strict as the team server's: no script at all, styles and images only from the app itself.
CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"


@dataclass(frozen=True)
class Principal(BaseUser):
    email: str
    role: str
    caller: Caller

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.email


class CookieBackend(AuthenticationBackend):
    def __init__(self, users: dict[str, Principal]) -> None:
        self.users = users

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        user = self.users.get(conn.cookies.get(COOKIE, ""))
        return None if user is None else (AuthCredentials(["authenticated"]), user)


def create_test_app(service: EngagementService, users: dict[str, Principal]) -> Starlette:
    async def login(request: Request) -> Response:
        if request.method == "GET":
            return HTMLResponse(
                '<!doctype html><form method="post"><label>Token <input name="token"></label>'
                f'<input type="hidden" name="next" value="{html.escape(request.query_params.get("next", "/"))}">'
                "<button>Sign in</button></form>"
            )
        form = await request.form()
        response = RedirectResponse(str(form.get("next") or "/"), status_code=303)
        response.set_cookie(COOKIE, str(form["token"]), httponly=True, samesite="strict")
        return response

    return Starlette(
        routes=[Route("/login", login, methods=["GET", "POST"]), *pages.routes(service)],
        middleware=[Middleware(StrictCsp), Middleware(AuthenticationMiddleware, backend=CookieBackend(users))],
    )


class StrictCsp:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_csp(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"content-security-policy", CSP.encode())]
            await send(message)

        await self.app(scope, receive, with_csp)
