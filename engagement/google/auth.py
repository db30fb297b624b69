"""Google credentials per CSM, kept in a private directory: OAuth tokens, or one delegated service account.

Files are written owner-only (0600, the directory 0700) and their contents are never printed or logged.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
        info = _read_json(self.path)
        if self.kind == "service_account":
            from google.oauth2 import service_account

            creds = service_account.Credentials.from_service_account_info(info, scopes=list(SCOPES))
            return creds.with_subject(self.email)
        from google.oauth2.credentials import Credentials

        return Credentials.from_authorized_user_info(info, scopes=list(SCOPES))


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        # The message names the file only: its content may be a secret.
        raise EngagementError(f"{path} is not a readable JSON credentials file; store it again.") from None
    if not isinstance(data, dict):
        raise EngagementError(f"{path} is not a JSON object; store the credentials again.")
    return data


def _safe_name(csm_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", csm_id) + ".json"


class CredentialStore:
    """The credentials directory: `<csm_id>.json` tokens and an optional service-account key."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _write_private(self, name: str, data: dict[str, Any]) -> Path:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        path = self.folder / name
        temporary = path.with_suffix(".tmp")
        # Created 0600 from the start (not chmod-ed afterwards), so the secret is never world-readable.
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.replace(temporary, path)
        os.chmod(path, 0o600)
        return path

    def token_path(self, csm_id: str) -> Path:
        return self.folder / _safe_name(csm_id)

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
        return self._write_private(_safe_name(csm_id), {k: info[k] for k in keep if info.get(k) is not None})

    def save_service_account(self, info: dict[str, Any]) -> Path:
        """Store a service-account key whose domain-wide delegation covers SCOPES."""
        if info.get("type") != "service_account" or any(not info.get(name) for name in SERVICE_ACCOUNT_FIELDS):
            raise EngagementError(
                "That file is not a service-account key; download one (JSON) for a service account with "
                "domain-wide delegation in the Google Cloud console."
            )
        return self._write_private(SERVICE_ACCOUNT_FILE, info)

    def remove(self, csm_id: str) -> bool:
        path = self.token_path(csm_id)
        if path.exists():
            path.unlink()
            return True
        return False

    def accounts(self, csms: list[tuple[str, str]]) -> list[Account]:
        """The account of every CSM (id, email) we can sync: their own token first, else the service account."""
        service = self.folder / SERVICE_ACCOUNT_FILE
        found: list[Account] = []
        for csm_id, email in csms:
            own = self.token_path(csm_id)
            if own.exists():
                found.append(Account(csm_id, email, "user", own))
            elif service.exists():
                found.append(Account(csm_id, email, "service_account", service))
        return found


def load_json_file(path: Path) -> dict[str, Any]:
    """A credentials file someone hands us (token.json, a key), checked to be a JSON object."""
    return _read_json(path)


def run_installed_app_flow(client_secrets: Path, open_browser: bool = True) -> dict[str, Any]:
    """The installed-app OAuth consent in a browser; answers authorized-user JSON for CredentialStore."""
    from google_auth_oauthlib.flow import InstalledAppFlow

    flow = InstalledAppFlow.from_client_secrets_file(str(client_secrets), scopes=list(SCOPES))
    creds = flow.run_local_server(port=0, open_browser=open_browser)
    info: dict[str, Any] = json.loads(creds.to_json())
    return info
