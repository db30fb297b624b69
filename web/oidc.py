"""Signing in with the company's identity provider by OpenID Connect (authlib): discovery, state, nonce and
PKCE, the ID token's signature checked against the provider's JWKS (fetched again on an unknown key id),
its `iss`, `aud` and `exp`, a verified email, and the allowed domains (with Google's `hd`).

The verified email must be a user of the store (`engagement user add`); anyone else is told whom to ask
and nothing is created. Roles stay in the store. While a sign-in is under way, its state, nonce and PKCE
verifier wait in a signed, HttpOnly cookie of ten minutes that only the callback reads.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.starlette_client import OAuth
from joserfc.errors import JoseError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from engagement.db import read_scope
from engagement.errors import EngagementError
from engagement.settings import Settings
from engagement.users import find_user
from web.auth import Authenticator, authenticator, cookie_header
from web.consent import problem
from web.login import safe_next, signed_in

FLOW_COOKIE = "engagement_oidc"
FLOW_SECONDS = 600
CALLBACK_PATH = "/login/oidc/callback"
SCOPES = "openid email profile"
TIMEOUT_SECONDS = 10
GOOGLE = "https://accounts.google.com"
NAMES = {"accounts.google.com": "Google", "login.microsoftonline.com": "Microsoft", "okta.com": "Okta", "oktapreview.com": "Okta"}


def provider_name(issuer: str) -> str:
    """What the sign-in button calls the identity provider."""
    host = urlsplit(issuer).hostname or ""
    return next((name for domain, name in NAMES.items() if host == domain or host.endswith("." + domain)), "your company account")


class SignInRefused(Exception):
    """Why this sign-in cannot go on, for the person at the browser (and HTTP status)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class CompanySignIn:
    """The identity provider as an OpenID Connect client of authlib's, and the two routes of a sign-in."""

    def __init__(self, settings: Settings, base: str) -> None:
        assert settings.oidc_enabled and settings.oidc_issuer and settings.oidc_client_secret
        self.settings = settings
        self.issuer = settings.oidc_issuer
        self.redirect_uri = f"{base}{CALLBACK_PATH}"
        self.name = provider_name(self.issuer)
        self.client: Any = OAuth().register(
            "company",
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret.get_secret_value(),
            server_metadata_url=f"{self.issuer}/.well-known/openid-configuration",
            client_kwargs={"scope": SCOPES, "code_challenge_method": "S256", "timeout": TIMEOUT_SECONDS},
        )

    async def start(self, target: str) -> tuple[str, str]:
        """Where to send the browser, and the flow cookie's value (state, nonce, PKCE verifier, where to return)."""
        extra = {}
        domains = sorted(self.settings.oidc_domains)
        if self.issuer == GOOGLE and domains:
            extra["hd"] = domains[0] if len(domains) == 1 else "*"  # Google shows only that Workspace's accounts
        await self._metadata()
        flow = await self.client.create_authorization_url(self.redirect_uri, **extra)
        data = {"state": flow["state"], "nonce": flow["nonce"], "verifier": flow["code_verifier"], "next": target,
                "expires": int(time.time()) + FLOW_SECONDS}  # fmt: skip
        return flow["url"], data_cookie(data)

    async def finish(self, request: Request, flow: dict[str, Any]) -> str:
        """The verified email of the person the provider sent back, or SignInRefused saying why."""
        params = request.query_params
        if error := params.get("error"):
            raise SignInRefused(f"{self.name} did not sign you in ({error[:100]}: {params.get('error_description', '')[:300]}).")
        if not secrets.compare_digest(params.get("state", "").encode(), str(flow["state"]).encode()):
            raise SignInRefused("This sign-in did not start here, or was started again in another tab; sign in again.")
        try:
            await self._metadata()
            token = await self.client.fetch_access_token(redirect_uri=self.redirect_uri, code=params.get("code", ""),
                                                         code_verifier=flow["verifier"])  # fmt: skip
            options = {"iss": {"essential": True, "values": [self.issuer]},
                       "aud": {"essential": True, "values": [self.settings.oidc_client_id]}}  # fmt: skip
            claims = await self.client.parse_id_token(token, nonce=flow["nonce"], claims_options=options)
        except (JoseError, AuthlibBaseError, httpx.HTTPError, KeyError, ValueError) as exc:
            raise SignInRefused(f"{self.name}'s answer could not be verified ({_reason(exc)}); sign in again.") from None
        if claims is None:
            raise SignInRefused(f"{self.name} sent no ID token; check that the app asks for the openid scope.")
        return self.checked_email(claims)

    def checked_email(self, claims: Any) -> str:
        audience = claims.get("aud")
        if self.settings.oidc_client_id not in (audience if isinstance(audience, list) else [audience]):
            raise SignInRefused(f"{self.name}'s ID token is for another app; sign in again.")
        email = str(claims.get("email") or "").strip().lower()
        if not email:
            raise SignInRefused(f"{self.name} did not say your email address; the app must ask for the email scope.")
        # Entra ID has no email_verified; its xms_edov (the email's domain is verified by its owner) says as much.
        if claims.get("email_verified") is not True and claims.get("xms_edov") is not True:
            raise SignInRefused(f"{self.name} has not verified the email address {email}; verify it there, then sign in again.", 403)
        domains = self.settings.oidc_domains
        domain = email.rpartition("@")[2]
        if domains and domain not in domains:
            raise SignInRefused(f"{email} is not an address of {', '.join(sorted(domains))}; sign in with your work account.", 403)
        hosted = claims.get("hd")
        if domains and (hosted is not None or self.issuer == GOOGLE) and str(hosted).lower() not in domains:
            raise SignInRefused(f"{email} is not an account of your company's Google Workspace; sign in with your work account.", 403)
        return email

    async def _metadata(self) -> None:
        """Discovery, checked: the document must name the configured issuer (OpenID Connect Discovery §4.3)."""
        metadata = await self.client.load_server_metadata()
        if metadata.get("issuer") != self.issuer:
            self.client.server_metadata.clear()  # look again next time: a fixed provider should not need a restart
            raise SignInRefused(f"The identity provider at {self.issuer} names itself {str(metadata.get('issuer'))[:200]}; "
                                "check ENGAGEMENT_OIDC_ISSUER.", 502)  # fmt: skip


def _reason(exc: Exception) -> str:
    if isinstance(exc, httpx.HTTPError):
        return f"the provider could not be reached: {type(exc).__name__}"
    return getattr(exc, "description", None) or getattr(exc, "error", None) or type(exc).__name__


def data_cookie(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def routes(sign_in: CompanySignIn) -> list[Route]:
    async def start(request: Request) -> Response:
        target = safe_next(request.query_params.get("next"))
        try:
            url, value = await sign_in.start(target)
        except SignInRefused as refused:
            return problem(refused.status, "Sign-in is not available", str(refused))
        except (httpx.HTTPError, AuthlibBaseError, ValueError):
            return problem(502, "Sign-in is not available", f"{sign_in.name} could not be reached; try again shortly.")
        auth = authenticator(request)
        response = RedirectResponse(url, status_code=302)
        sealed = f"{value}.{auth.sign('oidc', value)}"
        response.raw_headers.append(flow_cookie(sealed, FLOW_SECONDS, auth.secure_cookies(request)))
        return response

    async def callback(request: Request) -> Response:
        auth = authenticator(request)
        flow = read_flow(auth, request.cookies.get(FLOW_COOKIE, ""))
        if flow is None:
            return problem(400, "Sign-in expired", "This sign-in took too long or did not start in this browser; sign in again.",
                           "/login", "Sign in")  # fmt: skip
        try:
            email = await sign_in.finish(request, flow)
            await run_in_threadpool(known_user, auth, email)
        except SignInRefused as refused:
            response = problem(refused.status, "You could not be signed in", str(refused), "/login", "Back to sign-in")
        else:
            value, max_age = await run_in_threadpool(auth.start_session, email, None, "oidc")
            response = signed_in(request, str(flow["next"]), value, max_age)
        response.raw_headers.append(flow_cookie("", 0, auth.secure_cookies(request)))  # one use
        return response

    return [Route("/login/oidc", start, methods=["GET"]), Route(CALLBACK_PATH, callback, methods=["GET"])]


def flow_cookie(value: str, max_age: int, secure: bool) -> tuple[bytes, bytes]:
    name, attributes = cookie_header(FLOW_COOKIE, value, max_age, secure)
    return name, attributes.replace(b"Path=/;", f"Path={quote(CALLBACK_PATH)};".encode())


def read_flow(auth: Authenticator, sealed: str) -> dict[str, Any] | None:
    value, _, signature = sealed.partition(".")
    if not value or len(sealed) > 4000 or not secrets.compare_digest(signature.encode(), auth.sign("oidc", value).encode()):
        return None
    try:
        flow = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except ValueError:
        return None
    return flow if isinstance(flow, dict) and flow.get("expires", 0) > time.time() else None


def known_user(auth: Authenticator, email: str) -> None:
    """A user of the store, or SignInRefused saying whom to ask (nothing is created)."""
    try:
        with read_scope(auth.engine) as session:
            find_user(session, email)
    except EngagementError:
        raise SignInRefused(
            f"{email} is not a user of this server. Ask your admin to add you (`engagement user add {email} --role csm`), "
            "then sign in again.",
            403,
        ) from None
