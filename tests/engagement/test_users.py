"""Users, roles and API tokens of the team server (engagement/users.py) and their commands."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli import app
from cli.users import parse_lifetime
from engagement.db import read_scope, session_scope
from engagement.errors import EngagementError, NotFoundError
from engagement.settings import Settings
from engagement.users import add_user, caller_of, issue_token, revoke_token, token_holder, utcnow, visible_csms
from tests.factories import Factory

NOW = dt.datetime(2026, 11, 24, 12, 0)


@pytest.fixture
def team(factory: Factory) -> None:
    factory.csm("morgan", "Morgan Lee", "Morgan@OurCo.test")
    factory.csm("avery", "Avery Diaz", "avery@ourco.test", manager_id="morgan")
    factory.csm("riley", "Riley Park", "riley@ourco.test", manager_id="avery")


def test_a_csm_or_manager_user_must_be_a_csm_of_the_store_and_an_admin_need_not(engine: Engine, team: None) -> None:
    with session_scope(engine) as session:
        manager = add_user(session, " morgan@ourco.TEST ", "manager", NOW)
        admin = add_user(session, "vp@ourco.test", "admin", NOW)
        with pytest.raises(NotFoundError, match="No CSM has the email stranger@ourco.test.*--role admin"):
            add_user(session, "stranger@ourco.test", "csm", NOW)

    assert (manager.email, manager.csm_id) == ("morgan@ourco.test", "morgan")
    assert admin.csm_id is None


@pytest.mark.parametrize(("email", "role", "message"), [
    ("avery@ourco.test", "boss", "role 'boss' is not valid; use one of csm, manager, admin"),
    ("not an email", "csm", "is not an email address"),
    ("avery@ourco.test", "csm", "already a user"),
])  # fmt: skip
def test_a_bad_user_is_refused_with_what_is_accepted(engine: Engine, team: None, email: str, role: str, message: str) -> None:
    with session_scope(engine) as session:
        add_user(session, "avery@ourco.test", "csm", NOW)
    with pytest.raises(EngagementError, match=message), session_scope(engine) as session:
        add_user(session, email, role, NOW)


def test_a_manager_sees_their_whole_team_a_csm_their_own_an_admin_everyone(engine: Engine, team: None) -> None:
    with session_scope(engine) as session:
        users = [add_user(session, e, r, NOW) for e, r in
                 (("morgan@ourco.test", "manager"), ("avery@ourco.test", "csm"), ("vp@ourco.test", "admin"))]  # fmt: skip
        seen = [visible_csms(session, user) for user in users]
        caller = caller_of(session, users[0], dt.date(2026, 11, 24))

    assert seen == [frozenset({"morgan", "avery", "riley"}), frozenset({"avery"}), None]
    assert (caller.user, caller.visible_csms, caller.as_of) == ("morgan", seen[0], dt.date(2026, 11, 24))


def test_a_token_finds_its_user_until_it_expires_or_is_revoked(engine: Engine, team: None) -> None:
    with session_scope(engine) as session:
        add_user(session, "avery@ourco.test", "csm", NOW)
        short = issue_token(session, "avery@ourco.test", dt.timedelta(hours=1), NOW)
        kept = issue_token(session, "avery@ourco.test", None, NOW)
    forged = kept.token[:-4] + ("AAAA" if not kept.token.endswith("AAAA") else "BBBB")  # the right key id, wrong secret

    with read_scope(engine) as session:
        assert token_holder(session, short.token, NOW)[0].email == "avery@ourco.test"  # type: ignore[index]
        assert token_holder(session, short.token, NOW + dt.timedelta(hours=2)) is None
        assert token_holder(session, forged, NOW) is None
        assert token_holder(session, "x" * 70, NOW) is None
    with session_scope(engine) as session:
        revoke_token(session, kept.id, NOW)
    with read_scope(engine) as session:
        assert token_holder(session, kept.token, NOW) is None


def test_tokens_are_random_and_distinct(engine: Engine, team: None) -> None:
    with session_scope(engine) as session:
        add_user(session, "vp@ourco.test", "admin", NOW)
        tokens = {issue_token(session, "vp@ourco.test", None, NOW).token for _ in range(20)}

    assert len(tokens) == 20 and all(len(t) == 60 and t.startswith("emt_") for t in tokens)


@pytest.mark.parametrize(("text", "lifetime"), [("90d", dt.timedelta(days=90)), ("12w", dt.timedelta(weeks=12)),
                                                ("8h", dt.timedelta(hours=8)), ("never", None)])  # fmt: skip
def test_a_lifetime_is_days_weeks_hours_or_never(text: str, lifetime: dt.timedelta | None) -> None:
    assert parse_lifetime(text) == lifetime


@pytest.mark.parametrize("text", ["90", "0d", "1y", "99999d"])
def test_a_lifetime_that_is_none_of_those_is_refused(text: str) -> None:
    with pytest.raises(EngagementError, match="--expires"):
        parse_lifetime(text)


@pytest.fixture
def runner(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("ENGAGEMENT_DATABASE_URL", settings.resolved_database_url())
    monkeypatch.setenv("COLUMNS", "160")
    return CliRunner()


def test_token_create_prints_the_token_once_alone_on_stdout_and_list_never_shows_it(
    runner: CliRunner, engine: Engine, team: None
) -> None:
    added = runner.invoke(app, ["user", "add", "avery@ourco.test", "--role", "csm"])
    created = runner.invoke(app, ["token", "create", "--user", "avery@ourco.test", "--expires", "30d"])
    listed = runner.invoke(app, ["token", "list", "--json"])
    revoked = runner.invoke(app, ["token", "revoke", "1"])
    after = runner.invoke(app, ["token", "list"])

    assert added.exit_code == 0 and "Next: engagement token create --user avery@ourco.test" in added.output
    token = created.stdout.strip()
    assert created.exit_code == 0 and token.startswith("emt_") and "\n" not in token
    assert "shown only now" in created.stderr
    rows = json.loads(listed.stdout)
    assert rows[0]["user"] == "avery@ourco.test" and rows[0]["active"] is True
    assert token not in listed.stdout and token not in after.output
    assert revoked.exit_code == 0 and "revoked" in after.output


def test_user_commands_refuse_bad_input_with_exit_code_1(runner: CliRunner, engine: Engine, team: None) -> None:
    stranger = runner.invoke(app, ["user", "add", "stranger@ourco.test", "--role", "csm"])
    no_user = runner.invoke(app, ["token", "create", "--user", "ghost@ourco.test"])
    no_token = runner.invoke(app, ["token", "revoke", "42"])

    assert [r.exit_code for r in (stranger, no_user, no_token)] == [1, 1, 1]
    assert "No CSM has the email" in stranger.output and "No user ghost@ourco.test" in no_user.output
    assert "No token 42" in no_token.output
