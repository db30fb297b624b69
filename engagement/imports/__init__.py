"""Importing CSMs, customers, stakeholders and activities from CSV files: each file's good rows in one
transaction, every bad row named by its spreadsheet row number, or with `strict` nothing at all."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from engagement import bulk, checks
from engagement.bulk import Customers as _Customers
from engagement.db import session_scope
from engagement.errors import EngagementError
from engagement.files import read_file
from engagement.models import STAKEHOLDER_LEVELS, STATUSES, Csm, Customer, Stakeholder
from engagement.lookalike import new_look_alikes
from engagement.lookup import normalize_segment
from engagement.writer import key_held, write_activities

Kind = Literal["customers", "stakeholders", "csms", "activities"]
KINDS: tuple[str, ...] = get_args(Kind)
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
ID_LENGTH, NAME_LENGTH, EMAIL_LENGTH, TITLE_LENGTH = 64, 200, 320, 200
MAX_COLUMNS = 100  # header cells, empty trailing ones included; the widest kind has 12 columns
CELL_TOO_LONG = f"has a cell longer than {csv.field_size_limit():,} characters; shorten it."
UNMATCHED_QUOTE = 'has an unmatched quote ("); close it or remove it. The lines after it were read as rows.'
LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")  # a line with its end, as text reading splits them


class RejectedRow(BaseModel):
    row: int  # spreadsheet numbering: the header is row 1
    reason: str


class ImportWarning(BaseModel):
    """A row that was imported but deserves a look: its customer's name looks like another customer's."""

    row: int
    name: str
    looks_like: str  # the other customer's name
    customer_id: str  # the other customer's id
    reason: str


class ImportReport(BaseModel):
    """What one import did. When `written` is False (strict, with bad rows) every count is 0."""

    kind: str
    file: str
    rows_read: int
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RejectedRow] = []
    warnings: list[ImportWarning] = []  # rows imported all the same (customers: look-alike names)
    written: bool = True


@dataclass(frozen=True)
class _Row:
    number: int
    cells: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.cells.get(column, "")


@dataclass
class _Table:
    """A file's rows; `columns` are those its header names, so absent ones leave stored values alone."""

    columns: frozenset[str]
    rows: list[_Row]
    rejected: list[RejectedRow]
    rows_read: int = 0
    fast: bulk.Rows | None = None  # activities read as columns (bulk.read_columns); `rows` is then empty

    def reject(self, row: _Row, error: EngagementError) -> None:
        self.rejected.append(RejectedRow(row=row.number, reason=str(error)))

    def check(self, each: Callable[[_Row], None]) -> None:
        """Run `each` on every row; a row it refuses is rejected with the reason, and the others go on."""
        for row in self.rows:
            try:
                each(row)
            except EngagementError as error:
                self.reject(row, error)


@dataclass
class _Counts:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    written: bool = True
    warnings: list[ImportWarning] = field(default_factory=list)


class _Refused(Exception):
    """A strict import's write found bad rows: its transaction is rolled back, and nothing is stored."""


Fields = dict[str, Any]
Writer = Callable[[], _Counts]  # what a checked file will write, once the caller decides it may


def import_csv(engine: Engine, kind: Kind, path: Path, *, as_of: dt.date, strict: bool = False) -> ImportReport:
    """Import `path` as `kind`; raises EngagementError for a whole-file fault, before writing anything."""
    if kind not in KINDS:
        raise EngagementError(f"Unknown import kind '{kind}'; use one of {', '.join(KINDS)}.")
    table = _read(path, kind)
    try:
        with session_scope(engine) as session:
            write = _PLANNERS[kind](session, table, as_of)  # checks every row before anything is written
            counts = _Counts(written=False) if strict and table.rejected else write()
            if strict and table.rejected:
                raise _Refused  # bad rows found while writing (keys held for other customers): roll it back
    except _Refused:
        counts = _Counts(written=False)
    return ImportReport(
        kind=kind,
        file=str(path),
        rows_read=table.rows_read,
        **vars(counts),
        rejected=sorted(table.rejected, key=lambda r: r.row),
    )


def _read(path: Path, kind: str) -> _Table:
    data, text = _decode(path)
    if kind == "activities" and (fast := _read_columns(path, kind, data, text)) is not None:
        return fast
    lines = list(io.StringIO(text, newline=""))
    try:
        first = next(csv.reader(lines[:1], strict=True), [])
    except csv.Error as exc:
        raise EngagementError(f"{path.name} is not valid CSV (line 1: {exc}).") from None
    header = _header(path, kind, first)
    table = _Table(frozenset(header), [], [])
    for number, record in enumerate(_records(lines, 1), start=2):  # spreadsheet rows: records, not lines
        if isinstance(record, str):
            table.rows_read += 1
            table.rejected.append(RejectedRow(row=number, reason=record))
            continue
        if not any(cell.strip() for cell in record):
            continue  # blank lines keep their number but are not rows
        table.rows_read += 1
        if any(cell.strip() for cell in record[len(header) :]):
            reason = f"has {len(record)} values; the header has {len(header)} columns."
            table.rejected.append(RejectedRow(row=number, reason=reason))
            continue
        table.rows.append(_Row(number, dict(zip(header, (cell.strip() for cell in record)))))
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


def _read_columns(path: Path, kind: str, data: bytes, text: str) -> _Table | None:
    """A big file's fast read (bulk.read_columns); None leaves it to the csv module, which then also
    words any whole-file error, so the errors and their order stay those of the row-by-row read."""
    try:
        # Lines found lazily: a StringIO would copy the whole file for its first record.
        first = next(csv.reader(line.group() for line in LINE_RE.finditer(text)), [])
        header = _header(path, kind, first)
    except (csv.Error, EngagementError):
        return None
    rows = bulk.read_columns(data, first, header)
    if rows is None:
        return None
    rejected = [RejectedRow(row=number, reason=reason) for number, reason in rows.rejected]
    return _Table(frozenset(header), [], rejected, rows.rows_read, fast=rows)


def _changed(row: Any, fields: Fields) -> bool:
    changed = any(getattr(row, name) != value for name, value in fields.items())
    for name, value in fields.items():
        setattr(row, name, value)
    return changed


def _upsert(session: Session, stored: dict[Any, Any], wanted: dict[Any, Fields], new: Callable[..., Any]) -> _Counts:
    """Add the rows not stored, change those that differ, and count which was which."""
    counts = _Counts()
    for key, fields in wanted.items():
        if key not in stored:
            session.add(new(key, fields))
            counts.imported += 1
        elif _changed(stored[key], fields):
            counts.updated += 1
        else:
            counts.unchanged += 1
    return counts


def _once(seen: dict[Any, int], key: Any, row: _Row, what: str) -> None:
    if key in seen:
        raise EngagementError(f"{what} is already row {seen[key]}; list each one once.")
    seen[key] = row.number


def _plan_csms(session: Session, table: _Table, as_of: dt.date) -> Writer:
    stored = {csm.id: csm for csm in session.exec(select(Csm)).all()}
    owners = {csm.email.lower(): csm.id for csm in stored.values()}
    wanted: dict[str, tuple[_Row, Fields]] = {}
    seen: dict[str, int] = {}

    def check(row: _Row) -> None:
        csm_id = checks.text("id", row["id"], ID_LENGTH, required=True) or ""
        fields = {
            "name": checks.text("name", row["name"], NAME_LENGTH, required=True),
            "email": checks.email("email", row["email"], EMAIL_LENGTH, required=True),
        }
        if owners.get(fields["email"], csm_id) != csm_id:
            raise EngagementError(f"email '{fields['email']}' belongs to stored CSM '{owners[fields['email']]}'.")
        _once(seen, csm_id, row, f"id '{csm_id}'")
        _once(seen, fields["email"], row, f"email '{fields['email']}'")
        wanted[csm_id] = (row, fields)

    table.check(check)
    lookup = {key.lower(): csm_id for csm_id, csm in stored.items() for key in (csm_id, csm.email)}
    lookup |= {key.lower(): csm_id for csm_id, (_, fields) in wanted.items() for key in (csm_id, fields["email"])}
    managers = {csm_id: csm.manager_id for csm_id, csm in stored.items()}
    if "manager" in table.columns:  # without the column, stored managers stay as they are
        for csm_id, (row, fields) in wanted.items():
            ref = row["manager"]
            manager = (ref if ref in wanted or ref in stored else lookup.get(ref.lower())) if ref else None
            managers[csm_id] = fields["manager_id"] = manager
    settled = "manager" not in table.columns
    while not settled:  # a rejected row may leave others pointing at a manager who no longer comes
        bad: dict[str, str] = {}
        for csm_id, (row, fields) in wanted.items():
            chain, step = [csm_id], fields["manager_id"]
            while step is not None and step not in chain:
                chain.append(step)
                step = managers.get(step)
            if row["manager"] and fields["manager_id"] not in wanted and fields["manager_id"] not in stored:
                bad[csm_id] = f"manager '{row['manager']}' is neither a stored CSM nor a good row of this file."
            elif step == csm_id:
                bad[csm_id] = f"managers would form a loop ({' -> '.join([*chain, csm_id])})."
        for csm_id, reason in bad.items():
            table.reject(wanted.pop(csm_id)[0], EngagementError(f"{reason} Give a CSM id or email, or leave it empty."))
            managers[csm_id] = stored[csm_id].manager_id if csm_id in stored else None
        settled = not bad

    def write() -> _Counts:
        counts = _Counts()
        for csm_id, (_, fields) in wanted.items():
            if csm_id not in stored:
                session.add(Csm(id=csm_id, name=fields["name"], email=fields["email"]))
                counts.imported += 1
        session.flush()  # every new CSM exists before any manager is set: foreign keys are checked per statement
        for csm_id, (_, fields) in wanted.items():
            if csm_id not in stored:
                session.get_one(Csm, csm_id).manager_id = fields.get("manager_id")
            elif _changed(stored[csm_id], fields):
                counts.updated += 1
            else:
                counts.unchanged += 1
        return counts

    return write


def _plan_customers(session: Session, table: _Table, as_of: dt.date) -> Writer:
    stored = {customer.id: customer for customer in session.exec(select(Customer)).all()}
    by_name: dict[str, list[str]] = defaultdict(list)
    for customer in stored.values():
        by_name[customer.name.lower()].append(customer.id)
    csms = {key.lower(): csm for csm, email in session.exec(select(Csm.id, Csm.email)).all() for key in (csm, email)}
    wanted: dict[str, Fields] = {}
    seen: dict[str, int] = {}

    def check(row: _Row) -> None:
        name = checks.text("name", row["name"], NAME_LENGTH, required=True) or ""
        if (segment := normalize_segment(row["segment"])) is None:
            raise EngagementError("segment is required; use one of Enterprise, Mid-Market, SMB.")
        fields: Fields = {"name": name, "segment": segment}
        if row["csm"] and row["csm"].lower() not in csms:
            raise EngagementError(f"csm '{row['csm']}' is not a stored CSM; give a stored CSM's id or email.")
        optional = {
            "csm": csms.get(row["csm"].lower()),
            "arr": checks.number("arr", row["arr"]),
            "health_score": checks.number("health_score", row["health_score"], maximum=100),
            "renewal_date": checks.day("renewal_date", row["renewal_date"]),
            "status": checks.choice("status", row["status"], STATUSES) or "active",
        }
        fields |= {"csm_id" if c == "csm" else c: value for c, value in optional.items() if c in table.columns}
        customer_id = checks.text("id", row["id"], ID_LENGTH)
        if customer_id is None:
            # Without an id, a stored customer of that name is updated rather than duplicated.
            same_name = by_name.get(name.lower(), [])
            if len(same_name) > 1:
                raise EngagementError(f"stored customers {', '.join(same_name)} are all named '{name}'; give the id.")
            customer_id = same_name[0] if same_name else checks.slug(name, ID_LENGTH)
            if not same_name and customer_id in stored:
                taken = stored[customer_id].name
                raise EngagementError(f"id '{customer_id}' (made from the name) is customer '{taken}'; give an id.")
        _once(seen, customer_id, row, f"customer id '{customer_id}'")
        wanted[customer_id] = fields

    table.check(check)

    def write() -> _Counts:
        named = [(seen[c], c, f["name"]) for c, f in wanted.items() if c not in stored or stored[c].name != f["name"]]
        counts = _upsert(session, stored, wanted, lambda customer_id, fields: Customer(id=customer_id, **fields))
        counts.warnings = [
            ImportWarning(row=row, name=same.name, looks_like=same.looks_like, customer_id=same.customer_id,
                          reason=same.reason())
            for row, same in new_look_alikes(names, sorted(named))
        ]  # fmt: skip
        return counts

    names = [(customer.id, customer.name) for customer in stored.values()]
    return write


def _plan_stakeholders(session: Session, table: _Table, as_of: dt.date) -> Writer:
    customers = _Customers(session)
    # With an email a stakeholder is (customer, email); without one, (customer, name) among those without.
    stored = {
        (s.customer_id, (s.email or "").lower(), "" if s.email else s.name.lower()): s
        for s in session.exec(select(Stakeholder)).all()
    }
    wanted: dict[tuple[str, str, str], Fields] = {}
    seen: dict[tuple[str, str, str], int] = {}

    def check(row: _Row) -> None:
        customer_id = customers.resolve(row["customer"])
        name = checks.text("name", row["name"], NAME_LENGTH, required=True) or ""
        fields: Fields = {"name": name, "email": checks.email("email", row["email"], EMAIL_LENGTH)}
        if "title" in table.columns:
            fields["title"] = checks.text("title", row["title"], TITLE_LENGTH)
        if "level" in table.columns:
            fields["level"] = checks.choice("level", row["level"], STAKEHOLDER_LEVELS)
        key = (customer_id, fields["email"] or "", "" if fields["email"] else name.lower())
        _once(seen, key, row, "this stakeholder")
        wanted[key] = fields

    table.check(check)
    return lambda: _upsert(session, stored, wanted, lambda key, fields: Stakeholder(customer_id=key[0], **fields))


def _plan_activities(session: Session, table: _Table, as_of: dt.date) -> Writer:
    """Every row checked at once (bulk.check); the good ones written by the writer's bulk path."""
    rows = table.fast or bulk.rows_from_cells(
        sorted(table.columns), [(row.number, row.cells) for row in table.rows], table.rows_read, []
    )
    checked = bulk.check(session, rows, as_of)
    table.rejected.extend(RejectedRow(row=number, reason=reason) for number, reason in checked.rejected)

    def write() -> _Counts:
        new, conflicts = write_activities(session, checked)
        ext, source = checked.columns["external_id"], checked.columns["source"]
        table.rejected.extend(
            RejectedRow(row=int(checked.numbers[i]), reason=key_held(source.row(i), ext.row(i)))
            for i in conflicts
        )
        return _Counts(imported=new, unchanged=len(checked.date_us) - new - len(conflicts))

    return write


_PLANNERS: dict[str, Callable[[Session, _Table, dt.date], Writer]] = {
    "csms": _plan_csms,
    "customers": _plan_customers,
    "stakeholders": _plan_stakeholders,
    "activities": _plan_activities,
}
