"""Who is asking: API tokens (Bearer) and the dashboard's signed session cookie, turned into a `Principal`.

Every answer of the team server is scoped by `request.user.caller`. A token is checked against the
store on every request, so a revoked or expired one stops working at once. A session cookie names a
session kept in the store (engagement.access.sessions): signing out deletes it, and one made with a
token ends with the token. The forms' CSRF tokens are an HMAC of a random per-browser cookie, so a page
on another site can neither read nor forge them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
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

from engagement.access.sessions import SESSION_LIFETIME, end_session, session_holder, start_session
from engagement.caller import Caller
from engagement.db import read_scope, session_scope
from engagement.models import ApiToken, AppUser
from engagement.settings import Settings
from engagement.users import Role, caller_of, find_user, server_secret, token_holder, utcnow

SESSION_COOKIE = "engagement_session"
CSRF_COOKIE = "engagement_csrf"
CSRF_FIELD = "csrf_token"
# The MCP SDK checks these itself: /mcp (Bearer only), its metadata and the OAuth endpoints (client credentials).
UNAUTHENTICATED_PATHS = ("/mcp", "/.well-known/", "/authorize", "/token", "/register", "/revoke")
_NEW_CSRF = "engagement.csrf_new"


@dataclass(frozen=True, eq=False)
class Principal(BaseUser):
    """The signed-in user: `caller` is the scope of every answer they get."""

    email: str
    role: Role
    caller: Caller
    user_id: int | None = None  # None: the open loopback server's local user
    token_id: int | None = None  # the API token it came with (a session signed in by token keeps it)
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

    def _principal(self, session: Any, user: AppUser, token: ApiToken | None, via: Literal["bearer", "cookie"]) -> Principal:
        caller = caller_of(session, user, self.settings.today())
        assert user.id is not None
        return Principal(user.email, user.role, caller, user.id, token.id if token else None, via)  # type: ignore[arg-type]

    def from_token(self, token: str) -> Principal | None:
        with read_scope(self.engine) as session:
            found = token_holder(session, token.strip(), utcnow())
            return None if found is None else self._principal(session, found[0], found[1], "bearer")

    def local(self) -> Principal:
        """The open server's user (loopback, no users yet): every customer, as the CLI sees them."""
        return Principal("local", "admin", Caller.local(self.settings), via="open")

    # -- the dashboard's sessions (kept in the store) ------------------------------------------------
    def start_session(self, email: str, token_id: int | None, via: Literal["token", "oidc"]) -> tuple[str, int]:
        """Sign `email` in: a new session's cookie value and its max-age in seconds."""
        with session_scope(self.engine) as session:
            user = find_user(session, email)
            token = session.get(ApiToken, token_id) if token_id is not None else None
            value, _ = start_session(session, user, via, token)
        return value, int(SESSION_LIFETIME.total_seconds())

    def from_session(self, value: str) -> Principal | None:
        with read_scope(self.engine) as session:
            found = session_holder(session, value, utcnow())
            if found is None:
                return None
            user, row = found
            token = session.get(ApiToken, row.token_id) if row.token_id is not None else None
            return self._principal(session, user, token, "cookie")

    def end_session(self, value: str) -> None:
        with session_scope(self.engine) as session:
            end_session(session, value)

    def secure_cookies(self, conn: HTTPConnection) -> bool:
        """Cookies are `Secure` over HTTPS, and whenever the public URL is https (a proxy may talk plain HTTP to us)."""
        return conn.url.scheme == "https" or (self.settings.public_url or "").lower().startswith("https://")

    # -- CSRF ----------------------------------------------------------------------------------------
    def csrf_for(self, browser: str) -> str:
        return _sign(self.key, "csrf", browser)

    def sign(self, purpose: str, message: str) -> str:
        """An HMAC of `message` for one purpose (a consent request, a sign-in in progress) with the server's key."""
        return _sign(self.key, purpose, message)


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
                secure = self.secure or scope.get("scheme") == "https"
                headers.append(cookie_header(CSRF_COOKIE, browser, 7 * 24 * 3600, secure))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cookie)
