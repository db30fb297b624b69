"""CSV import of each kind: good rows in, bad rows named by row number, strict and whole-file errors write nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from engagement import importer
from engagement.engine import EngagementService
from engagement.errors import EngagementError
from engagement.importer import import_csv
from engagement.models import Activity, Csm, Customer, Stakeholder
from tests.conftest import AS_OF
from tests.factories import Factory

ACTIVITY_HEADER = "customer,type,direction,date,duration_minutes,participants,response_received,external_id\n"


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def count(engine: Engine, table: Any) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(table)).one()


def reasons(report: importer.ImportReport) -> dict[int, str]:
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
        "ok-2,Good Two,Mid-market,,,,,churned\n",
    )

    report = import_csv(engine, "customers", path, as_of=AS_OF)

    rejected = reasons(report)
    assert sorted(rejected) == [3, 5, 6, 7, 8]
    assert "Startup" in rejected[3] and "Enterprise, Mid-Market, SMB" in rejected[3]
    assert "arr" in rejected[5]
    assert "YYYY-MM-DD" in rejected[6]
    assert "ghost" in rejected[7]
    assert "row 2" in rejected[8]
    assert (report.rows_read, report.imported, report.written) == (7, 2, True)
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
    engine: Engine, factory: Factory, service: EngagementService, tmp_path: Path
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
    detail = service.customer("acme")
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
    assert "Acme Corporation" in rejected[4] and "Close matches: Acme Corp." in rejected[4]
    assert "fax" in rejected[5]
    assert "date is required" in rejected[6]
    assert report.imported == 1 and count(engine, Activity) == 1


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


def test_a_database_error_mid_import_rolls_back_every_batch(
    engine: Engine, factory: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    factory.customer("acme", "Acme Corp")
    monkeypatch.setattr(importer, "BATCH_SIZE", 2)
    path = write(tmp_path, ACTIVITY_HEADER + "".join(f"acme,email,outbound,2026-10-05,,,,m-{i}\n" for i in range(5)))
    inserts: list[str] = []

    def fail_on_second_insert(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("INSERT INTO activity"):
            inserts.append(statement)
            if len(inserts) == 2:
                raise RuntimeError("disk full")

    event.listen(engine, "before_cursor_execute", fail_on_second_insert)
    try:
        with pytest.raises(RuntimeError, match="disk full"):
            import_csv(engine, "activities", path, as_of=AS_OF)
    finally:
        event.remove(engine, "before_cursor_execute", fail_on_second_insert)

    assert len(inserts) == 2
    assert count(engine, Activity) == 0
