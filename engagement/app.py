"""The composition root: the core (store, settings, scoring model, scorer) over the configured store, and
the mail and calendar capture beside it.

`server.py`, the command line, the team server and the benchmark build what they serve here and nowhere
else, and hand the core to every question (engagement/core.py).
"""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING

from pydantic import ValidationError

from engagement.core import Core
from engagement.db import create_tables, make_engine
from engagement.errors import ConfigError
from engagement.scoring import load_scoring_config
from engagement.settings import Settings

if TYPE_CHECKING:  # the providers' client libraries are imported at the first sync, not at start
    from engagement.capture.google.provider import GoogleSync
    from engagement.capture.sync import CaptureSync

_syncs: weakref.WeakKeyDictionary[Core, GoogleSync] = weakref.WeakKeyDictionary()
_captures: weakref.WeakKeyDictionary[Core, CaptureSync] = weakref.WeakKeyDictionary()
# One lock per store: Google's own sync and the sync of every provider never run the same source at once.
_locks: weakref.WeakKeyDictionary[Core, threading.Lock] = weakref.WeakKeyDictionary()
_syncs_lock = threading.Lock()


def load_settings(**overrides: object) -> Settings:
    """The settings from the environment; an invalid value is a ConfigError naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            (f"ENGAGEMENT_{'_'.join(map(str, e['loc'])).upper()}: " if e["loc"] else "")  # a rule across settings has no loc
            + e["msg"].removeprefix("Value error, ").rstrip(".")
            for e in exc.errors(include_url=False)
        )
        raise ConfigError(f"Invalid setting: {problems}.") from None


def create_core(settings: Settings) -> Core:
    """The core over the configured store, its tables created or upgraded if needed."""
    scoring = load_scoring_config(settings.weights_file)
    engine = make_engine(settings.resolved_database_url())
    create_tables(engine)
    return Core(engine, settings, scoring)


def google_sync(core: Core) -> GoogleSync:
    """The Google Workspace sync of this core's store, made once, at its first use."""
    with _syncs_lock:
        if core not in _syncs:
            from engagement.capture.google.provider import GoogleSync

            _syncs[core] = GoogleSync(core.engine, core.settings, lock=_locks.setdefault(core, threading.Lock()))
        return _syncs[core]


def capture_sync(core: Core) -> CaptureSync:
    """The sync of every provider (Google Workspace, then Microsoft 365) of this core's store, made once."""
    with _syncs_lock:
        if core not in _captures:
            from engagement.capture.google.auth import CredentialStore
            from engagement.capture.google.provider import GoogleProvider
            from engagement.capture.microsoft.auth import MicrosoftCredentials
            from engagement.capture.microsoft.provider import MicrosoftProvider
            from engagement.capture.sync import CaptureSync

            settings = core.settings
            google = GoogleProvider(CredentialStore(settings.resolved_google_credentials_dir()))
            microsoft = MicrosoftProvider(
                MicrosoftCredentials(settings.resolved_microsoft_credentials_dir()), settings.microsoft_graph_url
            )
            lock = _locks.setdefault(core, threading.Lock())
            _captures[core] = CaptureSync(core.engine, settings, [google, microsoft], lock=lock)
        return _captures[core]
