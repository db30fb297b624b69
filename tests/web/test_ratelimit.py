"""Failed authentications are limited per client address (issue 20): a burst of wrong tokens or sign-ins gets
429 with Retry-After, the right token keeps working, the limit is a setting, and trusted proxies are honoured."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.testclient import TestClient

from engagement.core import Core
from engagement.settings import Settings
from tests.servers import http_server
from tests.web.conftest import BASE, Team, bearer
from tests.web.oauth_steps import CALLBACK, register
from web.app import create_app
from web.ratelimit import WINDOW_SECONDS, FailureLimiter

PORTFOLIO = "/api/reports/engagement-metrics"
WRONG = "emt_000000000000_" + "A" * 43


def test_a_burst_of_wrong_tokens_gets_429_with_retry_after_and_the_right_token_keeps_working(
    http: TestClient, team: Team
) -> None:
    answers = [http.get(PORTFOLIO, headers=bearer(WRONG)) for _ in range(12)]

    assert [a.status_code for a in answers] == [401] * 10 + [429] * 2
    refused = answers[-1]
    assert 1 <= int(refused.headers["retry-after"]) <= WINDOW_SECONDS
    assert refused.json()["error"] == "too_many_requests" and "try again in" in refused.json()["message"]
    assert http.get(PORTFOLIO, headers=bearer(team.tokens["ada"])).status_code == 200  # same address, right token
    assert http.get(PORTFOLIO).status_code == 401  # no token at all is not a failed attempt


def test_a_burst_of_failed_sign_ins_gets_429_and_the_right_token_still_signs_in(http: TestClient, team: Team) -> None:
    form = http.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf is not None

    def sign_in(token: str) -> httpx.Response:
        return http.post("/login", data={"csrf_token": csrf.group(1), "token": token, "next": "/"}, follow_redirects=False)

    failed = [sign_in("emt_nope") for _ in range(11)]
    right = sign_in(team.tokens["ada"])

    assert [a.status_code for a in failed] == [401] * 10 + [429]
    assert failed[-1].headers["content-type"].startswith("text/html") and "try again in" in failed[-1].text
    assert "retry-after" in failed[-1].headers
    assert right.status_code == 303


def test_the_limit_is_a_setting(settings: Settings, core: Core, team: Team) -> None:
    strict = settings.model_copy(update={"auth_failures_per_minute": 3})
    with TestClient(create_app(strict, core=core), base_url=BASE) as client:
        codes = [client.get(PORTFOLIO, headers=bearer(WRONG)).status_code for _ in range(4)]

    assert codes == [401, 401, 401, 429]


def test_an_address_may_fail_again_once_its_failures_age_out_of_the_minute() -> None:
    now = [1000.0]
    limiter = FailureLimiter(3, clock=lambda: now[0])
    for second in range(3):
        now[0] = 1000.0 + second
        assert limiter.fail("198.51.100.1") is None

    now[0] = 1010.0
    retry_after = limiter.fail("198.51.100.1")
    other = limiter.fail("198.51.100.2")

    assert retry_after == 51  # the second failure (at 1001) leaves the minute at 1061
    assert other is None  # another address has its own count
    now[0] = 1010.0 + retry_after
    assert limiter.fail("198.51.100.1") is None


def _burst(url: str, forwarded_for: str, count: int) -> list[int]:
    with httpx.Client() as client:
        return [
            client.get(url, headers={**bearer(WRONG), "X-Forwarded-For": forwarded_for}).status_code for _ in range(count)
        ]


def test_behind_a_trusted_proxy_each_forwarded_address_has_its_own_count(settings: Settings, team: Team) -> None:
    with http_server(settings, ENGAGEMENT_AUTH_FAILURES_PER_MINUTE="3") as mcp_url:
        api = mcp_url.removesuffix("/mcp") + PORTFOLIO
        first = _burst(api, "203.0.113.7", 4)
        second = _burst(api, "203.0.113.8", 1)

    assert first == [401, 401, 401, 429]
    assert second == [401]


def test_an_untrusted_peer_cannot_dodge_the_limit_by_forging_x_forwarded_for(settings: Settings, team: Team) -> None:
    with http_server(settings, ENGAGEMENT_AUTH_FAILURES_PER_MINUTE="3", ENGAGEMENT_TRUSTED_PROXIES="192.0.2.1") as mcp_url:
        api = mcp_url.removesuffix("/mcp") + PORTFOLIO
        codes = [_burst(api, f"203.0.113.{n}", 1)[0] for n in range(4)]

    assert codes == [401, 401, 401, 429]


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


def test_a_burst_of_refused_codes_at_the_oauth_token_endpoint_gets_429_in_oauths_words(http: TestClient) -> None:
    client = register(http).json()
    form = {"grant_type": "authorization_code", "code": "emc_guess", "redirect_uri": CALLBACK, "code_verifier": "v" * 43,
            "client_id": client["client_id"], "client_secret": client["client_secret"]}  # fmt: skip

    answers = [http.post("/token", data=form) for _ in range(11)]

    assert [a.status_code for a in answers] == [400] * 10 + [429]
    assert answers[-1].json()["error"] == "temporarily_unavailable" and int(answers[-1].headers["retry-after"]) >= 1
