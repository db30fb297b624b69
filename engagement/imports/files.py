"""Reading an import's CSV file, the one reader every kind of import uses: a regular file of bounded size
read whole, UTF-8, a header row naming the kind's columns, then its rows - by the csv module one record at a
time, or, for an activities file, as columns by pandas' C parser (the same rows, row numbers and refusals,
far faster). Each row keeps its spreadsheet number (the header is row 1) for the reasons a report gives.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from engagement.errors import EngagementError

MAX_FILE_BYTES = 512 << 20  # read whole into memory (and held a few times over while checked): bounded
# (required, optional) columns of each kind, in the order the docs list them.
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "csms": (("id", "name", "email"), ("manager",)),
    "customers": (("name", "segment"), ("id", "csm", "arr", "renewal_date", "health_score", "status")),
    "stakeholders": (("customer", "name"), ("email", "title", "level")),
    "activities": (
        ("customer", "type", "direction", "date"),
        ("duration_minutes", "participants", "stakeholder_level", "response_received", "response_time_hours",
         "subject", "source", "external_id"),
    ),
}
MAX_COLUMNS = 100  # header cells, empty trailing ones included; the widest kind has 12 columns
CSV_FIELD_LIMIT = csv.field_size_limit()  # the csv module refuses longer fields: so must the column read
CELL_TOO_LONG = f"has a cell longer than {CSV_FIELD_LIMIT:,} characters; shorten it."
UNMATCHED_QUOTE = 'has an unmatched quote ("); close it or remove it. The lines after it were read as rows.'
LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")  # a line with its end, as text reading splits them
# Columns whose distinct values are few: pandas builds them as categories, one Python string per value.
CATEGORY_COLUMNS = frozenset(
    {"customer", "type", "direction", "duration_minutes", "stakeholder_level", "response_received",
     "response_time_hours", "source"}
)
# Columns of short cells read as fixed-width bytes: no Python string per cell. A cell that fills the
# width may have been cut, and the file is read again with that column as text.
BYTE_COLUMNS = {"date": 32}

Rejected = tuple[int, str]
"""A row refused: its spreadsheet number and why."""


@dataclass(frozen=True)
class Row:
    number: int
    cells: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.cells.get(column, "")


@dataclass
class Table:
    """A file's rows; `columns` are those its header names, so absent ones leave stored values alone."""

    columns: frozenset[str]
    rows: list[Row]
    rejected: list[Rejected]
    rows_read: int = 0
    fast: Rows | None = None  # an activities file read as columns (read_columns); `rows` is then empty

    def reject(self, row: Row, error: EngagementError) -> None:
        self.rejected.append((row.number, str(error)))

    def check(self, each: Callable[[Row], None]) -> None:
        """Run `each` on every row; a row it refuses is rejected with the reason, and the others go on."""
        for row in self.rows:
            try:
                each(row)
            except EngagementError as error:
                self.reject(row, error)

    def as_columns(self) -> Rows:
        """The rows as columns of cells, however they were read (the activities' checks take columns)."""
        if self.fast is not None:
            return self.fast
        return rows_from_cells(sorted(self.columns), [(row.number, row.cells) for row in self.rows], self.rows_read, [])


def read(path: Path, kind: str) -> Table:
    """The rows of `path`, an import of `kind`; an EngagementError for a fault of the whole file, before any row."""
    data, text = _decode(path)
    if kind == "activities" and (fast := _read_columns(path, kind, data, text)) is not None:
        return fast
    lines = list(io.StringIO(text, newline=""))
    try:
        first = next(csv.reader(lines[:1], strict=True), [])
    except csv.Error as exc:
        raise EngagementError(f"{path.name} is not valid CSV (line 1: {exc}).") from None
    header = _header(path, kind, first)
    table = Table(frozenset(header), [], [])
    for number, record in enumerate(_records(lines, 1), start=2):  # spreadsheet rows: records, not lines
        if isinstance(record, str):
            table.rows_read += 1
            table.rejected.append((number, record))
            continue
        if not any(cell.strip() for cell in record):
            continue  # blank lines keep their number but are not rows
        table.rows_read += 1
        if any(cell.strip() for cell in record[len(header) :]):
            reason = f"has {len(record)} values; the header has {len(header)} columns."
            table.rejected.append((number, reason))
            continue
        table.rows.append(Row(number, dict(zip(header, (cell.strip() for cell in record)))))
    return table


def _records(lines: list[str], start: int) -> Iterator[list[str] | str]:
    """The cells of each record from line index `start` on; for a broken record, why it is broken.

    A stray quote would swallow every later line into one cell; read strictly, it fails instead, and
    reading resumes on the line after the one it opened on, so no later row is lost unreported.
    Quoted cells that really hold line breaks still read as one record.
    """
    while start < len(lines):
        reader = csv.reader(iter(lines[start:]), strict=True)
        consumed = 0
        try:
            for record in reader:
                yield record
                consumed = reader.line_num
            return
        except csv.Error as exc:
            if "field limit" in str(exc):  # "field larger than field limit (N)": a long cell, quoted or not
                yield CELL_TOO_LONG
                start = _record_end(lines, start + consumed, start + reader.line_num)
            else:
                yield UNMATCHED_QUOTE
                start += consumed + 1


def _record_end(lines: list[str], first: int, fallback: int) -> int:
    """The index after the last line of the record that starts at `lines[first]`: each quote goes in or out
    of a quoted cell (a doubled one in and out again). `fallback` when the file ends inside quotes (then
    no later line has a quote: that long scan happens once per file)."""
    quoted = False
    for index in range(first, len(lines)):
        quoted ^= lines[index].count('"') % 2 == 1
        if not quoted:
            return index + 1
    return fallback


def _decode(path: Path) -> tuple[bytes, str]:
    data = read_file(path)
    try:
        return data, data.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a byte-order mark
    except UnicodeDecodeError as exc:
        raise EngagementError(
            f"{path.name} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}). "
            "Save it as CSV UTF-8 and import it again."
        ) from None


def _header(path: Path, kind: str, first: list[str]) -> list[str]:
    """The column names of header row `first`, or the whole-file error saying what is wrong."""
    required, optional = COLUMNS[kind]
    accepted = f"{kind} files have the columns {', '.join(required + optional)} (required: {', '.join(required)})"
    if not any(cell.strip() for cell in first):
        raise EngagementError(f"{path.name} has no header row. Row 1 must name the columns: {accepted}.")
    if len(first) > MAX_COLUMNS:
        raise EngagementError(
            f"{path.name} has {len(first):,} columns in its header row (empty ones at the end included); at most "
            f"{MAX_COLUMNS} are read. {accepted[0].upper()}{accepted[1:]}."
        )
    header = [cell.strip().lower() for cell in first]
    while not header[-1]:
        header.pop()  # spreadsheets save trailing empty columns as trailing commas
    problems = []
    if unknown := [name for name in header if name not in required + optional]:
        problems.append(f"unknown column(s) {', '.join(repr(n) for n in dict.fromkeys(unknown))}")
    if repeated := sorted(name for name, count in Counter(header).items() if count > 1 and name not in unknown):
        problems.append(f"repeated column(s) {', '.join(repr(n) for n in repeated)}")
    if missing := [name for name in required if name not in header]:
        problems.append(f"missing required column(s) {', '.join(repr(n) for n in missing)}")
    if problems:
        raise EngagementError(f"{path.name} has {'; '.join(problems)}. {accepted[0].upper()}{accepted[1:]}.")
    return header


def _read_columns(path: Path, kind: str, data: bytes, text: str) -> Table | None:
    """A big file's fast read (read_columns); None leaves it to the csv module, which then also
    words any whole-file error, so the errors and their order stay those of the row-by-row read."""
    try:
        # Lines found lazily: a StringIO would copy the whole file for its first record.
        first = next(csv.reader(line.group() for line in LINE_RE.finditer(text)), [])
        header = _header(path, kind, first)
    except (csv.Error, EngagementError):
        return None
    rows = read_columns(data, first, header)
    if rows is None:
        return None
    return Table(frozenset(header), [], list(rows.rejected), rows.rows_read, fast=rows)


# -- an activities file as columns ------------------------------------------------------------------


@dataclass
class Rows:
    """A file's non-blank rows as columns of raw cells, with their spreadsheet row numbers."""

    header: list[str]
    numbers: np.ndarray
    frame: pd.DataFrame  # one column per header name, cells as read (not yet trimmed; BYTE_COLUMNS maybe bytes)
    rows_read: int
    rejected: list[Rejected]


def read_columns(data: bytes, first: list[str], header: list[str]) -> Rows | None:
    """The file as columns, or None when only the csv module reads it exactly (bad CSV, ragged rows)."""
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if b"\x00" in body:
        return None  # the csv module refuses NUL; let it say so
    types: dict[int, Any] = {i: object for i in range(len(first))}
    types |= {i: "category" for i, name in enumerate(header) if name in CATEGORY_COLUMNS}
    as_bytes = {i: f"S{BYTE_COLUMNS[name]}" for i, name in enumerate(header) if name in BYTE_COLUMNS}
    for attempt in (types | as_bytes, types):
        try:
            frame = pd.read_csv(
                io.BytesIO(body), header=None, dtype=attempt, na_filter=False, keep_default_na=False,
                skip_blank_lines=False, engine="c", encoding="utf-8", low_memory=False,
            )
        except (ValueError, pd.errors.ParserError):
            return None  # a row with more values than the first line, or what pandas cannot read
        if not any(_may_be_cut(frame[i].to_numpy()) for i in as_bytes):
            break
    if len(frame) == 0 or frame.shape[1] != len(first) or [text(c) for c in frame.iloc[0]] != first:
        return None
    if len(frame) != _lines(body):
        return None  # a quoted cell ran over a line break (a stray quote?): the exact reader names the row
    frame = frame.iloc[1:]
    blank = np.ones(len(frame), dtype=bool)
    extra = np.zeros(len(frame), dtype=bool)
    # Categories first: a row with any filled one is not blank, so the long columns are looked at only
    # where every short one is empty (or past the header's end, where any value is one too many).
    by_kind = sorted(enumerate(frame.columns), key=lambda pc: not isinstance(frame[pc[1]].dtype, pd.CategoricalDtype))
    for position, column in by_kind:
        series = frame[column]
        if isinstance(series.dtype, pd.CategoricalDtype):
            uniques = [str(u) for u in series.cat.categories]
            if max(map(len, uniques), default=0) > CSV_FIELD_LIMIT:
                return None  # the csv module refuses such a field: its message wins
            filled_u = np.fromiter((bool(u.strip()) for u in uniques), dtype=bool, count=len(uniques))
            filled = filled_u[series.cat.codes.to_numpy()]
        else:
            cells = series.to_numpy()
            if cells.dtype == object and max(map(len, cells), default=0) > CSV_FIELD_LIMIT:
                return None  # (a bytes column's cells are far shorter)
            rows = np.arange(len(cells)) if position >= len(header) else np.flatnonzero(blank)
            filled = np.zeros(len(cells), dtype=bool)
            filled[rows] = [bool(text(c).strip()) for c in cells[rows]]
        blank &= ~filled
        if position >= len(header):
            extra |= filled
    if extra.any() and len(first) != len(header):
        return None  # a short row past the header's end: only the csv module knows its value count
    numbers = np.arange(2, len(frame) + 2)[~blank]
    keep = frame[~blank]
    rejected = [
        (int(n), f"has {len(first)} values; the header has {len(header)} columns.")
        for n in np.arange(2, len(frame) + 2)[~blank & extra]
    ]
    ok = ~extra[~blank]
    columns = keep.iloc[np.flatnonzero(ok), : len(header)].reset_index(drop=True)  # keeps bytes as bytes
    columns.columns = header
    return Rows(header, numbers[ok], columns, int((~blank).sum()), rejected)


def _may_be_cut(cells: np.ndarray) -> bool:
    """Whether a column read as bytes has a cell as long as its width (so perhaps cut short)."""
    return cells.dtype.kind == "S" and bool(cells.view(np.uint8).reshape(len(cells), -1)[:, -1].any())


def text(cell: Any) -> str:
    """A cell as text, whether read as a string or (BYTE_COLUMNS) as UTF-8 bytes."""
    return cell.decode() if isinstance(cell, bytes) else str(cell)


def _lines(body: bytes) -> int:
    """The physical lines of `body` as text reading splits them (at \\n, \\r\\n or \\r; the last may end
    without one), counted on the bytes: in UTF-8 neither byte is ever part of another character."""
    ends = body.count(b"\n") + (body.count(b"\r") - body.count(b"\r\n") if b"\r" in body else 0)
    return ends + int(bool(body) and not body.endswith((b"\n", b"\r")))


def rows_from_cells(header: list[str], cells: list[tuple[int, dict[str, str]]], rows_read: int,
                    rejected: list[tuple[int, str]]) -> Rows:
    """Rows the csv module read (trimmed cells by column), for the same column checks."""
    frame = pd.DataFrame([row for _, row in cells], columns=header, dtype=object).fillna("")
    return Rows(header, np.array([n for n, _ in cells], dtype=np.int64), frame, rows_read, rejected)


# -- the file itself ------------------------------------------------------------------------------


def read_file(path: Path) -> bytes:
    """The bytes of a regular file of at most MAX_FILE_BYTES; anything else (a device, a FIFO, a folder,
    a bigger file) is refused before a byte is read. The file is opened without blocking (a FIFO swapped in
    after the check does not hang) and checked again once open."""
    try:
        _check_file(path, os.stat(path))
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as handle:
            _check_file(path, os.fstat(handle.fileno()))
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise EngagementError(f"Cannot read {path}: {exc.strerror or exc}. Give the path of a CSV file.") from None
    if len(data) > MAX_FILE_BYTES:  # it grew after the check
        _check_file(path, os.stat(path))
        raise EngagementError(f"{path.name} is over {MAX_FILE_BYTES >> 20} MiB; split it into smaller files.")
    return data


def _check_file(path: Path, info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        what = "a folder" if stat.S_ISDIR(info.st_mode) else "a FIFO" if stat.S_ISFIFO(info.st_mode) else "a device or socket"
        raise EngagementError(f"{path} is {what}, not a regular file. Give the path of a CSV file.")
    if info.st_size > MAX_FILE_BYTES:
        raise EngagementError(
            f"{path.name} is {info.st_size:,} bytes; files up to {MAX_FILE_BYTES >> 20} MiB ({MAX_FILE_BYTES:,} bytes) "
            "are imported. Split it into smaller files (each is imported on its own)."
        )
