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

from cli.capture import auth_app, domain_app, parse_interval, sync
from engagement.errors import EngagementError
from engagement.capture.google.auth import CredentialStore
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
    return {"ENGAGEMENT_DATABASE_URL": settings.resolved_database_url(), "ENGAGEMENT_GOOGLE_CREDENTIALS_DIR": str(folder),
            "ENGAGEMENT_MICROSOFT_CREDENTIALS_DIR": str(folder.parent / "microsoft-none")}  # fmt: skip


def test_auth_from_file_stores_the_token_owner_only_and_never_prints_it(
    settings: Settings, portfolio: Factory, tmp_path: Path
) -> None:
    token = tmp_path / "token.json"
    token.write_text(json.dumps(TOKEN))
    folder = tmp_path / "creds"

    result = CliRunner().invoke(cli(), ["auth", "google", "--csm", "casey@ourco.test", "--from-file", str(token)],
                                env=env(settings, folder))  # fmt: skip

    assert result.exit_code == 0, result.output
    stored = CredentialStore(folder).token_path("casey")
    assert stored.parent == folder / "users"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600 and stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(stored.parent.stat().st_mode) == 0o700
    assert json.loads(stored.read_text())["refresh_token"] == TOKEN["refresh_token"]
    assert TOKEN["refresh_token"] not in result.output and TOKEN["client_secret"] not in result.output


def test_a_token_without_refresh_token_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EngagementError, match="refresh_token"):
        CredentialStore(tmp_path).save_authorized_user("casey", {"token": "ya29.x", "client_id": "c"})
    assert not CredentialStore(tmp_path).token_path("casey").exists()


def test_service_account_covers_every_csm_without_a_token(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path)
    store.save_authorized_user("casey", TOKEN)
    store.save_service_account({"type": "service_account", "client_email": "sync@proj.iam.gserviceaccount.com",
                                "private_key": "-----BEGIN PRIVATE KEY-----\n", "token_uri": "https://oauth2.googleapis.com/token"})  # fmt: skip

    accounts = store.accounts([("casey", "casey@ourco.test"), ("dana", "dana@ourco.test")])

    assert [(a.csm_id, a.kind) for a in accounts] == [("casey", "user"), ("dana", "service_account")]
    assert stat.S_IMODE((tmp_path / "service-account.json").stat().st_mode) == 0o600


KEY = {"type": "service_account", "client_email": "sync@proj.iam.gserviceaccount.com",
       "private_key": "-----BEGIN PRIVATE KEY-----\n", "token_uri": "https://oauth2.googleapis.com/token"}


def test_a_csm_named_service_account_cannot_overwrite_the_key(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path)
    store.save_service_account(KEY)

    store.save_authorized_user("service-account", TOKEN)
    store.save_authorized_user("service-account.json", TOKEN)

    assert json.loads((tmp_path / "service-account.json").read_text()) == KEY
    accounts = store.accounts([("service-account", "sa@ourco.test"), ("dana", "dana@ourco.test")])
    assert [(a.csm_id, a.kind) for a in accounts] == [("service-account", "user"), ("dana", "service_account")]


def test_ids_that_differ_only_in_unusual_characters_get_their_own_files(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path)
    store.save_authorized_user("kim@x", TOKEN | {"refresh_token": "kim-at"})
    store.save_authorized_user("kim_x", TOKEN | {"refresh_token": "kim-underscore"})
    store.save_authorized_user("../kim", TOKEN | {"refresh_token": "kim-dots"})

    assert len({store.token_path(csm) for csm in ("kim@x", "kim_x", "../kim")}) == 3
    assert all(store.token_path(csm).parent == tmp_path / "users" for csm in ("kim@x", "kim_x", "../kim"))
    tokens = {a.csm_id: a.credentials().refresh_token for a in store.accounts([("kim@x", "a"), ("kim_x", "b"), ("../kim", "c")])}
    assert tokens == {"kim@x": "kim-at", "kim_x": "kim-underscore", "../kim": "kim-dots"}


def test_a_planted_symlink_is_never_followed(tmp_path: Path) -> None:
    folder, outside = tmp_path / "creds", tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim.txt"
    victim.write_text("keep me")
    victim.chmod(0o644)
    store = CredentialStore(folder)
    store.save_authorized_user("casey", TOKEN)
    # A symlink planted where the token goes, and one at every name the old writer used for its temporary.
    store.token_path("dana").symlink_to(victim)
    for name in ("dana.tmp", "service-account.tmp", "users/dana.tmp"):
        (folder / name).symlink_to(victim)

    with pytest.raises(EngagementError, match="is a symlink"):
        store.accounts([("dana", "dana@ourco.test")])
    with pytest.raises(EngagementError, match="is a symlink"):
        store.save_authorized_user("dana", TOKEN)
    store.save_authorized_user("casey", TOKEN)  # beside the planted temporaries
    store.save_service_account(KEY)
    store.token_path("dana").unlink()
    store.save_authorized_user("dana", TOKEN)

    assert victim.read_text() == "keep me" and stat.S_IMODE(victim.stat().st_mode) == 0o644
    assert not store.token_path("dana").is_symlink()
    assert json.loads(store.token_path("dana").read_text())["refresh_token"] == TOKEN["refresh_token"]
    assert list(outside.iterdir()) == [victim]


def test_a_symlinked_token_is_refused_when_read(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path)
    store.save_authorized_user("casey", TOKEN)
    [account] = store.accounts([("casey", "casey@ourco.test")])
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(json.dumps(TOKEN))
    account.path.unlink()
    account.path.symlink_to(elsewhere)

    with pytest.raises(EngagementError, match="is a symlink"):
        account.credentials()


@pytest.mark.parametrize("where", ["folder", "users", "token", "key"])
def test_a_group_or_world_writable_store_is_refused(tmp_path: Path, where: str) -> None:
    store = CredentialStore(tmp_path / "creds")
    store.save_authorized_user("casey", TOKEN)
    store.save_service_account(KEY)
    loose = {"folder": store.folder, "users": store.users, "token": store.token_path("casey"),
             "key": store.folder / "service-account.json"}[where]  # fmt: skip
    loose.chmod(stat.S_IMODE(loose.stat().st_mode) | stat.S_IWGRP)

    with pytest.raises(EngagementError, match=r"is writable by others; make it a real (folder|file) owned by you"):
        store.accounts([("casey", "casey@ourco.test"), ("dana", "dana@ourco.test")])
    if where in ("folder", "users"):
        with pytest.raises(EngagementError, match="writable by others"):
            store.save_authorized_user("dana", TOKEN)
        assert not store.token_path("dana").exists()


def test_a_symlinked_folder_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    (tmp_path / "creds").symlink_to(real)
    store = CredentialStore(tmp_path / "creds")

    with pytest.raises(EngagementError, match="folder .*creds is a symlink"):
        store.save_authorized_user("casey", TOKEN)
    assert list(real.iterdir()) == []


def test_a_folder_of_another_user_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = CredentialStore(tmp_path / "creds")
    store.save_authorized_user("casey", TOKEN)
    monkeypatch.setattr("os.geteuid", lambda: 4242)  # as if another user ran it

    with pytest.raises(EngagementError, match="belongs to another user"):
        store.accounts([("casey", "casey@ourco.test")])


def test_sync_refuses_an_unsafe_store_with_one_line_and_exit_code_1(
    settings: Settings, portfolio: Factory, tmp_path: Path
) -> None:
    folder = tmp_path / "creds"
    CredentialStore(folder).save_authorized_user("casey", TOKEN)
    folder.chmod(0o777)

    result = CliRunner().invoke(cli(), ["sync", "--once"], env=env(settings, folder))

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "is writable by others" in result.output and "chmod 700" in result.output


def test_sync_says_old_layout_tokens_need_authorising_again(settings: Settings, portfolio: Factory, tmp_path: Path) -> None:
    folder = tmp_path / "creds"
    folder.mkdir(mode=0o700)
    (folder / "casey.json").write_text(json.dumps(TOKEN))
    (folder / "casey.json").chmod(0o600)

    result = CliRunner().invoke(cli(), ["sync", "--once", "--json"], env=env(settings, folder))

    assert result.exit_code == 0, result.output
    assert "1 token file(s) of the old layout" in result.stderr and "engagement auth google --csm" in result.stderr
    assert json.loads(result.stdout)["not_connected"] == ["casey", "dana"]


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
