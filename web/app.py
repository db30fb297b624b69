"""The team server: one ASGI app with the dashboard, the REST API, /openapi.json and the MCP endpoint.

`create_app(settings, host=..., port=...)` wires it; `engagement serve` runs it with uvicorn. With users
in the store every request needs a token (Bearer, or the dashboard's session cookie); on a loopback
address with no users yet it runs open, as a laptop's single-user server.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

from mcp.server.auth.provider import ProviderTokenVerifier
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from engagement.app import create_core
from engagement.caller import Caller
from web.netloc import is_loopback, transport_security
from engagement.db import read_scope
from engagement.core import Core
from engagement.settings import Settings
from engagement.users import has_users
from web import api, apps, consent, login, oidc, pages
from web.auth import Authenticator, CsrfCookieMiddleware, TokenBackend, mcp_principal
from web.client_documents import ClientDocuments
from web.oauth import EngagementProvider
from web.oauth_routes import ChallengeScope, OAuthChecks, auth_settings, metadata_routes
from web.openapi import openapi_document
from web.ratelimit import AuthFailureLimit, FailureLimiter
from web.security import AccessLog, BodyLimit, Faults, HostCheck, OpenOnlyWithoutUsers, SecurityHeaders

MAX_BODY_BYTES = 1024 * 1024
TITLE = "Engagement metrics API"
VERSION = "0.1.0"


def base_url(settings: Settings, host: str, port: int) -> str:
    """Where clients reach the server: the configured public URL, else the address it listens on."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    name = f"[{host.strip('[]')}]" if ":" in host else host
    return f"http://{name}:{port}"


def host_rules(settings: Settings, host: str, port: int, open: bool) -> TransportSecuritySettings:
    """Host/Origin checking: the loopback names and the bound host, plus the public URL's. A server that
    demands tokens on a network address with no public URL set accepts any Host: it cannot know the
    names people use, and without a token no name gets anything."""
    rules = transport_security(host, port)
    if settings.public_url:
        public = urlsplit(settings.public_url)
        rules.allowed_hosts.append(public.netloc)
        rules.allowed_origins.append(f"{public.scheme}://{public.netloc}")
    elif not open and not is_loopback(host):
        rules.enable_dns_rebinding_protection = False
    return rules


def mcp_app(core: Core, provider: EngagementProvider | None, base: str, rules: TransportSecuritySettings) -> Any:
    """The MCP SDK's streamable HTTP app over the same core; with users, bearer tokens only (API tokens or
    OAuth access tokens, checked by the SDK through `provider`, which also serves OAuth), and every tool
    call scoped to the token's user and, for an app connected by OAuth, to its scopes."""
    from tools.server import create_server

    if provider is None:
        server = create_server(core.settings, core=core)
    elif serves_oauth(base):
        server = create_server(
            core.settings, core=core, caller_of=mcp_caller, auth_server_provider=provider, auth=auth_settings(base)
        )
    else:  # OAuth needs an https public URL off loopback: API tokens only, checked by the same provider
        server = create_server(core.settings, core=core, caller_of=mcp_caller,
                               token_verifier=ProviderTokenVerifier(provider), auth=auth_settings(base))  # fmt: skip
    settings = core.settings
    app = server.streamable_http_app(
        streamable_http_path="/mcp",
        transport_security=rules,
        max_sessions=settings.http_max_sessions,
        session_idle_timeout=settings.http_session_idle_seconds,
    )
    app.add_middleware(Faults)  # outside the SDK's token check, inside its own plain-text error handler
    return server, app


def serves_oauth(base: str) -> bool:
    """OAuth (Claude's connectors) only where its redirects are safe: an https public URL, or loopback."""
    parts = urlsplit(base)
    return parts.scheme == "https" or is_loopback(parts.hostname or "")


def mcp_caller() -> Caller:
    """Who asks in an MCP tool call over HTTP: the token's user. The SDK refuses /mcp without a token, so a
    call without one cannot happen; were it to, it would see nothing."""
    principal = mcp_principal()
    if principal is None:
        return Caller(as_of=dt.datetime.now(dt.UTC).date(), visible_csms=frozenset(), label="nobody")
    return principal.caller


async def internal_error(request: Request, exc: Exception) -> Response:
    """What escaped even web.security.Faults (the headers and access-log middlewares outside it): the one mapping."""
    return api.fault_response(exc)


def create_app(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    core: Core | None = None,
    documents: ClientDocuments | None = None,
) -> Starlette:
    """The whole team server. Open (no token asked) only on a loopback address with no users in the store.
    `documents` fetches apps' Client ID Metadata Documents (tests give one that reaches a fake host)."""
    core = core or create_core(settings)
    with read_scope(core.engine) as session:
        open = is_loopback(host) and not has_users(session)
    auth = Authenticator.create(core.engine, settings, open=open)
    base = base_url(settings, host, port)
    rules = host_rules(settings, host, port, open)
    company = oidc.CompanySignIn(settings, base) if settings.oidc_enabled and not open else None
    provider = None if open else EngagementProvider(auth, base, f"{base}/mcp", documents or ClientDocuments(core.engine))
    server, mcp = mcp_app(core, provider, base, rules)
    oauth = provider is not None and serves_oauth(base)
    sdk = OAuthChecks(mcp, provider) if provider is not None and oauth else mcp

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with server.session_manager.run():
            yield

    async def openapi(request: Request) -> Response:
        return JSONResponse(document)

    document = openapi_document(TITLE, VERSION)
    document["servers"] = [{"url": base}]
    https = base.startswith("https://")
    app = Starlette(
        routes=[
            *api.routes(core),
            Route("/openapi.json", openapi, methods=["GET"]),
            *login.routes(),
            *(oidc.routes(company) if company else []),
            *pages.routes(core),
            *([*metadata_routes(auth_settings(base)), *consent.routes(provider), *apps.routes()] if oauth else []),
            # /mcp, its metadata and OAuth's endpoints: each of the SDK app's paths goes to the SDK app whole
            *(Route(r.path, endpoint=ChallengeScope(sdk) if r.path == "/mcp" else sdk) for r in mcp.routes if isinstance(r, Route)),
        ],
        middleware=[
            Middleware(SecurityHeaders, https=https),
            Middleware(AccessLog),
            Middleware(Faults),
            Middleware(AuthFailureLimit, limiter=FailureLimiter(settings.auth_failures_per_minute)),
            Middleware(HostCheck, settings=rules),
            Middleware(BodyLimit, limit=MAX_BODY_BYTES),
            Middleware(CsrfCookieMiddleware, secure=https),
            Middleware(AuthenticationMiddleware, backend=TokenBackend(auth)),
            *([Middleware(OpenOnlyWithoutUsers, engine=core.engine)] if open else []),
        ],
        exception_handlers={HTTPException: api.http_error, Exception: internal_error},
        lifespan=lifespan,
    )
    app.state.authenticator = auth  # web.auth.authenticator(request) reads it
    app.state.company_sign_in = company.name if company else None  # the sign-in page offers it
    return app
