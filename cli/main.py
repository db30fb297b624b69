"""The `engagement` command line: load data, show the PRD's report views, serve the MCP server."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from cli import views
from cli.agents import ask, chat
from cli.alerts import alerts_app, check
from cli.calibrate import calibrate
from cli.common import JsonOption, errors, load, local_caller, open_core, print_json, user_errors
from cli.capture import auth_app, domain_app, sync
from cli.install import install_app
from cli.options import query_options
from cli.text import plain, safe_console
from cli.grants import grant_app
from cli.users import token_app, user_app
from engagement.queries import CustomerQuery, PortfolioQuery, TrendsQuery

app = typer.Typer(
    help="Customer engagement metrics: load data, see the report, serve it to Claude over MCP.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = safe_console()


@app.command()
@user_errors
def demo(
    seed: Annotated[int, typer.Option(help="Same seed, same portfolio.")] = 7,
    reset: Annotated[
        bool, typer.Option("--reset", help="Delete everything in the store first (history, alerts, users and tokens too).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Load a realistic demo portfolio (48 customers, 12 months) into the configured store.

    Example: engagement demo --seed 7 --reset
    """
    from engagement.demo import load_demo

    core = open_core()
    with console.status("Generating 12 months of touchpoints..."):
        summary = load_demo(core.engine, as_of=local_caller(core).as_of, seed=seed, reset=reset)
    if as_json:
        print_json(summary)
        return
    console.print(views.demo_summary(summary, core.settings.resolved_database_url()))


@app.command("import")
@user_errors
def import_(
    kind: Annotated[Literal["customers", "stakeholders", "csms", "activities"], typer.Argument(help="What the file holds.")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="A CSV file with a header row.")],
    strict: Annotated[
        bool, typer.Option("--strict/--lenient", help="Strict: any bad row, import nothing. Lenient (default): import the good rows.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Import csms, customers, stakeholders or activities from CSV; bad rows are named, never half-written.

    Example: engagement import activities touchpoints.csv --strict
    """
    from engagement.imports import import_csv

    core = open_core()
    report = import_csv(core.engine, kind, file, as_of=local_caller(core).as_of, strict=strict)
    if as_json:
        print_json(report)
    else:
        console.print(views.import_report(report))
        for warning in report.warnings:  # Text, not markup: the reason quotes names from the file
            console.print(plain(f"Warning, row {warning.row}: {warning.reason}", "yellow"))
    if report.rejected:
        raise typer.Exit(1)


@app.command()
@user_errors
@query_options(PortfolioQuery, defaults={"limit": 10}, helps={"limit": "Customers to list (those needing attention are shown), 1-500."})
def report(query: PortfolioQuery, as_json: JsonOption = False) -> None:
    """The portfolio engagement view (PRD §7.1).

    Example: engagement report --period last_quarter --segment Enterprise
    """
    from engagement.portfolio import portfolio

    core = open_core()
    result = portfolio(core, local_caller(core), query)
    if as_json:
        print_json(result)
        return
    console.print(views.portfolio(result, console.width))


@app.command()
@user_errors
@query_options(CustomerQuery, arguments=("customer",))
def customer(query: CustomerQuery, as_json: JsonOption = False) -> None:
    """One customer's engagement detail (PRD §7.2).

    Example: engagement customer "Acme Corp"
    """
    from engagement.customer import customer as customer_detail
    from engagement.customer import trends

    core = open_core()
    caller = local_caller(core)
    detail = customer_detail(core, caller, query)
    trend = trends(core, caller, TrendsQuery(customer=detail.customer_id))
    if as_json:
        print_json(detail)
        return
    console.print(views.customer(detail, trend))


db_app = typer.Typer(help="The store's schema: upgrade it, see its revision.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(auth_app, name="auth")
app.add_typer(domain_app, name="domain")
app.command()(sync)
app.command()(calibrate)
app.command()(check)
app.add_typer(alerts_app, name="alerts")
app.add_typer(install_app, name="install")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(grant_app, name="grant")
app.command()(ask)
app.command()(chat)


@db_app.command("upgrade")
@user_errors
def db_upgrade() -> None:
    """Upgrade the configured store to the latest schema, keeping every row.

    Example: ENGAGEMENT_DATABASE_URL=postgresql://cs@db/engagement engagement db upgrade
    """
    from engagement.db import current_revision, make_engine, migrate

    settings = load()
    engine = make_engine(settings.resolved_database_url())
    before = current_revision(engine)
    migrate(engine)
    console.print(f"Schema at {current_revision(engine)} (was {before or 'empty'}).")


@app.command()
@user_errors
def serve(
    host: Annotated[
        str, typer.Option(help="Interface to listen on. Any other than loopback (127.0.0.1, ::1, localhost) needs a token first.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port, 1-65535.", min=1, max=65535)] = 8000,
) -> None:
    """Serve the team server: the dashboard at http://HOST:PORT/, the REST API under /api, MCP at /mcp.

    With users in the store every request needs a token; on loopback with no users it runs open.

    Example: engagement serve --host 0.0.0.0 --port 8000
    """
    import logging

    import uvicorn

    from web.netloc import is_loopback
    from engagement.db import read_scope
    from engagement.errors import EngagementError
    from engagement.users import has_active_tokens, has_users, utcnow

    core = open_core()
    settings = core.settings
    with read_scope(core.engine) as session:
        tokens, users = has_active_tokens(session, utcnow()), has_users(session)
    if not is_loopback(host) and not tokens and not (users and settings.oidc_enabled):
        # Without a way in nobody could sign in, and an open network port would give anyone every customer.
        raise EngagementError(
            f"Refusing to listen on {host}: no API token exists yet, and on a network address every request needs "
            "one. Make one first: `engagement user add you@ourco.com --role admin`, then `engagement token create "
            "--user you@ourco.com` (or set the ENGAGEMENT_OIDC_* settings so users sign in with your identity "
            "provider). Or listen on 127.0.0.1 (the default) for yourself alone."
        )
    from tools.server import safe_log_lines
    from web.app import base_url, create_app, serves_oauth

    logging.getLogger("engagement.access").setLevel(logging.INFO)  # access lines whatever the log level
    app = create_app(settings, host=host, port=port, core=core)
    safe_log_lines()
    base = base_url(settings, host, port)
    errors.print(f"Serving the dashboard at {base}/, the REST API at {base}/api, MCP at {base}/mcp (Ctrl+C stops)")
    errors.print(
        ("People sign in with your identity provider or a token." if settings.oidc_enabled
         else "Every request needs a token (engagement token create).")
        + (" Claude connects by OAuth at /mcp." if serves_oauth(base)
           else " Claude's connectors (OAuth) need ENGAGEMENT_PUBLIC_URL=https://... behind TLS.")
        if users
        else "Open: no users yet, so anyone on this machine can use it. After `engagement user add`, restart to sign in.",
    )  # fmt: skip
    uvicorn.run(
        app, host=host.strip("[]"), port=port, log_config=None, access_log=False, server_header=False,
        proxy_headers=True, forwarded_allow_ips=settings.trusted_proxies,
    )  # fmt: skip
