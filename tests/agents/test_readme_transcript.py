"""The README's `engagement ask --verbose` transcript is what the command prints against the fake (times and
token counts aside), on the demo portfolio as the team's manager sees it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from engagement.demo import load_demo
from tests.agents.conftest import engagement
from tests.agents.fake_anthropic import FakeAnthropic, Reply, Request, reply, text, tool_use
from tests.conftest import AS_OF

README = Path(__file__).resolve().parents[2] / "README.md"
COMMAND = "$ engagement ask --verbose "
QUESTION = "Which customers have I not contacted recently?"


def silent_accounts(request: Request) -> Reply:
    """The model's answer, quoting the tool's rows (five at most)."""
    answer: dict[str, Any] = request.tool_answer()
    lines = [f"{answer['page']['total']} accounts of {answer['scope']} have had no contact for {answer['days']} days "
             f"or more (as of {answer['as_of']}):"]  # fmt: skip
    for row in answer["customers"][:5]:
        when = "never contacted"
        if row["days_since_last_contact"] is not None:
            when = f"{row['days_since_last_contact']} days (last: {row['last_contact_type']}, {row['last_contact'][:10]})"
        lines.append(f"- {row['name']} ({row['customer_id']}, {row['segment']}): {when}")
    return reply(text("\n".join(lines)))


def readme_transcript() -> list[str]:
    block = README.read_text(encoding="utf-8").split(COMMAND, 1)[1].split("```", 1)[0]
    return (COMMAND + block).splitlines()


def measured(line: str) -> str:
    """The line without what differs from run to run: milliseconds, seconds and token counts."""
    line = re.sub(r"\d[\d,]*(\.\d+)? (ms|s)\b", "T", line)
    return re.sub(r"\d[\d,]*( tokens in|(?= read)|(?= written)| out)", "N", line)


@pytest.mark.usefixtures("cli_env")
def test_the_readme_transcript_is_what_ask_verbose_prints(
    fake: FakeAnthropic, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_demo(engine, as_of=AS_OF, seed=7)
    monkeypatch.setenv("ENGAGEMENT_USER", "dana.whitfield@northwind-cs.example")
    fake.script(reply(text("Let me check who has gone quiet."), tool_use("find_uncontacted_customers", days=30)),
                silent_accounts)  # fmt: skip

    result = engagement("ask", "--verbose", QUESTION)

    assert result.exit_code == 0, result.output
    shown = [COMMAND + f'"{QUESTION}"', *result.output.rstrip("\n").splitlines()]
    assert [measured(line) for line in shown] == [measured(line) for line in readme_transcript()]
