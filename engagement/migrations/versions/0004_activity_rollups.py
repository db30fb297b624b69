"""Per-customer rollups of the activity table, kept by triggers, so a period's metrics read one row per
customer-day instead of every activity.

`activity_day`: per customer and UTC day, the counts and sums the metrics take (SPEC.md's columns).
`activity_person_month`: per customer, month and participant (trimmed, lower-cased), a bit per day of
the month on which they took part, so distinct participants of any run of whole days is a count of
people whose bits meet the period's.

Inserts add to the rollups; a delete or an update recomputes the days it touched from the activity
table and clears a participant's day bit unless another activity of that day names them. SQLite's triggers run per row; PostgreSQL's run per statement over its transition
tables, so a bulk insert rolls up in one set-based pass. PostgreSQL writes the rollups in day (month)
order and indexes them by it, so a period's rows sit together on disk; SQLite keeps them clustered by
customer (WITHOUT ROWID), and a scan of that is faster there than following a day index to each row.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The SQL is written out here, not imported, so this migration stays as it was when released.
EMAIL_OUT = "{r}.type = 'email' AND {r}.direction = 'outbound'"
ANSWERED = f"{EMAIL_OUT} AND {{r}}.response_received IS TRUE"
MEETINGS = "{r}.type IN ('meeting', 'qbr')"
COUNTS = {
    "emails_sent": EMAIL_OUT,
    "emails_received": "{r}.type = 'email' AND {r}.direction = 'inbound'",
    "meetings_held": MEETINGS,
    "qbrs_completed": "{r}.type = 'qbr'",
    "calls_made": "{r}.type = 'call' AND {r}.direction = 'outbound'",
    "calls_received": "{r}.type = 'call' AND {r}.direction = 'inbound'",
    "messages_sent": "{r}.type = 'message' AND {r}.direction = 'outbound'",
    "messages_received": "{r}.type = 'message' AND {r}.direction = 'inbound'",
    "executive_touchpoints": "{r}.stakeholder_level = 'executive'",
    "responses_known": f"{EMAIL_OUT} AND {{r}}.response_received IS NOT NULL",
    "responses_answered": ANSWERED,
    "response_times": f"{ANSWERED} AND {{r}}.response_time_hours IS NOT NULL",
}
SUMS = {
    "meeting_minutes": f"CASE WHEN {MEETINGS} THEN coalesce({{r}}.duration_minutes, 0) ELSE 0 END",
    "response_hours": f"CASE WHEN {ANSWERED} THEN {{r}}.response_time_hours END",
}
DAY_COLUMNS = ("customer_id", "day", *COUNTS, *SUMS)
# A change to any other column (subject, source, ids) leaves the rollups as they are.
SCORED = ("customer_id", "type", "direction", "date", "duration_minutes", "participants", "stakeholder_level",
          "response_received", "response_time_hours")


def _values(r: str) -> list[str]:
    """One activity's contribution to its day: a 0/1 per count, its minutes and response hours."""
    counts = [f"CASE WHEN {condition.format(r=r)} THEN 1 ELSE 0 END" for condition in COUNTS.values()]
    return [*counts, *(expression.format(r=r) for expression in SUMS.values())]


def _aggregates(r: str) -> str:
    return ", ".join(f"sum({value})" for value in _values(r))


def _add_excluded(table: str) -> str:
    """ON CONFLICT's SET adding a new day's contribution to the stored one (response hours stay NULL
    until some answered email has a response time)."""
    counts = [f"{c} = {table}.{c} + excluded.{c}" for c in (*COUNTS, "meeting_minutes")]
    hours = (f"response_hours = CASE WHEN excluded.response_hours IS NULL THEN {table}.response_hours "
             f"ELSE coalesce({table}.response_hours, 0) + excluded.response_hours END")
    return ", ".join([*counts, hours])


def upgrade() -> None:
    count_columns = [sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS]
    op.create_table(
        "activity_day",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *count_columns,
        sa.Column("meeting_minutes", sa.Float(), nullable=False),
        sa.Column("response_hours", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("customer_id", "day"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "activity_person_month",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("person", sa.String(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "month", "person"),
        sqlite_with_rowid=False,
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql()
    else:
        _sqlite()


def _sqlite() -> None:
    day, month, bit = "substr({r}.date, 1, 10)", "substr({r}.date, 1, 7) || '-01'", \
        "1 << (CAST(substr({r}.date, 9, 2) AS INTEGER) - 1)"
    people = "lower(trim(p.value))"
    # Rebuild a day of one customer from the activity table (after a delete or an update).
    rebuild_day = (
        "DELETE FROM activity_day WHERE customer_id = {r}.customer_id AND day = " + day + "; "
        f"INSERT INTO activity_day ({', '.join(DAY_COLUMNS)}) SELECT a.customer_id, substr(a.date, 1, 10), "
        f"{_aggregates('a')} FROM activity a WHERE a.customer_id = {{r}}.customer_id "
        "AND a.date >= " + day + " AND a.date < date(" + day + ", '+1 day') GROUP BY a.customer_id; "
    )
    # After a delete or an update, a participant's bit for the row's day stays set only if another
    # activity of that customer-day names them: a look at the day's few rows, not the month's.
    clear_bits = (
        "UPDATE activity_person_month SET days = days & ~(" + bit + ") "
        "WHERE customer_id = {r}.customer_id AND month = " + month + " "
        "AND person IN (SELECT lower(trim(value)) FROM json_each({r}.participants)) "
        "AND NOT EXISTS (SELECT 1 FROM activity a, json_each(a.participants) q WHERE a.customer_id = {r}.customer_id "
        "AND a.date >= " + day + " AND a.date < date(" + day + ", '+1 day') "
        "AND lower(trim(q.value)) = activity_person_month.person); "
        "DELETE FROM activity_person_month WHERE customer_id = {r}.customer_id AND month = " + month + " AND days = 0; "
    )
    add_day = (
        f"INSERT INTO activity_day ({', '.join(DAY_COLUMNS)}) VALUES (NEW.customer_id, {day.format(r='NEW')}, "
        f"{', '.join(_values('NEW'))}) ON CONFLICT (customer_id, day) DO UPDATE SET {_add_excluded('activity_day')}; "
    )
    add_month = (
        "INSERT INTO activity_person_month (customer_id, month, person, days) "
        f"SELECT NEW.customer_id, {month.format(r='NEW')}, {people}, {bit.format(r='NEW')} "
        f"FROM json_each(NEW.participants) p WHERE {people} != '' "
        "ON CONFLICT (customer_id, month, person) DO UPDATE SET days = activity_person_month.days | excluded.days; "
    )
    op.execute(f"CREATE TRIGGER activity_insert_rolls_up AFTER INSERT ON activity BEGIN {add_day}{add_month}END")
    op.execute(
        "CREATE TRIGGER activity_delete_rolls_up AFTER DELETE ON activity BEGIN "
        f"{rebuild_day.format(r='OLD')}{clear_bits.format(r='OLD')}END"
    )
    op.execute(
        f"CREATE TRIGGER activity_update_rolls_up AFTER UPDATE OF {', '.join(SCORED)} ON activity BEGIN "
        f"{rebuild_day.format(r='OLD')}{rebuild_day.format(r='NEW')}{clear_bits.format(r='OLD')}{add_month}END"
    )
    op.execute(
        f"INSERT INTO activity_day ({', '.join(DAY_COLUMNS)}) SELECT a.customer_id, substr(a.date, 1, 10), "
        f"{_aggregates('a')} FROM activity a GROUP BY 1, 2"
    )
    op.execute(
        "INSERT INTO activity_person_month (customer_id, month, person, days) "
        f"SELECT a.customer_id, {month.format(r='a')}, {people}, sum(DISTINCT {bit.format(r='a')}) "
        f"FROM activity a, json_each(a.participants) p WHERE {people} != '' GROUP BY 1, 2, 3"
    )


def _postgresql() -> None:
    people = "lower(trim(p.value))"
    month = "date_trunc('month', {r}.date)::date"
    bit = "1 << (extract(day FROM {r}.date)::int - 1)"
    day_aggregate = (
        f"SELECT a.customer_id, a.date::date, {_aggregates('a')} FROM activity a {{join}} GROUP BY 1, 2"
    )
    people_aggregate = (
        f"SELECT a.customer_id, {month.format(r='a')}, {people}, bit_or({bit.format(r='a')}) "
        f"FROM activity a {{join}} CROSS JOIN json_array_elements_text(a.participants) p "
        f"WHERE {people} <> '' GROUP BY 1, 2, 3"
    )
    # Inserts: the new rows' contributions added to what is stored.
    add = (
        f"INSERT INTO activity_day AS d ({', '.join(DAY_COLUMNS)}) "
        f"SELECT n.customer_id, n.date::date, {_aggregates('n')} FROM new_rows n GROUP BY 1, 2 ORDER BY 2, 1 "
        f"ON CONFLICT (customer_id, day) DO UPDATE SET {_add_excluded('d')}; "
        "INSERT INTO activity_person_month AS m (customer_id, month, person, days) "
        f"SELECT n.customer_id, {month.format(r='n')}, {people}, bit_or({bit.format(r='n')}) "
        f"FROM new_rows n CROSS JOIN json_array_elements_text(n.participants) p WHERE {people} <> '' "
        "GROUP BY 1, 2, 3 ORDER BY 2, 1, 3 "
        "ON CONFLICT (customer_id, month, person) DO UPDATE SET days = m.days | excluded.days; "
    )
    # Deletes and updates: the touched days and months rebuilt from the activity table. Two writers never
    # rebuild at once: every write first locks the store_version row (migration 0003's statement trigger
    # activity_bumps_version fires before these, PostgreSQL firing a table's triggers in name order, and
    # the app's write transactions lock it at their start), so each rebuild sees the other's commit.
    touched = "(SELECT DISTINCT customer_id, date::date AS day FROM ({rows}) r)"
    rebuild = (
        "DELETE FROM activity_day d USING {touched} t WHERE d.customer_id = t.customer_id AND d.day = t.day; "
        f"INSERT INTO activity_day ({', '.join(DAY_COLUMNS)}) "
        + day_aggregate.format(join="JOIN {touched} t ON a.customer_id = t.customer_id "
                               "AND a.date >= t.day AND a.date < t.day + 1")
        + "; DELETE FROM activity_person_month m USING {touched} t "
        "WHERE m.customer_id = t.customer_id AND m.month = date_trunc('month', t.day)::date; "
        "INSERT INTO activity_person_month (customer_id, month, person, days) "
        + people_aggregate.format(join="JOIN (SELECT DISTINCT customer_id, date_trunc('month', day)::date AS month "
                                  "FROM {touched} d) t ON a.customer_id = t.customer_id "
                                  "AND a.date >= t.month AND a.date < t.month + interval '1 month'")
        + "; "
    )
    old = touched.format(rows="SELECT customer_id, date FROM old_rows")
    both = touched.format(rows="SELECT customer_id, date FROM old_rows UNION ALL SELECT customer_id, date FROM new_rows")
    op.execute(
        "CREATE FUNCTION activity_rolls_up() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP = 'INSERT' THEN {add}"
        f"ELSIF TG_OP = 'DELETE' THEN {rebuild.replace('{touched}', old)}"
        f"ELSIF TG_OP = 'UPDATE' THEN {rebuild.replace('{touched}', both)}"
        "ELSE TRUNCATE activity_day, activity_person_month; "
        "END IF; RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER activity_insert_rolls_up AFTER INSERT ON activity REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION activity_rolls_up()"
    )
    op.execute(
        "CREATE TRIGGER activity_delete_rolls_up AFTER DELETE ON activity REFERENCING OLD TABLE AS old_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION activity_rolls_up()"
    )
    op.execute(
        "CREATE TRIGGER activity_update_rolls_up AFTER UPDATE ON activity "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION activity_rolls_up()"
    )
    op.execute(
        "CREATE TRIGGER activity_truncate_rolls_up AFTER TRUNCATE ON activity "
        "FOR EACH STATEMENT EXECUTE FUNCTION activity_rolls_up()"
    )
    op.execute(f"INSERT INTO activity_day ({', '.join(DAY_COLUMNS)}) " + day_aggregate.format(join="") + " ORDER BY 2, 1")
    op.execute(
        "INSERT INTO activity_person_month (customer_id, month, person, days) "
        + people_aggregate.format(join="") + " ORDER BY 2, 1, 3"
    )
    # A period reads a range of days (months): their rows, written in day order, sit together on disk.
    op.create_index("ix_activity_day_day", "activity_day", ["day"])
    op.create_index("ix_activity_person_month_month", "activity_person_month", ["month"])


def downgrade() -> None:
    events = ("insert", "delete", "update", "truncate") if op.get_bind().dialect.name == "postgresql" else \
        ("insert", "delete", "update")
    for event in events:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER activity_{event}_rolls_up ON activity")
        else:
            op.execute(f"DROP TRIGGER activity_{event}_rolls_up")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION activity_rolls_up()")
    op.drop_table("activity_person_month")
    op.drop_table("activity_day")
