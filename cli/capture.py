"""The command line's Google Workspace edge: `auth google`, `sync [--once | --every 15m]`, `domain add|remove|list`."""

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

auth_app = typer.Typer(help="Connect data sources: Google Workspace mail and calendar.", no_args_is_help=True)
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


def _report_table(report: Any) -> Table:
    table = Table(title=f"Google sync: {report.new} new, {report.updated} updated, {report.removed} removed")
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
        console.print(f"Not connected: {', '.join(report.not_connected)} (engagement auth google --csm ...).")


def _legacy_hint(runner: Any) -> None:
    """Tokens stored under the old file names are no longer read: say so, once per run."""
    if legacy := runner.credentials.legacy_tokens():
        errors.print(
            f"{len(legacy)} token file(s) of the old layout in {runner.credentials.folder} are no longer read: run "
            "`engagement auth google --csm ...` again for those CSMs, then delete the old files."
        )


@user_errors
def sync(
    once: Annotated[bool, typer.Option("--once", help="Sync once and exit (the default).")] = False,
    every: Annotated[str | None, typer.Option(help="Keep syncing at this interval, e.g. 15m.")] = None,
    csm: Annotated[str | None, typer.Option(help="Only this CSM (id or email).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Capture every connected CSM's Gmail and Calendar into activities, incrementally.

    Example: engagement sync --every 15m
    """
    from engagement.app import google_sync
    from engagement.capture.sync import run_every

    if once and every:
        raise EngagementError("Give --once or --every, not both.")
    core = open_core()
    runner = google_sync(core)
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
