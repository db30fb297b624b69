"""The column-wise import's shortcuts agree with the straightforward code they replace: dates read as
bytes, dates written as stored text, the line count taken on bytes."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from engagement.imports import activities, files
from engagement.imports import import_csv
from engagement.models import Activity
from tests.conftest import AS_OF
from tests.factories import Factory

CELLS = [
    "2026-10-05", "2026-10-05T09:30", "2026-10-05 09:30:15", "2026-10-05T09:30Z", "2026-10-05T09:30:15Z",
    "2026-10-05T09:30+02:00", "2026-10-05T23:30:15-02:00", "2024-02-29", "2026-02-29", "1990-01-01",
    "1989-12-31T23:00-02:00", "2026-11-24T23:59:59Z", "2026-11-25", "2026-10-05T24:00", "2026-13-01",
    "2026-10-05T10:00:00.250+02:00", "20261005", "2026-1-05", "", "2026-10-05 ", " 2026-10-05T09:30",
    "2026-10-05T09:30+02:60", "2026/10/05",
]


def test_storage_dates_are_the_text_sqlalchemy_stores() -> None:
    us = np.random.default_rng(7).integers(631_152_000_000_000, 4_102_444_800_000_000, 5000)
    epoch = dt.datetime(1970, 1, 1)
    expected = [f"{epoch + dt.timedelta(microseconds=int(u)):%Y-%m-%d %H:%M:%S.%f}" for u in us]

    assert activities.storage_dates(us) == expected
    assert activities.storage_dates(np.array([], dtype=np.int64)) == []


def test_dates_read_as_bytes_parse_as_text_does_except_cells_with_spaces_around() -> None:
    as_text = activities.parse_dates(np.array(CELLS, dtype=object), AS_OF)
    as_bytes = activities.parse_dates(np.array([c.encode() for c in CELLS], dtype="S32"), AS_OF)

    trimmed = np.array([c == c.strip() for c in CELLS])
    assert (as_bytes[1] == (as_text[1] & trimmed)).all()  # untrimmed cells go to the exact row check
    assert (as_bytes[0][as_bytes[1]] == as_text[0][as_bytes[1]]).all()
    assert as_text[1].sum() == 12


@pytest.mark.parametrize(
    "body", [b"", b"a", b"a\n", b"a\r\nb", b"a\rb\r", b"a\n\nb\r\n\r", b"x\r\r\n", "\u00e9\n\u2028".encode()]
)
def test_lines_are_counted_as_text_reading_splits_them(body: bytes) -> None:
    assert files._lines(body) == len(io.StringIO(body.decode(), newline="").readlines())


def test_a_date_cell_longer_than_its_byte_column_is_read_again_as_text(
    engine: Engine, factory: Factory, tmp_path: Path
) -> None:
    factory.customer("acme", "Acme Corp")
    long_date = "2026-10-05 10:00 in the afternoon"  # 33 bytes: more than the column holds
    path = tmp_path / "activities.csv"
    path.write_text(
        "customer,type,direction,date,external_id\n"
        f"acme,email,outbound,{long_date},x-1\n"
        "acme,email,outbound, 2026-10-05T09:30 ,x-2\n"
        "acme,email,outbound,2026-10-06,x-3\n",
        encoding="utf-8",
    )

    assert files.read(path, "activities").fast.frame["date"].dtype == object  # type: ignore[union-attr]
    report = import_csv(engine, "activities", path, as_of=AS_OF)

    assert [(r.row, r.reason) for r in report.rejected] == [
        (2, f"date '{long_date}' is not an ISO 8601 date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][+HH:MM|Z].")
    ]
    with Session(engine) as session:
        dates = {a.external_id: a.date for a in session.exec(select(Activity)).all()}
    assert dates == {"x-2": dt.datetime(2026, 10, 5, 9, 30), "x-3": dt.datetime(2026, 10, 6)}
