"""Checking a touchpoint someone sends (a tool call, a CSV row) before it may be stored."""

from __future__ import annotations

import datetime as dt
from typing import Any

from engagement.errors import EngagementError
from engagement.models import ACTIVITY_TYPES, DIRECTIONS, STAKEHOLDER_LEVELS

MAX_DURATION_MINUTES = 24 * 60
MAX_RESPONSE_HOURS = 24 * 366
MAX_PARTICIPANTS = 100
MAX_PARTICIPANT_LENGTH = 320
MAX_SUBJECT_LENGTH = 500
MAX_ID_LENGTH = 512
MAX_SOURCE_LENGTH = 32
TRUE_WORDS = {"true", "yes", "y", "1"}
FALSE_WORDS = {"false", "no", "n", "0"}


def parse_when(value: str | dt.date | dt.datetime) -> dt.datetime:
    """ISO 8601 to naive UTC: a bare date is 00:00 UTC, an offset is converted (SPEC.md)."""
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime.combine(value, dt.time())
    else:
        text = str(value).strip()
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            raise EngagementError(
                f"date '{text}' is not an ISO 8601 date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][+HH:MM|Z]."
            ) from None
    if parsed.tzinfo is not None:
        try:
            parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
        except OverflowError:  # e.g. 9999-12-31T23:00-05:00 lies past the last representable instant
            raise EngagementError(f"date '{value}' is out of range; give the real date of the activity.") from None
    return parsed


def _choice(field: str, value: Any, allowed: tuple[str, ...], required: bool) -> str | None:
    if value is None or str(value).strip() == "":
        if required:
            raise EngagementError(f"{field} is required; use one of {', '.join(allowed)}.")
        return None
    text = str(value).strip().lower()
    if text not in allowed:
        raise EngagementError(f"{field} '{value}' is not valid; use one of {', '.join(allowed)}.")
    return text


def _number(field: str, value: Any, maximum: float, unit: str) -> float | None:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    if isinstance(value, bool):
        raise EngagementError(f"{field} must be a number of {unit}, not a boolean.")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise EngagementError(f"{field} '{value}' is not a number; give {unit} from 0 to {maximum:g}.") from None
    if not (0 <= number <= maximum):  # also rejects NaN
        raise EngagementError(f"{field} {value} is out of range; give {unit} from 0 to {maximum:g}.")
    return number


def parse_bool(field: str, value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text == "":
        return None
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise EngagementError(f"{field} '{value}' is not valid; use true, false, or leave it empty for unknown.")


def clean_text(field: str, value: Any, maximum: int) -> str | None:
    """A text field trimmed (None when empty), or an EngagementError if too long or holding a NUL."""
    if value is None:
        return None
    text = str(value).strip()
    if len(text) > maximum:
        raise EngagementError(f"{field} is {len(text)} characters long; at most {maximum} are accepted.")
    if "\x00" in text:  # PostgreSQL cannot store it (and a NUL in JSON breaks every later read)
        raise EngagementError(f"{field} contains a NUL character (\\x00); remove it.")
    return text or None


def clean_participants(value: Any) -> list[str]:
    """A list (or a ;-separated string) of contacts, trimmed, deduplicated case-insensitively."""
    if value is None:
        return []
    items = value.split(";") if isinstance(value, str) else list(value)
    if len(items) > MAX_PARTICIPANTS:
        raise EngagementError(f"participants has {len(items)} entries; at most {MAX_PARTICIPANTS} are accepted.")
    seen: dict[str, str] = {}
    for item in items:
        text = str(item).strip()
        if len(text) > MAX_PARTICIPANT_LENGTH:
            raise EngagementError(
                f"participant '{text[:40]}...' is {len(text)} characters long; at most {MAX_PARTICIPANT_LENGTH}."
            )
        if "\x00" in text:
            raise EngagementError("participants: one contains a NUL character (\\x00); remove it.")
        if text:
            seen.setdefault(text.lower(), text.lower())
    return list(seen.values())


def validate_activity(raw: dict[str, Any], as_of: dt.date, default_source: str) -> dict[str, Any]:
    """The fields of an Activity row (without customer) from caller input, or an EngagementError.

    A missing date means the as-of date (00:00 UTC when it is fixed, now when it is today); a date
    after the as-of day is refused, since it cannot have happened yet.
    """
    kind = _choice("type", raw.get("type"), ACTIVITY_TYPES, required=True)
    direction = _choice("direction", raw.get("direction"), DIRECTIONS, required=True)
    when_raw = raw.get("date")
    if when_raw is None or str(when_raw).strip() == "":
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        when = now if now.date() == as_of else dt.datetime.combine(as_of, dt.time())
    else:
        when = parse_when(when_raw)
    if when.date() > as_of:
        raise EngagementError(
            f"date {when.isoformat()} lies after the as-of date {as_of.isoformat()}; "
            "log activities once they have happened."
        )
    if when.year < 1990:
        raise EngagementError(f"date {when.date().isoformat()} is before 1990; give the real date of the activity.")
    response = parse_bool("response_received", raw.get("response_received"))
    source = clean_text("source", raw.get("source"), MAX_SOURCE_LENGTH) or default_source
    return {
        "type": kind,
        "direction": direction,
        "date": when,
        "duration_minutes": _number("duration_minutes", raw.get("duration_minutes"), MAX_DURATION_MINUTES, "minutes"),
        "participants": clean_participants(raw.get("participants")),
        "stakeholder_level": _choice("stakeholder_level", raw.get("stakeholder_level"), STAKEHOLDER_LEVELS, False),
        "response_received": response,
        "response_time_hours": _number(
            "response_time_hours", raw.get("response_time_hours"), MAX_RESPONSE_HOURS, "hours"
        ),
        "subject": clean_text("subject", raw.get("subject"), MAX_SUBJECT_LENGTH),
        "source": source.lower(),
        "external_id": clean_text("external_id", raw.get("external_id"), MAX_ID_LENGTH),
    }
