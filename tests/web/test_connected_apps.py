"""A user sees their connected apps on the dashboard and disconnects one (its tokens stop at once); an admin
sees and revokes any with `engagement grant list` / `revoke`."""

from __future__ import annotations

import json

from sqlalchemy.engine import Engine
from starlette.testclient import TestClient
from typer.testing import CliRunner

from cli import app as cli
from engagement.settings import Settings
from tests.web.conftest import BASE, Team
from tests.web.oauth_browser import form_fields
from tests.web.oauth_steps import connect, mcp_status, sign_in


def test_a_user_sees_their_connected_apps_and_disconnecting_one_stops_its_tokens(http: TestClient, team: Team) -> None:
    _, tokens = connect(http, team.tokens["avery"])
    page = http.get("/apps")
    csrf = form_fields(page.text)["csrf_token"]
    action = page.text.split('action="', 2)[2].split('"', 1)[0]  # the first form is the header's sign-out

    forged = http.post(action, data={"csrf_token": "forged"}, follow_redirects=False)
    still = mcp_status(http, tokens["access_token"])
    done = http.post(action, data={"csrf_token": csrf}, follow_redirects=False)

    assert page.status_code == 200 and "Test app" in page.text and "engagement:read, engagement:write" in page.text
    assert forged.status_code == 403 and still == 200
    assert done.status_code == 303 and done.headers["location"] == "/apps?done=1"
    assert mcp_status(http, tokens["access_token"]) == 401
    assert "Test app" not in http.get("/apps").text


def test_nobody_disconnects_someone_elses_app(http: TestClient, team: Team) -> None:
    _, tokens = connect(http, team.tokens["avery"])
    action = http.get("/apps").text.split('action="', 2)[2].split('"', 1)[0]
    blake = TestClient(http.app, base_url=BASE)
    sign_in(blake, team.tokens["blake"])
    csrf = form_fields(blake.get("/apps").text)["csrf_token"]

    answer = blake.post(action, data={"csrf_token": csrf}, follow_redirects=False)

    assert answer.headers["location"] == "/apps" and mcp_status(http, tokens["access_token"]) == 200


def test_an_admin_lists_and_revokes_any_grant_from_the_command_line(
    http: TestClient, team: Team, settings: Settings, engine: Engine
) -> None:
    _, tokens = connect(http, team.tokens["avery"])
    runner = CliRunner()
    env = {"ENGAGEMENT_DATABASE_URL": settings.resolved_database_url(), "ENGAGEMENT_AS_OF": str(settings.as_of), "COLUMNS": "200"}

    listed = runner.invoke(cli, ["grant", "list", "--json"], env=env)
    rows = json.loads(listed.output)
    table = runner.invoke(cli, ["grant", "list"], env=env)
    revoked = runner.invoke(cli, ["grant", "revoke", str(rows[0]["id"])], env=env)
    unknown = runner.invoke(cli, ["grant", "revoke", "999"], env=env)
    after = json.loads(runner.invoke(cli, ["grant", "list", "--json"], env=env).output)

    assert listed.exit_code == 0 and [(r["user"], r["app"], r["active"]) for r in rows] == [("avery@ourco.test", "Test app", True)]
    assert tokens["access_token"] not in listed.output and "avery@ourco.test" in table.output
    assert revoked.exit_code == 0 and f"Connected app {rows[0]['id']} revoked" in revoked.output
    assert mcp_status(http, tokens["access_token"]) == 401
    assert unknown.exit_code == 1 and "engagement grant list" in unknown.output
    assert after[0]["active"] is False and after[0]["revoked_at"]
