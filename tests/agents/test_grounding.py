"""Scores in an answer that no tool answered are named; the tools' own numbers, as a model writes them, are not."""

from __future__ import annotations

import json

from agents.grounding import tool_answers, unsupported

TOLD = json.dumps({"engagement_score": 56.8, "change_from_last_period": -3.2, "share": 33.3, "average": 61.75})


def test_the_tools_numbers_pass_however_the_model_writes_them() -> None:
    said = "Acme Corp scores 56.8, down 3.2 (-3.2) from last quarter; 33.3% are low; the average is 61.8."

    assert unsupported(said, TOLD) == []


def test_a_number_no_tool_gave_is_named_once_in_order() -> None:
    said = "It was 91.3 last year and 12.5 before; 91.3 is its best."

    assert unsupported(said, TOLD) == ["91.3", "12.5"]


def test_dates_versions_names_and_whole_numbers_are_not_scores() -> None:
    said = "On 2026-11-24, claude-sonnet-5.5 on v2.14.0 saw 4 customers, 60% answered, 150.5 minutes in all."

    assert unsupported(said, TOLD) == []


def test_tool_answers_are_read_from_the_tool_results_of_the_history() -> None:
    history = [
        {"role": "user", "content": "What's Acme's score?"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "x", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": TOLD}]}]},
        {"role": "assistant", "content": [{"type": "text", "text": "It scores 77.7."}]},
    ]

    assert tool_answers(history) == TOLD
    assert unsupported("It scores 77.7.", tool_answers(history)) == ["77.7"]
