"""`python -m bench`: generate a CS organisation, import it, and measure every target of the issues.

Examples: python -m bench --customers 10000 --database both
          python -m bench --sizes 1000,10000,100000 --database both --cluster   (docs/benchmark.md's run)
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

from bench import cluster as cluster_bench
from bench import measure, report
from bench.data import Files, generate
from engagement import snapshots
from engagement.app import create_core
from engagement.caller import Caller
from engagement.core import Core
from engagement.portfolio import portfolio
from engagement.queries import PortfolioQuery
from engagement.db import temporary_schema
from engagement.imports import import_csv
from engagement.periods import resolve_period
from engagement.settings import Settings
from server import create_server
from web.app import create_app

AS_OF = dt.date(2026, 11, 24)
PER_CUSTOMER = 200  # activities a customer, the year: 2 million at 10,000 customers, 20 million at 100,000
console = Console()
app = typer.Typer(add_completion=False)


def run_one(
    backend: str, customers: int, activities: int, repeat: int, postgres_url: str, folder: Path, cluster: bool
) -> dict[str, Any]:
    files = generate(folder / f"{customers}-{activities}", customers, activities, AS_OF)
    with ExitStack() as stack:
        if backend == "postgresql":
            url = stack.enter_context(temporary_schema(postgres_url, prefix="bench"))
        else:
            url = f"sqlite:///{folder / f'bench-{customers}-{activities}.db'}"
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        return measure_store(url, files, repeat, cluster)


def measure_store(url: str, files: Files, repeat: int, cluster: bool = False) -> dict[str, Any]:
    settings = Settings(database_url=url, as_of=AS_OF)
    backend = "postgresql" if url.startswith("postgresql") else "sqlite"
    result: dict[str, Any] = {"backend": backend, "customers": files.customers_count, "activities": files.activities_count}
    core = create_core(settings)
    import_csv(core.engine, "csms", files.csms, as_of=AS_OF)
    import_csv(core.engine, "customers", files.customers, as_of=AS_OF)
    rates, imported, rejected, seconds = [], 0, 0, 0.0
    for part in files.activities:  # files of at most FILE_ROWS rows (the import takes 512 MiB a file)
        start = time.perf_counter()
        done = import_csv(core.engine, "activities", part, as_of=AS_OF)
        took = time.perf_counter() - start
        rates.append(done.imported / took)
        imported, rejected, seconds = imported + done.imported, rejected + len(done.rejected), seconds + took
    result["import_rows_per_s"] = imported / seconds
    result["import_first_file_rows_per_s"], result["import_last_file_rows_per_s"] = rates[0], rates[-1]
    result["import_rejected"] = rejected
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
    result |= measure.batch_timings(create_app(settings, core=core), customer_ids(files), AS_OF, repeat)
    env = {"ENGAGEMENT_DATABASE_URL": url, "ENGAGEMENT_AS_OF": AS_OF.isoformat()}
    result |= anyio.run(measure.stdio_timings, env, "k000001", repeat)
    result |= measure.cold_starts(env, "k000001", max(3, repeat // 2))
    snapshots.wait_saved()
    spawned = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGEMENT_")} | env
    result |= measure.first_answers(spawned, "k000001", "c0")
    if cluster and backend == "postgresql":
        result |= cluster_run(core, spawned)
    result |= measure.check_processes(spawned, AS_OF)
    return result


def customer_ids(files: Files) -> list[str]:
    return [f"k{i:06d}" for i in range(files.customers_count)]


def cluster_run(core: Core, env: dict[str, str]) -> dict[str, Any]:
    """bench.cluster over this store: CSM c0's portfolio as it stands, then 1 to 4 servers under load."""
    answer = portfolio(core, Caller(as_of=AS_OF), PortfolioQuery(csm_id="c0", limit=500))
    baseline = {row.customer_id: row.engagement_score for row in answer.customers}
    snapshots.wait_saved()
    return cluster_bench.cluster_timings(env, sorted(baseline), baseline, "c0", AS_OF.isoformat())


@app.command()
def main(
    customers: Annotated[int, typer.Option(help="Customers in the generated portfolio.")] = 10_000,
    activities: Annotated[int | None, typer.Option(help="Activities over the 12 months (default: 200 a customer).")] = None,
    sizes: Annotated[str | None, typer.Option(help="Several portfolio sizes in one run, e.g. 1000,10000,100000 "
                                                   "(200 activities a customer): the growth table.")] = None,
    database: Annotated[str, typer.Option(help="sqlite, postgresql or both.")] = "sqlite",
    repeat: Annotated[int, typer.Option(help="Repetitions per timing (medians).")] = 7,
    cluster: Annotated[bool, typer.Option(help="Also 1 to 4 `engagement serve` processes under load (PostgreSQL).")] = False,
    postgres_url: Annotated[str, typer.Option(help="PostgreSQL for --database postgresql|both.")] = os.environ.get(
        "ENGAGEMENT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
    ),
    output: Annotated[Path, typer.Option(help="Where to write the JSON results.")] = Path("bench/results.json"),
    only_capture: Annotated[bool, typer.Option("--only-capture", help="Only the Microsoft 365 capture timings.")] = False,
    mailboxes: Annotated[int, typer.Option(help="Mailboxes of the capture timings.")] = 4,
    messages: Annotated[int, typer.Option(help="Messages per mailbox over the 180-day window.")] = 5_000,
) -> None:
    """Generate, import and measure; prints the tables and writes JSON (not a test: it asserts nothing)."""
    from bench.capture import capture_timings

    backends = [] if only_capture else ["sqlite", "postgresql"] if database == "both" else [database]
    counts = [int(size) for size in sizes.split(",")] if sizes else [customers]
    with tempfile.TemporaryDirectory(prefix="engagement-bench-") as folder:
        results = [
            run_one(backend, count, activities if activities and not sizes else PER_CUSTOMER * count, repeat,
                    postgres_url, Path(folder), cluster and count == max(counts))
            for count in counts for backend in backends
        ]  # fmt: skip
        capture = capture_timings(Path(folder), mailboxes=mailboxes, messages=messages)
    if results:
        report.show(results)
    report.show_capture(capture)
    machine = {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(), "platform": platform.platform()}
    previous = json.loads(output.read_text()) if output.exists() else {"runs": []}
    previous["runs"] = [r for r in previous["runs"] if (r["backend"], r["customers"]) not in {(x["backend"], x["customers"]) for x in results}]
    output.write_text(json.dumps({"machine": machine, "runs": previous["runs"] + results, "capture": capture},
                                 indent=2, default=str) + "\n")  # fmt: skip
    console.print(f"Results written to {output}")


if __name__ == "__main__":
    app()
