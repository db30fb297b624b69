"""How an answer is had: streamed as it arrives, cached where every request repeats itself, bounded in tool
rounds, and remembered for the next question of a chat."""

from __future__ import annotations

from collections.abc import AsyncIterator
import anthropic
import pytest
from mcp import Client

from agents.bridge import ToolCall
from agents.connect import open_conversation
from agents.conversation import Conversation
from agents.routing import Route, route
from engagement.settings import Settings
from tests.agents.conftest import engagement
from tests.agents.fake_anthropic import FakeAnthropic, Reply, failure, reply, text, tool_use
from server import create_server
from tests.factories import Factory

EPHEMERAL = {"type": "ephemeral"}


class Recorder:
    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.fragments: list[str] = []
        self.calls: list[ToolCall] = []

    def routed(self, route: Route) -> None:
        self.routes.append(route)

    def text(self, fragment: str) -> None:
        self.fragments.append(fragment)

    def tool_finished(self, call: ToolCall) -> None:
        self.calls.append(call)


@pytest.fixture
async def conversation(settings: Settings, portfolio: Factory, fake: FakeAnthropic) -> AsyncIterator[Conversation]:
    client = anthropic.AsyncAnthropic(api_key="sk-ant-test-key", base_url=fake.url)
    async with open_conversation(settings, client=client, max_rounds=3) as opened:
        yield opened
    await client.close()


@pytest.mark.anyio
async def test_the_answer_streams_in_pieces_as_the_api_sends_them(conversation: Conversation, fake: FakeAnthropic) -> None:
    said = "Acme Corp leads with 56.8; Initech has never been contacted and Umbrella has been silent for 60 days."
    fake.script(reply(text(said)))
    heard = Recorder()

    answer = await conversation.ask("Show me engagement metrics for my accounts", heard)

    assert len(heard.fragments) > 3 and "".join(heard.fragments) == said == answer.text
    assert fake.requests[0].body["stream"] is True


@pytest.mark.anyio
async def test_the_system_prompt_and_tool_list_are_cached_and_the_cache_is_read_on_the_next_round(
    conversation: Conversation, fake: FakeAnthropic
) -> None:
    fake.script(reply(tool_use("find_low_engagement_customers")), reply(text("Globex is lowest.")))

    answer = await conversation.ask("Show me low-engaged customers", Recorder())

    first, second = (request.body for request in fake.requests)
    assert first["system"][-1]["cache_control"] == EPHEMERAL
    assert [tool.get("cache_control") for tool in first["tools"]] == [None] * (len(first["tools"]) - 1) + [EPHEMERAL]
    assert first["cache_control"] == EPHEMERAL  # and the conversation so far, as it grows round by round
    assert first["tools"] == second["tools"] and first["system"] == second["system"]
    assert "thread" not in first  # every request carries the whole history, so any agent can take the next
    assert answer.usage.replies == 2
    assert answer.usage.cache_creation_input_tokens > 0 and answer.usage.cache_read_input_tokens > 0


@pytest.mark.anyio
async def test_tool_rounds_are_bounded_and_an_unfinished_answer_says_so(conversation: Conversation, fake: FakeAnthropic) -> None:
    fake.script(*[reply(tool_use("search_customers", query=f"round {n}")) for n in range(5)])
    heard = Recorder()

    answer = await conversation.ask("Show me engagement metrics for my accounts", heard)

    assert len(fake.requests) == 3 and fake.unused == 2
    assert answer.finished is False
    assert [call.arguments["query"] for call in heard.calls] == ["round 0", "round 1", "round 2"]


@pytest.mark.anyio
async def test_after_an_unfinished_answer_the_next_question_is_still_a_valid_request(
    conversation: Conversation, fake: FakeAnthropic
) -> None:
    fake.script(*[reply(tool_use("search_customers", query="acme")) for _ in range(3)], reply(text("Acme Corp is acme.")))

    await conversation.ask("Show me engagement metrics for my accounts", Recorder())
    answer = await conversation.ask("Just Acme, please", Recorder())

    assert answer.text == "Acme Corp is acme." and answer.finished
    last = fake.requests[-1].body["messages"]
    assert last[-2]["content"][0]["type"] == "tool_result" and last[-1]["content"] == "Just Acme, please"


@pytest.mark.anyio
async def test_tools_the_server_does_not_have_yet_are_left_out(
    conversation: Conversation, fake: FakeAnthropic, settings: Settings
) -> None:
    fake.script(reply(text("Nothing to compare yet.")))

    await conversation.ask("Compare engagement across my enterprise accounts", Recorder())

    offered = fake.requests[0].tool_names
    async with Client(create_server(settings)) as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
    wanted = route("Compare engagement across my enterprise accounts").tools
    assert "get_portfolio_engagement" in offered and "compare_segments" in offered
    assert sorted(offered) == sorted(name for name in wanted if name in listed)  # e.g. get_score_history once it lands


@pytest.mark.anyio
async def test_a_later_question_carries_the_earlier_one_with_its_tool_calls(
    conversation: Conversation, fake: FakeAnthropic
) -> None:
    fake.script(reply(tool_use("get_customer_engagement", customer="acme")), reply(text("Acme Corp scores 56.8.")),
                reply(text("It fell from its previous score.")))  # fmt: skip

    await conversation.ask("What's the engagement score for Acme Corp?", Recorder())
    await conversation.ask("Why?", Recorder())

    messages = fake.requests[-1].body["messages"]
    assert [message["role"] for message in messages] == ["user", "assistant", "user", "assistant", "user"]
    assert messages[0]["content"] == "What's the engagement score for Acme Corp?"
    assert messages[2]["content"][0]["type"] == "tool_result"
    assert messages[-1]["content"] == "Why?"
    # The tools of the first answer stay offered, so its tool calls in the history keep their definitions.
    assert "get_customer_engagement" in fake.requests[-1].tool_names


@pytest.mark.usefixtures("cli_env", "portfolio")
def test_chat_answers_each_question_in_turn_and_ends_at_end_of_input(fake: FakeAnthropic) -> None:
    fake.script(reply(text("Initech has never been contacted.")), reply(text("Umbrella: 60 days.")))

    result = engagement("chat", input="Which customers have I not contacted recently?\n\nAnd the longest silent?\n")

    assert result.exit_code == 0, result.output
    assert "Initech has never been contacted." in result.stdout and "Umbrella: 60 days." in result.stdout
    assert len(fake.requests) == 2  # the empty line asked nothing
    assert len(fake.requests[1].body["messages"]) == 3


@pytest.mark.usefixtures("cli_env", "portfolio")
def test_a_failed_question_in_a_chat_is_one_line_and_the_chat_goes_on(fake: FakeAnthropic) -> None:
    fake.script(failure(400, "invalid_request_error", "prompt is too long"), reply(text("Globex is lowest.")))

    result = engagement("chat", input="Show me low-engaged customers\nShow me low-engaged customers\n")

    assert result.exit_code == 0, result.output
    assert "Error: The Anthropic API refused the request (400: prompt is too long)." in result.stderr
    assert "Globex is lowest." in result.stdout
    assert len(fake.requests[1].body["messages"]) == 1  # the failed question left nothing in the history


@pytest.mark.usefixtures("cli_env", "portfolio")
def test_verbose_shows_each_tool_call_and_the_tokens(fake: FakeAnthropic) -> None:
    fake.script(reply(tool_use("find_uncontacted_customers", days=30)), reply(text("Three have gone quiet.")))

    result = engagement("ask", "--verbose", "Which customers have I not contacted recently?")

    assert result.exit_code == 0, result.output
    assert "tool find_uncontacted_customers(days=30)" in result.stderr and " ms" in result.stderr
    assert "read from cache" in result.stderr and "2 replies, 1 tool call," in result.stderr


@pytest.mark.usefixtures("cli_env", "portfolio")
def test_text_from_the_model_is_never_read_as_markup(fake: FakeAnthropic) -> None:
    fake.script(reply(text("[bold red]Acme[/] costs [link=x]$5[/link] :smile:")))

    result = engagement("ask", "--agent", "researcher", "How is Acme doing?")

    assert result.exit_code == 0, result.output
    assert "[bold red]Acme[/] costs [link=x]$5[/link] :smile:" in result.stdout
    assert "## Researcher" in fake.requests[0].system_text and "## Monitor" not in fake.requests[0].system_text


@pytest.mark.usefixtures("cli_env", "portfolio")
def test_control_characters_from_the_model_or_a_tool_call_are_shown_not_obeyed(fake: FakeAnthropic) -> None:
    link = "\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\"
    fake.script(reply(tool_use("search_customers", query="acme\x9b[2J")), reply(text(f"Acme {link}\nnext line\u202e")))

    result = engagement("ask", "--verbose", "How is Acme doing?")

    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x9b" not in result.output and "\u202e" not in result.output
    assert "Acme \\x1b]8;;http://evil.example\\x1b\\click" in result.stdout and "\nnext line\\u202e" in result.stdout
    assert 'search_customers(query="acme\\x9b[2J")' in result.stderr


@pytest.mark.usefixtures("cli_env", "portfolio")
def test_a_score_no_tool_answered_is_named_after_the_answer(fake: FakeAnthropic) -> None:
    fake.script(reply(tool_use("get_customer_engagement", customer="acme")),
                lambda request: reply(text(f"Acme Corp scores {request.tool_answer()['score']['engagement_score']}, "
                                           "up from 91.3 last year.")))  # fmt: skip

    result = engagement("ask", "What's the engagement score for Acme Corp?")

    assert result.exit_code == 0, result.output
    assert "No tool answered 91.3: do not rely on it without checking." in result.stderr


@pytest.mark.usefixtures("cli_env", "portfolio")
def test_an_answer_cut_short_says_why(fake: FakeAnthropic) -> None:
    fake.script(*[reply(tool_use("search_customers", query="acme")) for _ in range(8)])
    rounds = engagement("ask", "Show me engagement metrics for my accounts")
    fake.script(Reply([text("Acme Corp scores 56.8 and")], "max_tokens"))
    cut = engagement("ask", "Show me engagement metrics for my accounts")

    assert rounds.exit_code == cut.exit_code == 0
    assert "Stopped after 8 replies of tool calls without a final answer; ask something narrower." in rounds.stderr
    assert len(fake.requests) == 9  # eight rounds, then the second question
    assert "The answer was cut off at its length limit" in cut.stderr
