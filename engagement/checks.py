"""The one set of checks for values people send: tool arguments, CSV cells and synced items alike.

Each returns the clean value (None for an empty one) or raises EngagementError saying what was wrong
and what is accepted, in one wording wherever the same kind of value is checked.

A CSV cell is text, so `"90"` is a number there and a blank cell means "not given". A JSON caller (a tool
call, a REST body) sends typed values: with `strict=True` a value must be of the JSON type its field
takes (no number from `true` or `"90"`, no flag from `1` or `"yes"`, a choice exactly as listed), and
text that is given must not be blank; leaving a field out (or null) is how such a caller says "not given".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import unicodedata
from typing import Any

from engagement.errors import EngagementError
from engagement.periods import check_in_calendar

TRUE_WORDS = frozenset({"true", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "no", "n", "0"})
DATE_FORMS = "YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][+HH:MM|Z]"
DAY_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only
# DATE_FORMS (a space may stand for the T, seconds may have a fraction): not the week dates, ordinal dates and
# digits without separators that datetime.fromisoformat also reads ("2026-W47" is no day).
WHEN_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?(?:Z|[+-][0-9]{2}:[0-9]{2})?)?")
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+")
SLUG_LENGTH = 64


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def describe(value: Any) -> str:
    """What a JSON value is, with the value, for saying why it does not fit: `a boolean (true)`, `text ('90')`."""
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, str):
        return f"text ('{value[:40]}')"
    if isinstance(value, int | float):
        return f"a number ({value:g})"
    return "a list" if isinstance(value, list) else "an object" if isinstance(value, dict) else type(value).__name__


def choice(
    field: str, value: Any, allowed: tuple[str, ...], *, required: bool = False, strict: bool = False
) -> str | None:
    """One of `allowed`, ignoring case and surrounding spaces (strict: exactly as listed)."""
    if isinstance(value, str) and value in allowed:  # already clean: most values are
        return value
    if value is None or (not strict and str(value).strip() == ""):
        if required:
            raise EngagementError(f"{field} is required; use one of {', '.join(allowed)}.")
        return None
    text = str(value).strip().lower()
    if strict or text not in allowed:
        empty = "" if required else (" or leave it out" if strict else " or leave it empty")
        shown = f"'{value}'" if isinstance(value, str) else describe(value)
        raise EngagementError(f"{field} {shown} is not valid; use one of {', '.join(allowed)}{empty}.")
    return text


def number(
    field: str,
    value: Any,
    *,
    maximum: float | None = None,
    unit: str | None = None,
    minimum: float = 0,
    strict: bool = False,
) -> float | None:
    """A finite number from `minimum` to `maximum` (no upper bound when None), of `unit` if it has one
    (strict: a JSON number, never text)."""
    if type(value) in (int, float) and _within(value, minimum, maximum):
        return float(value)  # already a number in range: most are
    if value is None or (not strict and _empty(value)):
        return None
    accepted = f"{unit or 'a number'} " + (
        f"from {minimum:g} to {maximum:g}" if maximum is not None else f"of {minimum:g} or more"
    )
    if isinstance(value, bool) or (strict and not isinstance(value, int | float)):
        raise EngagementError(f"{field} must be a number, not {describe(value)}; give {accepted}.")
    try:
        parsed = float(value)
    except (TypeError, ValueError):
        raise EngagementError(f"{field} '{value}' is not a number; give {accepted}.") from None
    if not _within(parsed, minimum, maximum):
        raise EngagementError(f"{field} {value} is out of range; give {accepted}.")
    return parsed


def _within(value: float, minimum: float, maximum: float | None) -> bool:
    return math.isfinite(value) and minimum <= value and (maximum is None or value <= maximum)


def flag(field: str, value: Any, *, strict: bool = False) -> bool | None:
    """True or false from a boolean or a word (true/false, yes/no, y/n, 1/0; strict: a JSON boolean only);
    empty means unknown."""
    if value is None or isinstance(value, bool):
        return value
    if strict:
        raise EngagementError(f"{field} must be true or false, not {describe(value)}; leave it out when unknown.")
    text = str(value).strip().lower()
    if text == "":
        return None
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise EngagementError(f"{field} '{value}' is not valid; use true, false, or leave it empty for unknown.")


def has_nul(value: object) -> bool:
    """Whether a text, or a list of texts, holds a NUL: the edges refuse such an argument before any check."""
    if isinstance(value, str):
        return "\x00" in value
    return isinstance(value, list) and any(isinstance(item, str) and "\x00" in item for item in value)


def text(field: str, value: Any, maximum: int, *, required: bool = False, strict: bool = False) -> str | None:
    """Text trimmed (None when empty) of at most `maximum` characters and without NUL (strict: text as sent,
    never blank)."""
    if strict and value is not None:
        if not isinstance(value, str):
            raise EngagementError(f"{field} must be text, not {describe(value)}; give at most {maximum} characters.")
        if not value.strip():
            raise EngagementError(f"{field} is blank; give text of at most {maximum} characters, or leave it out.")
        if len(value) > maximum:  # as sent: the length the caller's schema bounds
            raise EngagementError(f"{field} is {len(value)} characters long; at most {maximum} are accepted.")
    if value is None:
        cleaned = ""
    else:
        cleaned = str(value).strip()
        if len(cleaned) > maximum:
            raise EngagementError(f"{field} is {len(cleaned)} characters long; at most {maximum} are accepted.")
        if "\x00" in cleaned:  # PostgreSQL cannot store it (and a NUL in JSON breaks every later read)
            raise EngagementError(f"{field} contains a NUL character (\\x00); remove it.")
    if not cleaned and required:
        raise EngagementError(f"{field} is required.")
    return cleaned or None


def email(field: str, value: Any, maximum: int, *, required: bool = False) -> str | None:
    """An email address, lower-cased."""
    cleaned = text(field, value, maximum, required=required)
    if cleaned is not None and not EMAIL_RE.fullmatch(cleaned):
        raise EngagementError(f"{field} '{cleaned}' is not an email address; give one like name@example.com.")
    return cleaned.lower() if cleaned else None


def contacts(field: str, value: Any, *, most: int, longest: int, strict: bool = False) -> list[str]:
    """A list (or a ;-separated string; strict: a list of texts) of contacts, trimmed, lower-cased,
    deduplicated in order."""
    if value is None:
        return []
    if strict and not (isinstance(value, list) and all(isinstance(item, str) and item.strip() for item in value)):
        wrong = describe(value) if not isinstance(value, list) else "a list with a blank or non-text entry"
        raise EngagementError(f"{field} must be a list of texts (email addresses preferred), not {wrong}.")
    items = value.split(";") if isinstance(value, str) else list(value)
    if len(items) > most:
        raise EngagementError(f"{field} has {len(items)} entries; at most {most} are accepted.")
    seen: dict[str, str] = {}
    for item in items:
        cleaned = str(item).strip()
        if len(cleaned) > longest:
            raise EngagementError(
                f"participant '{cleaned[:40]}...' is {len(cleaned)} characters long; at most {longest}."
            )
        if "\x00" in cleaned:
            raise EngagementError(f"{field}: one contains a NUL character (\\x00); remove it.")
        if cleaned:
            seen.setdefault(cleaned.lower(), cleaned.lower())
    return list(seen.values())


def when(value: str | dt.date | dt.datetime) -> dt.datetime:
    """ISO 8601 to naive UTC: a bare date is 00:00 UTC, an offset is converted (SPEC.md)."""
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime.combine(value, dt.time())
    else:
        cleaned = str(value).strip()
        try:
            parsed = dt.datetime.fromisoformat(cleaned if WHEN_RE.fullmatch(cleaned) else "")
        except ValueError:
            raise EngagementError(f"date '{cleaned}' is not an ISO 8601 date; use {DATE_FORMS}.") from None
    if parsed.tzinfo is not None:
        try:
            parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
        except OverflowError:  # e.g. 9999-12-31T23:00-05:00 lies past the last representable instant
            raise EngagementError(f"date '{value}' is out of range; give the real date of the activity.") from None
    return parsed


def day(field: str, value: Any) -> dt.date | None:
    """A calendar date written YYYY-MM-DD."""
    if _empty(value):
        return None
    cleaned = str(value).strip()
    try:
        found = dt.date.fromisoformat(cleaned) if DAY_RE.fullmatch(cleaned) else None
    except ValueError:
        found = None
    if found is None:
        raise EngagementError(f"{field} '{value}' is not a date; use YYYY-MM-DD.")
    return check_in_calendar(found, field)


def slug(name: str, length: int = SLUG_LENGTH) -> str:
    """A stable id from a name ("Acme Corp" -> "acme-corp"); names with no latin letters get a hash."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:length].rstrip("-")
    return cleaned or "customer-" + hashlib.sha256(name.strip().lower().encode()).hexdigest()[:12]
