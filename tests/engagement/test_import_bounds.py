"""Imports refuse what is not a bounded regular CSV file, with a clear reason and nothing stored."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli import app
from engagement.errors import EngagementError
from engagement.imports.files import MAX_FILE_BYTES
from engagement.imports import MAX_COLUMNS, import_csv
from engagement.models import Activity, Customer
from tests.conftest import AS_OF
from tests.engagement.test_importer import count, reasons, write
from tests.factories import Factory

LIMIT = csv.field_size_limit()


def refused(runner: CliRunner, engine: Engine, kind: str, path: Path) -> str:
    """The CLI's message for a refused file, after checking it exited 1 and stored nothing."""
    before = count(engine, Activity), count(engine, Customer)
    result = runner.invoke(app, ["import", kind, str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert (count(engine, Activity), count(engine, Customer)) == before
    return " ".join(result.output.split())


def test_a_device_is_refused_before_it_is_read(engine: Engine, runner: CliRunner) -> None:
    with pytest.raises(EngagementError, match="/dev/zero is a device or socket, not a regular file"):
        import_csv(engine, "activities", Path("/dev/zero"), as_of=AS_OF)
    assert "not a regular file" in refused(runner, engine, "activities", Path("/dev/zero"))


def test_a_fifo_without_a_writer_is_refused_without_waiting(engine: Engine, runner: CliRunner, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)  # nobody ever writes: opening it for reading the usual way would wait forever

    with pytest.raises(EngagementError, match="pipe.csv is a FIFO, not a regular file"):
        import_csv(engine, "customers", fifo, as_of=AS_OF)
    assert "is a FIFO, not a regular file" in refused(runner, engine, "customers", fifo)


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(engine: Engine, runner: CliRunner, tmp_path: Path) -> None:
    big = write(tmp_path, "name,segment\nAcme,SMB\n", "big.csv")
    os.truncate(big, MAX_FILE_BYTES + 1)  # sparse: no disk used, and never read

    with pytest.raises(EngagementError, match=r"big.csv is 536,870,913 bytes; files up to 512 MiB \(536,870,912 bytes\) are imported. Split it"):
        import_csv(engine, "customers", big, as_of=AS_OF)
    assert "files up to 512 MiB" in refused(runner, engine, "customers", big)


@pytest.mark.parametrize("kind", ["customers", "activities"])
def test_a_header_wider_than_the_limit_is_refused(engine: Engine, runner: CliRunner, tmp_path: Path, kind: str) -> None:
    path = write(tmp_path, ",".join(["customer", "type", "direction", "date", "name", "segment"] + ["x"] * 100_000) + "\n")

    with pytest.raises(EngagementError, match=rf"has 100,006 columns in its header row .*at most {MAX_COLUMNS} are read"):
        import_csv(engine, kind, path, as_of=AS_OF)
    assert "at most 100 are read" in refused(runner, engine, kind, path)


def test_repeated_columns_are_named_once_each(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, ",".join(["name"] * 50 + ["segment"] * 49 + ["x"]) + "\n")

    with pytest.raises(EngagementError, match=r"unknown column\(s\) 'x'; repeated column\(s\) 'name', 'segment'\."):
        import_csv(engine, "customers", path, as_of=AS_OF)


def test_a_cell_over_the_csv_limit_in_a_file_without_quotes_is_named_as_too_long(
    engine: Engine, factory: Factory, runner: CliRunner, tmp_path: Path
) -> None:
    factory.customer("acme", "Acme Corp")
    long = "x" * (LIMIT + 1)
    path = write(
        tmp_path,
        "customer,type,direction,date,subject\n"
        "acme,email,outbound,2026-11-20,hello\n"
        f"acme,email,outbound,2026-11-21,{long}\n"
        "acme,email,outbound,2026-11-22,again\n",
    )

    report = import_csv(engine, "activities", path, as_of=AS_OF)

    assert reasons(report) == {3: f"has a cell longer than {LIMIT:,} characters; shorten it."}
    assert (report.rows_read, report.imported) == (3, 2)
    customers = write(tmp_path, f"name,segment\nGood,SMB\n{long},SMB\n", "customers.csv")
    result = runner.invoke(app, ["import", "customers", str(customers), "--strict"])
    assert result.exit_code == 1 and "longer than 131,072 characters" in " ".join(result.output.split())
    assert "unmatched quote" not in result.output and count(engine, Customer) == 1


def test_an_unmatched_quote_is_still_named_as_one(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, 'name,segment\n"Acme,SMB\nGlobex,SMB\n')

    report = import_csv(engine, "customers", path, as_of=AS_OF)

    assert "unmatched quote" in reasons(report)[2]


def test_a_long_cell_in_a_record_of_several_lines_rejects_that_record_only(engine: Engine, tmp_path: Path) -> None:
    long = "x" * (LIMIT + 1)
    path = write(tmp_path, f'name,segment\nAlpha,SMB\n{long},"S\nM\nB"\n"Be""ta",SMB\nGamma,SMB\n')

    report = import_csv(engine, "customers", path, as_of=AS_OF)

    assert reasons(report) == {3: f"has a cell longer than {LIMIT:,} characters; shorten it."}
    assert (report.rows_read, report.imported) == (4, 3)
