"""The command line's capture edge: `auth google`, `auth microsoft`, `sync [--once | --every 15m | --status]`,
`domain add|remove|list`."""

from __future__ import annotations

import datetime as dt
import re
import threading
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.table import Table

from cli.common import JsonOption, errors, load, local_caller, open_core, print_json, user_errors
from cli.text import safe_console
from engagement.errors import EngagementError

P = ParamSpec("P")
R = TypeVar("R")
console = safe_console()
INTERVAL = re.compile(r"^(\d+)\s*([smh]?)$")
MIN_INTERVAL = dt.timedelta(minutes=1)

auth_app = typer.Typer(help="Connect mail and calendar: Google Workspace or Microsoft 365.", no_args_is_help=True)
domain_app = typer.Typer(help="Map email domains to customers, for mail from people not yet listed.", no_args_is_help=True)


def parse_interval(text: str) -> dt.timedelta:
    """`15m`, `1h`, `90s`, or minutes as a bare number; at least one minute."""
    match = INTERVAL.match(text.strip().lower())
    if not match:
        raise EngagementError(f"--every '{text}' is not an interval; use e.g. 15m, 1h or 90s.")
    amount, unit = int(match.group(1)), match.group(2) or "m"
    interval = dt.timedelta(**{{"s": "seconds", "m": "minutes", "h": "hours"}[unit]: amount})
    if interval < MIN_INTERVAL:
        raise EngagementError(f"--every {text} is too short; sync at most once a minute (Gmail's quotas).")
    return interval


@auth_app.command("google")
@user_errors
def auth_google(
    csm: Annotated[str | None, typer.Option(help="The CSM (id or email) whose mailbox and calendar to connect.")] = None,
    from_file: Annotated[
        Path | None, typer.Option("--from-file", exists=True, dir_okay=False, help="Authorized-user token.json made elsewhere.")
    ] = None,
    client_secrets: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="OAuth client (Desktop app) JSON, for the browser flow.")
    ] = None,
    service_account: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="Service-account key with domain-wide delegation.")
    ] = None,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Print the consent URL instead of opening it.")] = False,
) -> None:
    """Connect Google Workspace (read-only): one CSM by OAuth, or every CSM through a service account.

    Example: engagement auth google --csm casey@ourco.com --client-secrets client_secret.json
    """
    from engagement.db import session_scope
    from engagement.capture.google.auth import CredentialStore, load_json_file, run_installed_app_flow
    from engagement.lookup import find_csm

    settings = load()
    store = CredentialStore(settings.resolved_google_credentials_dir())
    if service_account is not None:
        path = store.save_service_account(load_json_file(service_account))
        console.print(f"Service account stored in {path} (owner-only). Every CSM without a token syncs through it.")
        return
    if csm is None:
        raise EngagementError("Give --csm EMAIL (whose mailbox to connect), or --service-account KEY.json.")
    if from_file is None and client_secrets is None:
        raise EngagementError("Give --client-secrets client_secret.json (browser consent) or --from-file token.json.")
    core = open_core()
    with session_scope(core.engine) as session:
        found = find_csm(session, csm, local_caller(core))
    if from_file is not None:
        info = load_json_file(from_file)
    else:
        assert client_secrets is not None
        info = run_installed_app_flow(client_secrets, open_browser=not no_browser)
    path = store.save_authorized_user(found.id, info)
    # The token itself is never echoed: only where it went.
    console.print(f"Connected {found.email}: token stored in {path} (owner-only). Run `engagement sync --once`.")


@auth_app.command("microsoft")
@user_errors
def auth_microsoft(
    csm: Annotated[str | None, typer.Option(help="The CSM (id or email) who signs in with a device code.")] = None,
    app: Annotated[bool, typer.Option("--app", help="Every CSM through the app's client credentials (admin consent).")] = False,
    tenant: Annotated[str | None, typer.Option(help="Tenant id or domain (default ENGAGEMENT_MICROSOFT_TENANT).")] = None,
    client_id: Annotated[str | None, typer.Option(help="App registration's client id (default ENGAGEMENT_MICROSOFT_CLIENT_ID).")] = None,
) -> None:
    """Connect Microsoft 365 (Mail.ReadBasic, Calendars.Read): one CSM by device code, or every CSM through the app.

    Example: engagement auth microsoft --csm casey@ourco.com --tenant ourco.onmicrosoft.com --client-id 8f2b...
    The app's secret comes from ENGAGEMENT_MICROSOFT_CLIENT_SECRET, or is asked for (never echoed).
    """
    import os

    from engagement.capture.microsoft.auth import Client, MicrosoftCredentials, sign_in_with_device_code
    from engagement.db import session_scope
    from engagement.lookup import find_csm

    settings = load()
    if app == (csm is not None):
        raise EngagementError("Give --csm EMAIL (one CSM signs in with a device code) or --app (every CSM through the app).")
    tenant, client_id = tenant or settings.microsoft_tenant, client_id or settings.microsoft_client_id
    if not tenant or not client_id:
        raise EngagementError(
            "Give --tenant and --client-id (or set ENGAGEMENT_MICROSOFT_TENANT and ENGAGEMENT_MICROSOFT_CLIENT_ID): "
            "the directory (tenant) id and the application (client) id of the app registration."
        )
    client = Client(tenant.strip(), client_id.strip(), settings.microsoft_authority_host)
    store = MicrosoftCredentials(settings.resolved_microsoft_credentials_dir())
    if app:
        secret = os.environ.get("ENGAGEMENT_MICROSOFT_CLIENT_SECRET") or typer.prompt("Client secret", hide_input=True)
        path = store.save_app(client, secret)
        console.print(f"App credentials stored in {path} (owner-only). Every CSM without a sign-in syncs through the app.")
        console.print("Run `engagement sync --once` to check: a mailbox the app may not read is reported with HTTP 403.")
        return
    core = open_core()
    assert csm is not None
    with session_scope(core.engine) as session:
        found = find_csm(session, csm, local_caller(core))
    username, cache = sign_in_with_device_code(client, lambda message: console.print(message))
    path = store.save_user(found.id, client, username, cache)
    # The tokens are never echoed: only where they went, and who signed in.
    console.print(f"Connected {found.email} (signed in as {username}): token cache in {path} (owner-only).")
    if username and username.lower() != found.email.lower():
        errors.print(f"Note: {username} is not {found.email}; the sync reads the mailbox of who signed in.")
    console.print("Run `engagement sync --once`.")


def _report_table(report: Any) -> Table:
    table = Table(title=f"Sync: {report.new} new, {report.updated} updated, {report.removed} removed")
    for column in ("CSM", "source", "mode", "new", "updated", "unchanged", "removed", "skipped", "error"):
        table.add_column(column)
    for run in report.sources:
        skipped = sum(run.skipped.model_dump().values())
        table.add_row(run.csm_id, run.kind, run.mode or "-", str(run.new), str(run.updated), str(run.unchanged),
                      str(run.removed), str(skipped), run.error or "")  # fmt: skip
    return table


def _print_report(report: Any, as_json: bool) -> None:
    if as_json:
        print_json(report)
        return
    console.print(_report_table(report))
    coverage = "n/a" if report.coverage is None else f"{report.coverage:.1%}"
    console.print(f"Coverage: {coverage} of external-party messages and meetings attributed to a customer.")
    for item in report.unmatched[:10]:
        console.print(f"  unmatched {item.domain} ({item.items}): {', '.join(item.addresses)}  -> engagement domain add {item.domain} CUSTOMER")
    if report.not_connected:
        console.print(
            f"Not connected: {', '.join(report.not_connected)} "
            "(engagement auth google --csm ... or engagement auth microsoft --csm ...)."
        )


def _print_status(status: Any, as_json: bool) -> None:
    """Each source's last run, then engagement visibility (docs/rules.md, "Engagement visibility")."""
    if as_json:
        print_json(status)
        return
    table = Table(title="Sources")
    for column in ("CSM", "source", "last success", "cursor age (min)", "error"):
        table.add_column(column)
    for source in status.sources:
        success = "never" if source.last_success_at is None else f"{source.last_success_at:%Y-%m-%d %H:%M} UTC"
        age = "-" if source.cursor_age_minutes is None else f"{source.cursor_age_minutes:g}"
        table.add_row(source.csm_id, source.kind, success, age, source.last_error or "")
    console.print(table)
    seen = status.visibility
    share = "n/a" if seen.share is None else f"{seen.share:.1%}"
    console.print(
        f"Engagement visibility, last {seen.days} days: {seen.csms_connected} of {seen.csms_total} CSMs connected; "
        f"{share} of {seen.external} external messages and meetings attributed to a customer."
    )
    for item in seen.unattributed[:10]:
        console.print(f"  unattributed {item.domain} ({item.items})  -> {item.command}")
    for csm in seen.csms:
        mine = "n/a" if csm.share is None else f"{csm.share:.1%} of {csm.external}"
        console.print(f"  {csm.csm_id}: {', '.join(csm.connected) or 'not connected'}; {mine}")
    if seen.failing:
        console.print(f"Failing: {', '.join(seen.failing)}.")
    if seen.stale:
        console.print(f"No success in the last hour: {', '.join(seen.stale)}.")


def _legacy_hint(runner: Any) -> None:
    """Google tokens stored under the old file names are no longer read: say so, once per run."""
    for provider in runner.providers:
        legacy_tokens = getattr(provider.credentials, "legacy_tokens", None)
        if legacy_tokens is not None and (legacy := legacy_tokens()):
            errors.print(
                f"{len(legacy)} token file(s) of the old layout in {provider.credentials.folder} are no longer read: run "
                "`engagement auth google --csm ...` again for those CSMs, then delete the old files."
            )


@user_errors
def sync(
    once: Annotated[bool, typer.Option("--once", help="Sync once and exit (the default).")] = False,
    every: Annotated[str | None, typer.Option(help="Keep syncing at this interval, e.g. 15m.")] = None,
    csm: Annotated[str | None, typer.Option(help="Only this CSM (id or email).")] = None,
    status: Annotated[bool, typer.Option("--status", help="Show each source and engagement visibility; sync nothing.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Capture every connected CSM's mail and calendar (Google Workspace, Microsoft 365) into activities.

    Example: engagement sync --every 15m
    """
    from engagement.app import capture_sync
    from engagement.capture.sync import run_every

    if once and every:
        raise EngagementError("Give --once or --every, not both.")
    if status and (once or every or csm):
        raise EngagementError("--status shows the sources and syncs nothing: give it alone (with --json if wanted).")
    core = open_core()
    runner = capture_sync(core)
    if status:
        _print_status(runner.status(local_caller(core)), as_json)
        return
    _legacy_hint(runner)
    if every is None:
        report = runner.run(csm)
        _print_report(report, as_json)
        if report.failed_sources:
            raise typer.Exit(1)
        return
    interval = parse_interval(every)
    stop = threading.Event()
    errors.print(f"Syncing every {interval} (Ctrl+C stops).")
    try:
        run_every(runner, interval, stop, lambda report: _print_report(report, as_json))
    except KeyboardInterrupt:
        stop.set()


@domain_app.command("add")
@user_errors
def domain_add(
    domain: Annotated[str, typer.Argument(help="An email domain, e.g. acme.com.")],
    customer: Annotated[str, typer.Argument(help="Customer id or name.")],
) -> None:
    """Attribute mail and meetings with people at DOMAIN (and its subdomains) to CUSTOMER.

    Example: engagement domain add acme.com "Acme Corp"
    """
    from engagement.capture.domains import map_domain

    core = open_core()
    row = map_domain(core.engine, domain, customer, local_caller(core), core.settings.google_internal_domains)
    console.print(f"{row.domain} -> {row.customer_id}. The next sync attributes new mail from it.")


@domain_app.command("remove")
@user_errors
def domain_remove(domain: Annotated[str, typer.Argument(help="A mapped domain.")]) -> None:
    """Stop mapping DOMAIN to a customer.

    Example: engagement domain remove acme.com
    """
    from engagement.capture.domains import unmap_domain

    if not unmap_domain(open_core().engine, domain):
        raise EngagementError(f"{domain} is not mapped; `engagement domain list` shows the mapped ones.")
    console.print(f"{domain} unmapped.")


@domain_app.command("list")
@user_errors
def domain_list() -> None:
    """The domains mapped to customers.

    Example: engagement domain list
    """
    from engagement.capture.domains import mapped_domains

    table = Table("domain", "customer")
    for row in mapped_domains(open_core().engine):
        table.add_row(row.domain, row.customer_id)
    console.print(table)
