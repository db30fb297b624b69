"""`engagement check` (the daily job) and `engagement alerts`: list alerts, acknowledge one."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from engagement.alerts.schemas import ALERT_KINDS, KIND_LABELS, AlertList, AlertRow, CheckReport
from cli.common import JsonOption, local_caller, open_core, print_json, user_errors
from cli.options import query_options
from cli.text import plain, safe_console
from engagement.queries import AcknowledgeQuery, AlertsQuery, CheckQuery

console = safe_console()
alerts_app = typer.Typer(
    help="Engagement alerts raised by the daily check: list them (open first), acknowledge one.", invoke_without_command=True
)
KIND_LABEL = {**KIND_LABELS, "no_executive_touchpoint": "no executive"}  # short enough for the tables' column


def check_view(report: CheckReport) -> Table:
    table = Table(title=f"Engagement check {report.day}: scores of {report.period.start} to {report.period.end}", title_justify="left")
    table.add_column("alert")
    table.add_column("new", justify="right")
    table.add_column("resolved", justify="right")
    for kind in ALERT_KINDS:
        table.add_row(KIND_LABEL[kind], str(report.raised[kind]), str(report.resolved[kind]))
    return table


def check_summary(report: CheckReport) -> str:
    return (
        f"{report.customers_scored} customers scored, {report.recorded} history rows written; "
        f"{report.open_alerts} alerts open. Digests: {report.digests_queued} queued, {report.digests_sent} sent, "
        f"{report.digests_pending} waiting" + ("" if report.webhook else " (no ENGAGEMENT_ALERT_WEBHOOK: outbox only)")
    )


def alerts_view(result: AlertList) -> Table:
    table = Table(title=plain(f"Alerts ({result.status}), {result.scope}: {result.page.total}"), title_justify="left", expand=True)
    for column, ratio in (("id", None), ("customer", 2), ("CSM", 1), ("alert", 1), ("since", None), ("why", 4)):
        table.add_column(column, justify="right" if column == "id" else "left", no_wrap=ratio is None, ratio=ratio)
    for alert in result.alerts:
        kind = KIND_LABEL[alert.kind] + ("" if alert.status == "open" else f" ({alert.status})")
        table.add_row(str(alert.alert_id), plain(alert.name), plain(alert.csm_id or "-"), kind, str(alert.day), plain(alert.details))
    if result.page.has_more:
        table.caption = f"{len(result.alerts)} of {result.page.total}; --offset {result.page.offset + result.page.limit} for more"
    return table


@user_errors
@query_options(CheckQuery)
def check(
    query: CheckQuery,
    retry_outbox: Annotated[
        bool, typer.Option("--retry-outbox", help="Only post the digests still waiting in the outbox; run no check.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Run the daily engagement check: record today's scores, raise and resolve alerts, notify each CSM once.

    Run it once a day (cron or a systemd timer: see the README); a second run the same day adds nothing.

    Example: engagement check --json
    """
    core = open_core()
    if retry_outbox:
        from engagement.alerts import notify

        url = core.settings.alert_webhook
        sent = notify.deliver(core.engine, url) if url else 0
        waiting = notify.pending_count(core.engine)
        if as_json:
            sys.stdout.write(f'{{"digests_sent": {sent}, "digests_pending": {waiting}, "webhook": {str(url is not None).lower()}}}\n')
            return
        note = "" if url else " (ENGAGEMENT_ALERT_WEBHOOK is not set)"
        console.print(f"Digests sent: {sent}; still waiting: {waiting}{note}.")
        return
    from engagement.alerts.questions import run_check

    with console.status("Scoring every customer..."):
        report = run_check(core, local_caller(core), query)
    if as_json:
        print_json(report)
        return
    console.print(check_view(report))
    console.print(check_summary(report))


@alerts_app.callback()
@user_errors
@query_options(AlertsQuery, defaults={"limit": 50}, helps={"limit": "Alerts to list, 1-500."})
def alerts(ctx: typer.Context, query: AlertsQuery, as_json: JsonOption = False) -> None:
    """List engagement alerts, open ones first, newest first.

    Example: engagement alerts --status open --csm ana@ourco.com
    """
    if ctx.invoked_subcommand is not None:
        return
    from engagement.alerts.questions import list_alerts

    core = open_core()
    result = list_alerts(core, local_caller(core), query)
    if as_json:
        print_json(result)
        return
    console.print(alerts_view(result))


@alerts_app.command("ack")
@user_errors
@query_options(AcknowledgeQuery, arguments=("alert_id",), helps={"alert_id": "The alert's id (engagement alerts shows it)."})
def ack(query: AcknowledgeQuery, as_json: JsonOption = False) -> None:
    """Acknowledge an open alert: seen and being handled. The check resolves it when its condition clears.

    Example: engagement alerts ack 12
    """
    from engagement.alerts.questions import acknowledge

    core = open_core()
    row: AlertRow = acknowledge(core, local_caller(core), query)
    if as_json:
        print_json(row)
        return
    console.print(Text.assemble(f"Alert {row.alert_id} ({KIND_LABEL[row.kind]}, ", plain(row.name), f") is {row.status}."))
