"""Secrets and privacy: no email body is ever stored (the schema has no place for one), and the logs of a
full demo plus an agent's tool calls, at DEBUG, carry ids, never a stakeholder's address or a subject; the
daily check's digests (kept in the store, posted to a webhook) neither."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from engagement.alerts.check import run_check
from engagement.caller import Caller
from engagement.demo import build_demo, load_demo
from engagement.models import AlertOutbox
from engagement.core import Core
from engagement.settings import Settings
from tests.conftest import AS_OF
from tests.reliability.conftest import ROOT, server_env
from tests.tools.conftest import call, call_error

BODY_WORDS = re.compile(r"body|content|text|snippet|html|payload|message_text", re.IGNORECASE)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
SECRET_SUBJECT = "Renewal pricing for Kestrel - confidential"
SECRET_PERSON = "hidden.person@kestrel-secret.example"


def test_no_table_has_a_column_that_could_hold_an_email_body(engine: Engine) -> None:
    columns = {
        f"{table}.{column['name']}": column
        for table in inspect(engine).get_table_names()
        for column in inspect(engine).get_columns(table)
    }

    assert "activity.subject" in columns  # subjects only, and bounded
    assert getattr(columns["activity.subject"]["type"], "length", None) == 500
    assert [name for name in columns if BODY_WORDS.search(name.split(".", 1)[1])] == []


def test_the_daily_checks_digests_name_customers_and_numbers_never_a_subject_or_an_address(
    engine: Engine, core: Core
) -> None:
    load_demo(engine, as_of=AS_OF)
    data = build_demo(7, AS_OF)

    run_check(core, Caller(as_of=AS_OF))

    with Session(engine) as session:
        digests = [row.digest["text"] for row in session.exec(select(AlertOutbox)).all()]
    text = "\n".join(digests)
    assert len(digests) >= 2 and "new alert" in text  # the demo has at-risk and silent accounts
    subjects = {row["subject"] for row in data.activities if row.get("subject") and len(row["subject"]) > 12}
    assert sorted(s for s in subjects if s in text) == []
    assert [m.group(0) for m in EMAIL.finditer(text)] == []


@pytest.mark.anyio
async def test_debug_logs_of_a_demo_and_an_agent_session_name_no_address_and_no_subject(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    env = server_env(settings, ENGAGEMENT_LOG_LEVEL="DEBUG")
    demo = subprocess.run(
        [sys.executable, "-m", "cli", "demo", "--json"], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )
    assert demo.returncode == 0, demo.stderr
    stderr_file = tmp_path / "server-stderr.log"
    with stderr_file.open("w") as errlog:
        params = StdioServerParameters(command=sys.executable, args=[str(ROOT / "server.py")], env=env, cwd=ROOT)
        async with Client(stdio_client(params, errlog=errlog)) as client:
            await call(client, "get_portfolio_engagement", csm_id="all")
            detail = await call(client, "get_customer_engagement", customer="demo-01")
            await call(client, "get_engagement_trends", customer="demo-01")
            await call(client, "find_uncontacted_customers", days=7)
            await call(client, "search_customers", query="a")
            person = detail["stakeholders"][0]["email"]
            await call(
                client, "log_activity", customer="demo-01", type="email", direction="outbound", date="2026-11-20",
                participants=[person, SECRET_PERSON], subject=SECRET_SUBJECT, external_id="privacy-1",
            )
            # Failures whose messages echo what the caller sent: they must not reach the log either.
            await call_error(client, "get_portfolio_engagement", csm_id=SECRET_PERSON)
            await call_error(client, "get_customer_engagement", customer=SECRET_PERSON)
            await call_error(client, "log_activity", customer="demo-01", type="email", direction="outbound",
                             participants=[SECRET_PERSON + "x" * 400])
    logs = demo.stderr + stderr_file.read_text()

    data = build_demo(7, AS_OF)
    stakeholder_addresses = {row["email"] for row in data.stakeholders if row["email"]} | {SECRET_PERSON}
    subjects = {row["subject"] for row in data.activities if row.get("subject")} | {SECRET_SUBJECT}
    assert "Tool 'get_customer_engagement' failed" in logs or "get_customer_engagement" in logs, "nothing was logged"
    leaked_addresses = sorted(a for a in stakeholder_addresses if a.lower() in logs.lower())
    leaked_subjects = sorted(s for s in subjects if len(s) > 12 and s in logs)
    assert leaked_addresses == [], f"addresses in the logs: {leaked_addresses[:5]}"
    assert leaked_subjects == [], f"subjects in the logs: {leaked_subjects[:5]}"
    assert [m.group(0) for m in EMAIL.finditer(logs) if "@" in m.group(0)] == [], "an email address in the logs"
