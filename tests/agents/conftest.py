"""The agents offline: the real anthropic SDK against a fake Messages API on 127.0.0.1, the real MCP server
in memory over the test store (SQLite, and PostgreSQL when configured), and a small portfolio."""

from __future__ import annotations

from collections.abc import Iterator
import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner, Result

from cli import app
from engagement.settings import Settings
from tests.agents.fake_anthropic import FakeAnthropic
from tests.factories import Factory

ANTHROPIC_VARIABLES = (
    "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL", "ANTHROPIC_PROFILE", "ANTHROPIC_CONFIG_DIR",
    "ANTHROPIC_FEDERATION_RULE_ID", "ANTHROPIC_ORGANIZATION_ID", "ANTHROPIC_IDENTITY_TOKEN",
    "ANTHROPIC_IDENTITY_TOKEN_FILE", "ANTHROPIC_CUSTOM_HEADERS",
)  # fmt: skip


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    server = FakeAnthropic()
    yield server
    server.close()


@pytest.fixture
def no_anthropic_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """None of the SDK's variables: a test sets the ones it means."""
    for name in ANTHROPIC_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch, no_anthropic_env: None, fake: FakeAnthropic) -> None:
    """The environment `engagement ask` reads: the test store and day, the fake API and a key for it."""
    for name in ("ENGAGEMENT_USER", "ENGAGEMENT_MODEL", "ENGAGEMENT_WEIGHTS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ENGAGEMENT_DATABASE_URL", settings.resolved_database_url())
    monkeypatch.setenv("ENGAGEMENT_AS_OF", str(settings.as_of))
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-key")
    monkeypatch.setenv("COLUMNS", "200")


def engagement(*arguments: str, input: str | None = None) -> Result:
    """The `engagement` command run in process, as a user runs it."""
    return CliRunner().invoke(app, list(arguments), input=input)


@pytest.fixture
def portfolio(engine: Engine) -> Factory:
    """Four customers of one CSM as of 2026-11-24: Acme Corp engaged (SPEC example 1), Globex barely,
    Initech never contacted, Umbrella silent for 60 days."""
    factory = Factory(engine)
    factory.csm("csm-1", "Casey Morgan", "casey@ourco.test")
    factory.customer("acme", "Acme Corp", segment="Enterprise", csm_id="csm-1")
    factory.stakeholder("acme", "Sarah Chen", "sarah.chen@acme.test", level="champion", title="VP Operations")
    factory.spec_example_one("acme")
    factory.customer("globex", "Globex", segment="Enterprise", csm_id="csm-1")
    factory.activity("globex", "2026-10-02T09:00:00", type="email")
    factory.customer("initech", "Initech", segment="Mid-Market", csm_id="csm-1")
    factory.customer("umbrella", "Umbrella", segment="SMB", csm_id="csm-1")
    factory.activity("umbrella", "2026-09-25T09:00:00", type="call", duration_minutes=20)
    return factory
