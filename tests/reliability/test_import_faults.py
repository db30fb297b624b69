"""A file that fails half-way: bad bytes, a cut-off line, a stray quote, the database failing on a late
row. The store is left as it was, or (default, lenient mode) holds only the good rows; the answer names
the rows it refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from typer.testing import CliRunner

from cli import app
from engagement.errors import EngagementError
from engagement.imports import import_csv
from engagement.settings import Settings
from tests.conftest import AS_OF
from tests.factories import Factory
from tests.reliability.conftest import table_counts

HEADER = "customer,type,direction,date,participants,subject,external_id"


def good_rows(count: int, start: int = 0) -> list[str]:
    return [f"acme,email,outbound,2026-11-{1 + n % 20:02d},p{n}@acme.test,Check-in {n},ext-{n}" for n in range(start, start + count)]


def write(tmp_path: Path, lines: list[str], raw: bytes = b"") -> Path:
    path = tmp_path / "activities.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8") + raw)
    return path


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, for 'left as it was' (counts alone would miss a changed row)."""
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return {
            name: sorted(map(tuple, connection.execute(select(table))), key=repr)
            for name, table in metadata.tables.items()
        }


@pytest.fixture
def store(engine: Engine, factory: Factory) -> Engine:
    factory.customer("acme", "Acme Corp")
    factory.activity("acme", "2026-10-01T10:00:00", external_id="before", source="csv")
    return engine


@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
def test_bad_encoding_half_way_leaves_the_store_as_it_was_and_says_where(
    store: Engine, tmp_path: Path, strict: bool
) -> None:
    lines = [HEADER, *good_rows(40)]
    bad = "acme,email,outbound,2026-11-02,x@acme.test,Caf\xe9 visit,ext-bad".encode("latin-1")  # not UTF-8
    path = write(tmp_path, lines, raw=bad + b"\n" + "\n".join(good_rows(10, start=40)).encode() + b"\n")
    before = snapshot(store)

    with pytest.raises(EngagementError) as error:
        import_csv(store, "activities", path, as_of=AS_OF, strict=strict)

    assert snapshot(store) == before
    offset = path.read_bytes().index(b"\xe9")
    assert "not UTF-8" in str(error.value) and f"offset {offset}" in str(error.value)


@pytest.mark.parametrize("cut", ["acme,email,outbound,2026-11-0", "acme,email,outb", "acme"])
def test_a_file_cut_off_mid_line_imports_the_good_rows_and_names_the_cut_one(
    store: Engine, tmp_path: Path, cut: str
) -> None:
    path = tmp_path / "activities.csv"
    path.write_text("\n".join([HEADER, *good_rows(30)]) + "\n" + cut, encoding="utf-8")  # no final newline
    before = table_counts(store)

    report = import_csv(store, "activities", path, as_of=AS_OF)

    assert report.imported == 30 and report.rows_read == 31
    assert [r.row for r in report.rejected] == [32], report.rejected
    assert table_counts(store)["activity"] == before["activity"] + 30


def test_strict_import_of_a_file_cut_off_mid_line_writes_nothing(store: Engine, tmp_path: Path) -> None:
    path = tmp_path / "activities.csv"
    path.write_text("\n".join([HEADER, *good_rows(30)]) + "\nacme,email,outbound,2026-11-0", encoding="utf-8")
    before = snapshot(store)

    report = import_csv(store, "activities", path, as_of=AS_OF, strict=True)

    assert report.written is False and [r.row for r in report.rejected] == [32]
    assert snapshot(store) == before


def test_a_stray_quote_half_way_loses_no_row_silently(store: Engine, tmp_path: Path) -> None:
    lines = [HEADER, *good_rows(5), 'acme,email,outbound,2026-11-03,q@acme.test,"Re: Q3 review,ext-quote', *good_rows(5, 5)]
    path = write(tmp_path, lines)

    report = import_csv(store, "activities", path, as_of=AS_OF)

    # Every data line is accounted for: imported, or rejected by its row number.
    assert report.imported + len(report.rejected) == len(lines) - 1, report
    assert [(r.row, "unmatched quote" in r.reason) for r in report.rejected] == [(7, True)]


def fail_on_a_late_row(engine: Engine, external_id: str) -> None:
    """A database error on one row, raised by the database itself (a trigger), whatever the batching."""
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(
                text(
                    "CREATE TRIGGER fail_late BEFORE INSERT ON activity "
                    f"WHEN NEW.external_id = '{external_id}' BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
                )
            )
        else:
            connection.execute(
                text(
                    "CREATE FUNCTION fail_late() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    f"IF NEW.external_id = '{external_id}' THEN RAISE EXCEPTION 'injected fault'; END IF; "
                    "RETURN NEW; END $$"
                )
            )
            connection.execute(
                text("CREATE TRIGGER fail_late BEFORE INSERT ON activity FOR EACH ROW EXECUTE FUNCTION fail_late()")
            )


@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
def test_a_database_error_on_a_late_row_rolls_the_whole_import_back(
    store: Engine, tmp_path: Path, strict: bool
) -> None:
    rows = good_rows(1200)  # past the importer's 500-row batches of old, and any pipelining
    path = write(tmp_path, [HEADER, *rows])
    fail_on_a_late_row(store, "ext-1150")
    before = snapshot(store)

    with pytest.raises(SQLAlchemyError, match="injected fault"):
        import_csv(store, "activities", path, as_of=AS_OF, strict=strict)

    assert snapshot(store) == before


def test_a_database_error_on_a_late_row_of_a_customers_file_rolls_it_back(
    store: Engine, tmp_path: Path
) -> None:
    with store.begin() as connection:
        if store.dialect.name == "sqlite":
            connection.execute(
                text(
                    "CREATE TRIGGER fail_late BEFORE INSERT ON customer WHEN NEW.id = 'c-0450' "
                    "BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
                )
            )
        else:
            connection.execute(
                text(
                    "CREATE FUNCTION fail_late() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    "IF NEW.id = 'c-0450' THEN RAISE EXCEPTION 'injected fault'; END IF; RETURN NEW; END $$"
                )
            )
            connection.execute(
                text("CREATE TRIGGER fail_late BEFORE INSERT ON customer FOR EACH ROW EXECUTE FUNCTION fail_late()")
            )
    path = tmp_path / "customers.csv"
    path.write_text("id,name,segment\n" + "".join(f"c-{n:04d},Company {n},SMB\n" for n in range(500)), encoding="utf-8")
    before = snapshot(store)

    with pytest.raises(SQLAlchemyError, match="injected fault"):
        import_csv(store, "customers", path, as_of=AS_OF)

    assert snapshot(store) == before


def test_the_cli_reports_a_database_error_mid_import_as_nothing_imported(
    store: Engine, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, [HEADER, *good_rows(50)])
    fail_on_a_late_row(store, "ext-40")
    monkeypatch.setenv("ENGAGEMENT_DATABASE_URL", settings.resolved_database_url())
    monkeypatch.setenv("ENGAGEMENT_AS_OF", str(AS_OF))
    before = snapshot(store)

    result = CliRunner().invoke(app, ["import", "activities", str(path)])

    assert snapshot(store) == before
    assert result.exit_code == 1 and not isinstance(result.exception, SQLAlchemyError), result.exception
    assert "nothing" in result.output.lower() and "Traceback" not in result.output


def activity_schema(engine: Engine) -> list[tuple[Any, ...]]:
    """Every index and trigger on activity with its definition (an import on SQLite drops some inside its
    transaction: they must come back exactly, or be there all along for everyone else)."""
    if engine.dialect.name == "sqlite":
        query = "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'activity' AND name != 'fail_late'"
    else:
        query = (
            "SELECT 'index', indexname, indexdef FROM pg_indexes WHERE tablename = 'activity' "
            "AND schemaname = current_schema() UNION ALL SELECT 'trigger', tgname, pg_get_triggerdef(oid) "
            "FROM pg_trigger WHERE tgrelid = 'activity'::regclass AND tgname != 'fail_late'"
        )
    with engine.connect() as connection:
        return sorted(map(tuple, connection.exec_driver_sql(query)))


@pytest.mark.parametrize("stored", [1, 3000], ids=["import-bigger-than-table", "import-smaller-than-table"])
def test_an_import_failing_late_leaves_the_triggers_and_indexes_and_stores_nothing(
    store: Engine, factory: Factory, tmp_path: Path, stored: int
) -> None:
    # A big import rebuilds the secondary indexes, every import replaces the version trigger: after a
    # failure half-way both are as they were, no row is kept, and the trigger still counts writes.
    factory.activities("acme", stored - 1, "2026-09-01T10:00:00")
    path = write(tmp_path, [HEADER, *good_rows(1200)])
    fail_on_a_late_row(store, "ext-1150")
    schema, before = activity_schema(store), snapshot(store)

    with pytest.raises(SQLAlchemyError, match="injected fault"):
        import_csv(store, "activities", path, as_of=AS_OF)

    assert activity_schema(store) == schema and snapshot(store) == before
    assert any(kind == "trigger" for kind, _, _ in schema) and sum(kind == "index" for kind, _, _ in schema) >= 3
    factory.activity("acme", "2026-11-02T10:00:00")
    assert snapshot(store)["store_version"] != before["store_version"]
