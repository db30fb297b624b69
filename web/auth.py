"""Who is asking: API tokens (Bearer) and the dashboard's signed session cookie, turned into a `Principal`.

Every answer of the team server is scoped by `request.user.caller`. A token is checked against the
store on every request, so a revoked or expired one stops working at once, and a session cookie only
names its token (by id, signed): revoking the token ends the session too. The forms' CSRF tokens are
an HMAC of a random per-browser cookie, so a page on another site can neither read nor forge them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any, Literal

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from pydantic import InstanceOf
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from starlette.authentication import AuthCredentials, AuthenticationBackend, BaseUser
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engagement.caller import Caller
from engagement.db import read_scope, session_scope
from engagement.settings import Settings
from engagement.users import Role, active_token, caller_of, server_secret, token_holder, utcnow

SESSION_COOKIE = "engagement_session"
CSRF_COOKIE = "engagement_csrf"
CSRF_FIELD = "csrf_token"
SESSION_LIFETIME = dt.timedelta(hours=12)
UNAUTHENTICATED_PATHS = ("/mcp", "/.well-known/")  # the MCP SDK checks these itself (Bearer only)
_NEW_CSRF = "engagement.csrf_new"


@dataclass(frozen=True, eq=False)
class Principal(BaseUser):
    """The signed-in user: `caller` is the scope of every answer they get."""

    email: str
    role: Role
    caller: Caller
    user_id: int | None = None  # None: the open loopback server's local user
    token_id: int | None = None
    via: Literal["bearer", "cookie", "open"] = "bearer"

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.email

    @property
    def identity(self) -> str:
        """What logs carry: the user's id, never their address or token."""
        return "local" if self.user_id is None else f"user-{self.user_id}"


class PrincipalToken(AccessToken):
    """The MCP SDK's access token for one of our tokens, carrying whose it is."""

    principal: InstanceOf[Principal]


def _sign(key: bytes, purpose: str, message: str) -> str:
    digest = hmac.new(key, f"{purpose}:{message}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class Authenticator:
    """Tokens and session cookies to Principals, over the store; `open` serves a local user without any."""

    def __init__(self, engine: Engine, settings: Settings, key: bytes, open: bool = False) -> None:
        self.engine = engine
        self.settings = settings
        self.key = key
        self.open = open

    @classmethod
    def create(cls, engine: Engine, settings: Settings, open: bool = False) -> Authenticator:
        if settings.secret_key:
            return cls(engine, settings, settings.secret_key.encode(), open)
        try:
            with session_scope(engine) as session:
                key = server_secret(session, "session_key")
        except IntegrityError:  # another process made it at the same moment: read theirs
            with session_scope(engine) as session:
                key = server_secret(session, "session_key")
        return cls(engine, settings, key.encode(), open)

    def _principal(self, token: str | None, token_id: int | None, via: Literal["bearer", "cookie"]) -> Principal | None:
        now = utcnow()
        with read_scope(self.engine) as session:
            found = token_holder(session, token, now) if token is not None else active_token(session, token_id or 0, now)
            if found is None:
                return None
            user, row = found
            caller = caller_of(session, user, self.settings.today())
        assert user.id is not None and row.id is not None
        return Principal(user.email, user.role, caller, user.id, row.id, via)  # type: ignore[arg-type]

    def from_token(self, token: str) -> Principal | None:
        return self._principal(token.strip(), None, "bearer")

    def local(self) -> Principal:
        """The open server's user (loopback, no users yet): every customer, as the CLI sees them."""
        return Principal("local", "admin", Caller.local(self.settings), via="open")

    # -- the dashboard's session cookie ------------------------------------------------------------
    def session_cookie(self, principal: Principal) -> tuple[str, int]:
        """The cookie's value (token id, expiry, signature) and its max-age in seconds."""
        assert principal.token_id is not None
        expires = int(time.time() + SESSION_LIFETIME.total_seconds())
        message = f"{principal.token_id}.{expires}"
        return f"{message}.{_sign(self.key, 'session', message)}", int(SESSION_LIFETIME.total_seconds())

    def from_session(self, value: str) -> Principal | None:
        token_id, _, rest = value.partition(".")
        expires, _, signature = rest.partition(".")
        if not (token_id.isdigit() and expires.isdigit() and len(token_id) < 12 and len(expires) < 12):
            return None
        if not hmac.compare_digest(signature, _sign(self.key, "session", f"{token_id}.{expires}")):
            return None
        if int(expires) < time.time():
            return None
        return self._principal(None, int(token_id), "cookie")

    # -- CSRF ----------------------------------------------------------------------------------------
    def csrf_for(self, browser: str) -> str:
        return _sign(self.key, "csrf", browser)


def authenticator(conn: HTTPConnection) -> Authenticator:
    found = conn.app.state.authenticator
    assert isinstance(found, Authenticator)
    return found


class TokenBackend(AuthenticationBackend):
    """`Authorization: Bearer <token>`, else the session cookie, else (open server only) the local user.

    A request with no valid credential is left anonymous; each route decides what that means (the
    API answers 401, the pages send the browser to /login). /mcp is the MCP SDK's to check.
    """

    def __init__(self, auth: Authenticator) -> None:
        self.auth = auth

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        if conn.url.path.startswith(UNAUTHENTICATED_PATHS):
            return None
        principal: Principal | None = None
        header = conn.headers.get("authorization")
        if header is not None:
            scheme, _, token = header.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                principal = await run_in_threadpool(self.auth.from_token, token)
            conn.scope["engagement.bad_credential"] = principal is None
        elif cookie := conn.cookies.get(SESSION_COOKIE):
            principal = await run_in_threadpool(self.auth.from_session, cookie)
        if principal is None and header is None and self.auth.open:
            principal = self.auth.local()
        if principal is None:
            return None
        return AuthCredentials(["authenticated", principal.role]), principal


class McpTokenVerifier:
    """The MCP SDK's TokenVerifier over our tokens: /mcp's 401s, WWW-Authenticate and metadata are the SDK's."""

    def __init__(self, auth: Authenticator) -> None:
        self.auth = auth

    async def verify_token(self, token: str) -> AccessToken | None:
        principal = await run_in_threadpool(self.auth.from_token, token)
        if principal is None:
            return None
        return PrincipalToken(
            token=token,
            client_id=f"token-{principal.token_id}",
            subject=principal.identity,
            scopes=[principal.role],
            principal=principal,
        )


def mcp_principal() -> Principal | None:
    """Inside an MCP tool call over HTTP: the token's user (the SDK hands each call its request's token)."""
    token = get_access_token()
    return token.principal if isinstance(token, PrincipalToken) else None


def identity_of(user: Any) -> str:
    """Who a request was, for the access log: a user id, never an address or a token."""
    if isinstance(user, Principal):
        return user.identity
    if isinstance(user, AuthenticatedUser) and isinstance(user.access_token, PrincipalToken):
        return user.access_token.principal.identity
    return "-"


# -- CSRF for the dashboard's forms ------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """The hidden `csrf_token` field for a form on this page (the browser's CSRF cookie is set with it)."""
    browser = request.cookies.get(CSRF_COOKIE) or request.scope.get(_NEW_CSRF)
    if not browser:
        browser = request.scope[_NEW_CSRF] = secrets.token_urlsafe(32)
    return authenticator(request).csrf_for(browser)


def csrf_matches(request: HTTPConnection, sent: object) -> bool:
    """Whether `sent` is the CSRF token of this browser's CSRF cookie (a form's field, or the API's header)."""
    browser = request.cookies.get(CSRF_COOKIE)
    if not browser or not isinstance(sent, str):
        return False
    # Compared as bytes: compare_digest refuses a str with non-ASCII characters (a forged field would be a 500).
    return hmac.compare_digest(sent.encode(), authenticator(request).csrf_for(browser).encode())


def check_csrf(request: Request, form: FormData | dict[str, Any]) -> None:
    """Refuse (403) a form post whose csrf_token does not match this browser's CSRF cookie."""
    if not csrf_matches(request, form.get(CSRF_FIELD)):
        raise HTTPException(403, "This form has expired or came from another site; reload the page and send it again.")


def cookie_header(name: str, value: str, max_age: int, secure: bool) -> tuple[bytes, bytes]:
    attributes = f"{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")
    return b"set-cookie", attributes.encode()


class CsrfCookieMiddleware:
    """Sets the browser's CSRF cookie on the response when a page made a form token without one."""

    def __init__(self, app: ASGIApp, secure: bool) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and (browser := scope.get(_NEW_CSRF)):
                headers = list(message.get("headers", []))
                headers.append(cookie_header(CSRF_COOKIE, browser, 7 * 24 * 3600, self.secure))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cookie)
