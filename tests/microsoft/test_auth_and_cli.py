"""Microsoft 365 sign-ins through msal against the fake identity platform, kept owner-only and never printed;
`engagement auth microsoft`, `engagement sync` over every provider and `engagement sync --status`."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from engagement.capture.microsoft.auth import MicrosoftCredentials
from cli.capture import auth_app, sync
from engagement.settings import Settings
from tests.factories import Factory
from tests.microsoft import graph_fake as m
from tests.microsoft.conftest import ANA, CASEY, DANA, Harness, activities
from tests.microsoft.graph_fake import APP_SECRET, CLIENT_ID, TENANT, FakeMicrosoft


def cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(auth_app, name="auth")
    app.command()(sync)
    return app


def env(settings: Settings, fake: FakeMicrosoft, folder: Path) -> dict[str, str]:
    return {
        "ENGAGEMENT_DATABASE_URL": settings.resolved_database_url(),
        "ENGAGEMENT_GOOGLE_CREDENTIALS_DIR": str(folder.parent / "google-none"),
        "ENGAGEMENT_MICROSOFT_CREDENTIALS_DIR": str(folder),
        "ENGAGEMENT_MICROSOFT_TENANT": TENANT,
        "ENGAGEMENT_MICROSOFT_CLIENT_ID": CLIENT_ID,
        "ENGAGEMENT_MICROSOFT_AUTHORITY_HOST": fake.authority_host,
        "ENGAGEMENT_MICROSOFT_GRAPH_URL": fake.graph_url,
        "ENGAGEMENT_AS_OF": "2026-11-24",
    }


def test_device_code_sign_in_shows_the_code_and_keeps_the_cache_owner_only_never_printed(
    settings: Settings, portfolio: Factory, fake: FakeMicrosoft, tmp_path: Path
) -> None:
    folder = tmp_path / "ms"
    fake.approve(CASEY)

    result = CliRunner().invoke(cli(), ["auth", "microsoft", "--csm", "casey@ourco.test"], env=env(settings, fake, folder))

    assert result.exit_code == 0, result.output
    assert "https://microsoft.com/devicelogin" in result.output and "enter the code F" in result.output
    assert "Connected casey@ourco.test (signed in as casey@ourco.test)" in result.output
    stored = MicrosoftCredentials(folder).private.user_path("casey")
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600 and stat.S_IMODE(folder.stat().st_mode) == 0o700
    cache = json.loads(stored.read_text())
    assert cache["tenant"] == TENANT and "RefreshToken" in cache["cache"]
    assert not any(token in result.output for token in [*fake.tokens, *fake.refresh_tokens])
    assert fake.token_grants == ["urn:ietf:params:oauth:grant-type:device_code"] * 2  # pending, then approved


def test_a_symlinked_token_cache_is_refused_and_a_refreshed_token_is_written_back_owner_only(
    microsoft: Harness, tmp_path: Path
) -> None:
    path = microsoft.credentials.private.user_path("casey")
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    saved = path.read_text()
    path.unlink()
    path.symlink_to(victim)
    with pytest.raises(Exception, match="is a symlink"):
        microsoft.run("casey")  # never read through it
    path.unlink()
    path.write_text(saved)
    path.chmod(0o600)
    microsoft.fake.lifetime = 60  # tokens about to expire: msal refreshes them

    microsoft.sign_in("casey", CASEY)
    before = path.read_text()
    report = microsoft.run("casey")

    assert report.failed_sources == 0 and "refresh_token" in microsoft.fake.token_grants
    assert path.read_text() != before and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert victim.read_text() == "keep me"


def test_a_revoked_sign_in_fails_its_sources_with_what_to_run_and_the_others_go_on(
    microsoft: Harness, engine: object
) -> None:
    microsoft.fake.lifetime = 60
    microsoft.sign_in("casey", CASEY)  # a short-lived token: the next run must refresh, and cannot
    microsoft.fake.revoke(CASEY)
    microsoft.fake.put(DANA, "inbox", m.message(1, "ops@globex.test", DANA, "2026-11-20T10:00:00"))

    report = microsoft.run()

    errors = {(r.csm_id, r.error) for r in report.sources if not r.ok}
    assert errors == {("casey", "Microsoft refused the stored sign-in (expired or revoked); run "
                                "`engagement auth microsoft --csm casey@ourco.test` again.")}  # fmt: skip
    assert report.new == 1 and [a.customer_id for a in activities(microsoft.engine)] == ["globex"]


def test_the_app_reads_every_csm_without_a_sign_in_and_a_wrong_secret_says_what_to_check(
    settings: Settings, portfolio: Factory, fake: FakeMicrosoft, tmp_path: Path
) -> None:
    folder = tmp_path / "ms"
    environment = {**env(settings, fake, folder), "ENGAGEMENT_MICROSOFT_CLIENT_SECRET": APP_SECRET}
    fake.put(CASEY, "sentitems", m.message(1, CASEY, ANA, "2026-11-20T09:00:00"))
    runner = CliRunner()

    stored = runner.invoke(cli(), ["auth", "microsoft", "--app"], env=environment)
    synced = runner.invoke(cli(), ["sync", "--once", "--json"], env=environment)

    assert stored.exit_code == 0 and APP_SECRET not in stored.output, stored.output
    assert stat.S_IMODE((folder / "app.json").stat().st_mode) == 0o600
    report = json.loads(synced.stdout)
    assert (report["new"], report["failed_sources"], report["not_connected"]) == (1, 0, [])
    assert {path.split("/v1.0/")[1].split("/")[1] for _, path in fake.requests} == {CASEY, DANA}  # /users/{address}
    wrong = {**environment, "ENGAGEMENT_MICROSOFT_CLIENT_SECRET": "not-it"}
    runner.invoke(cli(), ["auth", "microsoft", "--app"], env=wrong)
    failed = json.loads(runner.invoke(cli(), ["sync", "--once", "--json"], env=wrong).stdout)
    assert failed["failed_sources"] == 6
    assert "refused the app's client credentials (invalid_client)" in failed["sources"][0]["error"]
    assert "not-it" not in json.dumps(failed)


def test_auth_microsoft_needs_one_way_and_the_app_registration(settings: Settings, portfolio: Factory, fake: FakeMicrosoft,
                                                                tmp_path: Path) -> None:  # fmt: skip
    environment = env(settings, fake, tmp_path / "ms")
    both = CliRunner().invoke(cli(), ["auth", "microsoft", "--csm", "casey", "--app"], env=environment)
    bare = {k: v for k, v in environment.items() if k != "ENGAGEMENT_MICROSOFT_CLIENT_ID"}
    no_client = CliRunner().invoke(cli(), ["auth", "microsoft", "--csm", "casey"], env=bare)

    assert both.exit_code == 1 and "--csm EMAIL" in both.output and "--app" in both.output
    assert no_client.exit_code == 1 and "--client-id" in no_client.output and "Traceback" not in no_client.output


def test_sync_status_prints_each_source_and_engagement_visibility(microsoft: Harness, settings: Settings, tmp_path: Path) -> None:
    microsoft.fake.put(CASEY, "sentitems", m.message(1, CASEY, ANA, "2026-11-20T09:00:00"))
    microsoft.fake.put(CASEY, "inbox", m.message(2, "zoe@initech.test", CASEY, "2026-11-21T09:00:00"))
    microsoft.run()
    environment = env(settings, microsoft.fake, microsoft.credentials.folder)
    environment["COLUMNS"] = "200"

    result = CliRunner().invoke(cli(), ["sync", "--status"], env=environment)

    assert result.exit_code == 0, result.output
    assert "outlook_inbox" in result.output and "outlook_calendar" in result.output
    assert "2 of 2 CSMs connected; 50.0% of 2 external messages and meetings attributed" in result.output
    assert 'unattributed initech.test (1)  -> engagement domain add initech.test "CUSTOMER"' in result.output
    assert "casey: microsoft; 50.0% of 2" in result.output
