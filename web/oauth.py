"""The team server as an OAuth 2.1 authorization server for /mcp, through the MCP SDK's provider protocol.

The SDK's routes do the protocol (metadata, /authorize, /token with PKCE S256, /register, /revoke); this
provider keeps apps, codes, grants and tokens in the store (engagement.access) and sends the browser to
the consent page (web/consent.py) with the request sealed (signed, ten minutes). Every token is for this
server's /mcp only: a `resource` naming anything else is refused, and the bearer check on /mcp accepts a
token only for it. API tokens (`emt_...`) keep working on /mcp exactly as before.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    AuthorizeError,
    RefreshToken,
    RegistrationError,
    TokenError,
)
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
from mcp.shared.auth_utils import resource_url_from_server_url
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from engagement.access import grants
from engagement.access.clients import MAX_REDIRECT_URIS, find_client, redirect_uri_problem, save_client
from engagement.db import read_scope, session_scope
from engagement.models import utcnow
from engagement.users import caller_of
from web.auth import Authenticator, Principal, PrincipalToken
from web.client_documents import ClientDocuments, DocumentError, is_metadata_url

PENDING_SECONDS = 600  # how long the consent page may take
MAX_INFO_BYTES = 16 * 1024


class PendingRequest(BaseModel):
    """An authorization request the SDK checked (client, redirect URI, scopes), waiting for the user's consent."""

    client_id: str
    redirect_uri: str
    redirect_uri_explicit: bool
    code_challenge: str
    state: str | None
    scopes: list[str]
    resource: str
    expires: int


def same_resource(given: str, ours: str) -> bool:
    """RFC 8707: the `resource` a client names is this server's /mcp (scheme and host in any case)."""
    try:
        return resource_url_from_server_url(given).rstrip("/") == resource_url_from_server_url(ours).rstrip("/")
    except ValueError:
        return False


class EngagementCode(AuthorizationCode):
    user_id: int


class EngagementRefreshToken(RefreshToken):
    pass


class EngagementProvider:
    """OAuthAuthorizationServerProvider over the store; `issuer` is this server's URL, `resource` its /mcp."""

    def __init__(self, auth: Authenticator, issuer: str, resource: str, documents: ClientDocuments) -> None:
        self.auth = auth
        self.engine = auth.engine
        self.issuer = issuer
        self.resource = resource
        self.documents = documents

    # -- apps ---------------------------------------------------------------------------------------
    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        if is_metadata_url(client_id):
            try:
                return await self.documents.client(client_id)
            except DocumentError:
                return None  # /authorize says why first (web/oauth_routes.py); here the SDK answers "not found"
        return await run_in_threadpool(self._registered, client_id)

    def _registered(self, client_id: str) -> OAuthClientInformationFull | None:
        with read_scope(self.engine) as session:
            row = find_client(session, client_id, utcnow())
            if row is None or row.kind != "registered":
                return None
            return OAuthClientInformationFull.model_validate({**row.info, "client_secret": row.client_secret})

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        uris = [str(uri) for uri in client_info.redirect_uris or []]
        if len(uris) > MAX_REDIRECT_URIS:
            raise RegistrationError("invalid_redirect_uri", f"at most {MAX_REDIRECT_URIS} redirect_uris may be registered")
        for uri in uris:
            if problem := redirect_uri_problem(uri):
                raise RegistrationError("invalid_redirect_uri", f"{problem}.")
        info = client_info.model_dump(mode="json", exclude_none=True, exclude={"client_secret"})
        if "\\u0000" in json.dumps(info):  # PostgreSQL refuses NUL in text; SQLite would keep it: refuse it on both
            raise RegistrationError("invalid_client_metadata", "the registration contains a NUL character (\\x00); remove it")
        if len(json.dumps(info)) > MAX_INFO_BYTES or len(client_info.client_name or "") > 200:
            raise RegistrationError("invalid_client_metadata", "the registration is too large (at most 16 KiB, a name of 200 characters)")

        def store() -> None:
            with session_scope(self.engine) as session:
                save_client(session, client_id=client_info.client_id, kind="registered", client_name=client_info.client_name,
                            client_secret=client_info.client_secret, info=info)  # fmt: skip

        await run_in_threadpool(store)

    # -- authorization ------------------------------------------------------------------------------
    async def authorize(self, client: OAuthClientInformationFull, params: AuthorizationParams) -> str:
        if params.resource is not None and not same_resource(params.resource, self.resource):
            raise AuthorizeError("invalid_target", f"resource {params.resource[:200]} is not this server; tokens here are only for {self.resource}")
        scopes = [s for s in grants.SCOPES if s in (params.scopes or (client.scope or " ".join(grants.SCOPES)).split())]
        if not scopes:
            raise AuthorizeError("invalid_scope", f"ask for {' or '.join(grants.SCOPES)}")
        pending = PendingRequest(
            client_id=client.client_id, redirect_uri=str(params.redirect_uri),
            redirect_uri_explicit=params.redirect_uri_provided_explicitly, code_challenge=params.code_challenge,
            state=params.state, scopes=scopes, resource=self.resource, expires=int(time.time()) + PENDING_SECONDS,
        )  # fmt: skip
        return f"{self.issuer}/oauth/consent?{urlencode({'request': self.seal(pending)})}"

    def seal(self, pending: PendingRequest) -> str:
        body = base64.urlsafe_b64encode(pending.model_dump_json().encode()).decode().rstrip("=")
        return f"{body}.{self.auth.sign('consent', body)}"

    def unseal(self, sealed: str) -> PendingRequest | None:
        """The pending request a consent form carries, if it is ours, intact and not expired."""
        body, _, signature = sealed.partition(".")
        if len(sealed) > 8000 or not secrets.compare_digest(signature.encode(), self.auth.sign("consent", body).encode()):
            return None
        try:
            pending = PendingRequest.model_validate_json(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except (ValueError, ValidationError):
            return None
        return pending if pending.expires > time.time() else None

    def approve(self, pending: PendingRequest, user_id: int) -> str:
        """The user said yes: a code for the app, and where the browser goes with it (RFC 9207's `iss` included)."""
        with session_scope(self.engine) as session:
            code = grants.new_code(
                session, client_id=pending.client_id, user_id=user_id, scopes=pending.scopes, resource=pending.resource,
                redirect_uri=pending.redirect_uri, redirect_uri_explicit=pending.redirect_uri_explicit,
                code_challenge=pending.code_challenge,
            )  # fmt: skip
        return self.back_to_app(pending, code=code)

    def back_to_app(self, pending: PendingRequest, **params: str) -> str:
        query = {**params, **({"state": pending.state} if pending.state is not None else {}), "iss": self.issuer}
        joiner = "&" if "?" in pending.redirect_uri else "?"
        return f"{pending.redirect_uri}{joiner}{urlencode(query)}"

    # -- codes and tokens ---------------------------------------------------------------------------
    async def load_authorization_code(self, client: OAuthClientInformationFull, authorization_code: str) -> EngagementCode | None:
        def load() -> EngagementCode | None:
            with read_scope(self.engine) as session:
                row = grants.find_code(session, authorization_code)
                if row is None:
                    return None
                return EngagementCode(
                    code=authorization_code, scopes=row.scopes.split(), expires_at=_epoch(row.expires_at),
                    client_id=row.client_id, code_challenge=row.code_challenge,
                    redirect_uri=row.redirect_uri, redirect_uri_provided_explicitly=row.redirect_uri_explicit,
                    resource=row.resource, subject=f"user-{row.user_id}", user_id=row.user_id,
                )  # fmt: skip

        return await run_in_threadpool(load)

    async def exchange_authorization_code(self, client: OAuthClientInformationFull, authorization_code: EngagementCode) -> OAuthToken:
        return await self._tokens(lambda session: grants.exchange_code(session, authorization_code.code))

    async def load_refresh_token(self, client: OAuthClientInformationFull, refresh_token: str) -> EngagementRefreshToken | None:
        def load() -> EngagementRefreshToken | None:
            with read_scope(self.engine) as session:
                found = grants.find_token(session, refresh_token, "refresh")
                if found is None:
                    return None
                row, grant = found
                return EngagementRefreshToken(token=refresh_token, client_id=grant.client_id, scopes=row.scopes.split(),
                                              resource=grant.resource, subject=f"user-{grant.user_id}")  # fmt: skip

        return await run_in_threadpool(load)

    async def exchange_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: EngagementRefreshToken, scopes: list[str]
    ) -> OAuthToken:
        return await self._tokens(lambda session: grants.refresh(session, refresh_token.token, scopes))

    async def _tokens(self, make: Callable[[Any], grants.Issued]) -> OAuthToken:
        def run() -> grants.Issued:
            with session_scope(self.engine) as session:
                return make(session)

        try:
            issued = await run_in_threadpool(run)
        except grants.GrantError as exc:
            if exc.revoke is not None:
                await run_in_threadpool(self._revoke, exc.revoke)
            raise TokenError("invalid_grant", str(exc)) from None
        return OAuthToken(access_token=issued.access_token, expires_in=issued.expires_in, scope=" ".join(issued.scopes),
                          refresh_token=issued.refresh_token)  # fmt: skip

    async def load_access_token(self, token: str) -> AccessToken | None:
        """An OAuth access token of this server, or (as before) an API token: whose it is, for /mcp only."""
        if not token.startswith(grants.PREFIX["access"] + "_"):
            principal = await run_in_threadpool(self.auth.from_token, token)
            if principal is None:
                return None
            return PrincipalToken(token=token, client_id=f"token-{principal.token_id}", subject=principal.identity,
                                  scopes=list(grants.SCOPES), resource=self.resource, principal=principal)  # fmt: skip
        return await run_in_threadpool(self._oauth_principal, token)

    def _oauth_principal(self, token: str) -> PrincipalToken | None:
        now = utcnow()
        with read_scope(self.engine) as session:
            found = grants.access_holder(session, token, now)
            if found is None:
                return None
            user, grant, row = found
            scopes = row.scopes.split()
            caller = caller_of(session, user, self.auth.settings.today())
            assert user.id is not None
        if grant.last_used_at < now - grants.LAST_USED_EVERY:  # a write on a read path, so only now and then
            with session_scope(self.engine) as session:
                grants.touch(session, grant.id or 0, now)
        principal = Principal(user.email, user.role, replace(caller, scopes=frozenset(scopes)), user.id, None, "bearer")  # type: ignore[arg-type]
        return PrincipalToken(token=token, client_id=grant.client_id, subject=principal.identity, scopes=scopes,
                              expires_at=_epoch(row.expires_at), resource=grant.resource, principal=principal)  # fmt: skip

    def _revoke(self, grant_id: int) -> None:
        with session_scope(self.engine) as session:
            grants.revoke_grant(session, grant_id)

    async def revoke_token(self, token: AccessToken | RefreshToken) -> None:
        """Revoking either token of a grant revokes the grant: both stop at once."""
        kind = "refresh" if isinstance(token, RefreshToken) else "access"

        def revoke() -> None:
            with session_scope(self.engine) as session:
                found = grants.find_token(session, token.token, kind)
                if found is not None:
                    grants.revoke_grant(session, found[1].id or 0)

        await run_in_threadpool(revoke)


def _epoch(moment: datetime) -> int:
    """A naive UTC datetime of the store as seconds since the epoch."""
    return int(moment.replace(tzinfo=UTC).timestamp())
