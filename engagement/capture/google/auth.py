"""Google credentials per CSM, kept in a private folder (engagement.capture.secrets): OAuth tokens, or one
delegated service account."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engagement.capture.secrets import PrivateFolder, read_json, token_name
from engagement.errors import EngagementError

# Read-only, and no wider than the sync needs: message metadata via gmail.readonly (gmail.metadata
# forbids the `q` date filter a bounded resync uses) and calendar events.
SCOPES = (
    "https://www.googleapis.com/auth/gmail.readonly",
    "https://www.googleapis.com/auth/calendar.events.readonly",
)
SERVICE_ACCOUNT_FILE = "service-account.json"
AUTHORIZED_USER_FIELDS = ("refresh_token", "client_id", "client_secret")
SERVICE_ACCOUNT_FIELDS = ("client_email", "private_key", "token_uri")


@dataclass(frozen=True)
class Account:
    """What one CSM's sync authenticates as: their own token, or the service account acting for them."""

    csm_id: str
    email: str
    kind: str  # "user" | "service_account"
    path: Path

    def credentials(self) -> Any:
        """google-auth credentials for this CSM's mailbox and calendar (refreshed by the client on use)."""
        info = read_json(self.path, label="Google credentials", private=True)
        if self.kind == "service_account":
            from google.oauth2 import service_account

            creds = service_account.Credentials.from_service_account_info(info, scopes=list(SCOPES))
            return creds.with_subject(self.email)
        from google.oauth2.credentials import Credentials

        return Credentials.from_authorized_user_info(info, scopes=list(SCOPES))


class CredentialStore:
    """The Google credentials folder (engagement.capture.secrets.PrivateFolder): an optional
    service-account key at its top, and each CSM's token in `users/`, named by the hash of the CSM id."""

    def __init__(self, folder: Path) -> None:
        self.private = PrivateFolder(folder, "Google credentials")
        self.folder = folder
        self.users = self.private.users

    def token_path(self, csm_id: str) -> Path:
        return self.private.user_path(csm_id)

    def save_authorized_user(self, csm_id: str, info: dict[str, Any]) -> Path:
        """Store google-auth authorized-user JSON (token, refresh_token, client_id, ...) for one CSM."""
        missing = [name for name in AUTHORIZED_USER_FIELDS if not info.get(name)]
        if missing:
            raise EngagementError(
                f"The token file lacks {', '.join(missing)}; give google-auth authorized-user JSON "
                "(token, refresh_token, client_id, client_secret, token_uri, expiry), as "
                "Credentials.to_json() writes it."
            )
        keep = ("token", "refresh_token", "client_id", "client_secret", "token_uri", "expiry", "scopes", "account")
        return self.private.write(self.users, token_name(csm_id), {k: info[k] for k in keep if info.get(k) is not None})

    def save_service_account(self, info: dict[str, Any]) -> Path:
        """Store a service-account key whose domain-wide delegation covers SCOPES."""
        if info.get("type") != "service_account" or any(not info.get(name) for name in SERVICE_ACCOUNT_FIELDS):
            raise EngagementError(
                "That file is not a service-account key; download one (JSON) for a service account with "
                "domain-wide delegation in the Google Cloud console."
            )
        return self.private.write(self.folder, SERVICE_ACCOUNT_FILE, info)

    def remove(self, csm_id: str) -> bool:
        return self.private.remove_user(csm_id)

    def accounts(self, csms: list[tuple[str, str]]) -> list[Account]:
        """The account of every CSM (id, email) we can sync: their own token first, else the service account."""
        if not self.private.private_folder(self.folder, create=False):
            return []
        users = self.private.private_folder(self.users, create=False)
        service = self.folder / SERVICE_ACCOUNT_FILE
        has_service = self.private.stored(service)
        found: list[Account] = []
        for csm_id, email in csms:
            own = self.token_path(csm_id)
            if users and self.private.stored(own):
                found.append(Account(csm_id, email, "user", own))
            elif has_service:
                found.append(Account(csm_id, email, "service_account", service))
        return found

    def legacy_tokens(self) -> list[Path]:
        """Token files of the old layout (`<csm-id>.json` beside the key), which are no longer read."""
        if not self.folder.is_dir() or self.folder.is_symlink():
            return []
        return sorted(p for p in self.folder.glob("*.json") if p.name != SERVICE_ACCOUNT_FILE)


def load_json_file(path: Path) -> dict[str, Any]:
    """A credentials file someone hands us (token.json, a key), checked to be a JSON object."""
    return read_json(path)


def run_installed_app_flow(client_secrets: Path, open_browser: bool = True) -> dict[str, Any]:
    """The installed-app OAuth consent in a browser; answers authorized-user JSON for CredentialStore."""
    from google_auth_oauthlib.flow import InstalledAppFlow

    flow = InstalledAppFlow.from_client_secrets_file(str(client_secrets), scopes=list(SCOPES))
    creds = flow.run_local_server(port=0, open_browser=open_browser)
    info: dict[str, Any] = json.loads(creds.to_json())
    return info
