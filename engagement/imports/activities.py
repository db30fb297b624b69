"""An activities file checked at once: the import's fast path, and its plan of the write.

Each distinct cell of a column is checked once by the very checks `ActivityCreate` applies
(models.ACTIVITY_CHECKS), customers are resolved by `engagement.lookup.CustomerIndex` (find_customer's
words), dates of the usual ISO forms are parsed as arrays, and every row that is unusual or bad in any
way is checked again, alone, by `ActivityCreate` itself. So each reason and each stored value is the
row-by-row check's, at a fraction of its cost. The good rows go in through `engagement.writer` (its bulk
path, engagement/imports/insert.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlmodel import Session

from engagement.errors import EngagementError
from engagement.imports.files import Rows, Table, text
from engagement.imports.report import Counts, Writer
from engagement.lookup import CustomerIndex
from engagement.models import (
    ACTIVITY_CHECKS,
    DATE_REQUIRED,
    FIRST_YEAR,
    MAX_ID_LENGTH,
    MAX_SUBJECT_LENGTH,
    ActivityCreate,
    activity_source,
)
from engagement.writer import key_held, write_activities

GROUP_A = ("customer_id", "participants", "stakeholder_level")  # stored once per distinct combination
GROUP_B = ("type", "direction", "duration_minutes", "response_received", "response_time_hours", "source")
EPOCH = dt.date(1970, 1, 1)


def _distinct(series: pd.Series) -> tuple[list[str], np.ndarray]:
    """A column's distinct cells and each row's index into them."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return [str(u) for u in series.cat.categories], series.cat.codes.to_numpy(dtype=np.int64)
    codes, uniques = pd.factorize(series.to_numpy(dtype=object))
    return [str(u) for u in uniques], codes.astype(np.int64)


SOURCE = "csv"  # a row's source when its cell is empty
# Each column's rule for one trimmed cell: the checks ActivityCreate itself applies.
SAME_CHECKS = ("type", "direction", "duration_minutes", "stakeholder_level", "response_received", "response_time_hours")
CELL_RULES: dict[str, Callable[[str], Any]] = {name: ACTIVITY_CHECKS[name] for name in SAME_CHECKS} | {
    "participants": lambda v: json.dumps(ACTIVITY_CHECKS["participants"](v)),  # stored as the JSON type stores it
    "source": lambda v: activity_source(v, SOURCE),
}
LONG_TEXT = {"subject": MAX_SUBJECT_LENGTH, "external_id": MAX_ID_LENGTH}  # vectorised: bad rows go to exact_row


@dataclass
class Column:
    """Stored values of one column: distinct `values` and each row's index into them."""

    values: list[Any]
    codes: np.ndarray

    def row(self, i: int) -> Any:
        return self.values[self.codes[i]]


@dataclass
class Checked:
    """A file's good rows, as the store will hold them, in file order."""

    columns: dict[str, Column]  # GROUP_A, GROUP_B and subject / external_id (one value per row)
    date_us: np.ndarray  # the dates: microseconds since 1970, naive UTC
    rejected: list[tuple[int, str]]
    numbers: np.ndarray  # each good row's spreadsheet row number


def check(session: Session, rows: Rows, as_of: dt.date) -> Checked:
    """Every row checked, the fast rows as arrays and the others by `exact_row`; bad rows with reasons."""
    customers = CustomerIndex(session)
    n = len(rows.frame)
    bad = np.zeros(n, dtype=bool)
    columns: dict[str, Column] = {}
    for name in ("customer", *CELL_RULES):
        uniques, codes = _distinct(rows.frame[name]) if name in rows.frame else ([""], np.zeros(n, np.int64))
        rule = customers.resolve if name == "customer" else CELL_RULES[name]
        values, failed = [], np.zeros(len(uniques), dtype=bool)
        used = np.bincount(codes, minlength=len(uniques)) > 0  # pandas' categories include the header's cell
        for k, raw in enumerate(uniques):
            if not used[k]:
                values.append(None)
                continue
            try:
                values.append(rule(raw.strip()))
            except EngagementError:
                values.append(None)
                failed[k] = True
        bad |= failed[codes]
        columns["customer_id" if name == "customer" else name] = Column(values, codes)
    for name, limit in LONG_TEXT.items():
        if name not in rows.frame:
            columns[name] = Column([None], np.zeros(n, dtype=np.int64))
            continue
        cells = [c.strip() for c in rows.frame[name].to_numpy(dtype=object).tolist()]
        bad |= np.fromiter(map(len, cells), dtype=np.int64, count=n) > limit
        if "\x00" in "".join(cells):  # the exact check names it
            bad |= np.fromiter(("\x00" in c for c in cells), dtype=bool, count=n)
        columns[name] = Column([c or None for c in cells] if "" in cells else cells, np.arange(n))
    raw_dates = rows.frame["date"].to_numpy()
    date_us, fast = parse_dates(raw_dates, as_of)
    bad |= ~fast
    rejected: list[tuple[int, str]] = []
    good = ~bad
    for i in np.flatnonzero(bad):
        cells = {name: text(rows.frame[name].iat[i]).strip() for name in rows.header}
        try:
            customer_id, activity = exact_row(customers, cells, as_of)
        except EngagementError as error:
            rejected.append((int(rows.numbers[i]), str(error)))
            continue
        good[i] = True
        date_us[i] = (activity.date - dt.datetime(1970, 1, 1)) // dt.timedelta(microseconds=1)
        for name, value in {"customer_id": customer_id, **_stored(activity)}.items():
            column = columns[name]
            column.codes[i] = len(column.values)
            column.values.append(value)
    keep = np.flatnonzero(good)
    kept = {name: Column(c.values, c.codes[keep]) for name, c in columns.items()}
    checked = Checked(kept, date_us[keep], rejected, rows.numbers[keep])
    derive_ids(checked)  # before the writer's default levels: the id hashes what the row says
    return checked


def exact_row(customers: CustomerIndex, cells: dict[str, str], as_of: dt.date) -> tuple[str, ActivityCreate]:
    """One row checked the row-by-row way: the reference for every reason and value."""
    customer_id = customers.resolve(cells.get("customer", ""))
    if not cells.get("date"):  # ActivityCreate would take the as-of date; a file must say when
        raise EngagementError(DATE_REQUIRED)
    return customer_id, ActivityCreate.checked(cells, as_of=as_of, default_source=SOURCE)


def _stored(activity: ActivityCreate) -> dict[str, Any]:
    """A checked row's fields as the fast path holds them: participants as stored JSON text, and the
    date apart (as microseconds in `Checked.date_us`)."""
    fields = {name: getattr(activity, name) for name in ActivityCreate.model_fields if name != "date"}
    return fields | {"participants": json.dumps(activity.participants)}


def storage_dates(date_us: np.ndarray) -> list[str]:
    """'YYYY-MM-DD HH:MM:SS.ffffff' of each time (microseconds since 1970), the text SQLAlchemy stores a
    DateTime as on SQLite. Days, times of day and fractions repeat: each distinct one is written once,
    then the rows' bytes are gathered and decoded at once."""
    if not len(date_us):
        return []
    day, time_us = np.divmod(date_us, 86_400_000_000)
    seconds = time_us // 1_000_000
    parts: list[tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]] = [
        (day, lambda d: np.array([f"{EPOCH + dt.timedelta(days=int(k)):%Y-%m-%d} ".encode() for k in d]).view("u1")),
        (seconds, lambda s: _ascii(len(s), (s // 3600, 2), ":", (s // 60 % 60, 2), ":", (s % 60, 2), ".")),
        (time_us % 1_000_000, lambda us: _ascii(len(us), (us, 6), "\n")),
    ]
    pieces = []
    for values, write in parts:
        codes, uniques = pd.factorize(values)
        pieces.append(write(uniques).reshape(len(uniques), -1)[codes])
    return np.hstack(pieces).tobytes().decode("ascii").split("\n")[:-1]


def _ascii(rows: int, *parts: str | tuple[np.ndarray, int]) -> np.ndarray:
    """Rows of ASCII text, one byte a column: each part a separator, or (numbers, width) written with
    leading zeros."""
    columns = []
    for part in parts:
        if isinstance(part, str):
            columns.append(np.full((rows, 1), ord(part), dtype=np.uint8))
        else:
            values, width = part
            columns.append((values[:, None] // 10 ** np.arange(width - 1, -1, -1) % 10 + ord("0")).astype(np.uint8))
    return np.hstack(columns)


def parse_dates(raw: np.ndarray, as_of: dt.date) -> tuple[np.ndarray, np.ndarray]:
    """Microseconds since 1970 (naive UTC) of each cell in a usual ISO form, and which cells were one.

    Only forms `datetime.fromisoformat` reads the same way are taken: YYYY-MM-DD, then optionally
    [T or space]HH:MM[:SS] and Z or +HH:MM. Anything else - and any date it would refuse - is left to
    the exact row check, which also words the reason. Every character of a taken cell is checked, as
    bytes of a fixed-width array (a non-ASCII cell is never one of these forms).
    """
    n, width = len(raw), 25
    if raw.dtype.kind == "S" and raw.dtype.itemsize >= width:  # BYTE_COLUMNS: no strings to make
        chars = raw.view(np.uint8).reshape(n, raw.dtype.itemsize)
        lengths = np.count_nonzero(chars, axis=1)  # cells hold no NUL (read_columns leaves such files alone)
        # Unlike strings, bytes are not trimmed here: a cell with spaces around it goes to the exact check.
    else:
        cells = [c.strip() for c in raw]
        lengths = np.fromiter(map(len, cells), dtype=np.int64, count=n)
        try:
            chars = np.array(cells, dtype=f"S{width}").view(np.uint8).reshape(n, width)
        except UnicodeEncodeError:  # 255 is no digit and no separator: such a cell is left to the exact check
            codes = np.array(cells, dtype=f"U{width}").view(np.uint32).reshape(n, width)
            chars = np.minimum(codes, 255).astype(np.uint8)
    chars = np.ascontiguousarray(chars[:, :width].T)  # one row per position: contiguous for the checks below
    ok = np.isin(lengths, (10, 16, 17, 19, 20, 22, 25))
    timed = lengths >= 16
    seconds = np.isin(lengths, (19, 20, 25))
    zulu = np.isin(lengths, (17, 20))
    offset = np.isin(lengths, (22, 25))
    zone = np.where(seconds, chars[19:25], chars[16:22])  # where the time ends: Z or +HH:MM

    def number(block: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
        nonlocal ok
        digits = block - np.uint8(ord("0"))  # a byte below '0' wraps around to a large one
        is_digit = (digits <= 9).all(axis=0)
        ok &= is_digit if where is None else ~where | is_digit
        value = np.zeros(n, dtype=np.int64)  # whatever it is where a byte is no digit: such rows are not ok
        for digit in digits:
            value = value * 10 + digit
        return value if where is None else np.where(where, value, 0)

    def char(column: np.ndarray, allowed: str, where: np.ndarray) -> np.ndarray:
        return ~where | np.isin(column, [ord(c) for c in allowed])

    year, month, day = number(chars[0:4]), number(chars[5:7]), number(chars[8:10])
    ok &= char(chars[4], "-", ok) & char(chars[7], "-", ok)
    ok &= char(chars[10], "T ", timed) & char(chars[13], ":", timed)
    hour, minute = number(chars[11:13], timed), number(chars[14:16], timed)
    ok &= char(chars[16], ":", seconds)
    second = number(chars[17:19], seconds)
    ok &= char(zone[0], "Z", zulu) & char(zone[0], "+-", offset) & char(zone[3], ":", offset)
    off_h, off_m = number(zone[1:3], offset), number(zone[4:6], offset)
    ok &= (month >= 1) & (month <= 12) & (hour <= 23) & (minute <= 59) & (second <= 59)
    ok &= (off_h <= 23) & (off_m <= 59) & (year >= FIRST_YEAR)
    month_start = np.where(ok, (year - 1970) * 12 + month - 1, 0).astype("datetime64[M]")
    days_in_month = ((month_start + 1).astype("datetime64[D]") - month_start.astype("datetime64[D]")).astype(np.int64)
    ok &= (day >= 1) & (day <= days_in_month)
    sign = np.where(zone[0] == ord("-"), -1, 1)
    local = month_start.astype("datetime64[D]").astype(np.int64) + np.where(ok, day - 1, 0)
    total_s = local * 86400 + hour * 3600 + minute * 60 + second - sign * (off_h * 3600 + off_m * 60)
    date_us = np.where(ok, total_s, 0) * 1_000_000
    # After conversion to UTC: not after the as-of day, not before FIRST_YEAR (else the exact check says why).
    limit = (dt.date.fromordinal(as_of.toordinal() + 1) - dt.date(1970, 1, 1)).days * 86400 * 1_000_000
    floor = (dt.date(FIRST_YEAR, 1, 1) - dt.date(1970, 1, 1)).days * 86400 * 1_000_000
    ok &= (date_us < limit) & (date_us >= floor)
    return date_us, ok


def derive_ids(checked: Checked) -> None:
    """External ids for rows without one: sha256 of what the row says and its occurrence among equal rows,
    so re-importing a file matches every row while two identical rows stay two activities."""
    columns = checked.columns
    ext = columns["external_id"]
    missing = np.flatnonzero(pd.isna(np.array(ext.values, dtype=object)[ext.codes]))
    if not len(missing):
        return
    parts = []
    for name in ("customer_id", *GROUP_B[:2], "date", *GROUP_B[2:], "participants", "stakeholder_level", "subject"):
        if name == "date":
            parts.append([json.dumps(d) for d in storage_dates(checked.date_us[missing])])
            continue
        column = columns[name]
        token = (lambda v: v) if name == "participants" else json.dumps  # participants are JSON already
        if len(column.values) > len(missing):  # a column of one value per row: only the rows needing it
            parts.append([token(column.values[c]) for c in column.codes[missing]])
        else:
            parts.append(np.array([token(v) for v in column.values], dtype=object)[column.codes[missing]])
    contents = [f"[{','.join(t)}]" for t in zip(*parts)]
    occurrence = pd.Series(contents).groupby(contents, sort=False).cumcount().to_numpy() + 1
    codes = ext.codes.copy()
    codes[missing] = np.arange(len(ext.values), len(ext.values) + len(missing))
    ext.values.extend("row:" + hashlib.sha256(f"{c}#{k}".encode()).hexdigest() for c, k in zip(contents, occurrence))
    columns["external_id"] = Column(ext.values, codes)


def plan(session: Session, table: Table, as_of: dt.date) -> Writer:
    """Every row checked at once (refused ones go to the table); the good ones written by the writer's bulk path."""
    checked = check(session, table.as_columns(), as_of)
    table.rejected.extend(checked.rejected)

    def write() -> Counts:
        new, conflicts = write_activities(session, checked)
        ext, source = checked.columns["external_id"], checked.columns["source"]
        table.rejected.extend((int(checked.numbers[i]), key_held(source.row(i), ext.row(i))) for i in conflicts)
        return Counts(imported=new, unchanged=len(checked.date_us) - new - len(conflicts))

    return write
