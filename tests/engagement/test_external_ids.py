"""External ids from what a CSM said: the same sentence about the same touchpoint, the same id."""

from __future__ import annotations

from engagement.external_ids import from_sentence, normalize


def test_spacing_case_and_closing_punctuation_do_not_change_the_id() -> None:
    said = "I just had a 30 minute call with Sarah Chen at Acme about the renewal"

    assert from_sentence(said, "acme", "2026-11-24") == from_sentence(f"  {said.upper()}!  ", "ACME ", "2026-11-24")
    assert normalize("Hello,\n  World!!") == "hello, world"


def test_another_word_customer_or_day_is_another_id() -> None:
    said = "Call with Sarah at Acme"
    base = from_sentence(said, "acme", "2026-11-24")

    assert from_sentence("Call with Sara at Acme", "acme", "2026-11-24") != base
    assert from_sentence(said, "globex", "2026-11-24") != base
    assert from_sentence(said, "acme", "2026-11-25") != base
    # The parts are kept apart: moving text between them is another id.
    assert from_sentence("ab", "c") != from_sentence("a", "bc")


def test_the_id_fits_the_stores_limit_and_says_where_it_came_from() -> None:
    external_id = from_sentence("x" * 10_000, "acme")

    assert external_id.startswith("said:") and len(external_id) == 37
