"""A person at a browser for the OAuth tests, without a browser: follows the authorization URL to the sign-in
form, signs in with their token, and allows or denies on the consent page, as the HTML asks."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
from mcp.client.auth import AuthorizationCodeResult
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken

FIELD = re.compile(r'name="(csrf_token|request|next)" value="([^"]*)"')


def form_fields(html: str) -> dict[str, str]:
    return {name: unescape(value) for name, value in FIELD.findall(html)}


async def consent(url: str, token: str, decision: str = "approve") -> str:
    """Where the consent sends the browser back to (the app's redirect URI with code or error)."""
    async with httpx.AsyncClient(follow_redirects=False, trust_env=False) as browser:
        answer = await browser.get(url)
        while answer.status_code in (302, 303) and urlsplit(answer.headers["location"]).path != "/callback":
            target = urljoin(str(answer.url), answer.headers["location"])
            if urlsplit(target).path == "/login":
                form = await browser.get(target)
                answer = await browser.post(urljoin(target, "/login"), data={**form_fields(form.text), "token": token})
                continue
            answer = await browser.get(target)
        if answer.status_code == 200 and "/oauth/consent" in str(answer.url):
            fields = form_fields(answer.text)
            answer = await browser.post(str(answer.url).split("?")[0], data={**fields, "decision": decision})
        assert answer.status_code in (302, 303), (answer.status_code, answer.text[:500])
        return answer.headers["location"]


def result_of(location: str) -> AuthorizationCodeResult:
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert "code" in query, query
    return AuthorizationCodeResult(code=query["code"], state=query.get("state"), iss=query.get("iss"))


class Person:
    """The SDK client's redirect and callback handlers: `token` signs in, `decision` answers the consent."""

    def __init__(self, token: str, decision: str = "approve") -> None:
        self.token = token
        self.decision = decision
        self.locations: list[str] = []

    async def redirect_handler(self, url: str) -> None:
        self.locations.append(await consent(url, self.token, self.decision))

    async def callback_handler(self) -> AuthorizationCodeResult:
        return result_of(self.locations[-1])


class MemoryStorage:
    """The SDK client's token storage, in memory."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info
