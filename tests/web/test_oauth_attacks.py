"""Every attack on the OAuth flow that issue 21 lists, each refused with a clear OAuth error and nothing stored
(SQLite and PostgreSQL; the app in process, its client a TestClient signed in as the person connecting)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from tests.web.conftest import BASE, Team, bearer
from tests.web.oauth_steps import (
    CALLBACK,
    authorize,
    connect,
    counts,
    exchange,
    mcp_status,
    pkce,
    query_of,
    refresh,
    register,
    sign_in,
)

PORTFOLIO = "/api/reports/engagement-metrics"


def _code(http: TestClient, team: Team, person: str = "avery") -> tuple[dict, str, str]:
    client = register(http).json()
    sign_in(http, team.tokens[person])
    verifier, challenge = pkce()
    return client, query_of(authorize(http, client, challenge))["code"], verifier


def _sealed_consent(http: TestClient, team: Team) -> str:
    """The sealed request a consent page carries, for Avery and a new app."""
    client = register(http).json()
    sign_in(http, team.tokens["avery"])
    answer = http.get("/authorize", params={"response_type": "code", "client_id": client["client_id"], "redirect_uri": CALLBACK,
                                            "code_challenge": pkce()[1], "code_challenge_method": "S256"}, follow_redirects=False)  # fmt: skip
    return str(answer.headers["location"].split("request=", 1)[1])


def test_a_wrong_pkce_verifier_is_refused_and_nothing_is_granted(http: TestClient, team: Team, engine: Engine) -> None:
    client, code, _ = _code(http, team)
    before = counts(engine)

    answer = exchange(http, client, code, pkce()[0])

    assert answer.status_code == 400 and answer.json() == {"error": "invalid_grant", "error_description": "incorrect code_verifier"}
    assert counts(engine) == before and before["oauth_grant"] == 0


def test_a_missing_pkce_verifier_or_challenge_is_refused(http: TestClient, team: Team, engine: Engine) -> None:
    client, code, _ = _code(http, team)
    before = counts(engine)

    no_verifier = exchange(http, client, code, None)
    no_challenge = authorize(http, client, "", code_challenge=None)  # type: ignore[arg-type]
    plain = authorize(http, client, "x" * 43, code_challenge_method="plain")

    assert no_verifier.status_code == 400 and no_verifier.json()["error"] == "invalid_request"
    assert "code_verifier" in no_verifier.json()["error_description"]
    assert query_of(no_challenge)["error"] == "invalid_request" and "code_challenge" in query_of(no_challenge)["error_description"]
    assert query_of(plain)["error"] == "invalid_request" and "S256" in query_of(plain)["error_description"]
    assert counts(engine) == before


def test_a_code_used_twice_is_refused_and_revokes_what_the_first_use_gave(http: TestClient, team: Team, engine: Engine) -> None:
    client, code, verifier = _code(http, team)
    first = exchange(http, client, code, verifier)
    assert first.status_code == 200 and mcp_status(http, first.json()["access_token"]) == 200

    second = exchange(http, client, code, verifier)

    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"
    assert "already used" in second.json()["error_description"]
    assert mcp_status(http, first.json()["access_token"]) == 401
    assert counts(engine)["oauth_grant"] == 1  # nothing new: the one grant, now revoked


def test_a_code_of_another_client_is_refused(http: TestClient, team: Team, engine: Engine) -> None:
    _, code, verifier = _code(http, team)
    thief = register(http).json()
    before = counts(engine)

    answer = exchange(http, thief, code, verifier)

    assert answer.status_code == 400 and answer.json() == {"error": "invalid_grant", "error_description": "authorization code does not exist"}
    assert counts(engine) == before


def test_a_refresh_token_of_another_client_is_refused_and_the_owners_grant_is_untouched(http: TestClient, team: Team, engine: Engine) -> None:
    _, tokens = connect(http, team.tokens["avery"])
    thief = register(http).json()
    before = counts(engine)

    answer = refresh(http, thief, tokens["refresh_token"])

    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"
    assert counts(engine) == before
    assert mcp_status(http, tokens["access_token"]) == 200


def test_a_redirect_uri_that_was_not_registered_gets_no_redirect(http: TestClient, team: Team, engine: Engine) -> None:
    client = register(http).json()
    sign_in(http, team.tokens["avery"])
    before = counts(engine)

    for uri in ("https://evil.example/callback", CALLBACK + "/../evil", CALLBACK + "?next=https://evil.example", "http://127.0.0.1:10/callback"):
        answer = authorize(http, client, pkce()[1], redirect_uri=uri)
        assert answer.status_code == 400 and "location" not in answer.headers, uri
        assert answer.json()["error"] == "invalid_request" and "not registered" in answer.json()["error_description"]
    assert counts(engine) == before


def test_a_token_for_another_resource_is_refused_and_ours_opens_nothing_but_mcp(http: TestClient, team: Team, engine: Engine) -> None:
    client = register(http).json()
    sign_in(http, team.tokens["avery"])
    before = counts(engine)

    at_authorize = authorize(http, client, pkce()[1], resource="https://other.example/mcp")
    client2, code, verifier = _code(http, team)
    at_token = exchange(http, client2, code, verifier, resource="https://other.example/mcp")

    assert query_of(at_authorize)["error"] == "invalid_target" and "other.example" in query_of(at_authorize)["error_description"]
    assert at_token.status_code == 400 and at_token.json()["error"] == "invalid_target"
    assert counts(engine)["oauth_grant"] == before["oauth_grant"] == 0
    access = exchange(http, client2, code, verifier).json()["access_token"]
    assert http.get(PORTFOLIO, headers=bearer(access)).status_code == 401  # the REST API takes API tokens only
    assert mcp_status(http, access) == 200


def test_an_expired_or_revoked_access_token_is_401(http: TestClient, team: Team, engine: Engine) -> None:
    _, expiring = connect(http, team.tokens["avery"])
    _, revoked = connect(http, team.tokens["blake"])
    with engine.begin() as connection:
        connection.execute(text("UPDATE oauth_token SET expires_at = '2000-01-01 00:00:00' WHERE kind = 'access'"))
    client = register(http).json()
    revocation = http.post("/revoke", data={"token": revoked["access_token"], "client_id": client["client_id"],
                                            "client_secret": client["client_secret"]})  # fmt: skip

    assert mcp_status(http, expiring["access_token"]) == 401
    assert revocation.status_code == 200  # another app may not revoke it (RFC 7009 answers 200 all the same) ...
    assert refresh(http, register(http).json(), revoked["refresh_token"]).status_code == 400


def test_an_expired_code_is_refused(http: TestClient, team: Team, engine: Engine) -> None:
    client, code, verifier = _code(http, team)
    with engine.begin() as connection:
        connection.execute(text("UPDATE oauth_code SET expires_at = '2000-01-01 00:00:00'"))

    answer = exchange(http, client, code, verifier)

    assert answer.status_code == 400 and answer.json() == {"error": "invalid_grant", "error_description": "authorization code has expired"}
    assert counts(engine)["oauth_grant"] == 0


def test_reusing_a_refresh_token_revokes_the_whole_grant(http: TestClient, team: Team, engine: Engine) -> None:
    client, tokens = connect(http, team.tokens["avery"])
    rotated = refresh(http, client, tokens["refresh_token"]).json()

    reused = refresh(http, client, tokens["refresh_token"])  # a copy of the old one, presented by whoever took it

    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    assert "already used" in reused.json()["error_description"]
    assert mcp_status(http, rotated["access_token"]) == 401  # the rightful app's new tokens stop too
    assert refresh(http, client, rotated["refresh_token"]).status_code == 400
    assert counts(engine)["oauth_grant"] == 1


def test_the_consent_request_cannot_be_altered_to_send_the_code_elsewhere(http: TestClient, team: Team, engine: Engine) -> None:
    sealed = _sealed_consent(http, team)
    forged = sealed[:-2] + ("AA" if not sealed.endswith("AA") else "BB")

    page = http.get(f"/oauth/consent?request={forged}")

    assert page.status_code == 400 and "expired or was changed" in page.text
    assert counts(engine)["oauth_code"] == 0


def test_the_consent_form_needs_its_csrf_token(http: TestClient, team: Team, engine: Engine) -> None:
    sealed = _sealed_consent(http, team)

    forged = http.post("/oauth/consent", data={"request": sealed, "decision": "approve", "csrf_token": "x"}, follow_redirects=False)

    assert forged.status_code == 403 and "location" not in forged.headers
    assert counts(engine)["oauth_code"] == 0


def test_denying_sends_access_denied_back_and_stores_nothing(http: TestClient, team: Team, engine: Engine) -> None:
    client = register(http).json()
    sign_in(http, team.tokens["avery"])
    before = counts(engine)

    answer = authorize(http, client, pkce()[1], decision="deny")

    assert answer.status_code == 303 and answer.headers["location"].startswith(CALLBACK + "?")
    assert query_of(answer) == {"error": "access_denied", "error_description": "The user denied access.", "state": "st-1", "iss": BASE}
    assert counts(engine) == before


def test_a_registration_with_a_dangerous_redirect_uri_is_refused_and_nothing_stored(http: TestClient, engine: Engine, team: Team) -> None:
    for uri in ("javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "http://evil.example/cb",
                "https://*.evil.example/cb", "https://evil.example/cb#frag", "https://user@evil.example/cb",
                "ftp://evil.example/cb", "https://evil.example;x/cb", "http://localhost.evil.example/cb"):  # fmt: skip
        answer = register(http, [uri])
        assert answer.status_code == 400, uri
        assert answer.json()["error"] in ("invalid_redirect_uri", "invalid_client_metadata"), uri
        assert answer.json()["error_description"], uri
    assert counts(engine)["oauth_client"] == 0


def test_claudes_callback_registers_and_is_familiar_on_the_consent_page(http: TestClient, team: Team) -> None:
    client = register(http, ["https://claude.ai/api/mcp/auth_callback"], token_endpoint_auth_method="client_secret_post").json()
    sign_in(http, team.tokens["avery"])
    answer = http.get("/authorize", params={"response_type": "code", "client_id": client["client_id"],
                                            "redirect_uri": "https://claude.ai/api/mcp/auth_callback",
                                            "code_challenge": pkce()[1], "code_challenge_method": "S256"}, follow_redirects=False)  # fmt: skip
    page = http.get(answer.headers["location"].removeprefix(BASE))

    assert client["client_secret"] and client["redirect_uris"] == ["https://claude.ai/api/mcp/auth_callback"]
    assert "claude.ai" in page.text and "(Claude)" in page.text and "does not know" not in page.text
    assert "form-action 'self' https://claude.ai" in page.headers["content-security-policy"]


def test_an_unfamiliar_redirect_host_is_named_with_a_warning(http: TestClient, team: Team) -> None:
    client = register(http, ["https://tools.example.net/oauth/back"]).json()
    sign_in(http, team.tokens["avery"])
    answer = http.get("/authorize", params={"response_type": "code", "client_id": client["client_id"],
                                            "code_challenge": pkce()[1], "code_challenge_method": "S256"}, follow_redirects=False)  # fmt: skip
    page = http.get(answer.headers["location"].removeprefix(BASE))

    assert "This server does not know tools.example.net" in page.text and "avery@ourco.test" in page.text


def test_a_nul_in_a_client_id_or_registration_is_a_clear_refusal_on_both_databases(http: TestClient, engine: Engine) -> None:
    """schemathesis found these as PostgreSQL 500s (text cannot hold NUL)."""
    unknown = http.get("/authorize", params={"client_id": "\x00", "response_type": "code", "code_challenge": "x"})
    metadata = http.get("/authorize", params={"client_id": "https://app.example/\x00", "response_type": "code", "code_challenge": "x"})
    named = register(http, client_name="Evil\x00App")

    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_request"
    assert metadata.status_code == 400 and "control characters" in metadata.json()["error_description"]
    assert named.status_code == 400 and "NUL" in named.json()["error_description"]
    assert counts(engine)["oauth_client"] == 0
