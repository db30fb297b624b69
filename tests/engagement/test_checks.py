"""The one set of value checks: each kind of value is refused in one wording, saying what is accepted."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest

from engagement import checks
from engagement.errors import EngagementError

LEVELS = ("executive", "champion", "user")


@pytest.mark.parametrize(
    ("check", "value", "expected"),
    [
        (lambda v: checks.choice("type", v, ("email", "call"), required=True), " Email ", "email"),
        (lambda v: checks.choice("level", v, LEVELS), "", None),
        (lambda v: checks.number("duration_minutes", v, maximum=1440, unit="minutes"), "90", 90.0),
        (lambda v: checks.number("duration_minutes", v, maximum=1440, unit="minutes"), 1440, 1440.0),
        (lambda v: checks.number("arr", v), "250000", 250000.0),
        (lambda v: checks.number("arr", v), " ", None),
        (lambda v: checks.flag("response_received", v), "Yes", True),
        (lambda v: checks.flag("response_received", v), "0", False),
        (lambda v: checks.flag("response_received", v), "", None),
        (lambda v: checks.text("subject", v, 10), "  hello  ", "hello"),
        (lambda v: checks.text("subject", v, 10), "   ", None),
        (lambda v: checks.email("email", v, 320), "Ana@Acme.test", "ana@acme.test"),
        (lambda v: checks.contacts("participants", v, most=3, longest=20), "A@x.test; a@x.test ;b@x.test",
         ["a@x.test", "b@x.test"]),
        (lambda v: checks.when(v), "2026-10-05T10:00+02:00", dt.datetime(2026, 10, 5, 8, 0)),
        (lambda v: checks.day("renewal_date", v), "2027-03-31", dt.date(2027, 3, 31)),
    ],
)
def test_a_good_value_comes_back_clean(check: Callable[[Any], Any], value: Any, expected: Any) -> None:
    assert check(value) == expected


@pytest.mark.parametrize(
    ("check", "value", "message"),
    [
        (lambda v: checks.choice("type", v, ("email", "call"), required=True), "",
         "type is required; use one of email, call."),
        (lambda v: checks.choice("type", v, ("email", "call"), required=True), "fax",
         "type 'fax' is not valid; use one of email, call."),
        (lambda v: checks.choice("level", v, LEVELS), "boss",
         "level 'boss' is not valid; use one of executive, champion, user or leave it empty."),
        (lambda v: checks.number("duration_minutes", v, maximum=1440, unit="minutes"), "long",
         "duration_minutes 'long' is not a number; give minutes from 0 to 1440."),
        (lambda v: checks.number("duration_minutes", v, maximum=1440, unit="minutes"), 1441,
         "duration_minutes 1441 is out of range; give minutes from 0 to 1440."),
        (lambda v: checks.number("duration_minutes", v, maximum=1440, unit="minutes"), True,
         "duration_minutes must be a number, not a boolean (true); give minutes from 0 to 1440."),
        (lambda v: checks.number("health_score", v, maximum=100), "nan",
         "health_score nan is out of range; give a number from 0 to 100."),
        (lambda v: checks.number("arr", v), "-5", "arr -5 is out of range; give a number of 0 or more."),
        (lambda v: checks.number("arr", v), "inf", "arr inf is out of range; give a number of 0 or more."),
        (lambda v: checks.number("arr", v), "lots", "arr 'lots' is not a number; give a number of 0 or more."),
        (lambda v: checks.flag("response_received", v), "maybe",
         "response_received 'maybe' is not valid; use true, false, or leave it empty for unknown."),
        (lambda v: checks.text("subject", v, 3), "long", "subject is 4 characters long; at most 3 are accepted."),
        (lambda v: checks.text("subject", v, 9), "a\x00b", "subject contains a NUL character (\\x00); remove it."),
        (lambda v: checks.text("name", v, 9, required=True), "", "name is required."),
        (lambda v: checks.email("email", v, 320), "ana",
         "email 'ana' is not an email address; give one like name@example.com."),
        (lambda v: checks.contacts("participants", v, most=2, longest=20), ["a", "b", "c"],
         "participants has 3 entries; at most 2 are accepted."),
        (lambda v: checks.when(v), "last tuesday",
         "date 'last tuesday' is not an ISO 8601 date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][+HH:MM|Z]."),
        (lambda v: checks.day("renewal_date", v), "31/03/2027",
         "renewal_date '31/03/2027' is not a date; use YYYY-MM-DD."),
    ],
)  # fmt: skip
def test_a_bad_value_is_refused_saying_what_is_accepted(check: Callable[[Any], Any], value: Any, message: str) -> None:
    with pytest.raises(EngagementError) as refused:
        check(value)

    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("check", "value", "message"),
    [
        (lambda v: checks.number("duration_minutes", v, maximum=1440, unit="minutes", strict=True), "90",
         "duration_minutes must be a number, not text ('90'); give minutes from 0 to 1440."),
        (lambda v: checks.number("duration_minutes", v, maximum=1440, unit="minutes", strict=True), " ",
         "duration_minutes must be a number, not text (' '); give minutes from 0 to 1440."),
        (lambda v: checks.flag("response_received", v, strict=True), "yes",
         "response_received must be true or false, not text ('yes'); leave it out when unknown."),
        (lambda v: checks.flag("response_received", v, strict=True), 1,
         "response_received must be true or false, not a number (1); leave it out when unknown."),
        (lambda v: checks.choice("type", v, ("email", "call"), required=True, strict=True), " Email ",
         "type ' Email ' is not valid; use one of email, call."),
        (lambda v: checks.choice("level", v, LEVELS, strict=True), "",
         "level '' is not valid; use one of executive, champion, user or leave it out."),
        (lambda v: checks.text("source", v, 32, strict=True), "  ",
         "source is blank; give text of at most 32 characters, or leave it out."),
        (lambda v: checks.text("subject", v, 500, strict=True), 7,
         "subject must be text, not a number (7); give at most 500 characters."),
        (lambda v: checks.text("subject", v, 3, strict=True), "ab  ", "subject is 4 characters long; at most 3 are accepted."),
        (lambda v: checks.contacts("participants", v, most=3, longest=20, strict=True), "a@x.test;b@x.test",
         "participants must be a list of texts (email addresses preferred), not text ('a@x.test;b@x.test')."),
        (lambda v: checks.contacts("participants", v, most=3, longest=20, strict=True), ["a@x.test", " "],
         "participants must be a list of texts (email addresses preferred), not a list with a blank or non-text entry."),
    ],
)  # fmt: skip
def test_a_json_callers_value_must_be_of_its_fields_type(check: Callable[[Any], Any], value: Any, message: str) -> None:
    """What a CSV cell may be (text standing for a number, a blank for "not given") a JSON caller sends typed."""
    with pytest.raises(EngagementError) as refused:
        check(value)

    assert str(refused.value) == message


@pytest.mark.parametrize(
    "value", ["2026-W47", "2026-W47-1", "2026-324", "20261120", "2026-11-20T10", "2026-11-20T1000", "2026-11-20T10:00:00+0200"]
)
def test_only_the_documented_iso_forms_are_dates(value: str) -> None:
    with pytest.raises(EngagementError, match=re.escape(f"date '{value}' is not an ISO 8601 date; use YYYY-MM-DD or ")):
        checks.when(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-20", dt.datetime(2026, 11, 20)),
        ("2026-11-20 10:00", dt.datetime(2026, 11, 20, 10)),
        ("2026-11-20T10:00:30.250Z", dt.datetime(2026, 11, 20, 10, 0, 30, 250000)),
        ("2026-11-20T10:00-05:00", dt.datetime(2026, 11, 20, 15)),
    ],
)
def test_the_documented_iso_forms_are_read_as_utc(value: str, expected: dt.datetime) -> None:
    assert checks.when(value) == expected


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Acme Corp", "acme-corp"),
        ("  Brightwater Logistics ", "brightwater-logistics"),
        ("Café Müller & Söhne", "cafe-muller-sohne"),
        ("x" * 70 + " Ltd", "x" * 64),
    ],
)
def test_a_name_becomes_a_stable_slug(name: str, slug: str) -> None:
    assert checks.slug(name) == slug


def test_a_name_without_latin_letters_gets_a_hashed_slug() -> None:
    assert checks.slug("株式会社") == checks.slug(" 株式会社 ") != checks.slug("有限会社")
    assert checks.slug("株式会社").startswith("customer-")
