"""Owner-only credential folders and files every provider keeps its tokens in (Google's, Microsoft's).

Files are written owner-only (0600, the folders 0700) to a fresh temporary file renamed into place, and
read without following a symlink; a folder or file that is a symlink, someone else's, or writable by
others is refused with a message saying how to fix it. Contents are never printed or logged.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from engagement.errors import EngagementError

MAX_CREDENTIALS_BYTES = 1 << 20  # a token, key or token cache is a few KB
USERS_FOLDER = "users"  # per-CSM files, apart from the team-wide one


def token_name(csm_id: str) -> str:
    """A CSM's file name: the SHA-256 of the id, so distinct ids never share a file."""
    return hashlib.sha256(csm_id.encode("utf-8")).hexdigest() + ".json"


def refuse_unsafe(label: str, path: Path, info: os.stat_result, what: str) -> None:
    """Refuse a credentials folder or file someone else could have planted or could change."""
    fix = f"make it a real {what} owned by you and writable only by you (chmod {'700' if what == 'folder' else '600'})"
    if stat.S_ISLNK(info.st_mode):
        raise EngagementError(f"{label} {what} {path} is a symlink; {fix}.")
    if not (stat.S_ISDIR(info.st_mode) if what == "folder" else stat.S_ISREG(info.st_mode)):
        raise EngagementError(f"{label} {what} {path} is not a {what}; {fix}.")
    if info.st_uid != os.geteuid():
        raise EngagementError(f"{label} {what} {path} belongs to another user (uid {info.st_uid}); {fix}.")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise EngagementError(f"{label} {what} {path} is writable by others; {fix}.")


def read_json(path: Path, *, label: str = "Credentials", private: bool = False) -> dict[str, Any]:
    """A JSON object from `path`; `private`: a file of the store, refused unless it is our own, owner-only
    writable, and not a symlink (opened without following one, and checked on the open file)."""
    try:
        if private:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(fd, "rb") as handle:
                refuse_unsafe(label, path, os.fstat(handle.fileno()), "file")
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
            refuse_unsafe(label, path, path.lstat(), "file")
        # The message names the file only: its content may be a secret.
        raise EngagementError(f"{path} is not a readable JSON credentials file; store it again.") from None
    except ValueError:  # (a RecursionError, from JSON nested too deeply, is worded by errors.fault_of)
        raise EngagementError(f"{path} is not a readable JSON credentials file; store it again.") from None
    if not isinstance(data, dict):
        raise EngagementError(f"{path} is not a JSON object; store the credentials again.")
    return data


class PrivateFolder:
    """A credentials folder: team-wide files at its top, each CSM's in `users/` named by the hash of the
    CSM id (so no id can name a team-wide file or another CSM's).

    The folder and `users/` must be our own, not symlinks, and writable only by us; they are made (or
    tightened to) 0700. Files are written to a fresh temporary file in the same folder and renamed into
    place, 0600 from the start: a planted symlink is replaced, never followed.
    """

    def __init__(self, folder: Path, label: str) -> None:
        self.folder = folder
        self.users = folder / USERS_FOLDER
        self.label = label  # "Google credentials", "Microsoft credentials": how messages name it

    def refuse_unsafe(self, path: Path, info: os.stat_result, what: str) -> None:
        refuse_unsafe(self.label, path, info, what)

    def private_folder(self, folder: Path, create: bool) -> bool:
        """Whether `folder` exists (made 0700 when `create`), refusing an unsafe one."""
        try:
            info = folder.lstat()
        except FileNotFoundError:
            if not create:
                return False
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            info = folder.lstat()
        self.refuse_unsafe(folder, info, "folder")
        if create and stat.S_IMODE(info.st_mode) != 0o700:
            os.chmod(folder, 0o700)  # not a symlink (checked): tighten a readable folder of our own
        return True

    def write(self, folder: Path, name: str, data: dict[str, Any]) -> Path:
        """`data` as JSON at folder/name, atomically and owner-only; a symlink there is replaced, not followed."""
        self.private_folder(self.folder, create=True)
        if folder != self.folder:
            self.private_folder(folder, create=True)
        path = folder / name
        if path.is_symlink() or (path.exists() and not path.is_file()):
            self.refuse_unsafe(path, path.lstat(), "file")
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

    def read(self, path: Path) -> dict[str, Any]:
        return read_json(path, label=self.label, private=True)

    def user_path(self, csm_id: str) -> Path:
        return self.users / token_name(csm_id)

    def stored(self, path: Path) -> bool:
        """Whether the folder holds `path`, refusing it when it is not a safe file of ours."""
        try:
            info = path.lstat()
        except FileNotFoundError:
            return False
        self.refuse_unsafe(path, info, "file")
        return True

    def remove_user(self, csm_id: str) -> bool:
        if not self.private_folder(self.folder, create=False) or not self.private_folder(self.users, create=False):
            return False
        path = self.user_path(csm_id)
        if path.is_symlink() or path.exists():
            path.unlink()
            return True
        return False
