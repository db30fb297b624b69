"""Apps known by a Client ID Metadata Document (a client id that is an https URL): fetched only from public
addresses, checked like a registration, kept by its caching headers. A fake host is served offline by a
resolver and an httpx transport the test gives the server; the production resolver refuses loopback."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
from collections.abc import Callable, Iterator

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from engagement.core import Core
from engagement.settings import Settings
from tests.web.conftest import BASE, Team
from tests.web.oauth_steps import CALLBACK, authorize, counts, exchange, mcp_status, pkce, query_of, sign_in
from web.app import create_app
from web.client_documents import ClientDocuments

APP = "https://app.example/oauth/client.json"
PUBLIC = "93.184.216.34"  # a global address: the fake host "is" there, yet nothing leaves the machine (MockTransport)
DNS = {"app.example": [PUBLIC], "inside.example": ["10.0.0.5"], "mixed.example": [PUBLIC, "127.0.0.1"],
       "metadata.example": ["169.254.169.254"], "hop.example": [PUBLIC], "v6.example": ["::ffff:127.0.0.1"]}  # fmt: skip


def document(client_id: str = APP, **extra: object) -> dict[str, object]:
    return {"client_id": client_id, "client_name": "Example App", "redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none", **extra}


class FakeWeb:
    """The fake host's answers, by Host header and path; every request it got is kept."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.answers: dict[str, Callable[[], httpx.Response]] = {
            "app.example/oauth/client.json": lambda: httpx.Response(200, json=document(), headers={"Cache-Control": "max-age=300"}),
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.get(f"{request.headers['host']}{request.url.path}")
        return answer() if answer else httpx.Response(404)


async def resolve(host: str, port: int) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]  # an address literal resolves to itself
    except ValueError:
        return DNS.get(host, [])


@pytest.fixture
def web() -> FakeWeb:
    return FakeWeb()


@pytest.fixture
def http(settings: Settings, core: Core, team: Team, web: FakeWeb) -> Iterator[TestClient]:
    documents = ClientDocuments(core.engine, resolver=resolve, transport=httpx.MockTransport(web))
    with TestClient(create_app(settings, core=core, documents=documents), base_url=BASE) as client:
        yield client


def _authorize(http: TestClient, client_id: str) -> httpx.Response:
    return http.get("/authorize", params={"response_type": "code", "client_id": client_id, "redirect_uri": CALLBACK,
                                          "code_challenge": pkce()[1], "code_challenge_method": "S256"}, follow_redirects=False)  # fmt: skip


def test_an_app_known_by_its_metadata_document_connects_and_the_document_is_kept_by_its_caching_headers(
    http: TestClient, team: Team, engine: Engine, web: FakeWeb
) -> None:
    sign_in(http, team.tokens["avery"])
    verifier, challenge = pkce()
    consent = authorize(http, {"client_id": APP}, challenge)
    tokens = exchange(http, {"client_id": APP}, query_of(consent)["code"], verifier)
    page = http.get(_authorize(http, APP).headers["location"].removeprefix(BASE))

    assert tokens.status_code == 200 and mcp_status(http, tokens.json()["access_token"]) == 200
    assert "Connect Example App?" in page.text
    assert len(web.requests) == 1  # fetched once; max-age=300 kept it for the token request and the second consent
    sent = web.requests[0]
    assert sent.url.host == PUBLIC and sent.headers["host"] == "app.example" and sent.extensions["sni_hostname"] == "app.example"
    with engine.connect() as connection:
        kind, kept_until, made = connection.execute(text("SELECT kind, expires_at, created_at FROM oauth_client")).one()
    assert kind == "metadata" and 295 <= (_moment(kept_until) - _moment(made)).total_seconds() <= 300


def _moment(value: object) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))


def test_a_document_that_says_no_store_is_fetched_again_each_time(http: TestClient, team: Team, web: FakeWeb) -> None:
    web.answers["app.example/oauth/client.json"] = lambda: httpx.Response(200, json=document(), headers={"Cache-Control": "no-store"})

    _authorize(http, APP)
    _authorize(http, APP)

    assert len(web.requests) >= 2


@pytest.mark.parametrize(
    ("client_id", "said"),
    [
        ("https://127.0.0.1/oauth/client.json", "loopback address (127.0.0.1)"),
        ("https://169.254.169.254/latest/meta-data/client.json", "link-local address (169.254.169.254)"),
        ("https://metadata.example/client.json", "link-local address (169.254.169.254)"),
        ("https://inside.example/client.json", "private address (10.0.0.5)"),
        ("https://mixed.example/client.json", "loopback address (127.0.0.1)"),  # every address is checked
        ("https://v6.example/client.json", "loopback address (::ffff:127.0.0.1)"),
        ("https://[::1]/client.json", "loopback address (::1)"),
        ("https://nowhere.example/client.json", "has no address"),
    ],
)
def test_a_metadata_url_on_a_private_loopback_or_link_local_address_is_never_fetched(
    http: TestClient, engine: Engine, web: FakeWeb, client_id: str, said: str
) -> None:
    answer = _authorize(http, client_id)

    assert answer.status_code == 400 and "location" not in answer.headers
    assert answer.json()["error"] == "invalid_request" and said in answer.json()["error_description"]
    assert web.requests == [] and counts(engine)["oauth_client"] == 0


@pytest.mark.parametrize(
    ("location", "said"),
    [
        ("https://127.0.0.1/client.json", "loopback address (127.0.0.1)"),
        ("https://169.254.169.254/latest/meta-data/", "link-local address (169.254.169.254)"),
        ("http://app.example/oauth/client.json", "is not on https"),
    ],
)
def test_a_redirect_to_a_private_address_or_plain_http_is_not_followed(
    http: TestClient, engine: Engine, web: FakeWeb, location: str, said: str
) -> None:
    web.answers["hop.example/client.json"] = lambda: httpx.Response(302, headers={"Location": location})

    answer = _authorize(http, "https://hop.example/client.json")

    assert answer.status_code == 400 and said in answer.json()["error_description"]
    assert [r.headers["host"] for r in web.requests] == ["hop.example"]  # the redirect's target was never asked
    assert counts(engine)["oauth_client"] == 0


@pytest.mark.parametrize(
    ("served", "said"),
    [
        (lambda: httpx.Response(200, content=b"{" + b" " * 20000 + b"}"), "larger than 16 KiB"),
        (lambda: httpx.Response(200, json=document(client_id="https://other.example/c.json")), "does not give its own URL"),
        (lambda: httpx.Response(200, json=document(redirect_uris=["javascript:alert(1)"])), "uses 'javascript:'"),
        (lambda: httpx.Response(200, json=document(token_endpoint_auth_method="client_secret_post")), "public client"),
        (lambda: httpx.Response(200, content=b"<html>"), "is not JSON"),
        (lambda: httpx.Response(500), "answered HTTP 500"),
    ],
)
def test_a_document_that_breaks_the_rules_is_refused(
    http: TestClient, engine: Engine, web: FakeWeb, served: Callable[[], httpx.Response], said: str
) -> None:
    web.answers["app.example/oauth/client.json"] = served

    answer = _authorize(http, APP)

    assert answer.status_code == 400 and said in answer.json()["error_description"]
    assert counts(engine)["oauth_client"] == 0


@pytest.mark.anyio
async def test_the_production_resolver_refuses_loopback_before_connecting(engine: Engine) -> None:
    documents = ClientDocuments(engine)  # the real resolver and transport

    for client_id in ("https://localhost/client.json", "https://127.0.0.1:1/client.json"):
        with pytest.raises(Exception, match="loopback address"):
            await documents.client(client_id)


def test_documents_are_json_objects_only(http: TestClient, web: FakeWeb) -> None:
    web.answers["app.example/oauth/client.json"] = lambda: httpx.Response(200, content=json.dumps([document()]).encode())

    assert "not a JSON object" in _authorize(http, APP).json()["error_description"]
