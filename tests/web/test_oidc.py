"""Signing in with the company's identity provider (OpenID Connect) against a real OpenID provider on 127.0.0.1:
the ID token's signature, nonce and claims are checked for real, and each attack is refused with nothing stored."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from engagement.db import session_scope
from engagement.core import Core
from engagement.settings import Settings
from engagement.users import add_user
from tests.servers import http_server
from tests.web.conftest import BASE, Team
from tests.web.oauth_steps import counts, exchange, pkce, query_of, register
from tests.web.oauth_browser import form_fields
from tests.web.oidc_double import IdentityProvider, new_key
from web.app import create_app
from web.auth import SESSION_COOKIE
from web.oidc import FLOW_COOKIE, CompanySignIn, SignInRefused

SECRET = "s3cret-client-value"
PORTFOLIO = "/api/reports/engagement-metrics"


@pytest.fixture
def idp() -> Iterator[IdentityProvider]:
    with IdentityProvider().running() as provider:
        provider.user("avery", email="avery@ourco.test", email_verified=True, name="Avery Diaz")
        yield provider


def with_idp(settings: Settings, idp: IdentityProvider, **extra: object) -> Settings:
    fields = {"oidc_issuer": idp.url, "oidc_client_id": "engagement-team-server", "oidc_client_secret": SecretStr(SECRET), **extra}
    return settings.model_copy(update=fields)


@pytest.fixture
def http(settings: Settings, core: Core, team: Team, idp: IdentityProvider) -> Iterator[TestClient]:
    with TestClient(create_app(with_idp(settings, idp), core=core), base_url=BASE) as client:
        yield client


def sign_in(http: TestClient, sub: str, next: str = "/", change_url: Callable[[str], str] | None = None) -> httpx.Response:
    """The browser's round trip: our /login/oidc, the provider's sign-in form (the person picks `sub`), our callback."""
    start = http.get("/login/oidc", params={"next": next}, follow_redirects=False)
    assert start.status_code == 302, start.text
    url = change_url(start.headers["location"]) if change_url else start.headers["location"]
    back = httpx.post(url, data={"sub": sub}, follow_redirects=False, trust_env=False)
    assert back.status_code == 302, back.text
    return http.get(back.headers["location"].removeprefix(BASE), follow_redirects=False)


def sessions(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM web_session")).scalar_one())


def test_a_user_signs_in_with_the_identity_provider_and_sees_their_portfolio(http: TestClient, engine: Engine) -> None:
    login = http.get("/login")
    answer = sign_in(http, "avery", next="/customers/acme")

    assert 'href="/login/oidc?next=%2F"' in login.text and "Sign in with your company account" in login.text
    assert answer.status_code == 303 and answer.headers["location"] == "/customers/acme"
    assert SESSION_COOKIE in http.cookies and http.get(PORTFOLIO).status_code == 200
    assert "Acme Corp" in http.get("/").text and "Bolt Freight" not in http.get("/").text  # Avery's scope
    with engine.connect() as connection:
        assert connection.execute(text("SELECT via FROM web_session")).scalar_one() == "oidc"


def test_the_flow_cookie_is_httponly_for_the_callback_only_and_works_once(http: TestClient) -> None:
    start = http.get("/login/oidc", follow_redirects=False)
    cookie = start.headers["set-cookie"]
    back = httpx.post(start.headers["location"], data={"sub": "avery"}, follow_redirects=False, trust_env=False)
    callback = back.headers["location"].removeprefix(BASE)

    first = http.get(callback, follow_redirects=False)
    again = http.get(callback, follow_redirects=False)

    assert cookie.startswith(f"{FLOW_COOKIE}=") and "HttpOnly" in cookie and "Path=/login/oidc/callback;" in cookie
    assert first.status_code == 303 and again.status_code == 400 and "sign in again" in again.text


def test_a_callback_whose_state_was_not_started_in_this_browser_is_refused(http: TestClient, engine: Engine) -> None:
    http.get("/login/oidc", follow_redirects=False)  # this browser's own flow
    elsewhere = TestClient(http.app, base_url=BASE)
    start = elsewhere.get("/login/oidc", follow_redirects=False)  # an attacker's flow, its callback planted here
    back = httpx.post(start.headers["location"], data={"sub": "avery"}, follow_redirects=False, trust_env=False)

    answer = http.get(back.headers["location"].removeprefix(BASE), follow_redirects=False)

    assert answer.status_code == 400 and "did not start here" in answer.text
    assert sessions(engine) == 0


def test_an_unverified_email_is_refused(http: TestClient, idp: IdentityProvider, engine: Engine) -> None:
    idp.user("unverified", email="avery@ourco.test", email_verified=False)

    answer = sign_in(http, "unverified")

    assert answer.status_code == 403 and "has not verified the email address avery@ourco.test" in answer.text
    assert sessions(engine) == 0 and SESSION_COOKIE not in http.cookies


def test_someone_not_in_the_store_is_told_whom_to_ask_and_nothing_is_created(http: TestClient, idp: IdentityProvider, engine: Engine) -> None:
    idp.user("stranger", email="sam@ourco.test", email_verified=True)
    with engine.connect() as connection:
        users = connection.execute(text("SELECT count(*) FROM app_user")).scalar_one()

    answer = sign_in(http, "stranger")

    assert answer.status_code == 403
    assert "sam@ourco.test is not a user of this server" in answer.text and "engagement user add sam@ourco.test" in answer.text
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM app_user")).scalar_one() == users
    assert sessions(engine) == 0


def test_an_id_token_with_another_nonce_is_refused(http: TestClient, engine: Engine) -> None:
    def other_nonce(url: str) -> str:
        start, _, rest = url.partition("nonce=")
        return start + "nonce=replayed-from-another-sign-in" + rest[rest.find("&"):] if "&" in rest else start + "nonce=x"

    answer = sign_in(http, "avery", change_url=other_nonce)

    assert answer.status_code == 400 and "could not be verified" in answer.text and "nonce" in answer.text
    assert sessions(engine) == 0


def test_an_id_token_for_another_app_is_refused(http: TestClient, idp: IdentityProvider, engine: Engine) -> None:
    idp.signing_key = idp.published = new_key("resigned")

    def other_audience(claims: dict[str, Any]) -> None:
        claims["aud"] = ["some-other-app"]

    idp.edit = other_audience
    answer = sign_in(http, "avery")

    assert answer.status_code == 400 and "could not be verified" in answer.text and "aud" in answer.text
    assert sessions(engine) == 0


def test_an_id_token_signed_by_another_key_is_refused(http: TestClient, idp: IdentityProvider, engine: Engine) -> None:
    published = new_key("the-real-key")
    idp.published = published
    idp.signing_key = new_key("the-real-key")  # same key id, another key: a forgery

    answer = sign_in(http, "avery")

    assert answer.status_code == 400 and "could not be verified" in answer.text
    assert sessions(engine) == 0


def test_a_rotated_signing_key_is_fetched_from_the_jwks_on_its_unknown_key_id(http: TestClient, idp: IdentityProvider) -> None:
    idp.signing_key = idp.published = new_key("first")
    assert sign_in(http, "avery").status_code == 303  # the JWKS with "first" is now kept by the server
    http.cookies.clear()

    idp.signing_key = idp.published = new_key("second")  # the provider rotates its key
    answer = sign_in(http, "avery")

    assert answer.status_code == 303


def test_an_address_outside_the_allowed_domains_is_refused(settings: Settings, core: Core, team: Team,
                                                           idp: IdentityProvider, engine: Engine) -> None:  # fmt: skip
    only = with_idp(settings, idp, oidc_allowed_domains="corp.example")
    with TestClient(create_app(only, core=core), base_url=BASE) as client:
        answer = sign_in(client, "avery")

    assert answer.status_code == 403 and "avery@ourco.test is not an address of corp.example" in answer.text
    assert sessions(engine) == 0


@pytest.mark.parametrize(("hd", "refused"), [(None, True), ("gmail.com", True), ("ourco.test", False)])
def test_with_google_only_the_companys_workspace_accounts_may_sign_in(settings: Settings, hd: str | None, refused: bool) -> None:
    google = settings.model_copy(update={"oidc_issuer": "https://accounts.google.com", "oidc_client_id": "id",
                                         "oidc_client_secret": SecretStr("x"), "oidc_allowed_domains": "ourco.test"})  # fmt: skip
    claims = {"aud": "id", "email": "avery@ourco.test", "email_verified": True, **({"hd": hd} if hd else {})}

    company = CompanySignIn(google, BASE)
    if refused:
        with pytest.raises(SignInRefused, match="Google Workspace"):
            company.checked_email(claims)
    else:
        assert company.checked_email(claims) == "avery@ourco.test"


def test_the_client_secret_is_never_logged_or_shown(http: TestClient, settings: Settings, idp: IdentityProvider,
                                                    caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    with caplog.at_level(logging.DEBUG):
        sign_in(http, "avery")
        http.get("/login")

    assert SECRET not in caplog.text
    assert SECRET not in repr(with_idp(settings, idp)) and SECRET not in str(with_idp(settings, idp).model_dump())


def test_the_consent_signs_in_with_the_identity_provider_and_the_app_gets_its_code(http: TestClient, engine: Engine) -> None:
    client = register(http).json()
    verifier, challenge = pkce()
    authorize = http.get("/authorize", params={"response_type": "code", "client_id": client["client_id"], "state": "s",
                                               "redirect_uri": "http://127.0.0.1:9/callback", "code_challenge": challenge,
                                               "code_challenge_method": "S256"}, follow_redirects=False)  # fmt: skip
    consent = authorize.headers["location"].removeprefix(BASE)
    to_login = http.get(consent, follow_redirects=False)
    login = http.get(to_login.headers["location"])
    next_target = to_login.headers["location"].split("next=", 1)[1]

    signed_in = sign_in(http, "avery", next=httpx.URL("/?n=" + next_target).params["n"])
    page = http.get(signed_in.headers["location"])
    answer = http.post("/oauth/consent", data={**form_fields(page.text), "decision": "approve"}, follow_redirects=False)
    tokens = exchange(http, client, query_of(answer)["code"], verifier)

    assert "Sign in with your company account" in login.text
    assert signed_in.headers["location"] == consent and "Connect Test app?" in page.text and "avery@ourco.test" in page.text
    assert tokens.status_code == 200 and counts(engine)["oauth_grant"] == 1


def test_a_network_server_with_users_and_an_identity_provider_starts_without_any_api_token(
    settings: Settings, engine: Engine, idp: IdentityProvider
) -> None:
    with session_scope(engine) as session:
        add_user(session, "ada@ourco.test", "admin")  # a user, and no token at all
    env = {"ENGAGEMENT_OIDC_ISSUER": idp.url, "ENGAGEMENT_OIDC_CLIENT_ID": "engagement", "ENGAGEMENT_OIDC_CLIENT_SECRET": SECRET}
    with http_server(settings, host="0.0.0.0", **env) as url:
        login = httpx.get(url.removesuffix("/mcp") + "/login", trust_env=False)

    assert login.status_code == 200 and "Sign in with your company account" in login.text
