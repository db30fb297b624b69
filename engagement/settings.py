"""Settings, read once from the environment (prefix ENGAGEMENT_) and passed in from the edges."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from engagement.periods import check_in_calendar

# A current model from the anthropic SDK's list (anthropic.types.Model), named here so the settings,
# and so the MCP server's start, never import the SDK; a test checks it is listed and not deprecated.
DEFAULT_MODEL = "claude-sonnet-5-5"


def default_database_url() -> str:
    """An SQLite file in the user's data directory, the embedded default."""
    import platformdirs  # only when no URL is configured: not on a configured server's start

    folder = Path(platformdirs.user_data_dir("engagement-metrics", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'engagement.db'}"


class Settings(BaseSettings):
    """Every knob of the product; each field is ENGAGEMENT_<NAME> in the environment."""

    model_config = SettingsConfigDict(env_prefix="ENGAGEMENT_", extra="ignore")

    database_url: str | None = None
    """SQLAlchemy URL; unset means the SQLite file in the user's data directory."""
    as_of: dt.date | None = None
    """Fixes "today" (UTC) for periods, recency and the future-date check."""
    user: str | None = None
    """The CSM (id or email) whose accounts the portfolio tools show by default."""
    weights_file: Path | None = None
    """A TOML file with score weights and segment benchmarks; unset means the shipped defaults."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "WARNING"
    """Logs go to stderr at this level; stdout is the MCP protocol's."""
    google_credentials_dir: Path | None = None
    """Where Google tokens and service-account keys are kept (owner-only); unset: the user config dir."""
    google_internal_domains: str = ""
    """Extra email domains of our own people, comma-separated (the CSMs' own domains always count); every
    provider's capture uses it (the name is older than Microsoft 365 capture)."""
    google_sync_window_days: int = Field(default=180, ge=1, le=3650)
    """How far back the first mail and calendar sync (and a full resync) reads, for every provider."""
    microsoft_credentials_dir: Path | None = None
    """Where Microsoft 365 token caches and the app's secret are kept (owner-only); unset: the user config dir."""
    microsoft_tenant: str | None = None
    """The Microsoft Entra tenant (id or domain, e.g. ourco.onmicrosoft.com) `engagement auth microsoft` signs in to."""
    microsoft_client_id: str | None = None
    """The application (client) id of the app registration `engagement auth microsoft` uses."""
    microsoft_authority_host: str = "https://login.microsoftonline.com"
    """The Microsoft identity platform (another for a national cloud, e.g. https://login.microsoftonline.us)."""
    microsoft_graph_url: str = "https://graph.microsoft.com/v1.0"
    """Microsoft Graph's root (another for a national cloud, e.g. https://graph.microsoft.us/v1.0)."""
    public_url: str | None = None
    """Where people reach the team server, e.g. https://engagement.ourco.com behind a TLS proxy: its
    Host and Origin are accepted and /mcp's metadata names it. Unset: http://HOST:PORT as served."""
    secret_key: str | None = None
    """Signs the dashboard's session cookies; unset: a random key made once and kept in the store."""
    trusted_proxies: str = "127.0.0.1"
    """Comma-separated addresses of the reverse proxies whose X-Forwarded-For/-Proto the server believes."""
    http_max_sessions: int = Field(default=500, ge=1, le=100_000)
    """Open MCP sessions the team server's /mcp keeps at once; past it a new one gets 503 until one ends."""
    http_session_idle_seconds: float = Field(default=600, ge=10, le=86_400)
    """An MCP session with no request for this long is closed (a client opens a new one on its next call)."""
    alert_webhook: str | None = None
    """A Slack-compatible incoming webhook URL the daily check posts each CSM's digest of new alerts to;
    unset: the digests stay in the store's outbox only. A secret: anyone holding it can post."""
    model: str = Field(default=DEFAULT_MODEL, min_length=1)
    """The Claude model `engagement ask` and `engagement chat` use."""
    auth_failures_per_minute: int = Field(default=10, ge=1, le=10_000)
    """Failed authentications (a wrong token, sign-in or OAuth code) one client address may make in a minute;
    past it the server answers 429 with Retry-After until the minute is up (a right token still works)."""
    oidc_issuer: str | None = None
    """The company's OpenID Connect issuer (https://accounts.google.com, https://login.microsoftonline.com/
    TENANT/v2.0, https://ourco.okta.com): with the client id and secret it turns on "Sign in with ..."."""
    oidc_client_id: str | None = None
    """The team server's client id at the identity provider."""
    oidc_client_secret: SecretStr | None = None
    """Its client secret: never logged or shown."""
    oidc_allowed_domains: str = ""
    """Comma-separated email domains allowed to sign in with the identity provider (and Google's `hd`); empty: any."""

    @field_validator(
        "as_of", "user", "weights_file", "google_credentials_dir", "database_url", "public_url", "secret_key",
        "alert_webhook", "oidc_issuer", "oidc_client_id", "oidc_client_secret", "microsoft_credentials_dir",
        "microsoft_tenant", "microsoft_client_id", mode="before"
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("as_of")
    @classmethod
    def _in_calendar(cls, value: dt.date | None) -> dt.date | None:
        return None if value is None else check_in_calendar(value, "the date")

    @field_validator("alert_webhook")
    @classmethod
    def _http_webhook(cls, value: str | None) -> str | None:
        if value is not None and not value.lower().startswith(("http://", "https://")):
            raise ValueError("ENGAGEMENT_ALERT_WEBHOOK must be an http:// or https:// URL (a Slack-compatible incoming webhook)")
        return value

    @field_validator("oidc_issuer")
    @classmethod
    def _https_issuer(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().rstrip("/")
        if not value.lower().startswith(("https://", "http://127.0.0.1", "http://localhost", "http://[::1]")):
            raise ValueError("ENGAGEMENT_OIDC_ISSUER must be an https:// URL (the identity provider's issuer)")
        return value

    @model_validator(mode="after")
    def _oidc_all_or_none(self) -> Settings:
        given = {"ISSUER": self.oidc_issuer, "CLIENT_ID": self.oidc_client_id, "CLIENT_SECRET": self.oidc_client_secret}
        missing = [f"ENGAGEMENT_OIDC_{name}" for name, value in given.items() if value is None]
        if 0 < len(missing) < len(given):
            raise ValueError(f"sign-in with the identity provider needs all three OIDC settings; set {', '.join(missing)}")
        return self

    @field_validator("model", mode="before")
    @classmethod
    def _blank_is_default_model(cls, value: object) -> object:
        return DEFAULT_MODEL if isinstance(value, str) and not value.strip() else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @property
    def oidc_enabled(self) -> bool:
        """Sign-in with the identity provider: all three of issuer, client id and client secret are set."""
        return bool(self.oidc_issuer and self.oidc_client_id and self.oidc_client_secret)

    @property
    def oidc_domains(self) -> frozenset[str]:
        return frozenset(d.strip().lower().lstrip("@") for d in self.oidc_allowed_domains.split(",") if d.strip())

    def resolved_database_url(self) -> str:
        return self.database_url or default_database_url()

    def today(self) -> dt.date:
        """The as-of date: the fixed one if set, else today in UTC."""
        return self.as_of or dt.datetime.now(dt.UTC).date()

    def resolved_microsoft_credentials_dir(self) -> Path:
        import platformdirs

        return self.microsoft_credentials_dir or Path(
            platformdirs.user_config_dir("engagement-metrics", appauthor=False)
        ) / "microsoft"

    def resolved_google_credentials_dir(self) -> Path:
        import platformdirs

        return self.google_credentials_dir or Path(
            platformdirs.user_config_dir("engagement-metrics", appauthor=False)
        ) / "google"
