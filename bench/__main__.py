"""`python -m bench`: generate a CS organisation, import it, and measure every target of the issue.

Example: python -m bench --customers 10000 --activities 2000000 --database both
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import anyio
import typer
from rich.console import Console
from rich.table import Table

from bench import measure
from bench.data import Files, generate
from engagement.app import create_core
from engagement.db import temporary_schema
from engagement.imports import import_csv
from engagement.periods import resolve_period
from engagement.settings import Settings
from server import create_server
from web.app import create_app

AS_OF = dt.date(2026, 11, 24)
console = Console()
app = typer.Typer(add_completion=False)


def run_one(backend: str, customers: int, activities: int, repeat: int, postgres_url: str, folder: Path) -> dict[str, Any]:
    files = generate(folder / f"{customers}-{activities}", customers, activities, AS_OF)
    with ExitStack() as stack:
        if backend == "postgresql":
            url = stack.enter_context(temporary_schema(postgres_url, prefix="bench"))
        else:
            url = f"sqlite:///{folder / f'bench-{customers}-{activities}.db'}"
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        return measure_store(url, files, repeat)


def measure_store(url: str, files: Files, repeat: int) -> dict[str, Any]:
    settings = Settings(database_url=url, as_of=AS_OF)
    backend = "postgresql" if url.startswith("postgresql") else "sqlite"
    result: dict[str, Any] = {"backend": backend, "customers": files.customers_count, "activities": files.activities_count}
    core = create_core(settings)
    import_csv(core.engine, "csms", files.csms, as_of=AS_OF)
    import_csv(core.engine, "customers", files.customers, as_of=AS_OF)
    start = time.perf_counter()
    report = import_csv(core.engine, "activities", files.activities, as_of=AS_OF)
    seconds = time.perf_counter() - start
    result["import_rows_per_s"] = report.imported / seconds
    result["import_rejected"] = len(report.rejected)
    period = resolve_period("this_quarter", AS_OF)
    result["recompute_s"], result["recompute_peak_mib"] = measure.full_recompute(core, period, repeat)
    result["group_by_s"] = measure.plain_group_by(core, period, repeat)
    result["duckdb_s"] = measure.duckdb_aggregate(core, period, repeat)
    result["naive_s"], result["naive_sample"] = measure.naive_engine(core, period, sample=200)
    result |= measure.check_timings(core, AS_OF)
    server = create_server(settings)
    result |= anyio.run(measure.tool_timings, server, "c0", "k000001", repeat, AS_OF)
    pages = {"portfolio": "/", "portfolio_csm": "/?csm=c0", "customer": "/customers/k000001", "team": "/team"}
    result |= measure.page_timings(create_app(settings, core=core), pages, repeat)
    env = {"ENGAGEMENT_DATABASE_URL": url, "ENGAGEMENT_AS_OF": AS_OF.isoformat()}
    result |= anyio.run(measure.stdio_timings, env, "k000001", repeat)
    result |= measure.cold_starts(env, "k000001", max(3, repeat // 2))
    return result


def _ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:,.1f} ms"


def show(results: list[dict[str, Any]]) -> None:
    table = Table(title="Engagement benchmark (medians)")
    table.add_column("measure")
    for r in results:
        table.add_column(f"{r['backend']}\n{r['customers']:,} / {r['activities']:,}", justify="right")
    rows: list[tuple[str, Any]] = [
        ("bulk import (rows/s)", lambda r: f"{r['import_rows_per_s']:,.0f}"),
        ("full recompute, this_quarter", lambda r: _ms(r["recompute_s"])),
        ("  peak memory (MiB)", lambda r: f"{r['recompute_peak_mib']:,.0f}"),
        ("plain SQL GROUP BY (peer)", lambda r: _ms(r["group_by_s"])),
        ("DuckDB in-memory aggregate (peer)", lambda r: _ms(r["duckdb_s"])),
        ("naive one-customer-at-a-time (peer)", lambda r: _ms(r["naive_s"])),
        ("get_portfolio_engagement, all", lambda r: _ms(r["portfolio_all_s"])),
        ("  first call (cache cold)", lambda r: _ms(r["portfolio_first_s"])),
        ("get_portfolio_engagement, one CSM", lambda r: _ms(r["portfolio_csm_s"])),
        ("get_customer_engagement", lambda r: _ms(r["customer_s"])),
        ("dashboard: portfolio page, all", lambda r: _ms(r.get("page_portfolio_s"))),
        ("  portfolio page, one CSM", lambda r: _ms(r.get("page_portfolio_csm_s"))),
        ("  customer page", lambda r: _ms(r.get("page_customer_s"))),
        ("  team page, every CSM", lambda r: _ms(r.get("page_team_s"))),
        ("log_activity", lambda r: _ms(r["log_activity_s"])),
        ("daily check, a new day (every customer)", lambda r: _ms(r.get("check_day_s"))),
        ("  first check (empty history)", lambda r: _ms(r.get("check_first_s"))),
        ("  again the same day", lambda r: _ms(r.get("check_rerun_s"))),
        ("  alerts raised over the days; open", lambda r: f"{r.get('check_raised', 0):,}; {r.get('check_open_alerts', 0):,}"),
        ("acknowledge_alert", lambda r: _ms(r.get("acknowledge_alert_s"))),
        ("portfolio right after a log", lambda r: _ms(r["portfolio_after_log_s"])),
        ("  fresh after log", lambda r: "yes" if r["fresh_after_log"] else "NO"),
        ("get_customer_engagement over stdio", lambda r: _ms(r["stdio_customer_s"])),
        ("cold start to first answer (stdio)", lambda r: _ms(r["cold_start_s"])),
        ("  bare one-tool MCPServer", lambda r: _ms(r["bare_cold_start_s"])),
        ("portfolio default answer (bytes)", lambda r: f"{r['portfolio_default_bytes']:,}"),
        *((f"{name} {args.get('outcome', '')}".strip() + (" (customer)" if "customer" in args else " (CSM)" if args.get("csm_id", "all") != "all" else ""),
           lambda r, key=key: f"{_ms(r.get(key + '_s'))} (first {_ms(r.get(key + '_first_s'))})")
          for key, (name, args) in measure.ANALYSIS_CALLS.items()),
    ]
    for label, cell in rows:
        table.add_row(label, *(cell(r) for r in results))
    console.print(table)
    targets = Table(title="Targets")
    targets.add_column("target")
    for r in results:
        targets.add_column(f"{r['backend']} {r['customers']:,}", justify="right")
    checks: list[tuple[str, Any]] = [
        ("portfolio >= 10x faster than DuckDB", lambda r: r["duckdb_s"] / r["portfolio_all_s"] if r["duckdb_s"] else None, 10, True),
        ("portfolio and customer pages < 100 ms", lambda r: max(r["page_portfolio_s"], r["page_customer_s"]) * 1000, 100, False),
        ("log_activity < 10 ms", lambda r: r["log_activity_s"] * 1000, 10, False),
        ("recompute <= 1.5x GROUP BY", lambda r: r["recompute_s"] / r["group_by_s"], 1.5, False),
        ("recompute peak < 1 GB (MiB)", lambda r: r["recompute_peak_mib"], 1024, False),
        ("import >= 100,000 rows/s", lambda r: r["import_rows_per_s"], 100_000, True),
        ("cold start <= 1.3x bare", lambda r: r["cold_start_s"] / r["bare_cold_start_s"], 1.3, False),
        ("default answer < 8 KB", lambda r: r["portfolio_default_bytes"], 8192, False),
        ("daily check, a new day < 10 s", lambda r: r["check_day_s"], 10, False),
        ("slowest analysis tool <= 100 ms warm", lambda r: max(r.get(f"{k}_s", 0) for k in measure.ANALYSIS_CALLS) * 1000, 100, False),
    ]
    for label, value, bound, higher in checks:
        cells = []
        for r in results:
            got = value(r)
            ok = got is not None and (got >= bound if higher else got < bound or got == bound)
            cells.append("n/a" if got is None else f"{got:,.2f} {'met' if ok else 'MISSED'}")
        targets.add_row(label, *cells)
    console.print(targets)


def show_capture(capture: dict[str, Any]) -> None:
    table = Table(title=f"Microsoft 365 capture ({capture['capture_mailboxes']} mailboxes, fake Graph on loopback, SQLite)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("first sync, 180 days", f"{capture['capture_first_s']:.1f} s for {capture['capture_messages']:,} messages "
                  f"and {capture['capture_events']:,} events")  # fmt: skip
    table.add_row("first sync, messages per second", f"{capture['capture_first_messages_per_s']:,.0f}")
    table.add_row("incremental sync, nothing new", f"{capture['capture_quiet_s'] * 1000:,.0f} ms")
    table.add_row("incremental sync, 50 new messages a mailbox", f"{capture['capture_incremental_s'] * 1000:,.0f} ms "
                  f"({capture['capture_incremental_messages_per_s']:,.0f} messages/s)")  # fmt: skip
    console.print(table)


@app.command()
def main(
    customers: Annotated[int, typer.Option(help="Customers in the generated portfolio.")] = 10_000,
    activities: Annotated[int, typer.Option(help="Activities over the 12 months before the as-of date.")] = 2_000_000,
    database: Annotated[str, typer.Option(help="sqlite, postgresql or both.")] = "sqlite",
    repeat: Annotated[int, typer.Option(help="Repetitions per timing (medians).")] = 7,
    postgres_url: Annotated[str, typer.Option(help="PostgreSQL for --database postgresql|both.")] = os.environ.get(
        "ENGAGEMENT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
    ),
    output: Annotated[Path, typer.Option(help="Where to write the JSON results.")] = Path("bench/results.json"),
    only_capture: Annotated[bool, typer.Option("--only-capture", help="Only the Microsoft 365 capture timings.")] = False,
    mailboxes: Annotated[int, typer.Option(help="Mailboxes of the capture timings.")] = 4,
    messages: Annotated[int, typer.Option(help="Messages per mailbox over the 180-day window.")] = 5_000,
) -> None:
    """Generate, import and measure; prints the table and writes JSON (not a test: it asserts nothing)."""
    from bench.capture import capture_timings

    backends = [] if only_capture else ["sqlite", "postgresql"] if database == "both" else [database]
    with tempfile.TemporaryDirectory(prefix="engagement-bench-") as folder:
        results = [run_one(b, customers, activities, repeat, postgres_url, Path(folder)) for b in backends]
        capture = capture_timings(Path(folder), mailboxes=mailboxes, messages=messages)
    if results:
        show(results)
    show_capture(capture)
    machine = {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(), "platform": platform.platform()}
    previous = json.loads(output.read_text()) if output.exists() else {"runs": []}
    previous["runs"] = [r for r in previous["runs"] if (r["backend"], r["customers"]) not in {(x["backend"], x["customers"]) for x in results}]
    output.write_text(json.dumps({"machine": machine, "runs": previous["runs"] + results, "capture": capture},
                                 indent=2, default=str) + "\n")  # fmt: skip
    console.print(f"Results written to {output}")


if __name__ == "__main__":
    app()
