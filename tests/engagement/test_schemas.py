"""Answer models: a moment goes out as UTC and says so, whatever the store or a caller gave."""

from __future__ import annotations

import datetime as dt

from engagement.schemas import ActivityPublic, LastContact

ACTIVITY = {"id": 1, "customer_id": "acme", "type": "call", "direction": "outbound", "source": "api"}


def test_a_naive_moment_from_the_store_is_utc_and_json_says_z() -> None:
    answer = ActivityPublic.model_validate({**ACTIVITY, "date": dt.datetime(2026, 11, 20, 10)})

    assert answer.date == dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)
    assert answer.model_dump(mode="json")["date"] == "2026-11-20T10:00:00Z"


def test_a_moment_with_another_offset_is_converted_to_utc() -> None:
    answer = LastContact.model_validate({"date": "2026-11-20T10:00:00+02:00", "type": "call", "days_ago": 4})

    assert answer.model_dump_json() == '{"date":"2026-11-20T08:00:00Z","type":"call","days_ago":4}'


def test_the_schema_says_date_time_which_is_what_goes_out() -> None:
    schema = ActivityPublic.model_json_schema(mode="serialization")["properties"]["date"]

    assert (schema["type"], schema["format"]) == ("string", "date-time")
