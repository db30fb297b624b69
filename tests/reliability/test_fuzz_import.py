"""Every column of every import kind, fuzzed: each row is imported or refused with a reason naming a
column, the counts add up, the store holds exactly what the report says, and strict mode writes nothing
when it refuses anything. Never another exception."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st
from sqlalchemy.engine import Engine

from engagement.core import Core
from engagement.errors import EngagementError
from engagement.imports import COLUMNS, KINDS, import_csv
from engagement.scoring import load_scoring_config
from engagement.settings import Settings
from tests.conftest import AS_OF
from tests.factories import local, Factory
from tests.reliability.conftest import table_counts
from engagement.portfolio import portfolio
from engagement.queries import PortfolioQuery

EXAMPLES = 25
ROWS = 3
GOOD = {
    "id": "x-1", "name": "Zed Zeta", "email": "zed@zeta.test", "manager": "csm-1", "segment": "SMB", "csm": "csm-1",
    "arr": "1200.5", "renewal_date": "2027-01-31", "health_score": "55", "status": "active", "customer": "acme",
    "title": "VP Ops", "level": "executive", "type": "email", "direction": "outbound", "date": "2026-11-01",
    "duration_minutes": "30", "participants": "a@acme.test; B@Acme.test", "stakeholder_level": "user",
    "response_received": "true", "response_time_hours": "2.5", "subject": "Renewal", "source": "csv",
    "external_id": "e-1",
}
NASTY = st.sampled_from(
    ["", " ", "-1", "1e309", "nan", "inf", "1" * 400, "0x10", "2026-02-30", "2026-11-24T23:59:59-12:00", "2099-01-01",
     "1989-12-31", "ACME", "acme;acme", ";;;", "\x00", "e\u0301", "😀", "'; DROP TABLE activity; --", "true;false",
     "Executive", "OUTBOUND", "csm-1@ourco.test", "nobody", "a" * 65, "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "=HYPERLINK(\"x\")",
     "Acme C\u043erp", "ACME  CORP", "Acme\u200b Corp", "x" * (csv.field_size_limit() + 1), "[/b] \x1b[31m :x:"]
)  # look-alikes of the seeded "Acme Corp", a cell over the csv module's limit, markup and control characters
CELL = st.one_of(NASTY, st.text(max_size=30), st.text(min_size=300, max_size=600))


def cells(kind: str) -> st.SearchStrategy[list[dict[str, str]]]:
    required, optional = COLUMNS[kind]
    row = st.fixed_dictionaries({column: st.one_of(st.just(GOOD[column]), CELL) for column in required + optional})
    return st.lists(row, min_size=1, max_size=ROWS)


def as_csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))  # \r\n: cells holding \r or \n get quoted
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def names_a_column(reason: str, kind: str) -> bool:
    required, optional = COLUMNS[kind]
    names = {*required, *optional} | {c.split("_")[0] for c in (*required, *optional)} | {"row", "header", "cell"}
    return any(re.search(rf"\b{re.escape(name)}", reason.lower()) for name in names)


@pytest.fixture
def seeded(engine: Engine, factory: Factory) -> Engine:
    factory.csm("csm-1", "Casey Morgan")
    factory.customer("acme", "Acme Corp", csm_id="csm-1")
    return engine


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
def test_fuzzed_import_rows_are_imported_or_refused_by_column_and_the_store_matches_the_report(
    seeded: Engine, tmp_path: Path, kind: str, strict: bool
) -> None:
    path = tmp_path / f"{kind}.csv"
    tables = list(table_counts(seeded))

    def counts() -> dict[str, int]:
        with seeded.connect() as connection:
            return {t: connection.exec_driver_sql(f'SELECT count(*) FROM "{t}"').scalar_one() for t in tables}

    @hypothesis_settings(
        max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(rows=cells(kind))
    def check(rows: list[dict[str, str]]) -> None:
        text = as_csv(rows)
        try:
            path.write_text(text, encoding="utf-8")
        except UnicodeEncodeError:
            return  # lone surrogates cannot be a UTF-8 file at all
        before = counts()
        try:
            report = import_csv(seeded, kind, path, as_of=AS_OF, strict=strict)  # type: ignore[arg-type]
        except EngagementError as error:  # a whole-file fault: nothing written
            assert counts() == before, str(error)
            return
        after = counts()
        table = kind[:-1] if kind != "activities" else "activity"
        assert report.rows_read == len(rows)
        for rejected in report.rejected:
            assert 2 <= rejected.row <= len(rows) + 1 and names_a_column(rejected.reason, kind), rejected
        refused = {rejected.row for rejected in report.rejected}
        for warning in report.warnings:  # a look-alike name: only of a row imported, naming the other customer
            assert kind == "customers" and 2 <= warning.row <= len(rows) + 1 and warning.row not in refused, warning
            assert warning.customer_id in warning.reason and report.written
        if not report.written:
            assert strict and report.rejected and after == before
            return
        assert not (strict and report.rejected)
        assert report.imported + report.updated + report.unchanged + len(report.rejected) == len(rows), report
        assert after[table] == before[table] + report.imported, (report, before, after)

    check()


@pytest.mark.parametrize("column", COLUMNS["activities"][0] + COLUMNS["activities"][1])
def test_a_nul_character_in_an_activity_cell_refuses_that_row_only_and_reads_still_work(
    seeded: Engine, settings: Settings, tmp_path: Path, column: str
) -> None:
    """Found by fuzzing on PostgreSQL: a NUL failed the whole import (text columns), or was stored inside the
    participants JSON, after which every portfolio read failed ("\\u0000 cannot be converted to text")."""
    good = {c: GOOD[c] for c in COLUMNS["activities"][0] + COLUMNS["activities"][1]}
    rows = [good | {"external_id": "ok-1"}, good | {"external_id": "nul-row", column: GOOD[column][:1] + "\x00"}]
    path = tmp_path / "activities.csv"
    path.write_text(as_csv(rows), encoding="utf-8")
    before = table_counts(seeded)["activity"]

    report = import_csv(seeded, "activities", path, as_of=AS_OF)

    assert report.imported == 1 and [r.row for r in report.rejected] == [3], report
    assert table_counts(seeded)["activity"] == before + 1
    core = Core(seeded, settings, load_scoring_config())
    assert portfolio(core, local(core), PortfolioQuery(csm_id="all")).summary.customer_count == 1


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        ("csms", {"id": "x-1", "name": "Zed", "email": "zed@zeta.test"}, {"name": "Z\x00"}),
        ("customers", {"id": "beta", "name": "Beta Ltd", "segment": "SMB"}, {"name": "B\x00"}),
        (
            "stakeholders",
            {"customer": "acme", "name": "Ana", "email": "ana@acme.test", "title": "VP"},
            {"title": "V\x00P"},
        ),
    ],
)
def test_a_nul_character_in_a_text_cell_refuses_that_row_only(
    seeded: Engine, tmp_path: Path, kind: str, good: dict[str, str], bad: dict[str, str]
) -> None:
    """Found by fuzzing on PostgreSQL: a CSM named "\\x00" failed the whole import with a database error."""
    second = {k: v.replace("x-1", "x-2").replace("zed@", "zoe@").replace("beta", "gamma").replace("ana@", "bo@")
              for k, v in good.items()}
    path = tmp_path / f"{kind}.csv"
    path.write_text(as_csv([good, second | bad]), encoding="utf-8")
    before = table_counts(seeded)[kind[:-1]]

    report = import_csv(seeded, kind, path, as_of=AS_OF)  # type: ignore[arg-type]

    assert [(r.row, "NUL" in r.reason) for r in report.rejected] == [(3, True)], report
    assert table_counts(seeded)[kind[:-1]] == before + 1

