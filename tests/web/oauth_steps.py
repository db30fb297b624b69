"""The OAuth protocol's steps for tests, each one HTTP request (a TestClient in process, or httpx against a real
server): register an app, authorize as a signed-in person, exchange the code, refresh, revoke."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.web.oauth_browser import form_fields

CALLBACK = "http://127.0.0.1:9/callback"
TABLES = ("oauth_client", "oauth_code", "oauth_grant", "oauth_token")


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def register(http: Any, redirect_uris: list[str] | None = None, **extra: object) -> httpx.Response:
    body = {"client_name": "Test app", "redirect_uris": redirect_uris or [CALLBACK], **extra}
    return http.post("/register", json=body)


def sign_in(http: Any, token: str) -> None:
    form = http.get("/login")
    answer = http.post("/login", data={**form_fields(form.text), "token": token}, follow_redirects=False)
    assert answer.status_code == 303, answer.text[:300]


def authorize(http: Any, client: dict[str, Any], challenge: str, *, decision: str = "approve", **params: str) -> httpx.Response:
    """/authorize for `client`, then the consent page answered by whoever `http` is signed in as: the redirect
    back to the app (or, when the request is refused before consent, that refusal)."""
    query = {"response_type": "code", "client_id": client["client_id"], "redirect_uri": CALLBACK, "state": "st-1",
             "code_challenge": challenge, "code_challenge_method": "S256", "resource": resource_of(http), **params}  # fmt: skip
    answer = http.get("/authorize", params={k: v for k, v in query.items() if v is not None}, follow_redirects=False)
    location = answer.headers.get("location", "")
    if answer.status_code != 302 or urlsplit(location).path != "/oauth/consent":
        return answer
    page = http.get(location.removeprefix(base_of(http)), follow_redirects=False)
    assert page.status_code == 200, page.text[:300]
    return http.post("/oauth/consent", data={**form_fields(page.text), "decision": decision}, follow_redirects=False)


def query_of(answer: httpx.Response) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["location"]).query).items()}


def exchange(http: Any, client: dict[str, Any], code: str, verifier: str | None, **extra: str) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "client_id": client["client_id"],
            "client_secret": client.get("client_secret") or "", "code_verifier": verifier, **extra}  # fmt: skip
    return http.post("/token", data={k: v for k, v in data.items() if v is not None})


def refresh(http: Any, client: dict[str, Any], refresh_token: str, **extra: str) -> httpx.Response:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client["client_id"],
            "client_secret": client.get("client_secret") or "", **extra}  # fmt: skip
    return http.post("/token", data=data)


def connect(http: Any, token: str, **params: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A registered app and its first tokens, for the person whose API token is `token`."""
    client = register(http).json()
    sign_in(http, token)
    verifier, challenge = pkce()
    back = authorize(http, client, challenge, **params)
    answer = exchange(http, client, query_of(back)["code"], verifier)
    assert answer.status_code == 200, answer.text
    return client, answer.json()


def base_of(http: Any) -> str:
    return str(http.base_url).rstrip("/")


def resource_of(http: Any) -> str:
    return base_of(http) + "/mcp"


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() for table in TABLES}


def mcp_status(http: Any, token: str) -> int:
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}  # fmt: skip
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"}
    return int(http.post("/mcp", json=body, headers=headers).status_code)


CODE_IN = re.compile(r"code=(emc_[A-Za-z0-9_-]+)")
