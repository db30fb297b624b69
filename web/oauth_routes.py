"""What the team server adds around the MCP SDK's OAuth routes: its metadata (the SDK's, saying also that
client ids may be metadata URLs and that redirects carry `iss`), the scopes in /mcp's 401 challenge, and
checks the SDK leaves to the server: a metadata-URL client id is fetched before /authorize answers (so a
refusal says why), and a token request naming another server as its `resource` is refused."""

from __future__ import annotations

from urllib.parse import parse_qs

from mcp.server.auth.handlers.metadata import MetadataHandler, ProtectedResourceMetadataHandler
from mcp.server.auth.routes import build_metadata, build_resource_metadata_url, cors_middleware
from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions, RevocationOptions
from mcp.shared.auth import ProtectedResourceMetadata
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engagement.access.grants import SCOPES
from web.client_documents import DocumentError, is_metadata_url
from web.oauth import EngagementProvider, same_resource

RESOURCE_NAME = "Customer engagement metrics"


def auth_settings(base: str) -> AuthSettings:
    """The SDK's settings: this server issues tokens for its own /mcp, registers apps, revokes tokens."""
    return AuthSettings.model_validate({  # from strings, so the issuer keeps its exact form (no trailing slash)
        "issuer_url": base,
        "resource_server_url": f"{base}/mcp",
        "validate_token_resource": True,  # a token is accepted on /mcp only if it was issued for /mcp
        "client_registration_options": ClientRegistrationOptions(enabled=True, valid_scopes=list(SCOPES), default_scopes=list(SCOPES)),
        "revocation_options": RevocationOptions(enabled=True),
    })


def metadata_routes(settings: AuthSettings) -> list[Route]:
    """RFC 8414 and RFC 9728 metadata; matched before the SDK's own, which lack the two flags and the scopes."""
    assert settings.client_registration_options is not None and settings.revocation_options is not None
    server = build_metadata(settings.issuer_url, None, settings.client_registration_options, settings.revocation_options)
    server.client_id_metadata_document_supported = True
    server.authorization_response_iss_parameter_supported = True
    assert settings.resource_server_url is not None
    resource = ProtectedResourceMetadata(
        resource=settings.resource_server_url, authorization_servers=[settings.issuer_url], scopes_supported=list(SCOPES),
        resource_name=RESOURCE_NAME,
    )  # fmt: skip
    resource_path = "/" + str(build_resource_metadata_url(settings.resource_server_url)).split("/", 3)[3]
    return [
        Route("/.well-known/oauth-authorization-server", cors_middleware(MetadataHandler(server).handle, ["GET", "OPTIONS"]),
              methods=["GET", "OPTIONS"]),  # fmt: skip
        Route(resource_path, cors_middleware(ProtectedResourceMetadataHandler(resource).handle, ["GET", "OPTIONS"]),
              methods=["GET", "OPTIONS"]),  # fmt: skip
    ]


class ChallengeScope:
    """/mcp's 401 challenge names the scopes to ask for (the MCP authorization spec), beside the SDK's
    `resource_metadata`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.scope = " ".join(SCOPES)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_scope(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                headers = [
                    (name, value + f', scope="{self.scope}"'.encode() if name.lower() == b"www-authenticate" else value)
                    for name, value in message.get("headers", [])
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_scope)


def oauth_error(status: int, error: str, description: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """An OAuth error answer (RFC 6749 §5.2's shape), never cached."""
    body = {"error": error, "error_description": description}
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})})


class OAuthChecks:
    """In front of the SDK's /authorize and /token: the checks it leaves to the server, then the SDK itself
    (the body, already read for the check, is handed on unchanged)."""

    def __init__(self, app: ASGIApp, provider: EngagementProvider) -> None:
        self.app = app
        self.provider = provider

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in ("/authorize", "/token"):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        body = await request.body() if scope["method"] == "POST" else b""
        params = {k: v[0] for k, v in parse_qs(body.decode("latin-1")).items()} if body else {}
        params = {**dict(request.query_params), **params} if scope["path"] == "/authorize" else params
        refusal = await self._refusal(scope["path"], params)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refusal(self, path: str, params: dict[str, str]) -> JSONResponse | None:
        client_id = params.get("client_id", "")
        if path == "/authorize" and is_metadata_url(client_id):
            try:
                await self.provider.documents.client(client_id)
            except DocumentError as exc:
                return oauth_error(400, "invalid_request", str(exc))
        resource = params.get("resource")
        if path == "/token" and resource is not None and not same_resource(resource, self.provider.resource):
            return oauth_error(400, "invalid_target", f"resource {resource[:200]} is not this server; tokens here are only for {self.provider.resource}")
        return None
