"""The rollups' sums, defined once: what one activity adds to its customer's day and month (SPEC.md's
counts and sums), and every piece of SQL derived from it.

From `SUMS` come the triggers that keep the rollups (migration 0010 holds them written out as released;
tests/engagement/test_rollup_definition.py holds them equal to what this module generates, so a change
here fails until a new migration carries it), the SQLite bulk import's GROUP BYs, the rollup tables'
columns and the columns a period reads (`metrics.COUNT_COLUMNS`, `metrics.SUM_COLUMNS`). Plain strings
only: the scorer imports this at start.

The triggers also keep the store's version and the change log (`score_change`: which customer changed
at which version, from which day), which lets a cached or persisted score catch up with the changes
since it was computed by rescoring only those customers (engagement.scorer).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

Dialect = Literal["sqlite", "postgresql"]


@dataclass(frozen=True)
class Sum:
    """One rollup column: over the activities for which every condition in `when` holds, their count
    (`of` None), or the sum of column `of` (a missing value adds 0; with `nullable`, the sum stays NULL
    until some activity has a value)."""

    name: str
    when: tuple[str, ...]  # conditions on the activity's own columns, each starting with the column's name
    of: str | None = None
    nullable: bool = False


EMAIL_OUT = ("type = 'email'", "direction = 'outbound'")
ANSWERED = (*EMAIL_OUT, "response_received IS TRUE")
MEETINGS = ("type IN ('meeting', 'qbr')",)
SUMS: tuple[Sum, ...] = (
    Sum("emails_sent", EMAIL_OUT),
    Sum("emails_received", ("type = 'email'", "direction = 'inbound'")),
    Sum("meetings_held", MEETINGS),
    Sum("qbrs_completed", ("type = 'qbr'",)),
    Sum("calls_made", ("type = 'call'", "direction = 'outbound'")),
    Sum("calls_received", ("type = 'call'", "direction = 'inbound'")),
    Sum("messages_sent", ("type = 'message'", "direction = 'outbound'")),
    Sum("messages_received", ("type = 'message'", "direction = 'inbound'")),
    Sum("executive_touchpoints", ("stakeholder_level = 'executive'",)),
    Sum("responses_known", (*EMAIL_OUT, "response_received IS NOT NULL")),
    Sum("responses_answered", ANSWERED),
    Sum("response_times", (*ANSWERED, "response_time_hours IS NOT NULL")),
    Sum("meeting_minutes", MEETINGS, of="duration_minutes"),
    Sum("response_hours", ANSWERED, of="response_time_hours", nullable=True),
)
NAMES = [s.name for s in SUMS]
COUNT_NAMES = [s.name for s in SUMS if s.of is None]
TOTAL_NAMES = [s.name for s in SUMS if s.of is not None]
# A change to any other column (subject, source, ids) leaves the rollups as they are.
SCORED_COLUMNS = ("customer_id", "type", "direction", "date", "duration_minutes", "participants",
                  "stakeholder_level", "response_received", "response_time_hours")  # fmt: skip
DIGEST = hashlib.sha256(repr(SUMS).encode()).hexdigest()[:12]  # names what persisted sums were made by

DAY_TABLE, MONTH_TABLE, PEOPLE_TABLE = "activity_day", "activity_month", "activity_person_month"
DAY_COLUMNS = ("customer_id", "day", *NAMES)
MONTH_COLUMNS = ("customer_id", "month", *NAMES, "last_day")  # last_day: the month's latest day with activity


def value(s: Sum, r: str) -> str:
    """What activity `r` adds to the column."""
    condition = " AND ".join(f"{r}.{c}" for c in s.when)
    if s.of is None:
        return f"CASE WHEN {condition} THEN 1 ELSE 0 END"
    if s.nullable:
        return f"CASE WHEN {condition} THEN {r}.{s.of} END"
    return f"CASE WHEN {condition} THEN coalesce({r}.{s.of}, 0) ELSE 0 END"


def aggregates(r: str) -> str:
    """Every column summed over the activities `r` of a group, in NAMES order."""
    return ", ".join(f"sum({value(s, r)})" for s in SUMS)


def added(table: str) -> str:
    """ON CONFLICT's SET adding a new contribution (`excluded`) to the stored row."""
    parts = []
    for s in SUMS:
        if s.nullable:
            parts.append(f"{s.name} = CASE WHEN excluded.{s.name} IS NULL THEN {table}.{s.name} "
                         f"ELSE coalesce({table}.{s.name}, 0) + excluded.{s.name} END")  # fmt: skip
        else:
            parts.append(f"{s.name} = {table}.{s.name} + excluded.{s.name}")
    return ", ".join(parts)


@dataclass(frozen=True)
class Dates:
    """A dialect's expressions of an activity's (or a day's) day, month and bit of the day in its month."""

    day: str  # of an activity {r}
    month: str  # of an activity {r}
    bit: str  # of an activity {r}
    month_of_day: str  # of a rollup day {d}
    next_day: str  # the day after rollup day {d}
    next_month: str  # the first day of the month after month {m}
    people: str  # the FROM item of an activity {r}'s participants, as p(value)
    greatest: str  # of two values


SQLITE = Dates(
    day="substr({r}.date, 1, 10)",
    month="substr({r}.date, 1, 7) || '-01'",
    bit="1 << (CAST(substr({r}.date, 9, 2) AS INTEGER) - 1)",
    month_of_day="substr({d}, 1, 7) || '-01'",
    next_day="date({d}, '+1 day')",
    next_month="date({m}, '+1 month')",
    people="json_each({r}.participants) p",
    greatest="max",
)
POSTGRESQL = Dates(
    day="{r}.date::date",
    month="date_trunc('month', {r}.date)::date",
    bit="1 << (extract(day FROM {r}.date)::int - 1)",
    month_of_day="date_trunc('month', {d})::date",
    next_day="{d} + 1",
    next_month="({m} + interval '1 month')::date",
    people="json_array_elements_text({r}.participants) p",
    greatest="greatest",
)
PERSON = "lower(trim(p.value))"


def _month_from_days(dates: Dates, where: str) -> str:
    """activity_month rows rebuilt from the day rows `where` selects (a month is the sum of its days)."""
    sums = ", ".join(f"sum(d.{name})" for name in NAMES)
    month = dates.month_of_day.format(d="d.day")
    return (f"INSERT INTO {MONTH_TABLE} ({', '.join(MONTH_COLUMNS)}) SELECT d.customer_id, {month}, {sums}, "
            f"max(d.day) FROM {DAY_TABLE} d WHERE {where} GROUP BY 1, 2")  # fmt: skip


# -- SQLite: row triggers ------------------------------------------------------------------------------


def _sqlite_bump_and_log(rows: list[tuple[str, str]]) -> str:
    """The version bumped once and each (customer, day) expression logged at the new version."""
    logged = "".join(
        f"INSERT INTO score_change (version, customer_id, day) SELECT version, {customer}, {day} "
        "FROM store_version WHERE id = 1; "
        for customer, day in rows
    )
    return f"UPDATE store_version SET version = version + 1 WHERE id = 1; {logged}"


def sqlite_triggers() -> list[str]:
    """The CREATE TRIGGER statements on activity and customer (migration 0010 holds them written out)."""
    d = SQLITE
    day, month, bit = d.day, d.month, d.bit
    add = (
        f"INSERT INTO {DAY_TABLE} ({', '.join(DAY_COLUMNS)}) VALUES (NEW.customer_id, {day.format(r='NEW')}, "
        f"{', '.join(value(s, 'NEW') for s in SUMS)}) ON CONFLICT (customer_id, day) DO UPDATE SET {added(DAY_TABLE)}; "
        f"INSERT INTO {MONTH_TABLE} ({', '.join(MONTH_COLUMNS)}) VALUES (NEW.customer_id, {month.format(r='NEW')}, "
        f"{', '.join(value(s, 'NEW') for s in SUMS)}, {day.format(r='NEW')}) ON CONFLICT (customer_id, month) "
        f"DO UPDATE SET {added(MONTH_TABLE)}, last_day = max({MONTH_TABLE}.last_day, excluded.last_day); "
    )
    add_people = (
        f"INSERT INTO {PEOPLE_TABLE} (customer_id, month, person, days) "
        f"SELECT NEW.customer_id, {month.format(r='NEW')}, {PERSON}, {bit.format(r='NEW')} "
        f"FROM {d.people.format(r='NEW')} WHERE {PERSON} != '' "
        f"ON CONFLICT (customer_id, month, person) DO UPDATE SET days = {PEOPLE_TABLE}.days | excluded.days; "
    )
    # After a delete or an update: the row's day rebuilt from the activity table, its month from its days.
    rebuild = (
        f"DELETE FROM {DAY_TABLE} WHERE customer_id = {{r}}.customer_id AND day = {day}; "
        f"INSERT INTO {DAY_TABLE} ({', '.join(DAY_COLUMNS)}) SELECT a.customer_id, {day.format(r='a')}, "
        f"{aggregates('a')} FROM activity a WHERE a.customer_id = {{r}}.customer_id "
        f"AND a.date >= {day} AND a.date < {d.next_day.format(d=day)} GROUP BY a.customer_id; "
        f"DELETE FROM {MONTH_TABLE} WHERE customer_id = {{r}}.customer_id AND month = {month}; "
        + _month_from_days(d, f"d.customer_id = {{r}}.customer_id AND d.day >= {month} "
                              f"AND d.day < {d.next_month.format(m=month)}")
        + "; "
    )
    # A participant's bit for the row's day stays set only if another activity of that customer-day names
    # them: a look at the day's few rows, not the month's.
    clear_bits = (
        f"UPDATE {PEOPLE_TABLE} SET days = days & ~({bit}) WHERE customer_id = {{r}}.customer_id AND month = {month} "
        f"AND person IN (SELECT {PERSON} FROM {d.people}) "
        "AND NOT EXISTS (SELECT 1 FROM activity a, json_each(a.participants) q WHERE a.customer_id = {r}.customer_id "
        f"AND a.date >= {day} AND a.date < {d.next_day.format(d=day)} AND lower(trim(q.value)) = {PEOPLE_TABLE}.person); "
        f"DELETE FROM {PEOPLE_TABLE} WHERE customer_id = {{r}}.customer_id AND month = {month} AND days = 0; "
    )
    old, new = ("OLD.customer_id", day.format(r="OLD")), ("NEW.customer_id", day.format(r="NEW"))
    return [
        f"CREATE TRIGGER activity_insert_bumps_version AFTER INSERT ON activity BEGIN {_sqlite_bump_and_log([new])}END",
        f"CREATE TRIGGER activity_update_bumps_version AFTER UPDATE ON activity BEGIN {_sqlite_bump_and_log([old, new])}END",
        f"CREATE TRIGGER activity_delete_bumps_version AFTER DELETE ON activity BEGIN {_sqlite_bump_and_log([old])}END",
        f"CREATE TRIGGER activity_insert_rolls_up AFTER INSERT ON activity BEGIN {add}{add_people}END",
        "CREATE TRIGGER activity_delete_rolls_up AFTER DELETE ON activity BEGIN "
        f"{rebuild.format(r='OLD')}{clear_bits.format(r='OLD')}END",
        f"CREATE TRIGGER activity_update_rolls_up AFTER UPDATE OF {', '.join(SCORED_COLUMNS)} ON activity BEGIN "
        f"{rebuild.format(r='OLD')}{rebuild.format(r='NEW')}{clear_bits.format(r='OLD')}{add_people}END",
        # A customer's own columns (name, segment, CSM, status, ...) are in its scored rows, for every period.
        f"CREATE TRIGGER customer_insert_bumps_version AFTER INSERT ON customer BEGIN {_sqlite_bump_and_log([('NEW.id', 'NULL')])}END",
        "CREATE TRIGGER customer_update_bumps_version AFTER UPDATE ON customer BEGIN "
        f"{_sqlite_bump_and_log([('OLD.id', 'NULL'), ('NEW.id', 'NULL')])}END",
        f"CREATE TRIGGER customer_delete_bumps_version AFTER DELETE ON customer BEGIN {_sqlite_bump_and_log([('OLD.id', 'NULL')])}END",
    ]


def sqlite_bulk_statements() -> tuple[str, ...]:
    """What the insert triggers do, for every activity with an id above `?` in one pass each (the SQLite
    bulk import drops the per-row triggers inside its transaction and runs these once): their sums added
    to their customer-days and -months, their participants' day bits to their customer-months, and each
    customer logged once, at the version the import's own bump set (run after it)."""
    d = SQLITE
    day, month = d.day.format(r="a"), d.month.format(r="a")
    return (
        f"INSERT INTO {DAY_TABLE} ({', '.join(DAY_COLUMNS)}) SELECT a.customer_id, {day}, {aggregates('a')} "
        f"FROM activity a WHERE a.id > ? GROUP BY 1, 2 ON CONFLICT (customer_id, day) DO UPDATE SET {added(DAY_TABLE)}",
        f"INSERT INTO {MONTH_TABLE} ({', '.join(MONTH_COLUMNS)}) SELECT a.customer_id, {month}, {aggregates('a')}, "
        f"max({day}) FROM activity a WHERE a.id > ? GROUP BY 1, 2 ON CONFLICT (customer_id, month) DO UPDATE SET "
        f"{added(MONTH_TABLE)}, last_day = max({MONTH_TABLE}.last_day, excluded.last_day)",
        f"INSERT INTO {PEOPLE_TABLE} (customer_id, month, person, days) SELECT a.customer_id, {month}, {PERSON}, "
        f"sum(DISTINCT {d.bit.format(r='a')}) FROM activity a, {d.people.format(r='a')} WHERE a.id > ? AND {PERSON} != '' "
        f"GROUP BY 1, 2, 3 ON CONFLICT (customer_id, month, person) DO UPDATE SET days = {PEOPLE_TABLE}.days | excluded.days",
        "INSERT INTO score_change (version, customer_id, day) SELECT (SELECT version FROM store_version WHERE id = 1), "
        f"a.customer_id, min({day}) FROM activity a WHERE a.id > ? GROUP BY a.customer_id",
    )


# -- PostgreSQL: statement triggers over transition tables ---------------------------------------------


def _postgresql_log(rows: str) -> str:
    return (f"INSERT INTO score_change (version, customer_id, day) SELECT v, r.customer_id, min(r.date)::date "
            f"FROM ({rows}) r GROUP BY r.customer_id; ")  # fmt: skip


def postgresql_functions() -> list[str]:
    """The trigger functions (migration 0010 holds them written out)."""
    d = POSTGRESQL
    month, bit = d.month, d.bit
    # Each change bumps the version once per statement and logs its customers at the new version, in one
    # function: the log's version is the bump's, whatever order other triggers fire in.
    log = (
        "CREATE FUNCTION activity_logs_change() RETURNS trigger LANGUAGE plpgsql AS $$ DECLARE v bigint; BEGIN "
        "UPDATE store_version SET version = version + 1 WHERE id = 1 RETURNING version INTO v; "
        f"IF TG_OP = 'INSERT' THEN {_postgresql_log('SELECT customer_id, date FROM new_rows')}"
        f"ELSIF TG_OP = 'DELETE' THEN {_postgresql_log('SELECT customer_id, date FROM old_rows')}"
        "ELSIF TG_OP = 'UPDATE' THEN "
        + _postgresql_log("SELECT customer_id, date FROM old_rows UNION ALL SELECT customer_id, date FROM new_rows")
        + "ELSE INSERT INTO score_change (version, customer_id, day) VALUES (v, NULL, NULL); "  # TRUNCATE: everyone
        "END IF; RETURN NULL; END $$"
    )
    customer_log = (
        "CREATE FUNCTION customer_logs_change() RETURNS trigger LANGUAGE plpgsql AS $$ DECLARE v bigint; BEGIN "
        "UPDATE store_version SET version = version + 1 WHERE id = 1 RETURNING version INTO v; "
        "IF TG_OP = 'INSERT' THEN INSERT INTO score_change (version, customer_id, day) SELECT DISTINCT v, id, NULL::date FROM new_rows; "
        "ELSIF TG_OP = 'DELETE' THEN INSERT INTO score_change (version, customer_id, day) SELECT DISTINCT v, id, NULL::date FROM old_rows; "
        "ELSIF TG_OP = 'UPDATE' THEN INSERT INTO score_change (version, customer_id, day) SELECT DISTINCT v, id, NULL::date "
        "FROM (SELECT id FROM old_rows UNION ALL SELECT id FROM new_rows) r; "
        "ELSE INSERT INTO score_change (version, customer_id, day) VALUES (v, NULL, NULL); "
        "END IF; RETURN NULL; END $$"
    )
    people = (
        f"SELECT a.customer_id, {month.format(r='a')}, {PERSON}, bit_or({bit.format(r='a')}) "
        f"FROM activity a {{join}} CROSS JOIN {d.people.format(r='a')} WHERE {PERSON} <> '' GROUP BY 1, 2, 3"
    )
    add = (
        f"INSERT INTO {DAY_TABLE} AS d ({', '.join(DAY_COLUMNS)}) "
        f"SELECT n.customer_id, {d.day.format(r='n')}, {aggregates('n')} FROM new_rows n GROUP BY 1, 2 ORDER BY 2, 1 "
        f"ON CONFLICT (customer_id, day) DO UPDATE SET {added('d')}; "
        f"INSERT INTO {MONTH_TABLE} AS m ({', '.join(MONTH_COLUMNS)}) "
        f"SELECT n.customer_id, {month.format(r='n')}, {aggregates('n')}, max({d.day.format(r='n')}) FROM new_rows n "
        f"GROUP BY 1, 2 ORDER BY 2, 1 ON CONFLICT (customer_id, month) DO UPDATE SET {added('m')}, "
        "last_day = greatest(m.last_day, excluded.last_day); "
        f"INSERT INTO {PEOPLE_TABLE} AS m (customer_id, month, person, days) "
        f"SELECT n.customer_id, {month.format(r='n')}, {PERSON}, bit_or({bit.format(r='n')}) "
        f"FROM new_rows n CROSS JOIN {d.people.format(r='n')} WHERE {PERSON} <> '' GROUP BY 1, 2, 3 ORDER BY 2, 1, 3 "
        "ON CONFLICT (customer_id, month, person) DO UPDATE SET days = m.days | excluded.days; "
    )
    # Deletes and updates: the touched days rebuilt from the activity table, their months from their days,
    # the months' people from the activity table. Two writers never rebuild at once: every write first locks
    # the store_version row (activity_bumps_version_* fire before these, PostgreSQL firing a table's
    # triggers in name order, and the app's write transactions lock it at their start), so each rebuild
    # sees the other's commit.
    touched = "(SELECT DISTINCT customer_id, date::date AS day FROM ({rows}) r)"
    months = "(SELECT DISTINCT customer_id, date_trunc('month', day)::date AS month FROM {touched} t)"
    rebuild = (
        f"DELETE FROM {DAY_TABLE} d USING {{touched}} t WHERE d.customer_id = t.customer_id AND d.day = t.day; "
        f"INSERT INTO {DAY_TABLE} ({', '.join(DAY_COLUMNS)}) SELECT a.customer_id, a.date::date, {aggregates('a')} "
        "FROM activity a JOIN {touched} t ON a.customer_id = t.customer_id AND a.date >= t.day AND a.date < t.day + 1 "
        "GROUP BY 1, 2; "
        f"DELETE FROM {MONTH_TABLE} m USING {{months}} t WHERE m.customer_id = t.customer_id AND m.month = t.month; "
        + _month_from_days(d, "(d.customer_id, date_trunc('month', d.day)::date) IN (SELECT customer_id, month FROM {months} t)")
        + f"; DELETE FROM {PEOPLE_TABLE} m USING {{months}} t WHERE m.customer_id = t.customer_id AND m.month = t.month; "
        f"INSERT INTO {PEOPLE_TABLE} (customer_id, month, person, days) "
        + people.format(join="JOIN {months} t ON a.customer_id = t.customer_id "
                        "AND a.date >= t.month AND a.date < t.month + interval '1 month'")
        + "; "
    )

    def rebuilt(rows: str) -> str:
        days = touched.format(rows=rows)
        return rebuild.replace("{months}", months.replace("{touched}", days)).replace("{touched}", days)

    rolls_up = (
        "CREATE FUNCTION activity_rolls_up() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP = 'INSERT' THEN {add}"
        f"ELSIF TG_OP = 'DELETE' THEN {rebuilt('SELECT customer_id, date FROM old_rows')}"
        "ELSIF TG_OP = 'UPDATE' THEN "
        + rebuilt("SELECT customer_id, date FROM old_rows UNION ALL SELECT customer_id, date FROM new_rows")
        + f"ELSE TRUNCATE {DAY_TABLE}, {MONTH_TABLE}, {PEOPLE_TABLE}; "
        "END IF; RETURN NULL; END $$"
    )
    return [log, customer_log, rolls_up]


def postgresql_triggers() -> list[str]:
    """The CREATE TRIGGER statements (after `postgresql_functions`). The version triggers' names sort
    before the rollups' (activity_b... < activity_d...): they take the version row's lock first."""
    statements = []
    for table, function in (("activity", "activity_logs_change"), ("customer", "customer_logs_change")):
        for event, tables in (("insert", "NEW TABLE AS new_rows"), ("update", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
                              ("delete", "OLD TABLE AS old_rows")):  # fmt: skip
            statements.append(f"CREATE TRIGGER {table}_bumps_version_on_{event} AFTER {event.upper()} ON {table} "
                              f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION {function}()")  # fmt: skip
        statements.append(f"CREATE TRIGGER {table}_bumps_version_on_truncate AFTER TRUNCATE ON {table} "
                          f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()")  # fmt: skip
    for event, tables in (("insert", "NEW TABLE AS new_rows"), ("delete", "OLD TABLE AS old_rows"),
                          ("update", "OLD TABLE AS old_rows NEW TABLE AS new_rows")):  # fmt: skip
        statements.append(f"CREATE TRIGGER activity_{event}_rolls_up AFTER {event.upper()} ON activity "
                          f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION activity_rolls_up()")  # fmt: skip
    statements.append("CREATE TRIGGER activity_truncate_rolls_up AFTER TRUNCATE ON activity "
                      "FOR EACH STATEMENT EXECUTE FUNCTION activity_rolls_up()")  # fmt: skip
    return statements


def month_fill(dialect: Dialect) -> str:
    """activity_month filled from every day row (the migration that adds it)."""
    return _month_from_days(SQLITE if dialect == "sqlite" else POSTGRESQL, "true") + (
        " ORDER BY 2, 1" if dialect == "postgresql" else ""
    )
