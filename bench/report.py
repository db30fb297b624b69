"""The benchmark's printed tables: every measure of each run (the peers beside ours), the targets, how each
cost grows from the smallest portfolio to the largest, and the servers under load."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import measure

console = Console()
Cell = Callable[[dict[str, Any]], Any]


def ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:,.1f} ms"


def seconds_of(key: str) -> Cell:
    return lambda r: r.get(key)


# (label, the number (seconds unless said), how to show it)
MEASURES: list[tuple[str, Cell, Callable[[Any], str]]] = [
    ("bulk import (rows/s)", seconds_of("import_rows_per_s"), lambda v: f"{v:,.0f}"),
    ("  first / last file (rows/s)", lambda r: (r.get("import_first_file_rows_per_s"), r.get("import_last_file_rows_per_s")),
     lambda v: f"{v[0]:,.0f} / {v[1]:,.0f}" if v[0] else "n/a"),
    ("full recompute, this_quarter", seconds_of("recompute_s"), ms),
    ("  peak memory (MiB)", seconds_of("recompute_peak_mib"), lambda v: f"{v:,.0f}"),
    ("peer: plain SQL GROUP BY", seconds_of("group_by_s"), ms),
    ("peer: DuckDB in-memory aggregate", seconds_of("duckdb_s"), ms),
    ("peer: naive one customer at a time", seconds_of("naive_s"), ms),
    ("get_portfolio_engagement, all (warm)", seconds_of("portfolio_all_s"), ms),
    ("  first call in this process (cache cold)", seconds_of("portfolio_first_s"), ms),
    ("get_portfolio_engagement, one CSM", seconds_of("portfolio_csm_s"), ms),
    ("get_customer_engagement", seconds_of("customer_s"), ms),
    ("dashboard: portfolio page, all", seconds_of("page_portfolio_s"), ms),
    ("  portfolio page, one CSM", seconds_of("page_portfolio_csm_s"), ms),
    ("  customer page", seconds_of("page_customer_s"), ms),
    ("  team page, every CSM", seconds_of("page_team_s"), ms),
    ("log_activity", seconds_of("log_activity_s"), ms),
    ("REST batch of 500 rows, 500 customers", seconds_of("batch_500_s"), ms),
    ("portfolio right after a log", seconds_of("portfolio_after_log_s"), ms),
    ("  fresh after log", seconds_of("fresh_after_log"), lambda v: "yes" if v else "NO"),
    ("daily check in-process, a new day", seconds_of("check_day_s"), ms),
    ("  first check (empty history)", seconds_of("check_first_s"), ms),
    ("  again the same day", seconds_of("check_rerun_s"), ms),
    ("engagement check, a new process, a new day", seconds_of("check_process_s"), ms),
    ("  its peak memory (MiB)", seconds_of("check_process_peak_mib"), lambda v: f"{v:,.0f}"),
    ("  alerts raised over the days; open", lambda r: (r.get("check_raised", 0), r.get("check_open_alerts", 0)),
     lambda v: f"{v[0]:,}; {v[1]:,}"),
    ("acknowledge_alert", seconds_of("acknowledge_alert_s"), ms),
    ("get_customer_engagement over stdio", seconds_of("stdio_customer_s"), ms),
    ("cold start to first answer (stdio)", seconds_of("cold_start_s"), ms),
    ("  bare one-tool MCPServer", seconds_of("bare_cold_start_s"), ms),
    ("portfolio default answer (bytes)", seconds_of("portfolio_default_bytes"), lambda v: f"{v:,}"),
    *((f"first answer in a new process: {name}", seconds_of(f"first_{key}_s"), ms) for key, (name, _) in measure.CORE_CALLS.items()),
    *((f"{name} {args.get('outcome', '')}".strip() + (" (customer)" if "customer" in args else ""),
       lambda r, key=key: (r.get(f"{key}_s"), r.get(f"{key}_first_s"), r.get(f"first_analysis_{key}_s")),
       lambda v: f"{ms(v[0])} (first {ms(v[1])}; new process {ms(v[2])})")
      for key, (name, args) in measure.ANALYSIS_CALLS.items()),
]  # fmt: skip

CORE_FIRST = [f"first_{key}_s" for key in measure.CORE_CALLS]
ANALYSIS_FIRST = [f"{key}_first_s" for key in measure.ANALYSIS_CALLS]


def _first_target(r: dict[str, Any]) -> tuple[float, float] | None:
    if r["customers"] not in (10_000, 100_000) or CORE_FIRST[0] not in r:
        return None
    return max(r[k] for k in CORE_FIRST if k in r) * 1000, 50 if r["customers"] == 10_000 else 500


# (target, the number, its bound, met when the number is at least the bound)
TARGETS: list[tuple[str, Callable[[dict[str, Any]], Any], Any, bool]] = [
    ("slowest core tool's first answer in a new process (ms; <= 50 at 10,000, <= 500 at 100,000)",
     lambda r: None if (t := _first_target(r)) is None else t[0], lambda r: (_first_target(r) or (0, 0))[1], False),
    ("slowest analysis tool's first call <= 1 s at 10,000",
     lambda r: max(r.get(k, 0) for k in ANALYSIS_FIRST) if r["customers"] == 10_000 else None, 1.0, False),
    ("slowest analysis tool <= 100 ms warm (ms)", lambda r: max(r.get(f"{k}_s", 0) for k in measure.ANALYSIS_CALLS) * 1000, 100, False),
    ("daily check, a new process < 30 s at 100,000", lambda r: r.get("check_process_s"), 30, False),
    ("  its memory < 1 GB (MiB)", lambda r: r.get("check_process_peak_mib"), 1024, False),
    ("REST batch of 500 rows < 100 ms", lambda r: r.get("batch_500_s", 0) * 1000, 100, False),
    ("import rows/s (>= 150,000 SQLite, >= 100,000 PostgreSQL)", lambda r: r["import_rows_per_s"],
     lambda r: 150_000 if r["backend"] == "sqlite" else 100_000, True),
    ("cold start <= 1.2x bare", lambda r: r["cold_start_s"] / r["bare_cold_start_s"], 1.2, False),
    ("portfolio >= 10x faster than DuckDB", lambda r: r["duckdb_s"] / r["portfolio_all_s"] if r["duckdb_s"] else None, 10, True),
    ("portfolio and customer pages < 100 ms", lambda r: max(r["page_portfolio_s"], r["page_customer_s"]) * 1000, 100, False),
    ("log_activity < 10 ms", lambda r: r["log_activity_s"] * 1000, 10, False),
    ("recompute <= 1.5x GROUP BY", lambda r: r["recompute_s"] / r["group_by_s"], 1.5, False),
    ("default answer < 8 KB", lambda r: r["portfolio_default_bytes"], 8192, False),
]  # fmt: skip

# What the growth table follows from the smallest run to the largest (per backend).
GROWTH = [
    "import_rows_per_s", "recompute_s", "group_by_s", "duckdb_s", "naive_s", "portfolio_all_s", "first_portfolio_s",
    "customer_s", "log_activity_s", "batch_500_s", "check_process_s", "check_process_peak_mib", "cold_start_s",
]  # fmt: skip


def _column(r: dict[str, Any]) -> str:
    return f"{r['backend']}\n{r['customers']:,} / {r['activities']:,}"


def show(results: list[dict[str, Any]]) -> None:
    table = Table(title="Engagement benchmark (medians)")
    table.add_column("measure")
    for r in results:
        table.add_column(_column(r), justify="right")
    for label, value, shown in MEASURES:
        table.add_row(label, *(_cell(value, shown, r) for r in results))
    console.print(table)
    targets = Table(title="Targets")
    targets.add_column("target")
    for r in results:
        targets.add_column(_column(r), justify="right")
    for label, value, bound, higher in TARGETS:
        cells = []
        for r in results:
            got, limit = value(r), bound(r) if callable(bound) else bound
            ok = got is not None and (got >= limit if higher else got <= limit)
            cells.append("n/a" if got is None else f"{got:,.2f} {'met' if ok else 'MISSED'}")
        targets.add_row(label, *cells)
    console.print(targets)
    _growth(results)
    _cluster(results)


def _cell(value: Cell, shown: Callable[[Any], str], r: dict[str, Any]) -> str:
    got = value(r)
    return "n/a" if got is None else shown(got)


def _growth(results: list[dict[str, Any]]) -> None:
    by_backend: dict[str, list[dict[str, Any]]] = {}
    for r in sorted(results, key=lambda r: r["customers"]):
        by_backend.setdefault(r["backend"], []).append(r)
    if all(len(runs) < 2 for runs in by_backend.values()):
        return
    table = Table(title="How each cost grows (largest run / smallest run; customers grow by the first row)")
    table.add_column("measure")
    for backend in by_backend:
        table.add_column(backend, justify="right")
    table.add_row("customers", *(f"x{runs[-1]['customers'] / runs[0]['customers']:,.0f}" for runs in by_backend.values()))
    for key in GROWTH:
        cells = []
        for runs in by_backend.values():
            first, last = runs[0].get(key), runs[-1].get(key)
            cells.append("n/a" if not first or last is None else f"x{last / first:,.1f}")
        table.add_row(key, *cells)
    console.print(table)


def _cluster(results: list[dict[str, Any]]) -> None:
    for r in results:
        runs = [r[f"cluster_{n}"] for n in range(1, 5) if f"cluster_{n}" in r]
        if not runs:
            continue
        table = Table(title=f"{r['customers']:,} customers on {r['backend']}: servers behind one address (one taking "
                            f"the logs, {runs[0].get('readers', 8)} clients asking portfolio and detail)")  # fmt: skip
        for column in ("processes", "answers/s", "growth", "p50", "p95", "logs/s", "inexact answers"):
            table.add_column(column, justify="right")
        for run in runs:
            table.add_row(str(run["processes"]), f"{run['answers_per_s']:,.1f}", f"x{run['answers_per_s'] / runs[0]['answers_per_s']:,.2f}",
                          ms(run["p50_s"]), ms(run["p95_s"]), f"{run['logs_per_s']:,.1f}", str(run["inexact"]))  # fmt: skip
        console.print(table)


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
