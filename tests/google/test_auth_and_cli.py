"""Credentials kept owner-only and never printed; the auth, domain and sync commands."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from engagement.cli.google import auth_app, domain_app, parse_interval, sync
from engagement.errors import EngagementError
from engagement.google.auth import CredentialStore
from engagement.settings import Settings
from tests.factories import Factory
from tests.google.conftest import TOKEN

ROOT = Path(__file__).resolve().parents[2]


def cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(auth_app, name="auth")
    app.add_typer(domain_app, name="domain")
    app.command()(sync)
    return app


def env(settings: Settings, folder: Path) -> dict[str, str]:
    return {"ENGAGEMENT_DATABASE_URL": settings.resolved_database_url(), "ENGAGEMENT_GOOGLE_CREDENTIALS_DIR": str(folder)}


def test_auth_from_file_stores_the_token_owner_only_and_never_prints_it(
    settings: Settings, portfolio: Factory, tmp_path: Path
) -> None:
    token = tmp_path / "token.json"
    token.write_text(json.dumps(TOKEN))
    folder = tmp_path / "creds"

    result = CliRunner().invoke(cli(), ["auth", "google", "--csm", "casey@ourco.test", "--from-file", str(token)],
                                env=env(settings, folder))  # fmt: skip

    assert result.exit_code == 0, result.output
    stored = folder / "casey.json"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600 and stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert json.loads(stored.read_text())["refresh_token"] == TOKEN["refresh_token"]
    assert TOKEN["refresh_token"] not in result.output and TOKEN["client_secret"] not in result.output


def test_a_token_without_refresh_token_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EngagementError, match="refresh_token"):
        CredentialStore(tmp_path).save_authorized_user("casey", {"token": "ya29.x", "client_id": "c"})
    assert not (tmp_path / "casey.json").exists()


def test_service_account_covers_every_csm_without_a_token(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path)
    store.save_authorized_user("casey", TOKEN)
    store.save_service_account({"type": "service_account", "client_email": "sync@proj.iam.gserviceaccount.com",
                                "private_key": "-----BEGIN PRIVATE KEY-----\n", "token_uri": "https://oauth2.googleapis.com/token"})  # fmt: skip

    accounts = store.accounts([("casey", "casey@ourco.test"), ("dana", "dana@ourco.test")])

    assert [(a.csm_id, a.kind) for a in accounts] == [("casey", "user"), ("dana", "service_account")]
    assert stat.S_IMODE((tmp_path / "service-account.json").stat().st_mode) == 0o600


def test_domain_commands_map_and_refuse_free_mail(settings: Settings, portfolio: Factory, tmp_path: Path) -> None:
    runner, app, environment = CliRunner(), cli(), env(settings, tmp_path)

    added = runner.invoke(app, ["domain", "add", "@Initech.test", "Acme Corp"], env=environment)
    refused = runner.invoke(app, ["domain", "add", "gmail.com", "acme"], env=environment)
    ours = runner.invoke(app, ["domain", "add", "ourco.test", "acme"], env=environment)
    listed = runner.invoke(app, ["domain", "list"], env=environment)

    assert added.exit_code == 0 and "initech.test -> acme" in added.output
    assert refused.exit_code == 1 and "free-mail" in refused.output
    assert ours.exit_code == 1 and "our own domains" in ours.output
    assert "initech.test" in listed.output and "globex.test" in listed.output


def test_sync_once_without_credentials_lists_who_is_not_connected(
    settings: Settings, portfolio: Factory, tmp_path: Path
) -> None:
    result = CliRunner().invoke(cli(), ["sync", "--once", "--json"], env=env(settings, tmp_path / "none"))

    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["not_connected"] == ["casey", "dana"]


def test_intervals() -> None:
    assert parse_interval("15m").total_seconds() == 900 and parse_interval("1h").total_seconds() == 3600
    with pytest.raises(EngagementError, match="too short"):
        parse_interval("30s")
    with pytest.raises(EngagementError, match="not an interval"):
        parse_interval("soon")


def test_the_server_starts_without_importing_the_google_client(settings: Settings) -> None:
    code = "import sys, server; server.create_server(); print(sorted(m for m in sys.modules if m.startswith('googleapiclient')))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={"ENGAGEMENT_DATABASE_URL": settings.resolved_database_url(), "PATH": ""})  # fmt: skip
    assert out.stdout.strip() == "[]"
