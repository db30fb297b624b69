"""When the Anthropic API cannot answer: one line saying what to do, exit code 1, never a traceback; what
the SDK retries (429, 529) is retried, what it does not (401) is not."""

from __future__ import annotations

from pathlib import Path

import anthropic
import pytest

from agents.connect import open_conversation
from agents.errors import AgentError
from engagement.settings import Settings
from tests.agents.conftest import engagement
from tests.agents.fake_anthropic import Broken, FakeAnthropic, failure, reply, text
from tests.servers import free_port

QUESTION = "Show me low-engaged customers"


def one_line_error(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("Error: ")]
    assert len(lines) == 1, output
    assert "Traceback" not in output, output
    return lines[0]


@pytest.mark.usefixtures("cli_env")
def test_without_a_key_the_command_says_how_to_set_it_and_asks_nothing(
    fake: FakeAnthropic, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    monkeypatch.setenv("HOME", str(tmp_path))  # nor a profile in ~/.config/anthropic on this machine

    for command in (["ask", QUESTION], ["chat"]):
        result = engagement(*command, input="")

        assert result.exit_code == 1
        assert one_line_error(result.output) == (
            "Error: No Anthropic API key: set ANTHROPIC_API_KEY (export ANTHROPIC_API_KEY=sk-ant-...; "
            "keys at https://console.anthropic.com/settings/keys)."
        )
    assert fake.requests == []


@pytest.mark.usefixtures("cli_env")
def test_a_refused_key_is_one_line_and_not_retried(fake: FakeAnthropic) -> None:
    fake.script(failure(401, "authentication_error", "invalid x-api-key"))

    result = engagement("ask", QUESTION)

    assert result.exit_code == 1
    assert one_line_error(result.stderr).startswith("Error: The Anthropic API refused the key (401: invalid x-api-key)")
    assert len(fake.requests) == 1
    assert fake.requests[0].headers["authorization"] == "Bearer sk-ant-test-key"


@pytest.mark.usefixtures("cli_env")
def test_a_rate_limit_is_retried_and_the_answer_still_comes(fake: FakeAnthropic) -> None:
    fake.script(failure(429, "rate_limit_error", "Number of request tokens has exceeded your rate limit."),
                reply(text("No customer is below 60 this quarter.")))  # fmt: skip

    result = engagement("ask", QUESTION)

    assert result.exit_code == 0, result.output
    assert "No customer is below 60 this quarter." in result.stdout
    first, retry = fake.requests
    assert first.body == retry.body
    assert retry.headers["x-stainless-retry-count"] == "1"


@pytest.mark.usefixtures("cli_env")
def test_an_api_still_overloaded_after_the_retries_is_one_line(fake: FakeAnthropic) -> None:
    fake.script(*[failure(529, "overloaded_error", "Overloaded")] * 3)

    result = engagement("ask", QUESTION)

    assert result.exit_code == 1
    assert one_line_error(result.stderr) == (
        "Error: The Anthropic API is overloaded (529), still after 2 retries; try again in a few minutes."
    )
    assert len(fake.requests) == 3


@pytest.mark.usefixtures("cli_env")
def test_a_stream_that_breaks_midway_is_one_line(fake: FakeAnthropic) -> None:
    fake.script(Broken("overloaded_error", "Overloaded"))

    result = engagement("ask", QUESTION)

    assert result.exit_code == 1
    assert "overloaded (529)" in one_line_error(result.stderr)


@pytest.mark.anyio
async def test_an_unreachable_api_is_one_line_naming_where_it_looked(settings: Settings, portfolio: object) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    client = anthropic.AsyncAnthropic(api_key="sk-ant-test-key", base_url=url, max_retries=0)

    async with open_conversation(settings, client=client) as conversation:
        with pytest.raises(AgentError) as failed:
            await conversation.ask(QUESTION, Silent())

    assert str(failed.value) == f"Could not reach the Anthropic API at {url}: check the network (or ANTHROPIC_BASE_URL)."
    assert conversation.history == []


class Silent:
    def routed(self, route: object) -> None: ...
    def text(self, fragment: str) -> None: ...
    def tool_finished(self, call: object) -> None: ...
