"""Signing in to the team server: tokens, the dashboard's cookie, CSRF, headers, limits and the access log."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient
from starlette.types import Receive, Scope, Send

from engagement.db import session_scope
from engagement.core import Core
from engagement.settings import Settings
from engagement.users import issue_token, revoke_token, token_holder, utcnow
from tests.factories import Factory
from tests.web.conftest import BASE, Team, bearer, make_team
from web.app import create_app
from web.auth import CSRF_COOKIE, SESSION_COOKIE

PORTFOLIO = "/api/reports/engagement-metrics"


def test_the_api_without_a_token_is_401_with_a_bearer_challenge(http: TestClient) -> None:
    answer = http.get(PORTFOLIO)

    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert answer.json()["error"] == "unauthorized" and "engagement token create" in answer.json()["message"]


@pytest.mark.parametrize("token", ["nope", "emt_000000000000_" + "A" * 43, "", "Basic abc"])
def test_an_unknown_or_malformed_token_is_401_and_says_nothing_more(http: TestClient, token: str) -> None:
    answer = http.get(PORTFOLIO, headers={"Authorization": f"Bearer {token}" if token != "Basic abc" else token})

    assert answer.status_code == 401
    assert "customers" not in answer.text


def test_a_revoked_token_is_401_from_the_next_request_on(http: TestClient, team: Team, engine: Engine) -> None:
    before = http.get(PORTFOLIO, headers=bearer(team.tokens["avery"]))
    with session_scope(engine) as session:
        holder = token_holder(session, team.tokens["avery"], utcnow())
        assert holder is not None
        revoke_token(session, holder[1].id or 0)

    after = http.get(PORTFOLIO, headers=bearer(team.tokens["avery"]))

    assert before.status_code == 200
    assert after.status_code == 401 and 'error="invalid_token"' in after.headers["www-authenticate"]


def test_an_expired_token_is_401(http: TestClient, team: Team, engine: Engine) -> None:
    with session_scope(engine) as session:
        old = issue_token(session, "ada@ourco.test", dt.timedelta(hours=1), now=utcnow() - dt.timedelta(hours=2))

    assert http.get(PORTFOLIO, headers=bearer(old.token)).status_code == 401


def test_a_token_is_kept_only_as_its_hash(team: Team, engine: Engine) -> None:
    with engine.connect() as connection:
        stored = " ".join(str(v) for row in connection.execute(text("SELECT * FROM api_token")) for v in row)

    for token in team.tokens.values():
        assert token not in stored and token.split("_", 2)[2] not in stored


def _login(http: TestClient, token: str, next: str = "/") -> object:
    form = http.get(f"/login?next={next}")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert form.status_code == 200 and csrf is not None
    return http.post("/login", data={"csrf_token": csrf.group(1), "token": token, "next": next}, follow_redirects=False)


def test_login_with_a_token_sets_an_httponly_samesite_session_cookie_that_reads_the_api(http: TestClient, team: Team) -> None:
    signed_in = _login(http, team.tokens["avery"], "/customers/acme")

    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/customers/acme"  # type: ignore[attr-defined]
    cookie = next(c for c in signed_in.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))  # type: ignore[attr-defined]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie  # plain HTTP, no https public URL
    assert team.tokens["avery"] not in cookie  # the cookie names a session, it does not carry the token
    assert http.get(PORTFOLIO).status_code == 200


def test_a_tampered_session_cookie_is_not_a_session(http: TestClient, team: Team) -> None:
    _login(http, team.tokens["avery"])
    value = http.cookies[SESSION_COOKIE]
    http.cookies.clear()
    http.cookies.set(SESSION_COOKIE, value[:-1] + ("A" if value[-1] != "A" else "B"))

    assert http.get(PORTFOLIO).status_code == 401


def test_a_session_is_kept_as_its_hash_only(http: TestClient, team: Team, engine: Engine) -> None:
    _login(http, team.tokens["avery"])
    with engine.connect() as connection:
        stored = " ".join(str(v) for row in connection.execute(text("SELECT * FROM web_session")) for v in row)

    assert stored and http.cookies[SESSION_COOKIE] not in stored


def test_signing_out_ends_the_session_on_the_server_so_a_copied_cookie_stops_working(http: TestClient, team: Team) -> None:
    _login(http, team.tokens["morgan"])
    copied = http.cookies[SESSION_COOKIE]  # what someone who saw the cookie (a shared machine, a proxy log) keeps
    csrf = http.app.state.authenticator.csrf_for(http.cookies[CSRF_COOKIE])
    thief = TestClient(http.app, base_url=BASE, cookies={SESSION_COOKIE: copied})
    assert thief.get(PORTFOLIO).status_code == 200

    out = http.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)

    assert out.status_code == 303
    assert thief.get(PORTFOLIO).status_code == 401


def test_a_session_cookie_is_secure_when_the_public_url_is_https_even_over_plain_http(
    settings: Settings, core: Core, team: Team
) -> None:
    behind_tls = settings.model_copy(update={"public_url": "https://engagement.ourco.test"})
    app = create_app(behind_tls, core=core)

    async def through_a_plain_http_proxy(scope: Scope, receive: Receive, send: Send) -> None:
        """The browser speaks https to the proxy, which forwards plain HTTP and says nothing of TLS."""
        await app({**scope, "scheme": "http"} if scope["type"] == "http" else scope, receive, send)

    with TestClient(through_a_plain_http_proxy, base_url="https://engagement.ourco.test") as client:
        form = TestClient(through_a_plain_http_proxy, base_url="https://engagement.ourco.test").get("/login")
        signed_in = _login(client, team.tokens["avery"])

    session = signed_in.headers["set-cookie"]  # type: ignore[attr-defined]
    assert session.startswith(f"{SESSION_COOKIE}=") and "; Secure" in session
    assert form.headers["set-cookie"].startswith(f"{CSRF_COOKIE}=") and "; Secure" in form.headers["set-cookie"]


def test_revoking_the_token_ends_its_dashboard_session(http: TestClient, team: Team, engine: Engine) -> None:
    _login(http, team.tokens["blake"])
    with session_scope(engine) as session:
        holder = token_holder(session, team.tokens["blake"], utcnow())
        assert holder is not None
        revoke_token(session, holder[1].id or 0)

    assert http.get(PORTFOLIO).status_code == 401


def test_login_with_a_bad_token_says_so_and_sets_no_session(http: TestClient) -> None:
    answer = _login(http, "emt_nope")

    assert answer.status_code == 401  # type: ignore[attr-defined]
    assert "not valid" in answer.text and SESSION_COOKIE not in http.cookies  # type: ignore[attr-defined]


def test_login_without_the_forms_csrf_token_is_refused(http: TestClient, team: Team) -> None:
    http.get("/login")  # the browser has its CSRF cookie, but the post forges the field

    answer = http.post("/login", data={"csrf_token": "forged", "token": team.tokens["ada"]}, follow_redirects=False)
    accented = http.post("/login", data={"csrf_token": "forgé", "token": team.tokens["ada"]}, follow_redirects=False)
    bare = TestClient(http.app, base_url=BASE).post("/login", data={"token": team.tokens["ada"]}, follow_redirects=False)

    assert answer.status_code == 403 and accented.status_code == 403 and bare.status_code == 403
    assert SESSION_COOKIE not in http.cookies


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example"])
def test_login_only_returns_to_a_path_on_this_server(http: TestClient, team: Team, target: str) -> None:
    answer = _login(http, team.tokens["ada"], target)

    assert answer.headers["location"] == "/"  # type: ignore[attr-defined]


def test_logout_needs_the_csrf_token_and_clears_the_session(http: TestClient, team: Team) -> None:
    _login(http, team.tokens["ada"])
    csrf = http.app.state.authenticator.csrf_for(http.cookies[CSRF_COOKIE])  # what a page's form would hold

    forged = http.post("/logout", data={"csrf_token": "x"}, follow_redirects=False)
    out = http.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)

    assert forged.status_code == 403
    assert out.status_code == 303 and f"{SESSION_COOKIE}=;" in out.headers["set-cookie"]
    assert http.get(PORTFOLIO).status_code == 401


def test_a_browser_session_writes_only_with_the_csrf_header(http: TestClient, team: Team) -> None:
    _login(http, team.tokens["ada"])
    activity = {"customer": "acme", "type": "call", "direction": "inbound", "date": "2026-11-20"}

    answer = http.post("/api/activities", json=activity)

    assert answer.status_code == 403 and "X-CSRF-Token" in answer.json()["message"]


def test_every_answer_carries_the_security_headers(http: TestClient, team: Team) -> None:
    for answer in (
        http.get(PORTFOLIO, headers=bearer(team.tokens["ada"])),
        http.get(PORTFOLIO),
        http.get("/login"),
        http.get("/no/such/page"),
        http.post("/mcp", json={}),
    ):
        csp = answer.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["cache-control"] == "no-store"


def test_a_body_over_the_limit_is_413_and_nothing_is_stored(http: TestClient, team: Team, engine: Engine) -> None:
    rows = [{"customer": "acme", "type": "call", "direction": "inbound", "subject": "x" * 400}] * 3000

    answer = http.post("/api/activities", json=rows, headers=bearer(team.tokens["ada"]))

    assert answer.status_code == 413 and answer.json()["error"] == "too_large"
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM activity WHERE type = 'call'")).scalar_one() == 0


def test_a_streamed_body_without_a_length_stops_at_the_limit_too(http: TestClient, team: Team, engine: Engine) -> None:
    row = b'{"customer": "acme", "type": "call", "direction": "inbound", "subject": "' + b"x" * 400 + b'"},'

    def chunks() -> Iterator[bytes]:
        yield b"["
        for _ in range(3000):
            yield row
        yield b"{}]"

    answer = http.post(
        "/api/activities", content=chunks(), headers={**bearer(team.tokens["ada"]), "Content-Type": "application/json"}
    )

    assert answer.status_code == 413 and answer.json()["error"] == "too_large"
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM activity WHERE type = 'call'")).scalar_one() == 0


def test_a_forged_host_or_origin_is_refused_before_anything_else(http: TestClient, team: Team) -> None:
    forged = http.get(PORTFOLIO, headers={**bearer(team.tokens["ada"]), "Host": "evil.example"})
    origin = http.get(PORTFOLIO, headers={**bearer(team.tokens["ada"]), "Origin": "http://evil.example"})

    assert forged.status_code == 421 and origin.status_code == 403


def test_the_access_log_names_the_user_by_id_never_by_address_or_token(
    http: TestClient, team: Team, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="engagement.access"):
        http.get(f"{PORTFOLIO}?csm_id=avery@ourco.test", headers=bearer(team.tokens["avery"]))
        http.get(PORTFOLIO, headers=bearer("emt_bad"))

    lines = [r.getMessage() for r in caplog.records if r.name == "engagement.access"]
    assert re.fullmatch(r"GET /api/reports/engagement-metrics 200 user-\d+ \d+ms", lines[0])
    assert lines[1].startswith("GET /api/reports/engagement-metrics 401 - ")
    assert not any("@" in line or "emt_" in line or "127.0.0.1" in line for line in lines)


def test_mcp_without_a_token_is_401_pointing_at_the_protected_resource_metadata(http: TestClient) -> None:
    refused = http.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
    metadata = http.get("/.well-known/oauth-protected-resource/mcp")

    assert refused.status_code == 401
    challenge = refused.headers["www-authenticate"]
    assert challenge.startswith("Bearer ") and f'resource_metadata="{BASE}/.well-known/oauth-protected-resource/mcp"' in challenge
    assert metadata.status_code == 200 and metadata.json()["resource"] == f"{BASE}/mcp"
    assert metadata.json()["bearer_methods_supported"] == ["header"]


def test_a_session_cookie_does_not_open_mcp(http: TestClient, team: Team) -> None:
    _login(http, team.tokens["ada"])

    assert http.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"}).status_code == 401


def test_a_loopback_server_with_no_users_runs_open_and_one_with_users_does_not(
    settings: Settings, core: Core, engine: Engine
) -> None:
    with TestClient(create_app(settings, core=core), base_url=BASE) as open_server:
        assert open_server.get(PORTFOLIO).status_code == 200
        make_team(engine, Factory(engine))  # someone turns sign-in on while it runs
        stopped = open_server.get(PORTFOLIO)
        mcp = open_server.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
    with TestClient(create_app(settings, core=core), base_url=BASE) as closed:
        assert closed.get(PORTFOLIO).status_code == 401

    assert stopped.status_code == mcp.status_code == 503 and "restart" in stopped.json()["message"]
