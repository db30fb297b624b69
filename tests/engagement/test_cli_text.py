"""What the `engagement` command prints from data or from a user is shown as written: never read as rich
markup, emoji codes or hyperlinks, its control characters visible (cli/text.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from engagement.settings import Settings
from tests.factories import Factory
from tests.servers import ROOT, server_env

NAME = "Zeta [/b] Holdings :x: \x1b]0;owned\x07"
SUBJECT = "Re: pricing [/] [link=http://evil.example]click[/link] \x1b[7mred\x9b :x:"
PERSON = "[link=http://evil.example]Ann[/link]"
TITLE = "[bold]CEO \u202e :x:"
CSM = "csm-[/i]:x:"


@pytest.fixture
def hostile(factory: Factory, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # after the runner's: each name on one line of its table cell
    factory.csm(CSM, "[b]Kim[/b] \x1b[7m", "kim@ourco.test")
    factory.customer("zeta", NAME, csm_id=CSM)
    factory.stakeholder("zeta", PERSON, "ann@zeta.test", title=TITLE)
    factory.activity("zeta", "2026-11-20T10:00:00", subject=SUBJECT, participants=["ann@zeta.test"])


def shown(text: str) -> str:
    """`text` as the command shows it: each control character as its escape."""
    return text.replace("\x1b", "\\x1b").replace("\x07", "\\x07").replace("\x9b", "\\x9b").replace("\u202e", "\\u202e")


def assert_plain(output: str) -> None:
    assert "\x1b" not in output and "\x07" not in output and "\x9b" not in output and "\u202e" not in output
    assert "❌" not in output  # :x: stays text


@pytest.mark.usefixtures("hostile")
def test_report_and_customer_show_hostile_names_subjects_and_titles_as_written(runner: CliRunner) -> None:
    report = runner.invoke(app, ["report"])
    detail = runner.invoke(app, ["customer", "zeta"])

    assert report.exit_code == 0, report.output
    assert shown(NAME) in report.output and CSM in report.output
    assert detail.exit_code == 0, detail.output
    for text in (NAME, SUBJECT, f"{PERSON} ({TITLE})", f"CSM {CSM}"):
        assert shown(text) in detail.output
    assert_plain(report.output + detail.output)


@pytest.mark.usefixtures("hostile")
def test_force_color_lets_no_hyperlink_or_escape_from_data_through(settings: Settings) -> None:
    env = server_env(settings, FORCE_COLOR="1", COLUMNS="250")
    outputs = [
        subprocess.run([sys.executable, "-m", "cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        for args in (["customer", "zeta"], ["report"], ["customer", "[/x] :x:"])
    ]

    detail, report, missing = outputs
    assert detail.returncode == report.returncode == 0, detail.stderr + report.stderr
    for done in outputs:
        printed = done.stdout + done.stderr
        assert "\x1b]" not in printed  # no OSC: no hyperlink (OSC 8), no window title (OSC 0)
        assert "\x1b[7m" not in printed and "\x07" not in printed and "\x9b" not in printed
        assert "Traceback" not in printed
    assert "\x1b[" in detail.stdout  # colours are on: the test would see a link if one were made
    assert "\\x1b]0;owned\\x07" in detail.stdout and "[link=http://evil.example]click[/link]" in detail.stdout
    assert missing.returncode == 1 and "No customer '[/x] :x:'" in missing.stderr


def test_unknown_customer_named_like_markup_says_no_customer(runner: CliRunner) -> None:
    result = runner.invoke(app, ["customer", "[/x]"])

    assert result.exit_code == 1
    assert "No customer '[/x]'" in result.output and "Traceback" not in result.output


def test_import_rejecting_a_markup_named_customer_keeps_the_good_rows_and_names_the_bad_one(
    runner: CliRunner, factory: Factory, tmp_path: Path
) -> None:
    factory.customer("acme", "Acme Corp")
    csv = tmp_path / "acts.csv"
    csv.write_text(
        "customer,type,direction,date,subject\n"
        "acme,email,outbound,2026-11-20,Re: pricing [/]\n"
        "[/x],email,outbound,2026-11-20,:x:\n",
        encoding="utf-8",
    )

    result = runner.invoke(app, ["import", "activities", str(csv)])
    detail = runner.invoke(app, ["customer", "acme"])

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "1 imported" in result.output and "[/x]" in result.output
    assert "Re: pricing [/]" in detail.output


def test_an_error_with_an_emoji_code_prints_it_as_text(runner: CliRunner) -> None:
    result = runner.invoke(app, ["report", "--csm", ":x: [red]kim"])

    assert result.exit_code == 1
    assert ":x: [red]kim" in result.output and "❌" not in result.output
