"""Writing activities: the one way a touchpoint gets into the store, whoever sends it (a tool call, a CSV
import, the Google sync, the demo).

Rows come checked (`ActivityCreate`, or a CSV file's columns checked by the same rules), each with the
id of its customer. A row's stakeholder level, when it has none, is the most senior known participant's.
(source, external_id) is unique, and inserted with the database's own ON CONFLICT DO NOTHING, so
concurrent writers store a key once and none of them sees an error. A row the insert skipped is then
told apart by the customer of the activity that holds its key (docs/data-safety.md, "One key, one
customer"): the same customer's is a replay, answered with the stored activity; any other customer's
is a conflict, answered with nothing of it, whoever may see that customer. Callers refuse a conflict.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, overload

from sqlalchemy import insert, select, text
from sqlmodel import Session

from engagement.models import Activity, ActivityCreate, utcnow
from engagement.schemas import ActivityPublic
from engagement.store import StakeholderLevels, insert_ignoring_duplicates

if TYPE_CHECKING:  # the import's fast path needs pandas: not imported for a tool call
    from engagement.imports.activities import Checked
    from engagement.imports.insert import Imported

KEY = ["source", "external_id"]
KEYS_PER_QUERY = 500  # stored rows looked up by external_id, a few hundred per query
Outcome = Literal["created", "replayed", "conflict"]


class NewActivity(NamedTuple):
    """A checked touchpoint and the id of the customer it was with."""

    customer_id: str
    activity: ActivityCreate


class Written:
    """What became of one row: stored by this write (`created`), a replay of the same customer's activity
    stored under its key (`replayed`: `activity` is that one), or a `conflict`: its key is held by another
    customer's activity, which is not stored here and is never shown (`activity` raises)."""

    def __init__(self, outcome: Outcome, activity: ActivityPublic | None = None) -> None:
        self.outcome = outcome
        self._activity = activity

    @property
    def created(self) -> bool:
        return self.outcome == "created"

    @property
    def conflict(self) -> bool:
        return self.outcome == "conflict"

    @property
    def activity(self) -> ActivityPublic:
        if self._activity is None:
            raise RuntimeError("a conflicting row has no activity to show")  # callers refuse it first
        return self._activity

    def __repr__(self) -> str:
        return f"Written({self.outcome!r}, activity={self._activity!r})"


def key_held(source: str, external_id: str) -> str:
    """Why a row whose key another customer's activity holds is refused, and what to do: the words every
    writer uses. Nothing of that activity (nor whether the caller may see it) is in them."""
    return (
        f"external_id '{external_id}' (source '{source}') is already used by an activity of another customer; "
        "use another external_id for this one, or leave it out."
    )


@overload
def write_activities(session: Session, rows: Sequence[NewActivity], *, backdated: bool = False) -> list[Written]: ...


@overload
def write_activities(session: Session, rows: Checked, *, backdated: bool = False) -> Imported: ...


def write_activities(
    session: Session, rows: Sequence[NewActivity] | Checked, *, backdated: bool = False
) -> list[Written] | Imported:
    """Store `rows` in the session's transaction, in order, each (source, external_id) once, and only for
    the customer whose activity holds it (a second row with a key stored for another customer is a
    conflict, and is not stored).

    A list of rows answers what became of each, in order: a caller refuses the write (rolls it back)
    when any is a conflict. A CSV file's checked columns (`engagement.imports.activities.check`) go the import's bulk path and
    answer how many rows were new and which were conflicts (they are not stored; the others are).
    `backdated` records each row as created at its own date (generated history, so reloading it gives
    identical rows); otherwise now.
    """
    now = utcnow()
    if not isinstance(rows, Sequence):
        from engagement.imports import insert

        return insert.insert_checked(session, rows, StakeholderLevels.load(session), now)
    rows = with_known_levels(session, rows)
    values = [_values(row, row.activity.date if backdated else now) for row in rows]
    written: list[Written | None] = []  # None: the insert skipped it, its key was stored
    start = 0
    while start < len(values):  # runs of rows with and without an external_id, so ids follow `rows`
        keyed = values[start]["external_id"] is not None
        end = start
        while end < len(values) and (values[end]["external_id"] is not None) == keyed:
            end += 1
        run = values[start:end]
        written += _insert_keyed(session, run) if keyed else _insert(session, run)
        start = end
    return _classified(session, rows, written)


def _classified(session: Session, rows: Sequence[NewActivity], written: list[Written | None]) -> list[Written]:
    """`written` with each row the insert skipped told apart by the customer of the activity holding its
    key, all read in one go. Every skipped row costs the same statements whoever holds its key, so
    neither the answer nor its time tells a customer the caller may see from one they may not."""
    keys = [(row.activity.source, row.activity.external_id or "") for row in rows]
    skipped = [key for key, done in zip(keys, written, strict=True) if done is None]
    found = _stored(session, skipped) if skipped else {}
    answers = []
    for row, key, done in zip(rows, keys, written, strict=True):
        if done is None:
            holder = found.get(key)
            # No holder: it was deleted since the insert saw it. Not stored all the same: a conflict.
            same = holder is not None and holder.customer_id == row.customer_id
            done = Written("replayed", holder) if same else Written("conflict")
        answers.append(done)
    return answers


def with_known_levels(session: Session, rows: Sequence[NewActivity]) -> list[NewActivity]:
    """`rows` with each missing stakeholder level set to the most senior one among the participants known
    in the customer's stakeholder list (none known: it stays empty)."""
    unknown = {row.customer_id for row in rows if row.activity.stakeholder_level is None and row.activity.participants}
    if not unknown:
        return list(rows)
    levels = StakeholderLevels.load(session, next(iter(unknown)) if len(unknown) == 1 else None)
    return [
        row if row.activity.stakeholder_level is not None or not row.activity.participants
        else NewActivity(row.customer_id, row.activity.model_copy(
            update={"stakeholder_level": levels.most_senior(row.customer_id, row.activity.participants)}
        ))
        for row in rows
    ]  # fmt: skip


FIELDS = tuple(ActivityCreate.model_fields)
PUBLIC_COLUMNS = [Activity.__table__.c[name] for name in ActivityPublic.model_fields]  # type: ignore[attr-defined]


def _values(row: NewActivity, created_at: dt.datetime) -> dict[str, Any]:
    activity = row.activity
    return {"customer_id": row.customer_id, **{name: getattr(activity, name) for name in FIELDS},
            "created_at": created_at}  # fmt: skip


def _public(activity_id: int, values: dict[str, Any]) -> ActivityPublic:
    return ActivityPublic.model_validate({**values, "id": activity_id})


def _insert_keyed(session: Session, run: list[dict[str, Any]]) -> list[Written | None]:
    """Insert rows with an external_id, each key once: a row whose key is stored (or was earlier in
    `run`) is not inserted, and is answered None."""
    if session.get_bind().dialect.name == "postgresql":
        # All rows as one JSON parameter: psycopg rewrites a many-row VALUES statement's placeholders one
        # by one in Python (1.5 s of CPU for the demo's 8,686 rows; this way 0.2 s).
        returned = session.execute(_POSTGRESQL_INSERT, {"rows": json.dumps(run, default=_isoformat)})
    else:
        table = Activity.__table__  # type: ignore[attr-defined]
        statement = insert_ignoring_duplicates(session, table, KEY).returning(table.c.id, *(table.c[k] for k in KEY))
        returned = session.execute(statement, run)
    inserted = {(source, key): id_ for id_, source, key in returned}
    written: list[Written | None] = []
    for values in run:
        key = (values["source"], values["external_id"])
        activity_id = inserted.pop(key, None)  # popped: a later row with this key was not inserted
        written.append(None if activity_id is None else Written("created", _public(activity_id, values)))
    return written


COLUMNS = ("customer_id", *FIELDS, "created_at")  # what `_values` holds
_POSTGRESQL_INSERT = text(
    f"INSERT INTO activity ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS)} "
    "FROM json_populate_recordset(NULL::activity, CAST(:rows AS json)) WITH ORDINALITY AS r ORDER BY r.ordinality "
    "ON CONFLICT (source, external_id) DO NOTHING RETURNING id, source, external_id"
)


def _isoformat(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON: {value!r}")


def _insert(session: Session, run: list[dict[str, Any]]) -> list[Written | None]:
    """Insert rows without an external_id: each is a new activity."""
    table = Activity.__table__  # type: ignore[attr-defined]
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    ids = session.execute(statement, run).scalars().all()
    return [Written("created", _public(activity_id, values)) for activity_id, values in zip(ids, run, strict=True)]


def _stored(session: Session, keys: list[tuple[str, str]]) -> dict[tuple[str, str], ActivityPublic]:
    """The stored activities with these (source, external_id) keys."""
    by_source: dict[str, list[str]] = {}
    for source, external_id in dict.fromkeys(keys):
        by_source.setdefault(source, []).append(external_id)
    table = Activity.__table__  # type: ignore[attr-defined]
    found: dict[tuple[str, str], ActivityPublic] = {}
    for source, external_ids in by_source.items():
        for start in range(0, len(external_ids), KEYS_PER_QUERY):
            # source = ? AND external_id IN (...): the unique index is searched (a row-value IN scans it)
            chunk = external_ids[start : start + KEYS_PER_QUERY]
            query = select(*PUBLIC_COLUMNS).where(table.c.source == source, table.c.external_id.in_(chunk))
            for stored in session.execute(query).mappings():
                found[(source, stored["external_id"])] = ActivityPublic.model_validate(dict(stored))
    return found
