"""What an import answers (`ImportReport`: rows read, imported, updated, unchanged, refused with reasons,
warnings), and what the write each kind of file plans returns (`Counts`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import BaseModel
from sqlmodel import Session

from engagement.imports.files import Table


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


@dataclass
class Counts:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    written: bool = True
    warnings: list[ImportWarning] = field(default_factory=list)


Writer = Callable[[], Counts]
"""What a checked file will write, once the caller decides it may; rows it refuses while writing go to the table."""
Planner = Callable[[Session, Table, dt.date], Writer]
"""A kind's check of every row of a file (refused rows go to the table), and the write of the good ones."""
