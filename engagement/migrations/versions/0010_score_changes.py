"""The change log and persisted scores (issue 24), and a per-month rollup, with the rollups' triggers
generated from their one definition (engagement/rollup.py).

`score_change`: which customer changed at which store version, and from which day (NULL: everything
of theirs, a change to the customer's own row; a NULL customer: everyone, a TRUNCATE). The triggers that
bump the version now log in the same step, so the log's version is always the bump's. A cached or
persisted period score at version V catches up by rescoring only the customers logged after V.
`store_version.changes_from`: the log holds every change after this version (older rows are pruned).
`score_snapshot`: a period's scores' inputs (customers, sums, people, last contacts, the previous
period's too) as computed at `version`, so a new process loads them instead of scoring every customer.
`activity_month`: per customer and month, the sum of its days (and its latest day with activity), so a
period's whole months read one row per customer instead of one per day.

The triggers' SQL is written out below as released (scripts/rollup_sql.py printed it from the
definition; tests/engagement/test_rollup_definition.py holds it equal to what the definition generates).
0003's and 0004's triggers on activity and customer are replaced; csm and stakeholder keep 0003's bump
(their changes change no score). The downgrade restores the released 0003/0004 triggers.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUMS = ("emails_sent", "emails_received", "meetings_held", "qbrs_completed", "calls_made", "calls_received",
        "messages_sent", "messages_received", "executive_touchpoints", "responses_known", "responses_answered",
        "response_times", "meeting_minutes", "response_hours")  # fmt: skip
SQLITE_DROPPED = [f"activity_{e}_bumps_version" for e in ("insert", "update", "delete")] + [
    f"customer_{e}_bumps_version" for e in ("insert", "update", "delete")
] + [f"activity_{e}_rolls_up" for e in ("insert", "delete", "update")]


def upgrade() -> None:
    op.create_table(
        "score_change",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),  # rowid on SQLite
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("day", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_score_change_version", "score_change", ["version"])
    op.create_table(
        "score_snapshot",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("written_at", sa.DateTime(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.add_column("store_version", sa.Column("changes_from", sa.BigInteger(), nullable=False, server_default="0"))
    op.execute("UPDATE store_version SET changes_from = version")
    op.create_table(
        "activity_month",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in SUMS[:-2]),
        sa.Column("meeting_minutes", sa.Float(), nullable=False),
        sa.Column("response_hours", sa.Float(), nullable=True),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "month"),
        sqlite_with_rowid=False,
    )
    if op.get_bind().dialect.name == "postgresql":
        for table in ("activity", "customer"):
            op.execute(f"DROP TRIGGER {table}_bumps_version ON {table}")
        for event in ("insert", "delete", "update", "truncate"):
            op.execute(f"DROP TRIGGER activity_{event}_rolls_up ON activity")
        op.execute("DROP FUNCTION activity_rolls_up()")
        for statement in (*POSTGRESQL_FUNCTIONS, *POSTGRESQL_TRIGGERS):
            op.execute(statement)
        op.execute(MONTH_FILL[1])
        op.create_index("ix_activity_month_month", "activity_month", ["month"])
    else:
        for name in SQLITE_DROPPED:
            op.execute(f"DROP TRIGGER {name}")
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
        op.execute(MONTH_FILL[0])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("activity", "customer"):
            for event in ("insert", "update", "delete", "truncate"):
                op.execute(f"DROP TRIGGER {table}_bumps_version_on_{event} ON {table}")
            op.execute(f"DROP FUNCTION {table}_logs_change()")
        for event in ("insert", "delete", "update", "truncate"):
            op.execute(f"DROP TRIGGER activity_{event}_rolls_up ON activity")
        op.execute("DROP FUNCTION activity_rolls_up()")
        for table in ("activity", "customer"):
            op.execute(
                f"CREATE TRIGGER {table}_bumps_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION bump_store_version()"
            )
        for statement in RELEASED_0004_POSTGRESQL:
            op.execute(statement)
    else:
        for name in SQLITE_DROPPED:
            op.execute(f"DROP TRIGGER {name}")
        for table in ("activity", "customer"):
            for event in ("insert", "update", "delete"):
                op.execute(
                    f"CREATE TRIGGER {table}_{event}_bumps_version AFTER {event.upper()} ON {table} "
                    "BEGIN UPDATE store_version SET version = version + 1 WHERE id = 1; END"
                )
        for statement in RELEASED_0004_SQLITE:
            op.execute(statement)
    op.drop_table("activity_month")
    op.execute("ALTER TABLE store_version DROP COLUMN changes_from")
    op.drop_table("score_snapshot")
    op.drop_index("ix_score_change_version", "score_change")
    op.drop_table("score_change")


# -- The SQL, written out as released ------------------------------------------------------------------

SQLITE_TRIGGERS = (
    (
        'CREATE TRIGGER activity_insert_bumps_version AFTER INSERT ON activity BEGIN UPDATE store_version SET '
        'version = version + 1 WHERE id = 1; INSERT INTO score_change (version, customer_id, day) SELECT '
        'version, NEW.customer_id, substr(NEW.date, 1, 10) FROM store_version WHERE id = 1; END'
    ),
    (
        'CREATE TRIGGER activity_update_bumps_version AFTER UPDATE ON activity BEGIN UPDATE store_version SET '
        'version = version + 1 WHERE id = 1; INSERT INTO score_change (version, customer_id, day) SELECT '
        'version, OLD.customer_id, substr(OLD.date, 1, 10) FROM store_version WHERE id = 1; INSERT INTO '
        'score_change (version, customer_id, day) SELECT version, NEW.customer_id, substr(NEW.date, 1, 10) '
        'FROM store_version WHERE id = 1; END'
    ),
    (
        'CREATE TRIGGER activity_delete_bumps_version AFTER DELETE ON activity BEGIN UPDATE store_version SET '
        'version = version + 1 WHERE id = 1; INSERT INTO score_change (version, customer_id, day) SELECT '
        'version, OLD.customer_id, substr(OLD.date, 1, 10) FROM store_version WHERE id = 1; END'
    ),
    (
        'CREATE TRIGGER activity_insert_rolls_up AFTER INSERT ON activity BEGIN INSERT INTO activity_day '
        '(customer_id, day, emails_sent, emails_received, meetings_held, qbrs_completed, calls_made, '
        'calls_received, messages_sent, messages_received, executive_touchpoints, responses_known, '
        'responses_answered, response_times, meeting_minutes, response_hours) VALUES (NEW.customer_id, '
        "substr(NEW.date, 1, 10), CASE WHEN NEW.type = 'email' AND NEW.direction = 'outbound' THEN 1 ELSE 0 "
        "END, CASE WHEN NEW.type = 'email' AND NEW.direction = 'inbound' THEN 1 ELSE 0 END, CASE WHEN NEW.type"
        " IN ('meeting', 'qbr') THEN 1 ELSE 0 END, CASE WHEN NEW.type = 'qbr' THEN 1 ELSE 0 END, CASE WHEN "
        "NEW.type = 'call' AND NEW.direction = 'outbound' THEN 1 ELSE 0 END, CASE WHEN NEW.type = 'call' AND "
        "NEW.direction = 'inbound' THEN 1 ELSE 0 END, CASE WHEN NEW.type = 'message' AND NEW.direction = "
        "'outbound' THEN 1 ELSE 0 END, CASE WHEN NEW.type = 'message' AND NEW.direction = 'inbound' THEN 1 "
        "ELSE 0 END, CASE WHEN NEW.stakeholder_level = 'executive' THEN 1 ELSE 0 END, CASE WHEN NEW.type = "
        "'email' AND NEW.direction = 'outbound' AND NEW.response_received IS NOT NULL THEN 1 ELSE 0 END, CASE "
        "WHEN NEW.type = 'email' AND NEW.direction = 'outbound' AND NEW.response_received IS TRUE THEN 1 ELSE "
        "0 END, CASE WHEN NEW.type = 'email' AND NEW.direction = 'outbound' AND NEW.response_received IS TRUE "
        "AND NEW.response_time_hours IS NOT NULL THEN 1 ELSE 0 END, CASE WHEN NEW.type IN ('meeting', 'qbr') "
        "THEN coalesce(NEW.duration_minutes, 0) ELSE 0 END, CASE WHEN NEW.type = 'email' AND NEW.direction = "
        "'outbound' AND NEW.response_received IS TRUE THEN NEW.response_time_hours END) ON CONFLICT "
        '(customer_id, day) DO UPDATE SET emails_sent = activity_day.emails_sent + excluded.emails_sent, '
        'emails_received = activity_day.emails_received + excluded.emails_received, meetings_held = '
        'activity_day.meetings_held + excluded.meetings_held, qbrs_completed = activity_day.qbrs_completed + '
        'excluded.qbrs_completed, calls_made = activity_day.calls_made + excluded.calls_made, calls_received ='
        ' activity_day.calls_received + excluded.calls_received, messages_sent = activity_day.messages_sent + '
        'excluded.messages_sent, messages_received = activity_day.messages_received + '
        'excluded.messages_received, executive_touchpoints = activity_day.executive_touchpoints + '
        'excluded.executive_touchpoints, responses_known = activity_day.responses_known + '
        'excluded.responses_known, responses_answered = activity_day.responses_answered + '
        'excluded.responses_answered, response_times = activity_day.response_times + excluded.response_times, '
        'meeting_minutes = activity_day.meeting_minutes + excluded.meeting_minutes, response_hours = CASE WHEN'
        ' excluded.response_hours IS NULL THEN activity_day.response_hours ELSE '
        'coalesce(activity_day.response_hours, 0) + excluded.response_hours END; INSERT INTO activity_month '
        '(customer_id, month, emails_sent, emails_received, meetings_held, qbrs_completed, calls_made, '
        'calls_received, messages_sent, messages_received, executive_touchpoints, responses_known, '
        'responses_answered, response_times, meeting_minutes, response_hours, last_day) VALUES '
        "(NEW.customer_id, substr(NEW.date, 1, 7) || '-01', CASE WHEN NEW.type = 'email' AND NEW.direction = "
        "'outbound' THEN 1 ELSE 0 END, CASE WHEN NEW.type = 'email' AND NEW.direction = 'inbound' THEN 1 ELSE "
        "0 END, CASE WHEN NEW.type IN ('meeting', 'qbr') THEN 1 ELSE 0 END, CASE WHEN NEW.type = 'qbr' THEN 1 "
        "ELSE 0 END, CASE WHEN NEW.type = 'call' AND NEW.direction = 'outbound' THEN 1 ELSE 0 END, CASE WHEN "
        "NEW.type = 'call' AND NEW.direction = 'inbound' THEN 1 ELSE 0 END, CASE WHEN NEW.type = 'message' AND"
        " NEW.direction = 'outbound' THEN 1 ELSE 0 END, CASE WHEN NEW.type = 'message' AND NEW.direction = "
        "'inbound' THEN 1 ELSE 0 END, CASE WHEN NEW.stakeholder_level = 'executive' THEN 1 ELSE 0 END, CASE "
        "WHEN NEW.type = 'email' AND NEW.direction = 'outbound' AND NEW.response_received IS NOT NULL THEN 1 "
        "ELSE 0 END, CASE WHEN NEW.type = 'email' AND NEW.direction = 'outbound' AND NEW.response_received IS "
        "TRUE THEN 1 ELSE 0 END, CASE WHEN NEW.type = 'email' AND NEW.direction = 'outbound' AND "
        'NEW.response_received IS TRUE AND NEW.response_time_hours IS NOT NULL THEN 1 ELSE 0 END, CASE WHEN '
        "NEW.type IN ('meeting', 'qbr') THEN coalesce(NEW.duration_minutes, 0) ELSE 0 END, CASE WHEN NEW.type "
        "= 'email' AND NEW.direction = 'outbound' AND NEW.response_received IS TRUE THEN "
        'NEW.response_time_hours END, substr(NEW.date, 1, 10)) ON CONFLICT (customer_id, month) DO UPDATE SET '
        'emails_sent = activity_month.emails_sent + excluded.emails_sent, emails_received = '
        'activity_month.emails_received + excluded.emails_received, meetings_held = '
        'activity_month.meetings_held + excluded.meetings_held, qbrs_completed = activity_month.qbrs_completed'
        ' + excluded.qbrs_completed, calls_made = activity_month.calls_made + excluded.calls_made, '
        'calls_received = activity_month.calls_received + excluded.calls_received, messages_sent = '
        'activity_month.messages_sent + excluded.messages_sent, messages_received = '
        'activity_month.messages_received + excluded.messages_received, executive_touchpoints = '
        'activity_month.executive_touchpoints + excluded.executive_touchpoints, responses_known = '
        'activity_month.responses_known + excluded.responses_known, responses_answered = '
        'activity_month.responses_answered + excluded.responses_answered, response_times = '
        'activity_month.response_times + excluded.response_times, meeting_minutes = '
        'activity_month.meeting_minutes + excluded.meeting_minutes, response_hours = CASE WHEN '
        'excluded.response_hours IS NULL THEN activity_month.response_hours ELSE '
        'coalesce(activity_month.response_hours, 0) + excluded.response_hours END, last_day = '
        'max(activity_month.last_day, excluded.last_day); INSERT INTO activity_person_month (customer_id, '
        "month, person, days) SELECT NEW.customer_id, substr(NEW.date, 1, 7) || '-01', lower(trim(p.value)), 1"
        ' << (CAST(substr(NEW.date, 9, 2) AS INTEGER) - 1) FROM json_each(NEW.participants) p WHERE '
        "lower(trim(p.value)) != '' ON CONFLICT (customer_id, month, person) DO UPDATE SET days = "
        'activity_person_month.days | excluded.days; END'
    ),
    (
        'CREATE TRIGGER activity_delete_rolls_up AFTER DELETE ON activity BEGIN DELETE FROM activity_day WHERE'
        ' customer_id = OLD.customer_id AND day = substr(OLD.date, 1, 10); INSERT INTO activity_day '
        '(customer_id, day, emails_sent, emails_received, meetings_held, qbrs_completed, calls_made, '
        'calls_received, messages_sent, messages_received, executive_touchpoints, responses_known, '
        'responses_answered, response_times, meeting_minutes, response_hours) SELECT a.customer_id, '
        "substr(a.date, 1, 10), sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' THEN 1 ELSE 0 "
        "END), sum(CASE WHEN a.type = 'email' AND a.direction = 'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN "
        "a.type IN ('meeting', 'qbr') THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'qbr' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN a.type = 'call' AND a.direction = 'outbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.type ="
        " 'call' AND a.direction = 'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'message' AND "
        "a.direction = 'outbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'message' AND a.direction = "
        "'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.stakeholder_level = 'executive' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' AND a.response_received IS NOT NULL THEN "
        "1 ELSE 0 END), sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' AND a.response_received IS"
        " TRUE THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' AND "
        'a.response_received IS TRUE AND a.response_time_hours IS NOT NULL THEN 1 ELSE 0 END), sum(CASE WHEN '
        "a.type IN ('meeting', 'qbr') THEN coalesce(a.duration_minutes, 0) ELSE 0 END), sum(CASE WHEN a.type ="
        " 'email' AND a.direction = 'outbound' AND a.response_received IS TRUE THEN a.response_time_hours END)"
        ' FROM activity a WHERE a.customer_id = OLD.customer_id AND a.date >= substr(OLD.date, 1, 10) AND '
        "a.date < date(substr(OLD.date, 1, 10), '+1 day') GROUP BY a.customer_id; DELETE FROM activity_month "
        "WHERE customer_id = OLD.customer_id AND month = substr(OLD.date, 1, 7) || '-01'; INSERT INTO "
        'activity_month (customer_id, month, emails_sent, emails_received, meetings_held, qbrs_completed, '
        'calls_made, calls_received, messages_sent, messages_received, executive_touchpoints, responses_known,'
        ' responses_answered, response_times, meeting_minutes, response_hours, last_day) SELECT d.customer_id,'
        " substr(d.day, 1, 7) || '-01', sum(d.emails_sent), sum(d.emails_received), sum(d.meetings_held), "
        'sum(d.qbrs_completed), sum(d.calls_made), sum(d.calls_received), sum(d.messages_sent), '
        'sum(d.messages_received), sum(d.executive_touchpoints), sum(d.responses_known), '
        'sum(d.responses_answered), sum(d.response_times), sum(d.meeting_minutes), sum(d.response_hours), '
        'max(d.day) FROM activity_day d WHERE d.customer_id = OLD.customer_id AND d.day >= substr(OLD.date, 1,'
        " 7) || '-01' AND d.day < date(substr(OLD.date, 1, 7) || '-01', '+1 month') GROUP BY 1, 2; UPDATE "
        'activity_person_month SET days = days & ~(1 << (CAST(substr(OLD.date, 9, 2) AS INTEGER) - 1)) WHERE '
        "customer_id = OLD.customer_id AND month = substr(OLD.date, 1, 7) || '-01' AND person IN (SELECT "
        'lower(trim(p.value)) FROM json_each(OLD.participants) p) AND NOT EXISTS (SELECT 1 FROM activity a, '
        'json_each(a.participants) q WHERE a.customer_id = OLD.customer_id AND a.date >= substr(OLD.date, 1, '
        "10) AND a.date < date(substr(OLD.date, 1, 10), '+1 day') AND lower(trim(q.value)) = "
        'activity_person_month.person); DELETE FROM activity_person_month WHERE customer_id = OLD.customer_id '
        "AND month = substr(OLD.date, 1, 7) || '-01' AND days = 0; END"
    ),
    (
        'CREATE TRIGGER activity_update_rolls_up AFTER UPDATE OF customer_id, type, direction, date, '
        'duration_minutes, participants, stakeholder_level, response_received, response_time_hours ON activity'
        ' BEGIN DELETE FROM activity_day WHERE customer_id = OLD.customer_id AND day = substr(OLD.date, 1, '
        '10); INSERT INTO activity_day (customer_id, day, emails_sent, emails_received, meetings_held, '
        'qbrs_completed, calls_made, calls_received, messages_sent, messages_received, executive_touchpoints, '
        'responses_known, responses_answered, response_times, meeting_minutes, response_hours) SELECT '
        "a.customer_id, substr(a.date, 1, 10), sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' "
        "THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'email' AND a.direction = 'inbound' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN a.type IN ('meeting', 'qbr') THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'qbr' THEN 1 "
        "ELSE 0 END), sum(CASE WHEN a.type = 'call' AND a.direction = 'outbound' THEN 1 ELSE 0 END), sum(CASE "
        "WHEN a.type = 'call' AND a.direction = 'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'message'"
        " AND a.direction = 'outbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'message' AND a.direction = "
        "'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.stakeholder_level = 'executive' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' AND a.response_received IS NOT NULL THEN "
        "1 ELSE 0 END), sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' AND a.response_received IS"
        " TRUE THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' AND "
        'a.response_received IS TRUE AND a.response_time_hours IS NOT NULL THEN 1 ELSE 0 END), sum(CASE WHEN '
        "a.type IN ('meeting', 'qbr') THEN coalesce(a.duration_minutes, 0) ELSE 0 END), sum(CASE WHEN a.type ="
        " 'email' AND a.direction = 'outbound' AND a.response_received IS TRUE THEN a.response_time_hours END)"
        ' FROM activity a WHERE a.customer_id = OLD.customer_id AND a.date >= substr(OLD.date, 1, 10) AND '
        "a.date < date(substr(OLD.date, 1, 10), '+1 day') GROUP BY a.customer_id; DELETE FROM activity_month "
        "WHERE customer_id = OLD.customer_id AND month = substr(OLD.date, 1, 7) || '-01'; INSERT INTO "
        'activity_month (customer_id, month, emails_sent, emails_received, meetings_held, qbrs_completed, '
        'calls_made, calls_received, messages_sent, messages_received, executive_touchpoints, responses_known,'
        ' responses_answered, response_times, meeting_minutes, response_hours, last_day) SELECT d.customer_id,'
        " substr(d.day, 1, 7) || '-01', sum(d.emails_sent), sum(d.emails_received), sum(d.meetings_held), "
        'sum(d.qbrs_completed), sum(d.calls_made), sum(d.calls_received), sum(d.messages_sent), '
        'sum(d.messages_received), sum(d.executive_touchpoints), sum(d.responses_known), '
        'sum(d.responses_answered), sum(d.response_times), sum(d.meeting_minutes), sum(d.response_hours), '
        'max(d.day) FROM activity_day d WHERE d.customer_id = OLD.customer_id AND d.day >= substr(OLD.date, 1,'
        " 7) || '-01' AND d.day < date(substr(OLD.date, 1, 7) || '-01', '+1 month') GROUP BY 1, 2; DELETE FROM"
        ' activity_day WHERE customer_id = NEW.customer_id AND day = substr(NEW.date, 1, 10); INSERT INTO '
        'activity_day (customer_id, day, emails_sent, emails_received, meetings_held, qbrs_completed, '
        'calls_made, calls_received, messages_sent, messages_received, executive_touchpoints, responses_known,'
        ' responses_answered, response_times, meeting_minutes, response_hours) SELECT a.customer_id, '
        "substr(a.date, 1, 10), sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' THEN 1 ELSE 0 "
        "END), sum(CASE WHEN a.type = 'email' AND a.direction = 'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN "
        "a.type IN ('meeting', 'qbr') THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'qbr' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN a.type = 'call' AND a.direction = 'outbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.type ="
        " 'call' AND a.direction = 'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'message' AND "
        "a.direction = 'outbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'message' AND a.direction = "
        "'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.stakeholder_level = 'executive' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' AND a.response_received IS NOT NULL THEN "
        "1 ELSE 0 END), sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' AND a.response_received IS"
        " TRUE THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' AND "
        'a.response_received IS TRUE AND a.response_time_hours IS NOT NULL THEN 1 ELSE 0 END), sum(CASE WHEN '
        "a.type IN ('meeting', 'qbr') THEN coalesce(a.duration_minutes, 0) ELSE 0 END), sum(CASE WHEN a.type ="
        " 'email' AND a.direction = 'outbound' AND a.response_received IS TRUE THEN a.response_time_hours END)"
        ' FROM activity a WHERE a.customer_id = NEW.customer_id AND a.date >= substr(NEW.date, 1, 10) AND '
        "a.date < date(substr(NEW.date, 1, 10), '+1 day') GROUP BY a.customer_id; DELETE FROM activity_month "
        "WHERE customer_id = NEW.customer_id AND month = substr(NEW.date, 1, 7) || '-01'; INSERT INTO "
        'activity_month (customer_id, month, emails_sent, emails_received, meetings_held, qbrs_completed, '
        'calls_made, calls_received, messages_sent, messages_received, executive_touchpoints, responses_known,'
        ' responses_answered, response_times, meeting_minutes, response_hours, last_day) SELECT d.customer_id,'
        " substr(d.day, 1, 7) || '-01', sum(d.emails_sent), sum(d.emails_received), sum(d.meetings_held), "
        'sum(d.qbrs_completed), sum(d.calls_made), sum(d.calls_received), sum(d.messages_sent), '
        'sum(d.messages_received), sum(d.executive_touchpoints), sum(d.responses_known), '
        'sum(d.responses_answered), sum(d.response_times), sum(d.meeting_minutes), sum(d.response_hours), '
        'max(d.day) FROM activity_day d WHERE d.customer_id = NEW.customer_id AND d.day >= substr(NEW.date, 1,'
        " 7) || '-01' AND d.day < date(substr(NEW.date, 1, 7) || '-01', '+1 month') GROUP BY 1, 2; UPDATE "
        'activity_person_month SET days = days & ~(1 << (CAST(substr(OLD.date, 9, 2) AS INTEGER) - 1)) WHERE '
        "customer_id = OLD.customer_id AND month = substr(OLD.date, 1, 7) || '-01' AND person IN (SELECT "
        'lower(trim(p.value)) FROM json_each(OLD.participants) p) AND NOT EXISTS (SELECT 1 FROM activity a, '
        'json_each(a.participants) q WHERE a.customer_id = OLD.customer_id AND a.date >= substr(OLD.date, 1, '
        "10) AND a.date < date(substr(OLD.date, 1, 10), '+1 day') AND lower(trim(q.value)) = "
        'activity_person_month.person); DELETE FROM activity_person_month WHERE customer_id = OLD.customer_id '
        "AND month = substr(OLD.date, 1, 7) || '-01' AND days = 0; INSERT INTO activity_person_month "
        "(customer_id, month, person, days) SELECT NEW.customer_id, substr(NEW.date, 1, 7) || '-01', "
        'lower(trim(p.value)), 1 << (CAST(substr(NEW.date, 9, 2) AS INTEGER) - 1) FROM '
        "json_each(NEW.participants) p WHERE lower(trim(p.value)) != '' ON CONFLICT (customer_id, month, "
        'person) DO UPDATE SET days = activity_person_month.days | excluded.days; END'
    ),
    (
        'CREATE TRIGGER customer_insert_bumps_version AFTER INSERT ON customer BEGIN UPDATE store_version SET '
        'version = version + 1 WHERE id = 1; INSERT INTO score_change (version, customer_id, day) SELECT '
        'version, NEW.id, NULL FROM store_version WHERE id = 1; END'
    ),
    (
        'CREATE TRIGGER customer_update_bumps_version AFTER UPDATE ON customer BEGIN UPDATE store_version SET '
        'version = version + 1 WHERE id = 1; INSERT INTO score_change (version, customer_id, day) SELECT '
        'version, OLD.id, NULL FROM store_version WHERE id = 1; INSERT INTO score_change (version, '
        'customer_id, day) SELECT version, NEW.id, NULL FROM store_version WHERE id = 1; END'
    ),
    (
        'CREATE TRIGGER customer_delete_bumps_version AFTER DELETE ON customer BEGIN UPDATE store_version SET '
        'version = version + 1 WHERE id = 1; INSERT INTO score_change (version, customer_id, day) SELECT '
        'version, OLD.id, NULL FROM store_version WHERE id = 1; END'
    ),
)

POSTGRESQL_FUNCTIONS = (
    (
        'CREATE FUNCTION activity_logs_change() RETURNS trigger LANGUAGE plpgsql AS $$ DECLARE v bigint; BEGIN'
        ' UPDATE store_version SET version = version + 1 WHERE id = 1 RETURNING version INTO v; IF TG_OP = '
        "'INSERT' THEN INSERT INTO score_change (version, customer_id, day) SELECT v, r.customer_id, "
        'min(r.date)::date FROM (SELECT customer_id, date FROM new_rows) r GROUP BY r.customer_id; ELSIF TG_OP'
        " = 'DELETE' THEN INSERT INTO score_change (version, customer_id, day) SELECT v, r.customer_id, "
        'min(r.date)::date FROM (SELECT customer_id, date FROM old_rows) r GROUP BY r.customer_id; ELSIF TG_OP'
        " = 'UPDATE' THEN INSERT INTO score_change (version, customer_id, day) SELECT v, r.customer_id, "
        'min(r.date)::date FROM (SELECT customer_id, date FROM old_rows UNION ALL SELECT customer_id, date '
        'FROM new_rows) r GROUP BY r.customer_id; ELSE INSERT INTO score_change (version, customer_id, day) '
        'VALUES (v, NULL, NULL); END IF; RETURN NULL; END $$'
    ),
    (
        'CREATE FUNCTION customer_logs_change() RETURNS trigger LANGUAGE plpgsql AS $$ DECLARE v bigint; BEGIN'
        ' UPDATE store_version SET version = version + 1 WHERE id = 1 RETURNING version INTO v; IF TG_OP = '
        "'INSERT' THEN INSERT INTO score_change (version, customer_id, day) SELECT DISTINCT v, id, NULL::date "
        "FROM new_rows; ELSIF TG_OP = 'DELETE' THEN INSERT INTO score_change (version, customer_id, day) "
        "SELECT DISTINCT v, id, NULL::date FROM old_rows; ELSIF TG_OP = 'UPDATE' THEN INSERT INTO score_change"
        ' (version, customer_id, day) SELECT DISTINCT v, id, NULL::date FROM (SELECT id FROM old_rows UNION '
        'ALL SELECT id FROM new_rows) r; ELSE INSERT INTO score_change (version, customer_id, day) VALUES (v, '
        'NULL, NULL); END IF; RETURN NULL; END $$'
    ),
    (
        "CREATE FUNCTION activity_rolls_up() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'INSERT' "
        'THEN INSERT INTO activity_day AS d (customer_id, day, emails_sent, emails_received, meetings_held, '
        'qbrs_completed, calls_made, calls_received, messages_sent, messages_received, executive_touchpoints, '
        'responses_known, responses_answered, response_times, meeting_minutes, response_hours) SELECT '
        "n.customer_id, n.date::date, sum(CASE WHEN n.type = 'email' AND n.direction = 'outbound' THEN 1 ELSE "
        "0 END), sum(CASE WHEN n.type = 'email' AND n.direction = 'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN "
        "n.type IN ('meeting', 'qbr') THEN 1 ELSE 0 END), sum(CASE WHEN n.type = 'qbr' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN n.type = 'call' AND n.direction = 'outbound' THEN 1 ELSE 0 END), sum(CASE WHEN n.type ="
        " 'call' AND n.direction = 'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN n.type = 'message' AND "
        "n.direction = 'outbound' THEN 1 ELSE 0 END), sum(CASE WHEN n.type = 'message' AND n.direction = "
        "'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN n.stakeholder_level = 'executive' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN n.type = 'email' AND n.direction = 'outbound' AND n.response_received IS NOT NULL THEN "
        "1 ELSE 0 END), sum(CASE WHEN n.type = 'email' AND n.direction = 'outbound' AND n.response_received IS"
        " TRUE THEN 1 ELSE 0 END), sum(CASE WHEN n.type = 'email' AND n.direction = 'outbound' AND "
        'n.response_received IS TRUE AND n.response_time_hours IS NOT NULL THEN 1 ELSE 0 END), sum(CASE WHEN '
        "n.type IN ('meeting', 'qbr') THEN coalesce(n.duration_minutes, 0) ELSE 0 END), sum(CASE WHEN n.type ="
        " 'email' AND n.direction = 'outbound' AND n.response_received IS TRUE THEN n.response_time_hours END)"
        ' FROM new_rows n GROUP BY 1, 2 ORDER BY 2, 1 ON CONFLICT (customer_id, day) DO UPDATE SET emails_sent'
        ' = d.emails_sent + excluded.emails_sent, emails_received = d.emails_received + '
        'excluded.emails_received, meetings_held = d.meetings_held + excluded.meetings_held, qbrs_completed = '
        'd.qbrs_completed + excluded.qbrs_completed, calls_made = d.calls_made + excluded.calls_made, '
        'calls_received = d.calls_received + excluded.calls_received, messages_sent = d.messages_sent + '
        'excluded.messages_sent, messages_received = d.messages_received + excluded.messages_received, '
        'executive_touchpoints = d.executive_touchpoints + excluded.executive_touchpoints, responses_known = '
        'd.responses_known + excluded.responses_known, responses_answered = d.responses_answered + '
        'excluded.responses_answered, response_times = d.response_times + excluded.response_times, '
        'meeting_minutes = d.meeting_minutes + excluded.meeting_minutes, response_hours = CASE WHEN '
        'excluded.response_hours IS NULL THEN d.response_hours ELSE coalesce(d.response_hours, 0) + '
        'excluded.response_hours END; INSERT INTO activity_month AS m (customer_id, month, emails_sent, '
        'emails_received, meetings_held, qbrs_completed, calls_made, calls_received, messages_sent, '
        'messages_received, executive_touchpoints, responses_known, responses_answered, response_times, '
        "meeting_minutes, response_hours, last_day) SELECT n.customer_id, date_trunc('month', n.date)::date, "
        "sum(CASE WHEN n.type = 'email' AND n.direction = 'outbound' THEN 1 ELSE 0 END), sum(CASE WHEN n.type "
        "= 'email' AND n.direction = 'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN n.type IN ('meeting', 'qbr') "
        "THEN 1 ELSE 0 END), sum(CASE WHEN n.type = 'qbr' THEN 1 ELSE 0 END), sum(CASE WHEN n.type = 'call' "
        "AND n.direction = 'outbound' THEN 1 ELSE 0 END), sum(CASE WHEN n.type = 'call' AND n.direction = "
        "'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN n.type = 'message' AND n.direction = 'outbound' THEN 1 "
        "ELSE 0 END), sum(CASE WHEN n.type = 'message' AND n.direction = 'inbound' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN n.stakeholder_level = 'executive' THEN 1 ELSE 0 END), sum(CASE WHEN n.type = 'email' "
        "AND n.direction = 'outbound' AND n.response_received IS NOT NULL THEN 1 ELSE 0 END), sum(CASE WHEN "
        "n.type = 'email' AND n.direction = 'outbound' AND n.response_received IS TRUE THEN 1 ELSE 0 END), "
        "sum(CASE WHEN n.type = 'email' AND n.direction = 'outbound' AND n.response_received IS TRUE AND "
        "n.response_time_hours IS NOT NULL THEN 1 ELSE 0 END), sum(CASE WHEN n.type IN ('meeting', 'qbr') THEN"
        " coalesce(n.duration_minutes, 0) ELSE 0 END), sum(CASE WHEN n.type = 'email' AND n.direction = "
        "'outbound' AND n.response_received IS TRUE THEN n.response_time_hours END), max(n.date::date) FROM "
        'new_rows n GROUP BY 1, 2 ORDER BY 2, 1 ON CONFLICT (customer_id, month) DO UPDATE SET emails_sent = '
        'm.emails_sent + excluded.emails_sent, emails_received = m.emails_received + excluded.emails_received,'
        ' meetings_held = m.meetings_held + excluded.meetings_held, qbrs_completed = m.qbrs_completed + '
        'excluded.qbrs_completed, calls_made = m.calls_made + excluded.calls_made, calls_received = '
        'm.calls_received + excluded.calls_received, messages_sent = m.messages_sent + excluded.messages_sent,'
        ' messages_received = m.messages_received + excluded.messages_received, executive_touchpoints = '
        'm.executive_touchpoints + excluded.executive_touchpoints, responses_known = m.responses_known + '
        'excluded.responses_known, responses_answered = m.responses_answered + excluded.responses_answered, '
        'response_times = m.response_times + excluded.response_times, meeting_minutes = m.meeting_minutes + '
        'excluded.meeting_minutes, response_hours = CASE WHEN excluded.response_hours IS NULL THEN '
        'm.response_hours ELSE coalesce(m.response_hours, 0) + excluded.response_hours END, last_day = '
        'greatest(m.last_day, excluded.last_day); INSERT INTO activity_person_month AS m (customer_id, month, '
        "person, days) SELECT n.customer_id, date_trunc('month', n.date)::date, lower(trim(p.value)), bit_or(1"
        ' << (extract(day FROM n.date)::int - 1)) FROM new_rows n CROSS JOIN '
        "json_array_elements_text(n.participants) p WHERE lower(trim(p.value)) <> '' GROUP BY 1, 2, 3 ORDER BY"
        ' 2, 1, 3 ON CONFLICT (customer_id, month, person) DO UPDATE SET days = m.days | excluded.days; ELSIF '
        "TG_OP = 'DELETE' THEN DELETE FROM activity_day d USING (SELECT DISTINCT customer_id, date::date AS "
        'day FROM (SELECT customer_id, date FROM old_rows) r) t WHERE d.customer_id = t.customer_id AND d.day '
        '= t.day; INSERT INTO activity_day (customer_id, day, emails_sent, emails_received, meetings_held, '
        'qbrs_completed, calls_made, calls_received, messages_sent, messages_received, executive_touchpoints, '
        'responses_known, responses_answered, response_times, meeting_minutes, response_hours) SELECT '
        "a.customer_id, a.date::date, sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' THEN 1 ELSE "
        "0 END), sum(CASE WHEN a.type = 'email' AND a.direction = 'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN "
        "a.type IN ('meeting', 'qbr') THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'qbr' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN a.type = 'call' AND a.direction = 'outbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.type ="
        " 'call' AND a.direction = 'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'message' AND "
        "a.direction = 'outbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'message' AND a.direction = "
        "'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.stakeholder_level = 'executive' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' AND a.response_received IS NOT NULL THEN "
        "1 ELSE 0 END), sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' AND a.response_received IS"
        " TRUE THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' AND "
        'a.response_received IS TRUE AND a.response_time_hours IS NOT NULL THEN 1 ELSE 0 END), sum(CASE WHEN '
        "a.type IN ('meeting', 'qbr') THEN coalesce(a.duration_minutes, 0) ELSE 0 END), sum(CASE WHEN a.type ="
        " 'email' AND a.direction = 'outbound' AND a.response_received IS TRUE THEN a.response_time_hours END)"
        ' FROM activity a JOIN (SELECT DISTINCT customer_id, date::date AS day FROM (SELECT customer_id, date '
        'FROM old_rows) r) t ON a.customer_id = t.customer_id AND a.date >= t.day AND a.date < t.day + 1 GROUP'
        " BY 1, 2; DELETE FROM activity_month m USING (SELECT DISTINCT customer_id, date_trunc('month', "
        'day)::date AS month FROM (SELECT DISTINCT customer_id, date::date AS day FROM (SELECT customer_id, '
        'date FROM old_rows) r) t) t WHERE m.customer_id = t.customer_id AND m.month = t.month; INSERT INTO '
        'activity_month (customer_id, month, emails_sent, emails_received, meetings_held, qbrs_completed, '
        'calls_made, calls_received, messages_sent, messages_received, executive_touchpoints, responses_known,'
        ' responses_answered, response_times, meeting_minutes, response_hours, last_day) SELECT d.customer_id,'
        " date_trunc('month', d.day)::date, sum(d.emails_sent), sum(d.emails_received), sum(d.meetings_held), "
        'sum(d.qbrs_completed), sum(d.calls_made), sum(d.calls_received), sum(d.messages_sent), '
        'sum(d.messages_received), sum(d.executive_touchpoints), sum(d.responses_known), '
        'sum(d.responses_answered), sum(d.response_times), sum(d.meeting_minutes), sum(d.response_hours), '
        "max(d.day) FROM activity_day d WHERE (d.customer_id, date_trunc('month', d.day)::date) IN (SELECT "
        "customer_id, month FROM (SELECT DISTINCT customer_id, date_trunc('month', day)::date AS month FROM "
        '(SELECT DISTINCT customer_id, date::date AS day FROM (SELECT customer_id, date FROM old_rows) r) t) '
        't) GROUP BY 1, 2; DELETE FROM activity_person_month m USING (SELECT DISTINCT customer_id, '
        "date_trunc('month', day)::date AS month FROM (SELECT DISTINCT customer_id, date::date AS day FROM "
        '(SELECT customer_id, date FROM old_rows) r) t) t WHERE m.customer_id = t.customer_id AND m.month = '
        't.month; INSERT INTO activity_person_month (customer_id, month, person, days) SELECT a.customer_id, '
        "date_trunc('month', a.date)::date, lower(trim(p.value)), bit_or(1 << (extract(day FROM a.date)::int -"
        " 1)) FROM activity a JOIN (SELECT DISTINCT customer_id, date_trunc('month', day)::date AS month FROM "
        '(SELECT DISTINCT customer_id, date::date AS day FROM (SELECT customer_id, date FROM old_rows) r) t) t'
        " ON a.customer_id = t.customer_id AND a.date >= t.month AND a.date < t.month + interval '1 month' "
        "CROSS JOIN json_array_elements_text(a.participants) p WHERE lower(trim(p.value)) <> '' GROUP BY 1, 2,"
        " 3; ELSIF TG_OP = 'UPDATE' THEN DELETE FROM activity_day d USING (SELECT DISTINCT customer_id, "
        'date::date AS day FROM (SELECT customer_id, date FROM old_rows UNION ALL SELECT customer_id, date '
        'FROM new_rows) r) t WHERE d.customer_id = t.customer_id AND d.day = t.day; INSERT INTO activity_day '
        '(customer_id, day, emails_sent, emails_received, meetings_held, qbrs_completed, calls_made, '
        'calls_received, messages_sent, messages_received, executive_touchpoints, responses_known, '
        'responses_answered, response_times, meeting_minutes, response_hours) SELECT a.customer_id, '
        "a.date::date, sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN a.type = 'email' AND a.direction = 'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.type "
        "IN ('meeting', 'qbr') THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'qbr' THEN 1 ELSE 0 END), sum(CASE "
        "WHEN a.type = 'call' AND a.direction = 'outbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'call' "
        "AND a.direction = 'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'message' AND a.direction = "
        "'outbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'message' AND a.direction = 'inbound' THEN 1 "
        "ELSE 0 END), sum(CASE WHEN a.stakeholder_level = 'executive' THEN 1 ELSE 0 END), sum(CASE WHEN a.type"
        " = 'email' AND a.direction = 'outbound' AND a.response_received IS NOT NULL THEN 1 ELSE 0 END), "
        "sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' AND a.response_received IS TRUE THEN 1 "
        "ELSE 0 END), sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' AND a.response_received IS "
        "TRUE AND a.response_time_hours IS NOT NULL THEN 1 ELSE 0 END), sum(CASE WHEN a.type IN ('meeting', "
        "'qbr') THEN coalesce(a.duration_minutes, 0) ELSE 0 END), sum(CASE WHEN a.type = 'email' AND "
        "a.direction = 'outbound' AND a.response_received IS TRUE THEN a.response_time_hours END) FROM "
        'activity a JOIN (SELECT DISTINCT customer_id, date::date AS day FROM (SELECT customer_id, date FROM '
        'old_rows UNION ALL SELECT customer_id, date FROM new_rows) r) t ON a.customer_id = t.customer_id AND '
        'a.date >= t.day AND a.date < t.day + 1 GROUP BY 1, 2; DELETE FROM activity_month m USING (SELECT '
        "DISTINCT customer_id, date_trunc('month', day)::date AS month FROM (SELECT DISTINCT customer_id, "
        'date::date AS day FROM (SELECT customer_id, date FROM old_rows UNION ALL SELECT customer_id, date '
        'FROM new_rows) r) t) t WHERE m.customer_id = t.customer_id AND m.month = t.month; INSERT INTO '
        'activity_month (customer_id, month, emails_sent, emails_received, meetings_held, qbrs_completed, '
        'calls_made, calls_received, messages_sent, messages_received, executive_touchpoints, responses_known,'
        ' responses_answered, response_times, meeting_minutes, response_hours, last_day) SELECT d.customer_id,'
        " date_trunc('month', d.day)::date, sum(d.emails_sent), sum(d.emails_received), sum(d.meetings_held), "
        'sum(d.qbrs_completed), sum(d.calls_made), sum(d.calls_received), sum(d.messages_sent), '
        'sum(d.messages_received), sum(d.executive_touchpoints), sum(d.responses_known), '
        'sum(d.responses_answered), sum(d.response_times), sum(d.meeting_minutes), sum(d.response_hours), '
        "max(d.day) FROM activity_day d WHERE (d.customer_id, date_trunc('month', d.day)::date) IN (SELECT "
        "customer_id, month FROM (SELECT DISTINCT customer_id, date_trunc('month', day)::date AS month FROM "
        '(SELECT DISTINCT customer_id, date::date AS day FROM (SELECT customer_id, date FROM old_rows UNION '
        'ALL SELECT customer_id, date FROM new_rows) r) t) t) GROUP BY 1, 2; DELETE FROM activity_person_month'
        " m USING (SELECT DISTINCT customer_id, date_trunc('month', day)::date AS month FROM (SELECT DISTINCT "
        'customer_id, date::date AS day FROM (SELECT customer_id, date FROM old_rows UNION ALL SELECT '
        'customer_id, date FROM new_rows) r) t) t WHERE m.customer_id = t.customer_id AND m.month = t.month; '
        'INSERT INTO activity_person_month (customer_id, month, person, days) SELECT a.customer_id, '
        "date_trunc('month', a.date)::date, lower(trim(p.value)), bit_or(1 << (extract(day FROM a.date)::int -"
        " 1)) FROM activity a JOIN (SELECT DISTINCT customer_id, date_trunc('month', day)::date AS month FROM "
        '(SELECT DISTINCT customer_id, date::date AS day FROM (SELECT customer_id, date FROM old_rows UNION '
        'ALL SELECT customer_id, date FROM new_rows) r) t) t ON a.customer_id = t.customer_id AND a.date >= '
        "t.month AND a.date < t.month + interval '1 month' CROSS JOIN json_array_elements_text(a.participants)"
        " p WHERE lower(trim(p.value)) <> '' GROUP BY 1, 2, 3; ELSE TRUNCATE activity_day, activity_month, "
        'activity_person_month; END IF; RETURN NULL; END $$'
    ),
)

POSTGRESQL_TRIGGERS = (
    (
        'CREATE TRIGGER activity_bumps_version_on_insert AFTER INSERT ON activity REFERENCING NEW TABLE AS '
        'new_rows FOR EACH STATEMENT EXECUTE FUNCTION activity_logs_change()'
    ),
    (
        'CREATE TRIGGER activity_bumps_version_on_update AFTER UPDATE ON activity REFERENCING OLD TABLE AS '
        'old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION activity_logs_change()'
    ),
    (
        'CREATE TRIGGER activity_bumps_version_on_delete AFTER DELETE ON activity REFERENCING OLD TABLE AS '
        'old_rows FOR EACH STATEMENT EXECUTE FUNCTION activity_logs_change()'
    ),
    (
        'CREATE TRIGGER activity_bumps_version_on_truncate AFTER TRUNCATE ON activity FOR EACH STATEMENT '
        'EXECUTE FUNCTION activity_logs_change()'
    ),
    (
        'CREATE TRIGGER customer_bumps_version_on_insert AFTER INSERT ON customer REFERENCING NEW TABLE AS '
        'new_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_logs_change()'
    ),
    (
        'CREATE TRIGGER customer_bumps_version_on_update AFTER UPDATE ON customer REFERENCING OLD TABLE AS '
        'old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_logs_change()'
    ),
    (
        'CREATE TRIGGER customer_bumps_version_on_delete AFTER DELETE ON customer REFERENCING OLD TABLE AS '
        'old_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_logs_change()'
    ),
    (
        'CREATE TRIGGER customer_bumps_version_on_truncate AFTER TRUNCATE ON customer FOR EACH STATEMENT '
        'EXECUTE FUNCTION customer_logs_change()'
    ),
    (
        'CREATE TRIGGER activity_insert_rolls_up AFTER INSERT ON activity REFERENCING NEW TABLE AS new_rows '
        'FOR EACH STATEMENT EXECUTE FUNCTION activity_rolls_up()'
    ),
    (
        'CREATE TRIGGER activity_delete_rolls_up AFTER DELETE ON activity REFERENCING OLD TABLE AS old_rows '
        'FOR EACH STATEMENT EXECUTE FUNCTION activity_rolls_up()'
    ),
    (
        'CREATE TRIGGER activity_update_rolls_up AFTER UPDATE ON activity REFERENCING OLD TABLE AS old_rows '
        'NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION activity_rolls_up()'
    ),
    (
        'CREATE TRIGGER activity_truncate_rolls_up AFTER TRUNCATE ON activity FOR EACH STATEMENT EXECUTE '
        'FUNCTION activity_rolls_up()'
    ),
)

MONTH_FILL = (
    (
        'INSERT INTO activity_month (customer_id, month, emails_sent, emails_received, meetings_held, '
        'qbrs_completed, calls_made, calls_received, messages_sent, messages_received, executive_touchpoints, '
        'responses_known, responses_answered, response_times, meeting_minutes, response_hours, last_day) '
        "SELECT d.customer_id, substr(d.day, 1, 7) || '-01', sum(d.emails_sent), sum(d.emails_received), "
        'sum(d.meetings_held), sum(d.qbrs_completed), sum(d.calls_made), sum(d.calls_received), '
        'sum(d.messages_sent), sum(d.messages_received), sum(d.executive_touchpoints), sum(d.responses_known),'
        ' sum(d.responses_answered), sum(d.response_times), sum(d.meeting_minutes), sum(d.response_hours), '
        'max(d.day) FROM activity_day d WHERE true GROUP BY 1, 2'
    ),
    (
        'INSERT INTO activity_month (customer_id, month, emails_sent, emails_received, meetings_held, '
        'qbrs_completed, calls_made, calls_received, messages_sent, messages_received, executive_touchpoints, '
        'responses_known, responses_answered, response_times, meeting_minutes, response_hours, last_day) '
        "SELECT d.customer_id, date_trunc('month', d.day)::date, sum(d.emails_sent), sum(d.emails_received), "
        'sum(d.meetings_held), sum(d.qbrs_completed), sum(d.calls_made), sum(d.calls_received), '
        'sum(d.messages_sent), sum(d.messages_received), sum(d.executive_touchpoints), sum(d.responses_known),'
        ' sum(d.responses_answered), sum(d.response_times), sum(d.meeting_minutes), sum(d.response_hours), '
        'max(d.day) FROM activity_day d WHERE true GROUP BY 1, 2 ORDER BY 2, 1'
    ),
)


# -- What 0004 released (for the downgrade) -----------------------------------------------------------

RELEASED_0004_SQLITE = (
    (
        'CREATE TRIGGER activity_insert_rolls_up AFTER INSERT ON activity BEGIN INSERT INTO activity_day '
        '(customer_id, day, emails_sent, emails_received, meetings_held, qbrs_completed, calls_made, '
        'calls_received, messages_sent, messages_received, executive_touchpoints, responses_known, '
        'responses_answered, response_times, meeting_minutes, response_hours) VALUES (NEW.customer_id, '
        "substr(NEW.date, 1, 10), CASE WHEN NEW.type = 'email' AND NEW.direction = 'outbound' THEN 1 ELSE 0 "
        "END, CASE WHEN NEW.type = 'email' AND NEW.direction = 'inbound' THEN 1 ELSE 0 END, CASE WHEN NEW.type"
        " IN ('meeting', 'qbr') THEN 1 ELSE 0 END, CASE WHEN NEW.type = 'qbr' THEN 1 ELSE 0 END, CASE WHEN "
        "NEW.type = 'call' AND NEW.direction = 'outbound' THEN 1 ELSE 0 END, CASE WHEN NEW.type = 'call' AND "
        "NEW.direction = 'inbound' THEN 1 ELSE 0 END, CASE WHEN NEW.type = 'message' AND NEW.direction = "
        "'outbound' THEN 1 ELSE 0 END, CASE WHEN NEW.type = 'message' AND NEW.direction = 'inbound' THEN 1 "
        "ELSE 0 END, CASE WHEN NEW.stakeholder_level = 'executive' THEN 1 ELSE 0 END, CASE WHEN NEW.type = "
        "'email' AND NEW.direction = 'outbound' AND NEW.response_received IS NOT NULL THEN 1 ELSE 0 END, CASE "
        "WHEN NEW.type = 'email' AND NEW.direction = 'outbound' AND NEW.response_received IS TRUE THEN 1 ELSE "
        "0 END, CASE WHEN NEW.type = 'email' AND NEW.direction = 'outbound' AND NEW.response_received IS TRUE "
        "AND NEW.response_time_hours IS NOT NULL THEN 1 ELSE 0 END, CASE WHEN NEW.type IN ('meeting', 'qbr') "
        "THEN coalesce(NEW.duration_minutes, 0) ELSE 0 END, CASE WHEN NEW.type = 'email' AND NEW.direction = "
        "'outbound' AND NEW.response_received IS TRUE THEN NEW.response_time_hours END) ON CONFLICT "
        '(customer_id, day) DO UPDATE SET emails_sent = activity_day.emails_sent + excluded.emails_sent, '
        'emails_received = activity_day.emails_received + excluded.emails_received, meetings_held = '
        'activity_day.meetings_held + excluded.meetings_held, qbrs_completed = activity_day.qbrs_completed + '
        'excluded.qbrs_completed, calls_made = activity_day.calls_made + excluded.calls_made, calls_received ='
        ' activity_day.calls_received + excluded.calls_received, messages_sent = activity_day.messages_sent + '
        'excluded.messages_sent, messages_received = activity_day.messages_received + '
        'excluded.messages_received, executive_touchpoints = activity_day.executive_touchpoints + '
        'excluded.executive_touchpoints, responses_known = activity_day.responses_known + '
        'excluded.responses_known, responses_answered = activity_day.responses_answered + '
        'excluded.responses_answered, response_times = activity_day.response_times + excluded.response_times, '
        'meeting_minutes = activity_day.meeting_minutes + excluded.meeting_minutes, response_hours = CASE WHEN'
        ' excluded.response_hours IS NULL THEN activity_day.response_hours ELSE '
        'coalesce(activity_day.response_hours, 0) + excluded.response_hours END; INSERT INTO '
        'activity_person_month (customer_id, month, person, days) SELECT NEW.customer_id, substr(NEW.date, 1, '
        "7) || '-01', lower(trim(p.value)), 1 << (CAST(substr(NEW.date, 9, 2) AS INTEGER) - 1) FROM "
        "json_each(NEW.participants) p WHERE lower(trim(p.value)) != '' ON CONFLICT (customer_id, month, "
        'person) DO UPDATE SET days = activity_person_month.days | excluded.days; END'
    ),
    (
        'CREATE TRIGGER activity_delete_rolls_up AFTER DELETE ON activity BEGIN DELETE FROM activity_day WHERE'
        ' customer_id = OLD.customer_id AND day = substr(OLD.date, 1, 10); INSERT INTO activity_day '
        '(customer_id, day, emails_sent, emails_received, meetings_held, qbrs_completed, calls_made, '
        'calls_received, messages_sent, messages_received, executive_touchpoints, responses_known, '
        'responses_answered, response_times, meeting_minutes, response_hours) SELECT a.customer_id, '
        "substr(a.date, 1, 10), sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' THEN 1 ELSE 0 "
        "END), sum(CASE WHEN a.type = 'email' AND a.direction = 'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN "
        "a.type IN ('meeting', 'qbr') THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'qbr' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN a.type = 'call' AND a.direction = 'outbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.type ="
        " 'call' AND a.direction = 'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'message' AND "
        "a.direction = 'outbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'message' AND a.direction = "
        "'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.stakeholder_level = 'executive' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' AND a.response_received IS NOT NULL THEN "
        "1 ELSE 0 END), sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' AND a.response_received IS"
        " TRUE THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' AND "
        'a.response_received IS TRUE AND a.response_time_hours IS NOT NULL THEN 1 ELSE 0 END), sum(CASE WHEN '
        "a.type IN ('meeting', 'qbr') THEN coalesce(a.duration_minutes, 0) ELSE 0 END), sum(CASE WHEN a.type ="
        " 'email' AND a.direction = 'outbound' AND a.response_received IS TRUE THEN a.response_time_hours END)"
        ' FROM activity a WHERE a.customer_id = OLD.customer_id AND a.date >= substr(OLD.date, 1, 10) AND '
        "a.date < date(substr(OLD.date, 1, 10), '+1 day') GROUP BY a.customer_id; UPDATE activity_person_month"
        ' SET days = days & ~(1 << (CAST(substr(OLD.date, 9, 2) AS INTEGER) - 1)) WHERE customer_id = '
        "OLD.customer_id AND month = substr(OLD.date, 1, 7) || '-01' AND person IN (SELECT lower(trim(value)) "
        'FROM json_each(OLD.participants)) AND NOT EXISTS (SELECT 1 FROM activity a, json_each(a.participants)'
        ' q WHERE a.customer_id = OLD.customer_id AND a.date >= substr(OLD.date, 1, 10) AND a.date < '
        "date(substr(OLD.date, 1, 10), '+1 day') AND lower(trim(q.value)) = activity_person_month.person); "
        'DELETE FROM activity_person_month WHERE customer_id = OLD.customer_id AND month = substr(OLD.date, 1,'
        " 7) || '-01' AND days = 0; END"
    ),
    (
        'CREATE TRIGGER activity_update_rolls_up AFTER UPDATE OF customer_id, type, direction, date, '
        'duration_minutes, participants, stakeholder_level, response_received, response_time_hours ON activity'
        ' BEGIN DELETE FROM activity_day WHERE customer_id = OLD.customer_id AND day = substr(OLD.date, 1, '
        '10); INSERT INTO activity_day (customer_id, day, emails_sent, emails_received, meetings_held, '
        'qbrs_completed, calls_made, calls_received, messages_sent, messages_received, executive_touchpoints, '
        'responses_known, responses_answered, response_times, meeting_minutes, response_hours) SELECT '
        "a.customer_id, substr(a.date, 1, 10), sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' "
        "THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'email' AND a.direction = 'inbound' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN a.type IN ('meeting', 'qbr') THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'qbr' THEN 1 "
        "ELSE 0 END), sum(CASE WHEN a.type = 'call' AND a.direction = 'outbound' THEN 1 ELSE 0 END), sum(CASE "
        "WHEN a.type = 'call' AND a.direction = 'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'message'"
        " AND a.direction = 'outbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'message' AND a.direction = "
        "'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.stakeholder_level = 'executive' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' AND a.response_received IS NOT NULL THEN "
        "1 ELSE 0 END), sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' AND a.response_received IS"
        " TRUE THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' AND "
        'a.response_received IS TRUE AND a.response_time_hours IS NOT NULL THEN 1 ELSE 0 END), sum(CASE WHEN '
        "a.type IN ('meeting', 'qbr') THEN coalesce(a.duration_minutes, 0) ELSE 0 END), sum(CASE WHEN a.type ="
        " 'email' AND a.direction = 'outbound' AND a.response_received IS TRUE THEN a.response_time_hours END)"
        ' FROM activity a WHERE a.customer_id = OLD.customer_id AND a.date >= substr(OLD.date, 1, 10) AND '
        "a.date < date(substr(OLD.date, 1, 10), '+1 day') GROUP BY a.customer_id; DELETE FROM activity_day "
        'WHERE customer_id = NEW.customer_id AND day = substr(NEW.date, 1, 10); INSERT INTO activity_day '
        '(customer_id, day, emails_sent, emails_received, meetings_held, qbrs_completed, calls_made, '
        'calls_received, messages_sent, messages_received, executive_touchpoints, responses_known, '
        'responses_answered, response_times, meeting_minutes, response_hours) SELECT a.customer_id, '
        "substr(a.date, 1, 10), sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' THEN 1 ELSE 0 "
        "END), sum(CASE WHEN a.type = 'email' AND a.direction = 'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN "
        "a.type IN ('meeting', 'qbr') THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'qbr' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN a.type = 'call' AND a.direction = 'outbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.type ="
        " 'call' AND a.direction = 'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'message' AND "
        "a.direction = 'outbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'message' AND a.direction = "
        "'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.stakeholder_level = 'executive' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' AND a.response_received IS NOT NULL THEN "
        "1 ELSE 0 END), sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' AND a.response_received IS"
        " TRUE THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' AND "
        'a.response_received IS TRUE AND a.response_time_hours IS NOT NULL THEN 1 ELSE 0 END), sum(CASE WHEN '
        "a.type IN ('meeting', 'qbr') THEN coalesce(a.duration_minutes, 0) ELSE 0 END), sum(CASE WHEN a.type ="
        " 'email' AND a.direction = 'outbound' AND a.response_received IS TRUE THEN a.response_time_hours END)"
        ' FROM activity a WHERE a.customer_id = NEW.customer_id AND a.date >= substr(NEW.date, 1, 10) AND '
        "a.date < date(substr(NEW.date, 1, 10), '+1 day') GROUP BY a.customer_id; UPDATE activity_person_month"
        ' SET days = days & ~(1 << (CAST(substr(OLD.date, 9, 2) AS INTEGER) - 1)) WHERE customer_id = '
        "OLD.customer_id AND month = substr(OLD.date, 1, 7) || '-01' AND person IN (SELECT lower(trim(value)) "
        'FROM json_each(OLD.participants)) AND NOT EXISTS (SELECT 1 FROM activity a, json_each(a.participants)'
        ' q WHERE a.customer_id = OLD.customer_id AND a.date >= substr(OLD.date, 1, 10) AND a.date < '
        "date(substr(OLD.date, 1, 10), '+1 day') AND lower(trim(q.value)) = activity_person_month.person); "
        'DELETE FROM activity_person_month WHERE customer_id = OLD.customer_id AND month = substr(OLD.date, 1,'
        " 7) || '-01' AND days = 0; INSERT INTO activity_person_month (customer_id, month, person, days) "
        "SELECT NEW.customer_id, substr(NEW.date, 1, 7) || '-01', lower(trim(p.value)), 1 << "
        '(CAST(substr(NEW.date, 9, 2) AS INTEGER) - 1) FROM json_each(NEW.participants) p WHERE '
        "lower(trim(p.value)) != '' ON CONFLICT (customer_id, month, person) DO UPDATE SET days = "
        'activity_person_month.days | excluded.days; END'
    ),
)

RELEASED_0004_POSTGRESQL = (
    (
        "CREATE FUNCTION activity_rolls_up() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'INSERT' "
        'THEN INSERT INTO activity_day AS d (customer_id, day, emails_sent, emails_received, meetings_held, '
        'qbrs_completed, calls_made, calls_received, messages_sent, messages_received, executive_touchpoints, '
        'responses_known, responses_answered, response_times, meeting_minutes, response_hours) SELECT '
        "n.customer_id, n.date::date, sum(CASE WHEN n.type = 'email' AND n.direction = 'outbound' THEN 1 ELSE "
        "0 END), sum(CASE WHEN n.type = 'email' AND n.direction = 'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN "
        "n.type IN ('meeting', 'qbr') THEN 1 ELSE 0 END), sum(CASE WHEN n.type = 'qbr' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN n.type = 'call' AND n.direction = 'outbound' THEN 1 ELSE 0 END), sum(CASE WHEN n.type ="
        " 'call' AND n.direction = 'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN n.type = 'message' AND "
        "n.direction = 'outbound' THEN 1 ELSE 0 END), sum(CASE WHEN n.type = 'message' AND n.direction = "
        "'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN n.stakeholder_level = 'executive' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN n.type = 'email' AND n.direction = 'outbound' AND n.response_received IS NOT NULL THEN "
        "1 ELSE 0 END), sum(CASE WHEN n.type = 'email' AND n.direction = 'outbound' AND n.response_received IS"
        " TRUE THEN 1 ELSE 0 END), sum(CASE WHEN n.type = 'email' AND n.direction = 'outbound' AND "
        'n.response_received IS TRUE AND n.response_time_hours IS NOT NULL THEN 1 ELSE 0 END), sum(CASE WHEN '
        "n.type IN ('meeting', 'qbr') THEN coalesce(n.duration_minutes, 0) ELSE 0 END), sum(CASE WHEN n.type ="
        " 'email' AND n.direction = 'outbound' AND n.response_received IS TRUE THEN n.response_time_hours END)"
        ' FROM new_rows n GROUP BY 1, 2 ORDER BY 2, 1 ON CONFLICT (customer_id, day) DO UPDATE SET emails_sent'
        ' = d.emails_sent + excluded.emails_sent, emails_received = d.emails_received + '
        'excluded.emails_received, meetings_held = d.meetings_held + excluded.meetings_held, qbrs_completed = '
        'd.qbrs_completed + excluded.qbrs_completed, calls_made = d.calls_made + excluded.calls_made, '
        'calls_received = d.calls_received + excluded.calls_received, messages_sent = d.messages_sent + '
        'excluded.messages_sent, messages_received = d.messages_received + excluded.messages_received, '
        'executive_touchpoints = d.executive_touchpoints + excluded.executive_touchpoints, responses_known = '
        'd.responses_known + excluded.responses_known, responses_answered = d.responses_answered + '
        'excluded.responses_answered, response_times = d.response_times + excluded.response_times, '
        'meeting_minutes = d.meeting_minutes + excluded.meeting_minutes, response_hours = CASE WHEN '
        'excluded.response_hours IS NULL THEN d.response_hours ELSE coalesce(d.response_hours, 0) + '
        'excluded.response_hours END; INSERT INTO activity_person_month AS m (customer_id, month, person, '
        "days) SELECT n.customer_id, date_trunc('month', n.date)::date, lower(trim(p.value)), bit_or(1 << "
        '(extract(day FROM n.date)::int - 1)) FROM new_rows n CROSS JOIN '
        "json_array_elements_text(n.participants) p WHERE lower(trim(p.value)) <> '' GROUP BY 1, 2, 3 ORDER BY"
        ' 2, 1, 3 ON CONFLICT (customer_id, month, person) DO UPDATE SET days = m.days | excluded.days; ELSIF '
        "TG_OP = 'DELETE' THEN DELETE FROM activity_day d USING (SELECT DISTINCT customer_id, date::date AS "
        'day FROM (SELECT customer_id, date FROM old_rows) r) t WHERE d.customer_id = t.customer_id AND d.day '
        '= t.day; INSERT INTO activity_day (customer_id, day, emails_sent, emails_received, meetings_held, '
        'qbrs_completed, calls_made, calls_received, messages_sent, messages_received, executive_touchpoints, '
        'responses_known, responses_answered, response_times, meeting_minutes, response_hours) SELECT '
        "a.customer_id, a.date::date, sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' THEN 1 ELSE "
        "0 END), sum(CASE WHEN a.type = 'email' AND a.direction = 'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN "
        "a.type IN ('meeting', 'qbr') THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'qbr' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN a.type = 'call' AND a.direction = 'outbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.type ="
        " 'call' AND a.direction = 'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'message' AND "
        "a.direction = 'outbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'message' AND a.direction = "
        "'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.stakeholder_level = 'executive' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' AND a.response_received IS NOT NULL THEN "
        "1 ELSE 0 END), sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' AND a.response_received IS"
        " TRUE THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' AND "
        'a.response_received IS TRUE AND a.response_time_hours IS NOT NULL THEN 1 ELSE 0 END), sum(CASE WHEN '
        "a.type IN ('meeting', 'qbr') THEN coalesce(a.duration_minutes, 0) ELSE 0 END), sum(CASE WHEN a.type ="
        " 'email' AND a.direction = 'outbound' AND a.response_received IS TRUE THEN a.response_time_hours END)"
        ' FROM activity a JOIN (SELECT DISTINCT customer_id, date::date AS day FROM (SELECT customer_id, date '
        'FROM old_rows) r) t ON a.customer_id = t.customer_id AND a.date >= t.day AND a.date < t.day + 1 GROUP'
        ' BY 1, 2; DELETE FROM activity_person_month m USING (SELECT DISTINCT customer_id, date::date AS day '
        'FROM (SELECT customer_id, date FROM old_rows) r) t WHERE m.customer_id = t.customer_id AND m.month = '
        "date_trunc('month', t.day)::date; INSERT INTO activity_person_month (customer_id, month, person, "
        "days) SELECT a.customer_id, date_trunc('month', a.date)::date, lower(trim(p.value)), bit_or(1 << "
        '(extract(day FROM a.date)::int - 1)) FROM activity a JOIN (SELECT DISTINCT customer_id, '
        "date_trunc('month', day)::date AS month FROM (SELECT DISTINCT customer_id, date::date AS day FROM "
        '(SELECT customer_id, date FROM old_rows) r) d) t ON a.customer_id = t.customer_id AND a.date >= '
        "t.month AND a.date < t.month + interval '1 month' CROSS JOIN json_array_elements_text(a.participants)"
        " p WHERE lower(trim(p.value)) <> '' GROUP BY 1, 2, 3; ELSIF TG_OP = 'UPDATE' THEN DELETE FROM "
        'activity_day d USING (SELECT DISTINCT customer_id, date::date AS day FROM (SELECT customer_id, date '
        'FROM old_rows UNION ALL SELECT customer_id, date FROM new_rows) r) t WHERE d.customer_id = '
        't.customer_id AND d.day = t.day; INSERT INTO activity_day (customer_id, day, emails_sent, '
        'emails_received, meetings_held, qbrs_completed, calls_made, calls_received, messages_sent, '
        'messages_received, executive_touchpoints, responses_known, responses_answered, response_times, '
        "meeting_minutes, response_hours) SELECT a.customer_id, a.date::date, sum(CASE WHEN a.type = 'email' "
        "AND a.direction = 'outbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'email' AND a.direction = "
        "'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.type IN ('meeting', 'qbr') THEN 1 ELSE 0 END), sum(CASE"
        " WHEN a.type = 'qbr' THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'call' AND a.direction = 'outbound' "
        "THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'call' AND a.direction = 'inbound' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN a.type = 'message' AND a.direction = 'outbound' THEN 1 ELSE 0 END), sum(CASE WHEN "
        "a.type = 'message' AND a.direction = 'inbound' THEN 1 ELSE 0 END), sum(CASE WHEN a.stakeholder_level "
        "= 'executive' THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' AND "
        "a.response_received IS NOT NULL THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'email' AND a.direction = "
        "'outbound' AND a.response_received IS TRUE THEN 1 ELSE 0 END), sum(CASE WHEN a.type = 'email' AND "
        "a.direction = 'outbound' AND a.response_received IS TRUE AND a.response_time_hours IS NOT NULL THEN 1"
        " ELSE 0 END), sum(CASE WHEN a.type IN ('meeting', 'qbr') THEN coalesce(a.duration_minutes, 0) ELSE 0 "
        "END), sum(CASE WHEN a.type = 'email' AND a.direction = 'outbound' AND a.response_received IS TRUE "
        'THEN a.response_time_hours END) FROM activity a JOIN (SELECT DISTINCT customer_id, date::date AS day '
        'FROM (SELECT customer_id, date FROM old_rows UNION ALL SELECT customer_id, date FROM new_rows) r) t '
        'ON a.customer_id = t.customer_id AND a.date >= t.day AND a.date < t.day + 1 GROUP BY 1, 2; DELETE '
        'FROM activity_person_month m USING (SELECT DISTINCT customer_id, date::date AS day FROM (SELECT '
        'customer_id, date FROM old_rows UNION ALL SELECT customer_id, date FROM new_rows) r) t WHERE '
        "m.customer_id = t.customer_id AND m.month = date_trunc('month', t.day)::date; INSERT INTO "
        "activity_person_month (customer_id, month, person, days) SELECT a.customer_id, date_trunc('month', "
        'a.date)::date, lower(trim(p.value)), bit_or(1 << (extract(day FROM a.date)::int - 1)) FROM activity a'
        " JOIN (SELECT DISTINCT customer_id, date_trunc('month', day)::date AS month FROM (SELECT DISTINCT "
        'customer_id, date::date AS day FROM (SELECT customer_id, date FROM old_rows UNION ALL SELECT '
        'customer_id, date FROM new_rows) r) d) t ON a.customer_id = t.customer_id AND a.date >= t.month AND '
        "a.date < t.month + interval '1 month' CROSS JOIN json_array_elements_text(a.participants) p WHERE "
        "lower(trim(p.value)) <> '' GROUP BY 1, 2, 3; ELSE TRUNCATE activity_day, activity_person_month; END "
        'IF; RETURN NULL; END $$'
    ),
    (
        'CREATE TRIGGER activity_insert_rolls_up AFTER INSERT ON activity REFERENCING NEW TABLE AS new_rows '
        'FOR EACH STATEMENT EXECUTE FUNCTION activity_rolls_up()'
    ),
    (
        'CREATE TRIGGER activity_delete_rolls_up AFTER DELETE ON activity REFERENCING OLD TABLE AS old_rows '
        'FOR EACH STATEMENT EXECUTE FUNCTION activity_rolls_up()'
    ),
    (
        'CREATE TRIGGER activity_update_rolls_up AFTER UPDATE ON activity REFERENCING OLD TABLE AS old_rows '
        'NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION activity_rolls_up()'
    ),
    (
        'CREATE TRIGGER activity_truncate_rolls_up AFTER TRUNCATE ON activity FOR EACH STATEMENT EXECUTE '
        'FUNCTION activity_rolls_up()'
    ),
)

