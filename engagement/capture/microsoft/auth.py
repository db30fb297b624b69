"""Microsoft 365 sign-ins, through msal: one CSM by device code (delegated Mail.ReadBasic + Calendars.Read),
or the whole team through the app's client credentials (application permissions, admin consent).

Each CSM's msal token cache and the app's secret live in an owner-only folder (engagement.capture.secrets:
written atomically, never through a symlink); they are never printed or logged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from engagement.capture.secrets import PrivateFolder
from engagement.errors import EngagementError

GRAPH = "https://graph.microsoft.com"
# Least privilege: message metadata without bodies, previews or attachments, and calendars read-only.
DELEGATED_SCOPES = (f"{GRAPH}/Mail.ReadBasic", f"{GRAPH}/Calendars.Read")
APP_SCOPES = (f"{GRAPH}/.default",)  # the application permissions an admin granted: Mail.ReadBasic.All, Calendars.Read
APP_FILE = "app.json"


class MicrosoftAuthError(Exception):
    """The identity platform refused a stored sign-in or the app's secret; the message says what to run."""


@dataclass(frozen=True)
class Client:
    """The app registration a sign-in belongs to."""

    tenant: str
    client_id: str
    authority_host: str

    @property
    def authority(self) -> str:
        return f"{self.authority_host.rstrip('/')}/{self.tenant}"

    def as_json(self) -> dict[str, str]:
        return {"tenant": self.tenant, "client_id": self.client_id, "authority_host": self.authority_host}


def _client(data: dict[str, Any]) -> Client:
    try:
        return Client(str(data["tenant"]), str(data["client_id"]), str(data["authority_host"]))
    except KeyError:
        raise EngagementError("A stored Microsoft sign-in lacks its tenant or client id; run `engagement auth microsoft` again.") from None


@dataclass(frozen=True)
class Account:
    """What one CSM's sync reads as: their own sign-in (`/me`), or the app acting on their mailbox."""

    csm_id: str
    email: str
    kind: str  # "user" | "app"
    path: Path

    @property
    def mailbox(self) -> str:
        """The Graph path of the mailbox."""
        return "/me" if self.kind == "user" else f"/users/{quote(self.email, safe='@')}"


def _public_app(client: Client, cache: Any) -> Any:
    import msal

    # instance_discovery=False: the authority is the one configured, asked for nothing else.
    return msal.PublicClientApplication(
        client.client_id, authority=client.authority, token_cache=cache, instance_discovery=False
    )


def sign_in_with_device_code(client: Client, show: Callable[[str], None]) -> tuple[str, str]:
    """The device-code sign-in: `show` gets the text telling the CSM where to go and which code to enter;
    answers (the signed-in username, the serialized token cache)."""
    import msal

    cache = msal.SerializableTokenCache()
    app = _public_app(client, cache)
    flow = app.initiate_device_flow(scopes=list(DELEGATED_SCOPES))
    if "user_code" not in flow:
        raise EngagementError(
            f"Microsoft refused to start the sign-in ({flow.get('error', 'no code')}); check --tenant and --client-id, "
            "and that the app registration allows public client flows."
        )
    show(str(flow["message"]))
    result = app.acquire_token_by_device_flow(flow)
    if "access_token" not in result:
        raise EngagementError(
            f"The sign-in did not complete ({result.get('error', 'no token')}); run the command again and enter the code."
        )
    claims = result.get("id_token_claims") or {}
    username = str(claims.get("preferred_username") or claims.get("upn") or "")
    return username, cache.serialize()


class TokenSource:
    """Bearer tokens for one account, refreshed by msal when near expiry; safe to share between threads."""

    def __init__(self, fetch: Callable[[], str]) -> None:
        self._fetch = fetch
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            return self._fetch()


class MicrosoftCredentials:
    """The Microsoft credentials folder: the app's client credentials (`app.json`) and each CSM's msal
    token cache in `users/`, named by the hash of the CSM id."""

    def __init__(self, folder: Path) -> None:
        self.private = PrivateFolder(folder, "Microsoft credentials")
        self.folder = folder
        self._apps: dict[Client, Any] = {}
        self._apps_lock = threading.Lock()  # every app-permission mailbox shares the app's one token

    def save_user(self, csm_id: str, client: Client, username: str, cache: str) -> Path:
        return self.private.write(
            self.private.users, self.private.user_path(csm_id).name,
            {**client.as_json(), "username": username, "cache": cache},
        )  # fmt: skip

    def save_app(self, client: Client, secret: str) -> Path:
        if not secret.strip():
            raise EngagementError("Give the app's client secret (ENGAGEMENT_MICROSOFT_CLIENT_SECRET or the prompt).")
        return self.private.write(self.folder, APP_FILE, {**client.as_json(), "client_secret": secret.strip()})

    def remove(self, csm_id: str) -> bool:
        return self.private.remove_user(csm_id)

    def accounts(self, csms: list[tuple[str, str]]) -> list[Account]:
        """Every CSM (id, email) we can read: their own sign-in first, else the app's."""
        if not self.private.private_folder(self.folder, create=False):
            return []
        users = self.private.private_folder(self.private.users, create=False)
        app = self.folder / APP_FILE
        has_app = self.private.stored(app)
        found: list[Account] = []
        for csm_id, email in csms:
            own = self.private.user_path(csm_id)
            if users and self.private.stored(own):
                found.append(Account(csm_id, email, "user", own))
            elif has_app:
                found.append(Account(csm_id, email, "app", app))
        return found

    def token_source(self, account: Account) -> TokenSource:
        if account.kind == "app":
            return TokenSource(lambda: self._app_token(account))
        return TokenSource(lambda: self._user_token(account))

    def _user_token(self, account: Account) -> str:
        import msal

        data = self.private.read(account.path)
        client = _client(data)
        cache = msal.SerializableTokenCache()
        cache.deserialize(str(data.get("cache") or "{}"))
        app = _public_app(client, cache)
        signed_in = app.get_accounts(username=data.get("username") or None) or app.get_accounts()
        result = app.acquire_token_silent(list(DELEGATED_SCOPES), account=signed_in[0]) if signed_in else None
        if not result or "access_token" not in result:
            raise MicrosoftAuthError(
                "Microsoft refused the stored sign-in (expired or revoked); run "
                f"`engagement auth microsoft --csm {account.email}` again."
            )
        if cache.has_state_changed:  # a refreshed token: kept for the next run, atomically
            self.save_user(account.csm_id, client, str(data.get("username") or ""), cache.serialize())
        return str(result["access_token"])

    def _app_token(self, account: Account) -> str:
        import msal

        data = self.private.read(account.path)
        client = _client(data)
        with self._apps_lock:
            app = self._apps.get(client)
            if app is None:
                app = msal.ConfidentialClientApplication(
                    client.client_id, client_credential=str(data.get("client_secret") or ""), authority=client.authority,
                    instance_discovery=False,
                )  # fmt: skip
                self._apps[client] = app  # msal keeps the app's token in memory until it nears expiry
            result = app.acquire_token_for_client(scopes=list(APP_SCOPES))
        if "access_token" not in result:
            raise MicrosoftAuthError(
                f"Microsoft refused the app's client credentials ({result.get('error', 'no token')}); check the secret "
                "and the admin consent, then run `engagement auth microsoft --app` again."
            )
        return str(result["access_token"])
