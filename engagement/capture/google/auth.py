"""Google credentials per CSM, kept in a private directory: OAuth tokens, or one delegated service account.

Files are written owner-only (0600, the folders 0700) and their contents are never printed or logged; a
folder or file that is a symlink, someone else's, or writable by others is refused.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
import tempfile
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
USERS_FOLDER = "users"  # per-CSM tokens, apart from the key
MAX_CREDENTIALS_BYTES = 1 << 20  # a token or key is a few KB
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
        info = _read_json(self.path, private=True)
        if self.kind == "service_account":
            from google.oauth2 import service_account

            creds = service_account.Credentials.from_service_account_info(info, scopes=list(SCOPES))
            return creds.with_subject(self.email)
        from google.oauth2.credentials import Credentials

        return Credentials.from_authorized_user_info(info, scopes=list(SCOPES))


def _read_json(path: Path, *, private: bool = False) -> dict[str, Any]:
    """A JSON object from `path`; `private`: a file of the store, refused unless it is our own, owner-only
    writable, and not a symlink (opened without following one, and checked on the open file)."""
    try:
        if private:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(fd, "rb") as handle:
                _refuse_unsafe(path, os.fstat(handle.fileno()), "file")
                raw = handle.read(MAX_CREDENTIALS_BYTES + 1)
        else:
            raw = path.read_bytes()
        if len(raw) > MAX_CREDENTIALS_BYTES:
            raise ValueError("too large")
        data = json.loads(raw.decode("utf-8"))
    except EngagementError:
        raise
    except OSError as exc:
        if private and exc.errno == errno.ELOOP:
            _refuse_unsafe(path, path.lstat(), "file")
        # The message names the file only: its content may be a secret.
        raise EngagementError(f"{path} is not a readable JSON credentials file; store it again.") from None
    except ValueError:  # (a RecursionError, from JSON nested too deeply, is worded by errors.fault_of)
        raise EngagementError(f"{path} is not a readable JSON credentials file; store it again.") from None
    if not isinstance(data, dict):
        raise EngagementError(f"{path} is not a JSON object; store the credentials again.")
    return data


def _refuse_unsafe(path: Path, info: os.stat_result, what: str) -> None:
    """Refuse a credentials folder or file someone else could have planted or could change."""
    fix = f"make it a real {what} owned by you and writable only by you (chmod {'700' if what == 'folder' else '600'})"
    if stat.S_ISLNK(info.st_mode):
        raise EngagementError(f"Google credentials {what} {path} is a symlink; {fix}.")
    if not (stat.S_ISDIR(info.st_mode) if what == "folder" else stat.S_ISREG(info.st_mode)):
        raise EngagementError(f"Google credentials {what} {path} is not a {what}; {fix}.")
    if info.st_uid != os.geteuid():
        raise EngagementError(f"Google credentials {what} {path} belongs to another user (uid {info.st_uid}); {fix}.")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise EngagementError(f"Google credentials {what} {path} is writable by others; {fix}.")


def token_name(csm_id: str) -> str:
    """A CSM's token file name: the SHA-256 of the id, so distinct ids never share a file."""
    return hashlib.sha256(csm_id.encode("utf-8")).hexdigest() + ".json"


class CredentialStore:
    """The credentials folder: an optional service-account key, and each CSM's token in `users/`, named by
    the hash of the CSM id (so no id can name the key or another CSM's file).

    The folder and `users/` must be our own, not symlinks, and writable only by us; they are made (or
    tightened to) 0700. Files are written to a fresh temporary file in the same folder and renamed into
    place, 0600 from the start: a planted symlink is replaced, never followed.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.users = folder / USERS_FOLDER

    def _private_folder(self, folder: Path, create: bool) -> bool:
        """Whether `folder` exists (made 0700 when `create`), refusing an unsafe one."""
        try:
            info = folder.lstat()
        except FileNotFoundError:
            if not create:
                return False
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            info = folder.lstat()
        _refuse_unsafe(folder, info, "folder")
        if create and stat.S_IMODE(info.st_mode) != 0o700:
            os.chmod(folder, 0o700)  # not a symlink (checked): tighten a readable folder of our own
        return True

    def _write_private(self, folder: Path, name: str, data: dict[str, Any]) -> Path:
        self._private_folder(self.folder, create=True)
        if folder != self.folder:
            self._private_folder(folder, create=True)
        path = folder / name
        if path.is_symlink() or (path.exists() and not path.is_file()):
            _refuse_unsafe(path, path.lstat(), "file")
        # mkstemp: O_CREAT | O_EXCL, mode 0600 from the start, a name nobody could have planted.
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)  # replaces a file (or a symlink) at `path` itself, never its target
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return path

    def token_path(self, csm_id: str) -> Path:
        return self.users / token_name(csm_id)

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
        return self._write_private(self.users, token_name(csm_id), {k: info[k] for k in keep if info.get(k) is not None})

    def save_service_account(self, info: dict[str, Any]) -> Path:
        """Store a service-account key whose domain-wide delegation covers SCOPES."""
        if info.get("type") != "service_account" or any(not info.get(name) for name in SERVICE_ACCOUNT_FIELDS):
            raise EngagementError(
                "That file is not a service-account key; download one (JSON) for a service account with "
                "domain-wide delegation in the Google Cloud console."
            )
        return self._write_private(self.folder, SERVICE_ACCOUNT_FILE, info)

    def remove(self, csm_id: str) -> bool:
        if not self._private_folder(self.folder, create=False) or not self._private_folder(self.users, create=False):
            return False
        path = self.token_path(csm_id)
        if path.is_symlink() or path.exists():
            path.unlink()
            return True
        return False

    def _stored(self, path: Path) -> bool:
        """Whether the store holds `path`, refusing it when it is not a safe file of ours."""
        try:
            info = path.lstat()
        except FileNotFoundError:
            return False
        _refuse_unsafe(path, info, "file")
        return True

    def accounts(self, csms: list[tuple[str, str]]) -> list[Account]:
        """The account of every CSM (id, email) we can sync: their own token first, else the service account."""
        if not self._private_folder(self.folder, create=False):
            return []
        users = self._private_folder(self.users, create=False)
        service = self.folder / SERVICE_ACCOUNT_FILE
        has_service = self._stored(service)
        found: list[Account] = []
        for csm_id, email in csms:
            own = self.token_path(csm_id)
            if users and self._stored(own):
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
    return _read_json(path)


def run_installed_app_flow(client_secrets: Path, open_browser: bool = True) -> dict[str, Any]:
    """The installed-app OAuth consent in a browser; answers authorized-user JSON for CredentialStore."""
    from google_auth_oauthlib.flow import InstalledAppFlow

    flow = InstalledAppFlow.from_client_secrets_file(str(client_secrets), scopes=list(SCOPES))
    creds = flow.run_local_server(port=0, open_browser=open_browser)
    info: dict[str, Any] = json.loads(creds.to_json())
    return info
