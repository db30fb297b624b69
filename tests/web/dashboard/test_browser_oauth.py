"""Connecting an app by OAuth in a real browser (Debian's chromium, Playwright): the app's authorization URL,
sign-in with the company's identity provider (a real OpenID provider on 127.0.0.1), the consent page, and
back to the app's redirect URI with a code, under the pages' strict Content-Security-Policy."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage
from pydantic import SecretStr

from engagement.core import Core
from engagement.settings import Settings
from tests.web.dashboard.conftest import serving
from tests.web.dashboard.test_browser import ARTIFACTS, LAPTOP
from tests.web.oauth_steps import pkce
from tests.web.oidc_double import IdentityProvider


class AppListener:
    """The app's side of the redirect: a loopback HTTP server that keeps the paths it was sent to."""

    def __init__(self) -> None:
        arrived: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                arrived.append(self.path)
                body = b"<p>Connected. You can close this window.</p>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.arrived = arrived
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def idp() -> Iterator[IdentityProvider]:
    with IdentityProvider().running() as provider:
        provider.user("lead", email="lead@ourco.test", email_verified=True, name="Lena Lead")
        yield provider


@pytest.fixture
def served(settings: Settings, core: Core, org: dict[str, str], idp: IdentityProvider) -> Iterator[str]:
    company = settings.model_copy(update={"oidc_issuer": idp.url, "oidc_client_id": "engagement",
                                          "oidc_client_secret": SecretStr("browser-test-secret")})  # fmt: skip
    with serving(company, core) as base:
        yield base


def test_a_manager_connects_an_app_signing_in_with_the_identity_provider(browser: Browser, served: str) -> None:
    folder = ARTIFACTS / "oauth"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    listener = AppListener()
    callback = f"http://127.0.0.1:{listener.port}/callback"  # the app's loopback listener, played by the test
    app = httpx.post(f"{served}/register", json={"client_name": "Claude", "redirect_uris": [callback]}, trust_env=False).json()
    _, challenge = pkce()
    query = {"response_type": "code", "client_id": app["client_id"], "redirect_uri": callback, "state": "xyz",
             "code_challenge": challenge, "code_challenge_method": "S256", "resource": f"{served}/mcp"}  # fmt: skip
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    errors: list[str] = []


    def console(message: ConsoleMessage) -> None:  # ours only: the provider's page asks the internet for its stylesheet
        if message.type == "error" and page.url.startswith(served):
            errors.append(f"{message.text} ({page.url})")

    page.on("console", console)
    page.goto(f"{served}/authorize?{urlencode(query)}")
    assert urlsplit(page.url).path == "/login"
    page.screenshot(path=folder / "1-sign-in.png")
    with page.expect_navigation():
        page.get_by_role("link", name="Sign in with your company account").click()
    page.screenshot(path=folder / "2-identity-provider.png")
    page.get_by_placeholder("sub").fill("lead")
    with page.expect_navigation():
        page.get_by_role("button", name="Authorize").click()
    assert urlsplit(page.url).path == "/oauth/consent"
    assert page.locator("h1").inner_text() == "Connect Claude?"
    assert "lead@ourco.test" in page.locator("main").inner_text() and "127.0.0.1" in page.locator("main").inner_text()
    page.screenshot(path=folder / "3-consent.png", full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name="Allow").click()
    page.screenshot(path=folder / "4-back-to-the-app.png")
    context.close()
    listener.close()

    calls = [path for path in listener.arrived if path.startswith("/callback")]  # the browser also asks for /favicon.ico
    assert len(calls) == 1
    back = {k: v[0] for k, v in parse_qs(urlsplit(calls[0]).query).items()}
    assert back["code"].startswith("emc_") and back["state"] == "xyz" and back["iss"] == served
    assert errors == []  # no CSP violation: the consent form may lead on to the app's origin
