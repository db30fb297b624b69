"""A customer whose name looks like another's (Unicode confusables, case, invisible characters) is
imported with a warning naming the row and both names; different names are not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from cli import app
from engagement.imports import import_csv
from engagement.lookalike import NameIndex
from engagement.models import Customer
from tests.conftest import AS_OF
from tests.engagement.test_importer import write
from tests.factories import Factory

SPOOF = "Dr\u0456ftwood Software"  # a Cyrillic і


def names(engine: Engine) -> set[str]:
    with Session(engine) as session:
        return set(session.exec(select(Customer.name)).all())


def test_a_look_alike_of_a_stored_customer_is_imported_with_a_warning(
    engine: Engine, factory: Factory, tmp_path: Path
) -> None:
    factory.customer("driftwood", "Driftwood Software")
    path = write(tmp_path, f"name,segment\nDriftwood Labs,SMB\n{SPOOF},SMB\n")

    report = import_csv(engine, "customers", path, as_of=AS_OF)

    assert report.imported == 2 and names(engine) == {"Driftwood Software", "Driftwood Labs", SPOOF}
    [warning] = report.warnings
    assert (warning.row, warning.name, warning.looks_like, warning.customer_id) == (3, SPOOF, "Driftwood Software", "driftwood")
    assert "U+0456 CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I" in warning.reason


def test_look_alikes_within_one_file_and_a_reimport(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, f"id,name,segment\nd1,Driftwood Software,SMB\nd2,Driftwood Labs,SMB\nd3,{SPOOF},SMB\n"
                           "d4,DRIFTWOOD  SOFTWARE,SMB\nd5,Drift\u200bwood Software,SMB\n")  # fmt: skip

    first = import_csv(engine, "customers", path, as_of=AS_OF)
    again = import_csv(engine, "customers", path, as_of=AS_OF)

    assert [(w.row, w.customer_id) for w in first.warnings] == [(4, "d1"), (5, "d1"), (6, "d1")]
    assert "U+200B ZERO WIDTH SPACE" in first.warnings[2].reason  # the invisible character is named
    assert again.unchanged == 5 and again.warnings == []  # nothing new, nothing to warn about


def test_a_rename_into_a_look_alike_warns_and_strict_refusal_warns_of_nothing(
    engine: Engine, factory: Factory, tmp_path: Path
) -> None:
    factory.customer("driftwood", "Driftwood Software")
    factory.customer("other", "Other Co")
    renamed = import_csv(engine, "customers", write(tmp_path, f"id,name,segment\nother,{SPOOF},SMB\n"), as_of=AS_OF)
    refused = import_csv(engine, "customers", write(tmp_path, f"id,name,segment\nx,{SPOOF} Ltd,SMB\ny,,SMB\n", "b.csv"),
                         as_of=AS_OF, strict=True)  # fmt: skip

    assert [(w.row, w.customer_id) for w in renamed.warnings] == [(2, "driftwood")] and renamed.updated == 1
    assert refused.written is False and refused.warnings == []


def test_the_cli_prints_the_warning_as_text_and_exits_0(
    runner: CliRunner, factory: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    factory.customer("zeta", "Zeta [/b] Holdings")
    monkeypatch.setenv("COLUMNS", "400")
    path = write(tmp_path, "name,segment\nZ\u0435ta [/b] Holdings,SMB\n")  # a Cyrillic е, and markup that is not

    shown = runner.invoke(app, ["import", "customers", str(path)])
    as_json = runner.invoke(app, ["import", "customers", str(path), "--json"])

    assert shown.exit_code == 0, shown.output
    assert "Warning, row 2: customer 'Z\u0435ta [/b] Holdings' looks like customer 'Zeta [/b] Holdings' (zeta)" in shown.output
    assert json.loads(as_json.stdout)["warnings"] == []  # imported by the first run: now the same customer


@pytest.mark.parametrize(
    ("stored", "new", "alike"),
    [
        ("Driftwood Software", SPOOF, True),
        ("Driftwood Software", "Driftwood Labs", False),
        ("HOTEL", "\u041dOTEL", True),  # Cyrillic capital Н
        ("Acme", "\uff21cme", True),  # fullwidth Ａ (NFKC)
        ("Modern", "Rnodern", True),  # UTS #39: m looks like rn
        ("Acme", "Acm\u00e9", False),  # an accent is visible
        ("Acme", "Acme", False),  # the same customer
    ],
)
def test_which_names_look_alike(stored: str, new: str, alike: bool) -> None:
    index = NameIndex([("a", stored)])
    assert (index.look_alike("b" if new != stored else "a", new) is not None) is alike


def test_a_customer_renamed_among_look_alikes_still_finds_the_other() -> None:
    index = NameIndex([("a", "Driftwood Software")])
    index.add("a", "DRIFTWOOD SOFTWARE")  # renamed by one row of a file, then a look-alike comes
    index.add("c", SPOOF)

    found = index.look_alike("a", "DRIFTWOOD  SOFTWARE")  # alike only once case folded

    assert found is not None and (found.customer_id, found.looks_like) == ("c", SPOOF)
