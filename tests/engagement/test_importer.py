"""CSV import of each kind: good rows in, bad rows named by row number, strict and whole-file errors write nothing."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from engagement.imports import activities, files
from engagement.imports.report import ImportReport
from engagement.lookup import CustomerIndex
from engagement.core import Core
from engagement.errors import EngagementError, NotFoundError
from engagement.freshness import current_version
from engagement.imports import import_csv
from engagement.models import Activity, Csm, Customer, Stakeholder
from tests.conftest import AS_OF
from tests.factories import local, Factory
from engagement.customer import customer
from engagement.queries import CustomerQuery

ACTIVITY_HEADER = "customer,type,direction,date,duration_minutes,participants,response_received,external_id\n"


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def count(engine: Engine, table: Any) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(table)).one()


def reasons(report: ImportReport) -> dict[int, str]:
    return {rejected.row: rejected.reason for rejected in report.rejected}


def test_csms_import_with_a_manager_defined_later_in_the_file(engine: Engine, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "ID, Name ,Email,Manager\n"
        "csm-2,Dana Lee,Dana@OurCo.test,lead@ourco.test\n"
        "lead,Robin Park,lead@ourco.test,\n",
    )

    report = import_csv(engine, "csms", path, as_of=AS_OF)

    assert (report.rows_read, report.imported, report.rejected, report.written) == (2, 2, [], True)
    with Session(engine) as session:
        dana = session.get_one(Csm, "csm-2")
        assert (dana.email, dana.manager_id) == ("dana@ourco.test", "lead")
        assert session.get_one(Csm, "lead").manager_id is None


def test_csms_reimport_counts_unchanged_and_updates_what_changed(
    engine: Engine, factory: Factory, tmp_path: Path
) -> None:
    factory.csm("lead", "Robin Park", "lead@ourco.test")
    factory.csm("csm-2", "Dana Lee", "dana@ourco.test")
    path = write(
        tmp_path, "id,name,email,manager\nlead,Robin Park,lead@ourco.test,\ncsm-2,Dana Lee,dana@ourco.test,lead\n"
    )

    report = import_csv(engine, "csms", path, as_of=AS_OF)

    assert (report.imported, report.updated, report.unchanged) == (0, 1, 1)
    with Session(engine) as session:
        assert session.get_one(Csm, "csm-2").manager_id == "lead"


def test_csm_manager_loops_and_unknown_managers_are_rejected(engine: Engine, tmp_path: Path) -> None:
    path = write(
        tmp_path, "id,name,email,manager\na,A,a@x.test,b\nb,B,b@x.test,a\nc,C,c@x.test,nobody\nd,D,d@x.test,\n"
    )

    report = import_csv(engine, "csms", path, as_of=AS_OF)

    assert sorted(reasons(report)) == [2, 3, 4]
    assert "loop" in reasons(report)[2] and "loop" in reasons(report)[3]
    assert "'nobody'" in reasons(report)[4]
    assert report.imported == 1 and count(engine, Csm) == 1


def test_customers_import_with_derived_ids_normalised_segments_and_defaults(
    engine: Engine, factory: Factory, tmp_path: Path
) -> None:
    factory.csm("csm-1", email="casey@ourco.test")
    path = write(
        tmp_path,
        "name,segment,csm,arr,renewal_date,health_score\n"
        "Acme Corp,enterprise,CASEY@ourco.test,120000,2027-03-31,72.5\n"
        "Bolt & Nut Co.,smb,,,,\n",
    )

    report = import_csv(engine, "customers", path, as_of=AS_OF)

    assert (report.imported, report.rejected) == (2, [])
    with Session(engine) as session:
        acme = session.get_one(Customer, "acme-corp")
        assert (acme.segment, acme.csm_id, acme.arr, acme.health_score, acme.status) == (
            "Enterprise", "csm-1", 120000.0, 72.5, "active"
        )
        assert str(acme.renewal_date) == "2027-03-31"
        bolt = session.get_one(Customer, "bolt-nut-co")
        assert (bolt.segment, bolt.csm_id, bolt.arr) == ("SMB", None, None)


def test_customers_reimport_updates_by_id_and_by_name_without_duplicates(
    engine: Engine, factory: Factory, tmp_path: Path
) -> None:
    factory.customer("cust-9", "Acme Corp", segment="SMB")
    path = write(tmp_path, "id,name,segment,status\n,Acme Corp,Mid-Market,renewed\nzen,Zen Ltd,SMB,\n")

    first = import_csv(engine, "customers", path, as_of=AS_OF)
    second = import_csv(engine, "customers", path, as_of=AS_OF)

    assert (first.imported, first.updated, first.unchanged) == (1, 1, 0)
    assert (second.imported, second.updated, second.unchanged) == (0, 0, 2)
    assert count(engine, Customer) == 2
    with Session(engine) as session:
        assert (session.get_one(Customer, "cust-9").segment, session.get_one(Customer, "cust-9").status) == (
            "Mid-Market", "renewed"
        )


def test_bad_customer_rows_are_named_by_row_number_while_good_rows_import(engine: Engine, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "id,name,segment,csm,arr,renewal_date,health_score,status\n"
        "ok-1,Good One,SMB,,,,,\n"
        "bad-1,Bad Segment,Startup,,,,,\n"
        "\n"
        "bad-2,Bad Numbers,SMB,,-5,,101,\n"
        "bad-3,Bad Date,SMB,,,31/03/2027,,\n"
        "bad-4,Bad Csm,SMB,ghost,,,,\n"
        "ok-1,Twice,SMB,,,,,\n"
        "ok-2,Good Two,Mid-market,,,,,churned\n"
        "bad-5,Year One,SMB,,,0001-01-01,,\n",
    )

    report = import_csv(engine, "customers", path, as_of=AS_OF)

    rejected = reasons(report)
    assert sorted(rejected) == [3, 5, 6, 7, 8, 10]
    assert "1990-01-01 to 2100-12-31" in rejected[10]  # the analysis counts months from a renewal date
    assert "Startup" in rejected[3] and "Enterprise, Mid-Market, SMB" in rejected[3]
    assert "arr" in rejected[5]
    assert "YYYY-MM-DD" in rejected[6]
    assert "ghost" in rejected[7]
    assert "row 2" in rejected[8]
    assert (report.rows_read, report.imported, report.written) == (8, 2, True)
    with Session(engine) as session:
        assert sorted(session.exec(select(Customer.id)).all()) == ["ok-1", "ok-2"]


def test_stakeholders_import_and_upsert_by_customer_and_email(engine: Engine, factory: Factory, tmp_path: Path) -> None:
    factory.customer("acme", "Acme Corp")
    factory.stakeholder("acme", "Ana Old", "ana@acme.test", level="user")
    path = write(
        tmp_path,
        "customer,name,email,title,level\n"
        "ACME CORP,Ana Silva,Ana@acme.test,VP Ops,Executive\n"
        "acme,Ben Cho,,Analyst,user\n"
        "acme,Cy,cy@acme.test,,manager\n",
    )

    first = import_csv(engine, "stakeholders", path, as_of=AS_OF)
    second = import_csv(engine, "stakeholders", path, as_of=AS_OF)

    assert (first.imported, first.updated, list(reasons(first))) == (1, 1, [4])
    assert "executive, champion, user" in reasons(first)[4]
    assert (second.imported, second.updated, second.unchanged) == (0, 0, 2)
    with Session(engine) as session:
        ana = session.exec(select(Stakeholder).where(Stakeholder.email == "ana@acme.test")).one()
        assert (ana.name, ana.title, ana.level) == ("Ana Silva", "VP Ops", "executive")
    assert count(engine, Stakeholder) == 2


def test_imported_activities_give_spec_example_one_score(
    engine: Engine, factory: Factory, core: Core, tmp_path: Path
) -> None:
    factory.customer("acme", "Acme Corp")
    emails = "Acme Corp,email,outbound,2026-10-05,,,true,\n" * 6 + "acme,Email,OUTBOUND,2026-10-06,,,false,\n" * 4
    meetings = "".join(
        f"acme,meeting,outbound,{day}T15:00:00,30,{person},,\n"
        for day, person in (("2026-10-20", "ana@acme.test"), ("2026-11-03", "ben@a.test"), ("2026-11-20", "cho@a.test"))
    )
    path = write(tmp_path, ACTIVITY_HEADER + emails + meetings)

    report = import_csv(engine, "activities", path, as_of=AS_OF)

    assert (report.rows_read, report.imported, report.unchanged, report.rejected) == (13, 13, 0, [])
    detail = customer(core, local(core), CustomerQuery(customer="acme"))
    assert detail.score.engagement_score == 56.8
    assert detail.activities.emails_sent == 10 and detail.activities.meetings_held == 3
    assert detail.quality.response_rate == 0.6 and detail.quality.stakeholders_engaged == 3


def test_reimporting_the_same_activities_adds_nothing(engine: Engine, factory: Factory, tmp_path: Path) -> None:
    factory.customer("acme", "Acme Corp")
    path = write(
        tmp_path,
        ACTIVITY_HEADER
        + "acme,email,outbound,2026-10-05,,,true,\n"
        + "acme,call,inbound,2026-10-07,15,ana@acme.test,,\n"
        + "acme,meeting,outbound,2026-10-08,60,,,cal-1\n"
        + "acme,meeting,outbound,2026-10-09,60,,,cal-2\n",
    )

    first = import_csv(engine, "activities", path, as_of=AS_OF)
    second = import_csv(engine, "activities", path, as_of=AS_OF)

    assert (first.imported, first.unchanged) == (4, 0)
    assert (second.imported, second.unchanged) == (0, 4)
    assert count(engine, Activity) == 4


def test_identical_rows_without_external_id_are_each_stored_once(
    engine: Engine, factory: Factory, tmp_path: Path
) -> None:
    factory.customer("acme", "Acme Corp")
    row = "acme,email,outbound,2026-10-05,,,,\n"
    one = write(tmp_path, ACTIVITY_HEADER + row, "one.csv")
    two = write(tmp_path, ACTIVITY_HEADER + row + row, "two.csv")

    assert import_csv(engine, "activities", two, as_of=AS_OF).imported == 2
    assert import_csv(engine, "activities", one, as_of=AS_OF).imported == 0
    assert import_csv(engine, "activities", two, as_of=AS_OF).imported == 0
    with Session(engine) as session:
        stored = session.exec(select(Activity.source, Activity.external_id)).all()
    assert {source for source, _ in stored} == {"csv"}
    assert len({external_id for _, external_id in stored}) == 2
    assert all(external_id.startswith("row:") for _, external_id in stored)


def test_an_external_id_repeated_in_a_file_is_stored_once(engine: Engine, factory: Factory, tmp_path: Path) -> None:
    factory.customer("acme", "Acme Corp")
    path = write(tmp_path, ACTIVITY_HEADER + "acme,email,outbound,2026-10-05,,,,m-1\n" * 2)

    report = import_csv(engine, "activities", path, as_of=AS_OF)

    assert (report.imported, report.unchanged) == (1, 1)


def test_activity_rows_with_future_dates_or_unknown_customers_are_rejected_by_row(
    engine: Engine, factory: Factory, tmp_path: Path
) -> None:
    factory.customer("acme", "Acme Corp")
    path = write(
        tmp_path,
        ACTIVITY_HEADER
        + "acme,email,outbound,2026-11-24,,,,\n"
        + "acme,meeting,outbound,2026-11-25,30,,,\n"
        + "Acme Corporation,email,outbound,2026-11-01,,,,\n"
        + "acme,fax,outbound,2026-11-01,,,,\n"
        + "acme,email,outbound,,,,,\n",
    )

    report = import_csv(engine, "activities", path, as_of=AS_OF)

    rejected = reasons(report)
    assert sorted(rejected) == [3, 4, 5, 6]
    assert "after the as-of date" in rejected[3]
    assert rejected[4] == "No customer 'Acme Corporation'. Close matches: Acme Corp."
    assert "fax" in rejected[5]
    assert "date is required" in rejected[6]
    assert report.imported == 1 and count(engine, Activity) == 1


def test_an_unknown_customer_is_refused_in_the_words_the_tools_use(core: Core, factory: Factory, tmp_path: Path) -> None:
    factory.customer("acme", "Acme Corp")
    factory.customer("acme-us", "Acme")
    factory.customer("acme-eu", "ACME")
    path = write(tmp_path, ACTIVITY_HEADER + "Acme Corporation,email,outbound,2026-11-01,,,,\n" + "acme,email,outbound,2026-11-01,,,,\n"
                 + "Acme,email,outbound,2026-11-01,,,,\n")  # fmt: skip

    rejected = reasons(import_csv(core.engine, "activities", path, as_of=AS_OF))

    with pytest.raises(NotFoundError) as unknown:
        customer(core, local(core), CustomerQuery(customer="Acme Corporation"))
    assert rejected == {2: str(unknown.value), 4: "customer 'Acme' is ambiguous; it matches Acme (acme-us), ACME (acme-eu). Give the id or the full name."}
    assert str(unknown.value) == "No customer 'Acme Corporation'. Close matches: Acme Corp."


def test_strict_import_with_a_bad_row_writes_nothing(engine: Engine, factory: Factory, tmp_path: Path) -> None:
    factory.customer("acme", "Acme Corp")
    rows = "acme,email,outbound,2026-10-05,,,,\nnobody,email,outbound,2026-10-05,,,,\n"
    path = write(tmp_path, ACTIVITY_HEADER + rows)

    report = import_csv(engine, "activities", path, as_of=AS_OF, strict=True)

    assert (report.written, report.imported, list(reasons(report))) == (False, 0, [3])
    assert count(engine, Activity) == 0


def test_strict_import_of_a_clean_file_writes_it(engine: Engine, factory: Factory, tmp_path: Path) -> None:
    path = write(tmp_path, "id,name,email\ncsm-1,Casey,casey@ourco.test\n")

    report = import_csv(engine, "csms", path, as_of=AS_OF, strict=True)

    assert (report.written, report.imported) == (True, 1)
    assert count(engine, Csm) == 1


def test_activity_level_comes_from_the_most_senior_known_participant(
    engine: Engine, factory: Factory, tmp_path: Path
) -> None:
    factory.customer("acme", "Acme Corp")
    factory.stakeholder("acme", "Ana", "ana@acme.test", level="champion")
    factory.stakeholder("acme", "Eve", "eve@acme.test", level="executive")
    path = write(
        tmp_path,
        "customer,type,direction,date,participants,stakeholder_level,external_id\n"
        "acme,meeting,outbound,2026-10-05,ANA@acme.test; eve@acme.test,,m-1\n"
        "acme,meeting,outbound,2026-10-06,eve@acme.test,user,m-2\n"
        "acme,meeting,outbound,2026-10-07,stranger@acme.test,,m-3\n",
    )

    import_csv(engine, "activities", path, as_of=AS_OF)

    with Session(engine) as session:
        levels = dict(session.exec(select(Activity.external_id, Activity.stakeholder_level)).all())
    assert levels == {"m-1": "executive", "m-2": "user", "m-3": None}


def test_an_unknown_column_is_a_file_error_naming_it_and_the_accepted_ones(
    engine: Engine, factory: Factory, tmp_path: Path
) -> None:
    factory.customer("acme", "Acme Corp")
    path = write(tmp_path, "customer,type,direction,date,Mood\nacme,email,outbound,2026-10-05,happy\n")

    with pytest.raises(EngagementError, match="unknown column.*'mood'") as raised:
        import_csv(engine, "activities", path, as_of=AS_OF)

    assert "response_received" in str(raised.value) and "external_id" in str(raised.value)
    assert count(engine, Activity) == 0


def test_a_missing_required_column_is_a_file_error(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "id,name\ncsm-1,Casey\n")

    with pytest.raises(EngagementError, match="missing required column.*'email'"):
        import_csv(engine, "csms", path, as_of=AS_OF)
    assert count(engine, Csm) == 0


@pytest.mark.parametrize("content", [b"", b"\n\n", b"\xef\xbb\xbf"])
def test_an_empty_file_is_a_file_error(engine: Engine, tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)

    with pytest.raises(EngagementError, match="no header row.*id, name, email"):
        import_csv(engine, "csms", path, as_of=AS_OF)


def test_a_missing_file_is_a_file_error(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(EngagementError, match="Cannot read"):
        import_csv(engine, "csms", tmp_path / "nope.csv", as_of=AS_OF)


def test_a_utf8_byte_order_mark_is_accepted(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("id,name,email\r\ncsm-1,Zoë Brontë,zoe@ourco.test\r\n".encode("utf-8-sig"))

    report = import_csv(engine, "csms", path, as_of=AS_OF)

    assert report.imported == 1
    with Session(engine) as session:
        assert session.get_one(Csm, "csm-1").name == "Zoë Brontë"


def test_a_file_that_is_not_utf8_is_a_clear_error_and_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("id,name,email\ncsm-1,Casey,c@ourco.test\ncsm-2,Zoë,z@ourco.test\n".encode("latin-1"))

    with pytest.raises(EngagementError, match="not UTF-8.*0xeb.*CSV UTF-8"):
        import_csv(engine, "csms", path, as_of=AS_OF)
    assert count(engine, Csm) == 0


def test_trailing_empty_columns_from_a_spreadsheet_are_ignored(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "id,name,email,,\ncsm-1,Casey,c@ourco.test,,\n")

    assert import_csv(engine, "csms", path, as_of=AS_OF).imported == 1


def test_a_row_with_more_values_than_columns_is_rejected(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "id,name,email\ncsm-1,Casey,c@ourco.test,extra\ncsm-2,Dana,d@ourco.test,,\n")

    report = import_csv(engine, "csms", path, as_of=AS_OF)

    assert list(reasons(report)) == [2] and "4 values" in reasons(report)[2]
    assert report.imported == 1


def _fail_on_external_id(engine: Engine, external_id: str) -> None:
    """A trigger that makes the database refuse one row mid-insert, as a full disk or a constraint would."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(
                "CREATE FUNCTION refuse_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF NEW.external_id = '{external_id}' THEN RAISE EXCEPTION 'disk full'; END IF; RETURN NEW; END $$"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse_row BEFORE INSERT ON activity FOR EACH ROW EXECUTE FUNCTION refuse_row()"
            )
        else:
            conn.exec_driver_sql(
                f"CREATE TRIGGER refuse_row BEFORE INSERT ON activity WHEN NEW.external_id = '{external_id}' "
                "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )


def test_a_database_error_mid_import_rolls_back_every_row(engine: Engine, factory: Factory, tmp_path: Path) -> None:
    # The bulk insert bypasses SQLAlchemy's statements, so the failure comes from the database itself.
    factory.customer("acme", "Acme Corp")
    path = write(tmp_path, ACTIVITY_HEADER + "".join(f"acme,email,outbound,2026-10-05,,,,m-{i}\n" for i in range(5)))
    with Session(engine) as session:
        version = current_version(session)
    _fail_on_external_id(engine, "m-3")

    with pytest.raises(Exception, match="disk full"):
        import_csv(engine, "activities", path, as_of=AS_OF)

    assert count(engine, Activity) == 0
    with Session(engine) as session:
        assert current_version(session) == version
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER refuse_row" + (" ON activity" if engine.dialect.name == "postgresql" else ""))
    # Nothing of the failed import is left behind (its staging tables neither): the same file imports.
    assert import_csv(engine, "activities", path, as_of=AS_OF).imported == 5


MIXED_HEADER = (
    "Customer , type,direction,date,duration_minutes,participants,stakeholder_level,response_received,"
    "response_time_hours,subject,source,external_id\n"
)
MIXED_ROWS = [
    "acme,email,outbound,2026-10-05,,,,true,4,Hello,,",
    "ACME CORP , Email ,OUTBOUND,2026-10-05T09:30:00,,Ana@Acme.test; ana@acme.test ;,,yes,,, Gmail ,g-1",
    "acme,meeting,inbound,2026-10-05 09:30,45,eve@acme.test;bob@x.test,,,,,calendar,c-1",
    "acme,call,outbound,2026-10-05T23:30:00-02:00,10,,user,no,,,,",  # next day in UTC
    "acme,call,outbound,2026-11-24T23:30:00+01:00,10,,,,,,,",
    "acme,call,outbound,2026-11-24T23:59:59Z,,,,,,,,",
    "acme,qbr,outbound,2026-10-05T10:00:00.250+02:00,90,,,,,,,",  # fractions: the exact row check
    "acme,message,inbound,2026-10-05+02:00,,,,,,,,",  # Python would read '+' as the separator: no ISO form
    "acme,event,inbound,20261005,,,,,,,,",  # ISO's basic form, which Python reads: not a form of docs/rules.md
    "acme,email,outbound,2026-10-05,,,,true,4,Hello,,",  # identical to the first: both count
    "acme,email,outbound,2026-10-06,,,,,,,,g-1",  # repeats csv/g-1? no: first g-1 is source gmail
    "acme,email,outbound,2026-10-07,,,,,,,gmail,g-1",  # a repeated (source, external_id): unchanged
    "",
    "   ,  ,  ,  ",
    "acme,email,outbound,2026-11-25T00:30:00+01:00,,,,,,,,",  # the as-of day in UTC: counts
    "acme,email,outbound,2026-11-25,,,,,,,,",
    "acme,email,outbound,1989-12-31T23:00:00-02:00,,,,,,,,",  # 1990 in UTC
    "acme,email,outbound,1989-12-31,,,,,,,,",
    "acme,email,outbound,2026-02-30,,,,,,,,",
    "acme,email,outbound,2026-10-05T24:00,,,,,,,,",
    "acme,email,outbound,05/10/2026,,,,,,,,",
    "Acme Corporation,email,outbound,2026-10-05,,,,,,,,",
    ",email,outbound,2026-10-05,,,,,,,,",
    "acme,fax,outbound,2026-10-05,,,,,,,,",
    "acme,email,sideways,2026-10-05,,,,,,,,",
    "acme,email,outbound,,,,,,,,,",
    "acme,meeting,outbound,2026-10-05,1441,,,,,,,",
    "acme,meeting,outbound,2026-10-05,nan,,,,,,,",
    "acme,meeting,outbound,2026-10-05,-1,,,,,,,",
    "acme,email,outbound,2026-10-05,,,boss,,,,,",
    "acme,email,outbound,2026-10-05,,,,maybe,,,,",
    "acme,email,outbound,2026-10-05,,,,true,9000,,,",
    "acme,email,outbound,2026-10-05,,," + ";".join(f"p{i}@a.test" for i in range(101)) + ",,,,,",
    "acme,email,outbound,2026-10-05,,,,,,," + "s" * 33 + ",",
    "acme,email,outbound,2026-10-05,,,,,," + "x" * 501 + ",,",
    "acme,email,outbound,2026-10-05,,,,,,,," + "e" * 513,
    "acme,call,inbound,2026-10-05,,,,,,\"Re: hello, again\",,",
    "bolt,email,inbound,2026-10-05T08:00:00,,\"cy@bolt.test;\",,,,,,",
    "acme,meeting,outbound,2026-10-05,30,eve@acme.test,,,,,,",
]


def _expected(path: Path, engine: Engine) -> tuple[dict[int, str], list[tuple[Any, ...]]]:
    """What the row-by-row import gives: each row through csv and activities.exact_row on its own."""
    from engagement.store import StakeholderLevels

    with path.open(newline="", encoding="utf-8-sig") as handle:
        records = list(csv.reader(handle))
    header = [cell.strip().lower() for cell in records[0]]
    rejected: dict[int, str] = {}
    stored: dict[tuple[str, str], tuple[Any, ...]] = {}
    occurrences: dict[tuple[Any, ...], int] = {}
    with Session(engine) as session:
        customers, levels = CustomerIndex(session), StakeholderLevels.load(session)
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        if any(cell.strip() for cell in record[len(header) :]):
            rejected[number] = f"has {len(record)} values; the header has {len(header)} columns."
            continue
        try:
            customer_id, activity = activities.exact_row(customers, dict(zip(header, (c.strip() for c in record))), AS_OF)
        except EngagementError as error:
            rejected[number] = str(error)
            continue
        fields = activity.model_dump()
        level = fields["stakeholder_level"] or levels.most_senior(customer_id, fields["participants"])
        row = (customer_id, fields["type"], fields["direction"], fields["date"], fields["duration_minutes"],
               tuple(fields["participants"]), level, fields["response_received"], fields["response_time_hours"],
               fields["subject"], fields["source"])
        external_id = fields["external_id"]
        if external_id is None:  # identical rows without an id are each stored: number them
            content = (*row[:6], fields["stakeholder_level"], *row[7:])
            occurrences[content] = occurrences.get(content, 0) + 1
            external_id = f"derived #{occurrences[content]} of {content}"
        stored.setdefault((fields["source"], external_id), row)
    return rejected, sorted(stored.values(), key=repr)


def _stored_rows(engine: Engine) -> list[tuple[Any, ...]]:
    with Session(engine) as session:
        return sorted(
            (
                (a.customer_id, a.type, a.direction, a.date, a.duration_minutes, tuple(a.participants),
                 a.stakeholder_level, a.response_received, a.response_time_hours, a.subject, a.source)
                for a in session.exec(select(Activity)).all()
            ),
            key=repr,
        )


@pytest.mark.parametrize("ragged", [False, True], ids=["columns", "csv-module"])
def test_the_column_import_agrees_with_the_row_by_row_rules_on_a_mixed_file(
    engine: Engine, factory: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ragged: bool
) -> None:
    factory.customer("acme", "Acme Corp")
    factory.customer("bolt", "Bolt Ltd")
    factory.stakeholder("acme", "Eve", "eve@acme.test", level="executive")
    factory.stakeholder("acme", "Ana", "ana@acme.test", level="champion")
    # A row with one value too many makes pandas refuse the file: the csv module reads it instead.
    rows = MIXED_ROWS + (["acme,email,outbound,2026-10-05,,,,,,,,,oops"] if ragged else [])
    path = write(tmp_path, MIXED_HEADER + "\r\n".join(rows) + "\r\n")
    read = files.read(path, "activities")
    assert (read.fast is None) == ragged

    report = import_csv(engine, "activities", path, as_of=AS_OF)

    rejected, stored = _expected(path, engine)
    assert reasons(report) == rejected
    assert report.rows_read == len(rows) - 2  # two blank lines
    assert _stored_rows(engine) == stored
    assert (report.imported, report.unchanged) == (len(stored), report.rows_read - len(rejected) - len(stored))
    assert report.imported == 14 and 27 in reasons(report) and 9 in reasons(report) and 10 in reasons(report) and "after the as-of date" in reasons(report)[17]
    again = import_csv(engine, "activities", path, as_of=AS_OF)
    assert (again.imported, again.unchanged) == (0, report.imported + report.unchanged)


def test_bulk_rows_are_stored_as_the_orm_stores_them(engine: Engine, factory: Factory, tmp_path: Path) -> None:
    # Raw text on SQLite: the ORM must read back exactly what it would have written itself.
    factory.customer("acme", "Acme Corp")
    path = write(tmp_path, ACTIVITY_HEADER + "acme,meeting,outbound,2026-10-05T15:00:00+02:00,30,Ana@a.test,true,x-1\n")
    import_csv(engine, "activities", path, as_of=AS_OF)
    with Session(engine) as session:
        bulk_row = session.exec(select(Activity)).one()
        session.add(Activity(**{**bulk_row.model_dump(exclude={"id"}), "external_id": "x-2"}))
        session.flush()
        raw = session.connection().exec_driver_sql(
            "SELECT date, participants, response_received, duration_minutes, created_at FROM activity ORDER BY id"
        ).all()
        assert raw[0] == raw[1]
        assert bulk_row.date == dt.datetime(2026, 10, 5, 13, 0) and bulk_row.participants == ["ana@a.test"]
        assert bulk_row.response_received is True and bulk_row.stakeholder_level is None


def activity_schema(engine: Engine) -> tuple[list[Any], list[str]]:
    """The activity table's indexes and triggers, as the database lists them."""
    indexes = sorted((i["name"], tuple(i["column_names"])) for i in inspect(engine).get_indexes("activity"))
    if engine.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'activity'"
    else:
        query = ("SELECT DISTINCT trigger_name FROM information_schema.triggers WHERE event_object_table = 'activity' "
                 "AND event_object_schema = current_schema()")  # other schemas (other test runs) hold their own
    with engine.connect() as connection:
        triggers = sorted(connection.exec_driver_sql(query).scalars())
    return indexes, triggers


@pytest.mark.parametrize("existing", [0, 100])
def test_an_import_keeps_the_schema_whole_and_moves_the_version_once_per_row(
    engine: Engine, factory: Factory, tmp_path: Path, existing: int
) -> None:
    # On SQLite a big import drops the per-row version trigger (and, when it at least doubles the table,
    # the secondary indexes) inside its transaction: both must be back, and the version moved as the
    # trigger would have moved it, or cached answers would go stale.
    factory.customer("acme", "Acme Corp")
    factory.activities("acme", existing, "2026-10-01T09:00:00")
    schema = activity_schema(engine)
    with Session(engine) as session:
        before = current_version(session)
    rows = "".join(f"acme,call,outbound,2026-11-{1 + n % 20:02d},,,,x{n}\n" for n in range(60))
    path = write(tmp_path, ACTIVITY_HEADER + rows + "acme,call,outbound,2026-11-02,,,,x1\n")  # one duplicate

    report = import_csv(engine, "activities", path, as_of=AS_OF)

    with Session(engine) as session:
        after = current_version(session)
    assert report.imported == 60
    assert activity_schema(engine) == schema and len(schema[1]) >= 1
    assert after - before == (1 if engine.dialect.name == "postgresql" else 60)
    assert count(engine, Activity) == existing + 60


KEY_HELD = (
    "external_id '{key}' (source 'crm') is already used by an activity of another customer; "
    "use another external_id for this one, or leave it out."
)


@pytest.mark.parametrize("strict", [False, True])
def test_a_key_held_for_another_customer_in_the_store_or_earlier_in_the_file_is_a_bad_row(
    engine: Engine, factory: Factory, tmp_path: Path, strict: bool
) -> None:
    for customer_id, name in (("acme", "Acme Corp"), ("globex", "Globex"), ("bolt", "Bolt Freight")):
        factory.customer(customer_id, name)
    factory.activity("bolt", "2026-11-18T09:30:00", subject="Bolt walk-away price", source="crm", external_id="crm-1001")
    path = write(
        tmp_path,
        "customer,type,direction,date,subject,source,external_id\n"
        "acme,call,outbound,2026-11-20,mine,crm,k-new\n"
        "acme,call,outbound,2026-11-20,mine too,crm,crm-1001\n"  # Bolt's key
        "globex,call,outbound,2026-11-21,,crm,k-new\n"  # row 2's key, for another customer
        "acme,call,outbound,2026-11-22,,crm,k-new\n"  # row 2's key, same customer: a replay
        "bolt,call,outbound,2026-11-22,,crm,crm-1001\n",  # Bolt's own key: a replay
    )

    report = import_csv(engine, "activities", path, as_of=AS_OF, strict=strict)

    assert reasons(report) == {3: KEY_HELD.format(key="crm-1001"), 4: KEY_HELD.format(key="k-new")}
    assert "Bolt" not in report.model_dump_json() and "bolt" not in str(reasons(report))
    with Session(engine) as session:
        stored = session.exec(select(Activity.customer_id, Activity.external_id, Activity.subject).order_by(Activity.id)).all()
    if strict:
        assert (report.written, report.imported, report.unchanged) == (False, 0, 0)
        assert stored == [("bolt", "crm-1001", "Bolt walk-away price")]  # nothing of the file
    else:
        assert (report.written, report.imported, report.unchanged) == (True, 1, 2)
        assert stored == [("bolt", "crm-1001", "Bolt walk-away price"), ("acme", "k-new", "mine")]
