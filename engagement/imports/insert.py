"""Writing an import's checked activities into the store, the writer's bulk path (engagement.writer hands it
the columns engagement/imports/activities.py checked): stakeholder levels defaulted per distinct
combination, rows staged in insert order, then one INSERT ... SELECT from staging tables, in the import's
own transaction.

On SQLite an inserted row costs far more in the work it sets off than in itself: the store-version
trigger runs an UPDATE for every row, the rollup trigger an upsert per row into each rollup, and each
secondary index takes a random insert. So within the transaction both triggers are dropped, the
version is bumped once by the rows inserted, each customer logged once in the change log, and the new
rows are added to the rollups in one GROUP BY each (their exact effect: engagement/rollup.py), and when the import at least doubles the table its secondary indexes are dropped and built
again afterwards, which sorts once instead of searching per row. SQLite's DDL is transactional: the
schema is whole again before the commit, a failure rolls it back with the rows, and no other
connection sees the store without them (readers see the last commit; writers wait for the lock,
which BEGIN IMMEDIATE takes first). PostgreSQL's rollup trigger already runs once per statement.

A key held for another customer's activity (stored before, or by an earlier row of the file) is a
conflict, as in the writer's row path: such rows are not stored, and their positions come back for the
import to report. They are found only when the insert skipped rows, by one join of the stage.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import sqlite3
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from engagement import rollup
from engagement.imports.activities import GROUP_A, GROUP_B, Checked, Column, storage_dates
from engagement.models import STAKEHOLDER_LEVELS, Activity
from engagement.store import StakeholderLevels

COLUMNS = (*GROUP_A, *GROUP_B, "date", "subject", "external_id", "created_at")
SELECTED = ", ".join(
    [*(f"a.{c}" for c in GROUP_A), *(f"b.{c}" for c in GROUP_B), "s.date", "s.subject", "s.external_id"]
)
VERSION_TRIGGER = "activity_insert_bumps_version"  # the per-row trigger bumping the version and logging the change
ROLLUP_TRIGGER = "activity_insert_rolls_up"  # the per-row trigger adding a row to the rollups (engagement/rollup.py)
SECONDARY_INDEXES = tuple(sorted(str(index.name) for index in Activity.__table__.indexes))  # type: ignore[attr-defined]
SQLITE_IMPORT_CACHE_KIB = 1024 * 1024  # a big import's pages stay in memory (2M rows: 512 MiB halves the speed)
ANALYZE_AFTER_ROWS = 10_000  # PostgreSQL: an import this big refreshes the tables' statistics itself
STAGE_TABLES = ("activity_stage", "activity_stage_a", "activity_stage_b")
LEVELS: list[str | None] = [None, *STAKEHOLDER_LEVELS]


class Imported(NamedTuple):
    """What an import's write did: how many rows were new, and the positions (in `Checked`, ascending) of
    the conflicts, not stored: rows whose key another customer's activity holds (stored before, or by an
    earlier row of the file)."""

    new: int
    conflicts: list[int]


def insert_checked(session: Session, checked: Checked, levels: StakeholderLevels, created_at: dt.datetime) -> Imported:
    """An import's checked rows stored (each empty stakeholder level the most senior of `levels` among the
    row's participants), but for the conflicts."""
    _default_levels(checked.columns, levels)
    staged = stage(checked)
    new, held = insert_activities(session, staged, created_at)
    return Imported(new, sorted(staged.rows[held].tolist()))


def _default_levels(columns: dict[str, Column], levels: StakeholderLevels) -> None:
    """An empty stakeholder level becomes the most senior known participant's, per (customer, people)."""
    level = columns["stakeholder_level"]
    codes = np.array([LEVELS.index(v) for v in level.values], dtype=np.int64)[level.codes] if level.values else (
        np.zeros(0, np.int64)
    )
    empty = codes == 0
    if levels.levels and empty.any():
        customer, people = columns["customer_id"], columns["participants"]
        pairs = customer.codes[empty] * (len(people.values) + 1) + people.codes[empty]
        pair_codes, pair_uniques = pd.factorize(pairs)
        found = [
            LEVELS.index(levels.most_senior(customer.values[p // (len(people.values) + 1)],
                                            json.loads(people.values[p % (len(people.values) + 1)])))
            for p in pair_uniques
        ]
        codes[empty] = np.array(found, dtype=np.int64)[pair_codes]
    columns["stakeholder_level"] = Column(list(LEVELS), codes)


@dataclass
class Staged:
    """What the insert writes, in insert order: per row its date (microseconds since 1970, naive UTC),
    external_id, subject (None when no row has one) and indexes a and b into the distinct (GROUP_A) and
    (GROUP_B) value combinations, so most values are sent once."""

    date_us: np.ndarray
    external_ids: list[str]
    subjects: list[str | None] | None
    a: np.ndarray
    b: np.ndarray
    a_values: list[tuple[Any, ...]]
    b_values: list[tuple[Any, ...]]
    rows: np.ndarray  # each staged row's position in `Checked`
    inserted: int  # the first `inserted` rows are inserted; the others repeat a key of the file

    def __len__(self) -> int:
        return len(self.date_us)


def stage(checked: Checked) -> Staged:
    """Good rows in insert order: a repeated (source, external_id) keeps its first row, as a row-by-row
    insert would (the others are staged last, not to be inserted); then by customer and date, which
    keeps every order the store can show (two activities of one customer at one instant stay in file
    order) and writes each index nearly in order."""
    columns = checked.columns
    source, ext = columns["source"], columns["external_id"]
    source_codes = pd.factorize(np.array(source.values, dtype=object))[0][source.codes]
    external_ids = np.array(ext.values, dtype=object)[ext.codes]
    ext_codes = pd.factorize(external_ids)[0]
    first = ~pd.Series(ext_codes.astype(np.int64) * (source_codes.max(initial=0) + 1) + source_codes).duplicated()
    rows = np.flatnonzero(first.to_numpy())
    customer = columns["customer_id"]
    rank = np.empty(len(customer.values), dtype=np.min_scalar_type(len(customer.values)))  # small: radix sorted
    by_id = sorted(range(len(customer.values)), key=lambda k: customer.values[k] or "")  # None: a refused cell
    rank[by_id] = np.arange(len(customer.values))
    # Two stable sorts, by date and then by customer: ties stay in file order.
    by_date = rows[np.argsort(checked.date_us[rows], kind="stable")]
    order = by_date[np.argsort(rank[customer.codes[by_date]], kind="stable")]
    # A repeated key's later rows come last and are not inserted (the key is taken by then): like any row
    # the insert skipped, each is a replay of the same customer's activity or a conflict.
    order = np.concatenate((order, np.flatnonzero(~first.to_numpy())))
    a_codes, a_first = _combinations([columns[name].codes[order] for name in GROUP_A])
    b_codes, b_first = _combinations([columns[name].codes[order] for name in GROUP_B])
    a_values, b_values = (
        list(zip(*(np.array(columns[name].values, dtype=object)[columns[name].codes[order[firsts]]] for name in group)))
        for group, firsts in ((GROUP_A, a_first), (GROUP_B, b_first))
    )
    subject = columns["subject"]
    subjects = (
        None if subject.values.count(None) == len(subject.values)
        else np.array(subject.values, dtype=object)[subject.codes[order]].tolist()
    )
    return Staged(
        checked.date_us[order], external_ids[order].tolist(), subjects, a_codes, b_codes, a_values, b_values,
        rows=order, inserted=len(rows),
    )  # fmt: skip


def _combinations(codes: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Each row's index into the distinct combinations of several code columns, and each one's first row."""
    combined, span = np.zeros(len(codes[0]) if codes else 0, dtype=np.int64), 1
    for column in codes:
        size = int(column.max(initial=0)) + 1
        if span * size >= 2**62:  # re-numbered, so the combined key stays below the row count: no overflow
            combined, span = pd.factorize(combined)[0].astype(np.int64), len(combined)
        combined, span = combined * size + column, span * size
    combined = pd.factorize(combined)[0].astype(np.int64)
    # factorize numbers values by first appearance: a row is a combination's first where its code is new.
    before = np.maximum.accumulate(np.concatenate(([-1], combined[:-1])))
    return combined, np.flatnonzero(combined > before)



def insert_activities(session: Session, staged: Staged, created_at: dt.datetime) -> tuple[int, list[int]]:
    """Insert `staged` in the session's transaction, skipping any (source, external_id) already stored;
    returns how many were new and the positions in `staged` of the skipped rows whose key another
    customer's activity holds. Raises SQLAlchemy's DBAPIError for a database failure."""
    if not len(staged):
        return 0, []
    driver = session.connection().connection.driver_connection
    dialect = session.get_bind().dialect
    try:
        if dialect.name == "postgresql":
            return _postgresql(driver, staged, created_at)
        return _sqlite(driver, staged, f"{created_at:%Y-%m-%d %H:%M:%S.%f}")
    except dialect.loaded_dbapi.Error as exc:
        # The raw driver's error, as SQLAlchemy would have raised it: callers handle one family.
        raise DBAPIError.instance(
            "bulk insert of activities", None, exc, dialect.loaded_dbapi.Error, hide_parameters=True, dialect=dialect
        ) from exc


def _sqlite(driver: sqlite3.Connection, staged: Staged, created: str) -> tuple[int, list[int]]:
    cursor = driver.cursor()
    if not driver.in_transaction:
        # The write lock first: a transaction that began by reading could not write after another commit.
        cursor.execute("BEGIN IMMEDIATE")
    old_cache = cursor.execute("PRAGMA cache_size").fetchone()[0]
    old_temp_cache = cursor.execute("PRAGMA temp.cache_size").fetchone()[0]
    cursor.execute(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}")
    cursor.execute(f"PRAGMA temp.cache_size = -{SQLITE_IMPORT_CACHE_KIB}")
    try:
        # Every row inserted below gets an id above this one (SQLite numbers new rows after the largest);
        # as the table's size it is near enough to decide whether the import at least doubles it.
        last_id = cursor.execute("SELECT coalesce(max(id), 0) FROM activity").fetchone()[0]
        dropped = [VERSION_TRIGGER, ROLLUP_TRIGGER, *(SECONDARY_INDEXES if staged.inserted >= last_id else ())]
        schema = cursor.execute(
            f"SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'activity' AND name IN "
            f"({', '.join('?' * len(dropped))})",
            dropped,
        ).fetchall()
        for kind, name, _ in schema:
            cursor.execute(f'DROP {kind.upper()} "{name}"')
        _stage_sqlite(driver, cursor, staged)
        # CROSS JOIN keeps the stage as the outer loop, so rows go in in stage order without a sort.
        cursor.execute(
            f"INSERT INTO activity ({', '.join(COLUMNS)}) SELECT {SELECTED}, ? "
            "FROM activity_stage s CROSS JOIN activity_stage_a a CROSS JOIN activity_stage_b b "
            "WHERE a.k = s.ab / ? AND b.k = s.ab % ? AND s.rowid <= ? ORDER BY s.rowid "
            "ON CONFLICT (source, external_id) DO NOTHING",
            (created, len(staged.b_values), len(staged.b_values), staged.inserted),
        )
        inserted = int(cursor.rowcount)
        names = {name for _, name, _ in schema}
        *rollups, log = rollup.sqlite_bulk_statements()
        if inserted and ROLLUP_TRIGGER in names:
            for sql in rollups:
                cursor.execute(sql, (last_id,))  # the new rows
        for _, _, sql in schema:
            cursor.execute(sql)
        if inserted and VERSION_TRIGGER in names:  # the version moved as the row triggers would, each customer logged once
            cursor.execute("UPDATE store_version SET version = version + ? WHERE id = 1", (inserted,))
            cursor.execute(log, (last_id,))
        held: list[int] = []
        if inserted < len(staged):  # skipped rows: whose key does another customer's activity hold?
            cursor.execute(
                "SELECT s.rowid - 1 FROM activity_stage s CROSS JOIN activity_stage_a a CROSS JOIN activity_stage_b b "
                "JOIN activity t ON t.source = b.source AND t.external_id = s.external_id "
                "WHERE a.k = s.ab / ? AND b.k = s.ab % ? AND t.customer_id <> a.customer_id",
                (len(staged.b_values), len(staged.b_values)),
            )
            held = [position for (position,) in cursor.fetchall()]
        return inserted, held
    finally:
        for table in STAGE_TABLES:
            cursor.execute(f"DROP TABLE IF EXISTS temp.{table}")
        cursor.execute(f"PRAGMA cache_size = {old_cache}")
        cursor.execute(f"PRAGMA temp.cache_size = {old_temp_cache}")
        cursor.close()


def _stage_sqlite(driver: sqlite3.Connection, cursor: sqlite3.Cursor, staged: Staged) -> None:
    """The rows into temporary tables, a row's two combinations as one number (ab) and its subject only
    when some row has one: every value bound costs, and binding is most of staging's time."""
    cursor.execute(f"CREATE TEMP TABLE activity_stage_a (k INTEGER PRIMARY KEY, {', '.join(GROUP_A)})")
    cursor.execute(f"CREATE TEMP TABLE activity_stage_b (k INTEGER PRIMARY KEY, {', '.join(GROUP_B)})")
    cursor.executemany(
        "INSERT INTO activity_stage_a VALUES (?, ?, ?, ?)", ((k, *v) for k, v in enumerate(staged.a_values))
    )
    cursor.executemany(
        "INSERT INTO activity_stage_b VALUES (?, ?, ?, ?, ?, ?, ?)", ((k, *v) for k, v in enumerate(staged.b_values))
    )
    values = [storage_dates(staged.date_us), staged.external_ids, (staged.a * len(staged.b_values) + staged.b).tolist()]
    names = ["date", "external_id", "ab"]
    if staged.subjects is not None:
        values.append(staged.subjects)
        names.append("subject")
    cursor.execute("CREATE TEMP TABLE activity_stage (date, external_id, ab, subject)")
    # Many rows per statement: binding one long parameter list is cheaper than a step per row.
    width = len(names)
    per_statement = min(driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER), 32766) // width
    row = "(" + ", ".join("?" * width) + ")"
    for start in range(0, len(staged), per_statement):
        count = min(per_statement, len(staged) - start)
        flat: list[Any] = [None] * (count * width)
        for k, column in enumerate(values):
            flat[k::width] = column[start : start + count]
        cursor.execute(f"INSERT INTO activity_stage ({', '.join(names)}) VALUES {', '.join([row] * count)}", flat)


def _postgresql(driver: Any, staged: Staged, created_at: dt.datetime) -> tuple[int, list[int]]:
    with driver.cursor() as cursor:
        # ON COMMIT DROP, and a rollback undoes the CREATE: nothing outlives the import's transaction.
        # Dates go as integers (microseconds), which COPY reads faster than timestamps and Python need not
        # format; n's key gives the insert order without sorting the joined rows.
        cursor.execute(
            "CREATE TEMP TABLE activity_stage (n bigint PRIMARY KEY, us bigint, external_id text, subject text,"
            " a int, b int) ON COMMIT DROP"
        )
        cursor.execute(
            "CREATE TEMP TABLE activity_stage_a (k int PRIMARY KEY, customer_id text, participants json,"
            " stakeholder_level text) ON COMMIT DROP"
        )
        cursor.execute(
            "CREATE TEMP TABLE activity_stage_b (k int PRIMARY KEY, type text, direction text, duration_minutes"
            " float8, response_received boolean, response_time_hours float8, source text) ON COMMIT DROP"
        )
        with cursor.copy("COPY activity_stage_a FROM STDIN") as copy:
            for k, values in enumerate(staged.a_values):
                copy.write_row((k, *values))
        with cursor.copy("COPY activity_stage_b FROM STDIN") as copy:
            for k, values in enumerate(staged.b_values):
                copy.write_row((k, *values))
        subjects = staged.subjects or itertools.repeat(None)
        with cursor.copy("COPY activity_stage FROM STDIN") as copy:
            for row in zip(itertools.count(), staged.date_us.tolist(), staged.external_ids, subjects,
                           staged.a.tolist(), staged.b.tolist()):
                copy.write_row(row)
        cursor.execute("ANALYZE activity_stage")  # a temporary table has no statistics for the join plan
        selected = SELECTED.replace("s.date", "timestamp '1970-01-01' + s.us * interval '1 microsecond'")
        cursor.execute(
            f"INSERT INTO activity ({', '.join(COLUMNS)}) SELECT {selected}, %s::timestamp "
            "FROM activity_stage s JOIN activity_stage_a a ON a.k = s.a JOIN activity_stage_b b ON b.k = s.b "
            "WHERE s.n < %s ORDER BY s.n ON CONFLICT (source, external_id) DO NOTHING",
            (created_at, staged.inserted),
        )
        inserted = int(cursor.rowcount)
        held: list[int] = []
        if inserted < len(staged):  # skipped rows: whose key does another customer's activity hold?
            cursor.execute(
                "SELECT s.n FROM activity_stage s JOIN activity_stage_a a ON a.k = s.a JOIN activity_stage_b b "
                "ON b.k = s.b JOIN activity t ON t.source = b.source AND t.external_id = s.external_id "
                "WHERE t.customer_id <> a.customer_id"
            )
            held = [position for (position,) in cursor.fetchall()]
        for table in STAGE_TABLES:
            cursor.execute(f"DROP TABLE {table}")  # a long session would otherwise keep them until commit
        if inserted >= ANALYZE_AFTER_ROWS:
            # The planner's row counts of the activity table and its rollups (filled by the statement trigger)
            # would otherwise stay those of before the import until autovacuum comes round.
            cursor.execute("ANALYZE activity, activity_day, activity_person_month")
        return inserted, held
