"""Importing CSMs, customers, stakeholders and activities from CSV files: each file's good rows in one
transaction, every bad row named by its spreadsheet row number, or with `strict` nothing at all.

The import in one place: `files` is the one reader of a bounded CSV file, `directory` checks and plans
CSMs, customers and stakeholders, `activities` checks an activities file's columns at once (the fast
path), `store` holds the statements the import runs and `insert` the activities' insert (reached through
engagement.writer, the one write path). A row's customer is resolved by engagement.lookup, in the words
every lookup uses.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal, get_args

from sqlalchemy.engine import Engine

from engagement.db import session_scope
from engagement.errors import EngagementError
from engagement.imports import activities, directory, files
from engagement.imports.files import COLUMNS, MAX_COLUMNS
from engagement.imports.report import Counts, ImportReport, ImportWarning, Planner, RejectedRow

__all__ = ["COLUMNS", "KINDS", "MAX_COLUMNS", "ImportReport", "ImportWarning", "Kind", "RejectedRow", "import_csv"]

Kind = Literal["customers", "stakeholders", "csms", "activities"]
KINDS: tuple[str, ...] = get_args(Kind)
PLANNERS: dict[str, Planner] = {
    "csms": directory.plan_csms,
    "customers": directory.plan_customers,
    "stakeholders": directory.plan_stakeholders,
    "activities": activities.plan,
}


class _Refused(Exception):
    """A strict import's write found bad rows: its transaction is rolled back, and nothing is stored."""


def import_csv(engine: Engine, kind: Kind, path: Path, *, as_of: dt.date, strict: bool = False) -> ImportReport:
    """Import `path` as `kind`; raises EngagementError for a whole-file fault, before writing anything."""
    if kind not in KINDS:
        raise EngagementError(f"Unknown import kind '{kind}'; use one of {', '.join(KINDS)}.")
    table = files.read(path, kind)
    try:
        with session_scope(engine) as session:
            write = PLANNERS[kind](session, table, as_of)  # checks every row before anything is written
            counts = Counts(written=False) if strict and table.rejected else write()
            if strict and table.rejected:
                raise _Refused  # bad rows found while writing (keys held for other customers): roll it back
    except _Refused:
        counts = Counts(written=False)
    return ImportReport(
        kind=kind,
        file=str(path),
        rows_read=table.rows_read,
        **vars(counts),
        rejected=sorted((RejectedRow(row=row, reason=reason) for row, reason in table.rejected), key=lambda r: r.row),
    )
