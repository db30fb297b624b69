"""The measurements: each returns seconds (medians of repetitions) or sizes, never asserts a target."""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import numpy as np
from mcp import Client, StdioServerParameters
from sqlalchemy import text

from engagement import snapshots, store
from engagement.db import read_scope
from engagement.metrics import score_table
from engagement.periods import Period
from engagement.scorer import Scorer
from engagement.scope import EVERYONE, one_customer
from engagement.core import Core

ROOT = Path(__file__).resolve().parents[1]
# The analysis tools, each warm (median) and its first call: key -> (tool, arguments).
ANALYSIS_CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "segments": ("compare_segments", {"csm_id": "all"}),
    "csms": ("compare_csms", {"manager_id": "all"}),
    "outliers": ("find_engagement_outliers", {"csm_id": "all"}),
    "correlation_health": ("get_engagement_correlation", {"outcome": "health", "csm_id": "all"}),
    "correlation_renewal": ("get_engagement_correlation", {"outcome": "renewal", "csm_id": "all"}),
    "benchmark": ("benchmark_customer", {"customer": "<customer>"}),
    "recommend_customer": ("get_engagement_recommendations", {"customer": "<customer>"}),
    "recommend_csm": ("get_engagement_recommendations", {"csm_id": "<csm>"}),
    # After the daily checks of check_timings: a week of history and the alerts they raised.
    "alerts": ("list_alerts", {"csm_id": "all"}),
    "score_history": ("get_score_history", {"customer": "<customer>"}),
}
CHECK_DAYS = 8  # a week and a day: the last check compares with the one 7 days before
BARE_SERVER = ROOT / "bench" / "bare_server.py"


def median_time(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def full_recompute(core: Core, period: Period, repeat: int) -> tuple[float, float]:
    """The daily recompute of every customer for the period (no cache): median seconds, peak MiB. A new
    scorer each time: the core's keeps what it read at the store's version (its memory, not a recompute)."""

    def run() -> None:
        with read_scope(core.engine) as session:
            Scorer(core.engine, core.scoring).score(session, EVERYONE, period)

    seconds = median_time(run, repeat)
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return seconds, peak


def plain_group_by(core: Core, period: Period, repeat: int) -> float:
    """The store's own SQL: per-customer counts by type and direction, and minutes, for the quarter."""
    sql = text(
        "SELECT customer_id, type, direction, count(*), sum(duration_minutes) FROM activity "
        "WHERE date >= :start AND date < :end GROUP BY customer_id, type, direction"
    )
    params = {"start": period.start_dt(), "end": period.end_exclusive_dt()}

    def run() -> None:
        with core.engine.connect() as connection:
            connection.execute(sql, params).all()

    return median_time(run, repeat)


def duckdb_aggregate(core: Core, period: Period, repeat: int) -> float | None:
    """DuckDB's in-memory aggregate of the same quarter (the same shape as the plain GROUP BY)."""
    try:
        import duckdb
        import pandas as pd
    except ImportError:
        return None
    with core.engine.connect() as connection:
        frame = pd.read_sql(
            text("SELECT customer_id, type, direction, date, duration_minutes FROM activity"), connection
        )
    frame["date"] = pd.to_datetime(frame["date"])  # SQLite hands back text
    database = duckdb.connect(":memory:")
    database.register("source", frame)
    database.execute("CREATE TABLE activity AS SELECT * FROM source")
    sql = (
        "SELECT customer_id, type, direction, count(*), sum(duration_minutes) FROM activity "
        "WHERE date >= ? AND date < ? GROUP BY customer_id, type, direction"
    )
    params = [period.start_dt(), period.end_exclusive_dt()]
    return median_time(lambda: database.execute(sql, params).fetchall(), repeat)


def naive_engine(core: Core, period: Period, sample: int) -> tuple[float, int]:
    """One query and one score per customer, timed on a sample and scaled to the whole portfolio."""
    with read_scope(core.engine) as session:
        ids = store.customer_columns(session, EVERYONE)["customer_id"]
    chosen = ids[:sample]
    start = time.perf_counter()
    with read_scope(core.engine) as session:
        for customer_id in chosen:
            scope = one_customer(customer_id, customer_id)
            inputs = store.period_inputs(session, scope, {customer_id: 0}, period)
            score_table(np.array([customer_id], dtype=object), inputs, period, core.scoring.weights)
    per_customer = (time.perf_counter() - start) / max(1, len(chosen))
    return per_customer * len(ids), len(chosen)


async def tool_timings(server: Any, csm: str, customer: str, repeat: int, as_of: dt.date) -> dict[str, Any]:
    """In-process tool calls through the MCP client: portfolio (all, one CSM), detail, log + freshness."""
    results: dict[str, Any] = {}
    async with Client(server) as client:

        async def timed(name: str, arguments: dict[str, Any]) -> tuple[float, Any]:
            times, answer = [], None
            for _ in range(repeat):
                start = time.perf_counter()
                answer = await client.call_tool(name, arguments)
                times.append(time.perf_counter() - start)
                assert not answer.is_error, answer.content
            return statistics.median(times), answer

        first = time.perf_counter()
        cold = await client.call_tool("get_portfolio_engagement", {"csm_id": "all"})
        results["portfolio_first_s"] = time.perf_counter() - first
        results["portfolio_all_s"], answer = await timed("get_portfolio_engagement", {"csm_id": "all"})
        results["portfolio_default_bytes"] = len(json.dumps(answer.structured_content))
        results["portfolio_csm_s"], _ = await timed("get_portfolio_engagement", {"csm_id": csm})
        results["customer_s"], _ = await timed("get_customer_engagement", {"customer": customer})
        for key, (name, arguments) in ANALYSIS_CALLS.items():
            filled = {k: customer if v == "<customer>" else csm if v == "<csm>" else v for k, v in arguments.items()}
            start = time.perf_counter()
            await client.call_tool(name, filled)  # the first call may score periods not cached yet
            results[f"{key}_first_s"] = time.perf_counter() - start
            results[f"{key}_s"], answer = await timed(name, filled)
            results[f"{key}_bytes"] = len(json.dumps(answer.structured_content))
        # Scores the analysis calls computed are saved beside their answers; on SQLite a save holds the write
        # lock for a moment. Rare in use (after a whole period is scored), it is not what a log costs.
        snapshots.wait_saved()
        log_times, fresh_times, fresh_ok = [], [], True
        for n in range(repeat):
            arguments = {"customer": customer, "type": "call", "direction": "outbound",
                         "date": as_of.isoformat(), "external_id": f"bench-log-{time.time_ns()}-{n}"}
            start = time.perf_counter()
            logged = await client.call_tool("log_activity", arguments)
            log_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            after = await client.call_tool("get_portfolio_engagement", {"csm_id": "all", "limit": 500})
            fresh_times.append(time.perf_counter() - start)
            rows = {r["customer_id"]: r for r in after.structured_content["customers"]}
            row = rows.get(logged.structured_content["activity"]["customer_id"])
            fresh_ok &= row is None or row["engagement_score"] == logged.structured_content["score"]["engagement_score"]
        results["log_activity_s"] = statistics.median(log_times)
        listed = await client.call_tool("list_alerts", {"csm_id": "all", "status": "open", "limit": repeat})
        ack_times = []
        for alert in listed.structured_content["alerts"]:
            start = time.perf_counter()
            acknowledged = await client.call_tool("acknowledge_alert", {"alert_id": alert["alert_id"]})
            ack_times.append(time.perf_counter() - start)
            assert not acknowledged.is_error, acknowledged.content
        results["acknowledge_alert_s"] = statistics.median(ack_times) if ack_times else None
        results["portfolio_after_log_s"] = statistics.median(fresh_times)
        results["fresh_after_log"] = fresh_ok
        del cold
    return results


def check_timings(core: Core, as_of: dt.date) -> dict[str, Any]:
    """The daily check on CHECK_DAYS days up to `as_of` (each a new day: its periods scored cold, every
    customer recorded), then `as_of` again (nothing new to record or raise)."""
    from engagement.alerts.check import run_check
    from engagement.caller import Caller

    days = [as_of - dt.timedelta(days=back) for back in range(CHECK_DAYS - 1, -1, -1)]
    times, reports = [], []
    for day in days:
        start = time.perf_counter()
        reports.append(run_check(core, Caller(as_of=day)))
        times.append(time.perf_counter() - start)
    start = time.perf_counter()
    again = run_check(core, Caller(as_of=as_of))
    rerun = time.perf_counter() - start
    assert again.recorded == 0 and not any(again.raised.values())
    return {
        "check_first_s": times[0],  # empty history and no alerts yet
        "check_day_s": statistics.median(times[1:]),
        "check_rerun_s": rerun,
        "check_raised": sum(sum(r.raised.values()) for r in reports),
        "check_open_alerts": reports[-1].open_alerts,
    }


async def stdio_timings(env: dict[str, str], customer: str, repeat: int) -> dict[str, float]:
    """Over stdio as Claude runs it: spawn to first tool answer, then detail and log medians."""
    params = StdioServerParameters(command=sys.executable, args=[str(ROOT / "server.py")], env=env, cwd=ROOT)
    start = time.perf_counter()
    async with Client(params) as client:
        await client.call_tool("get_customer_engagement", {"customer": customer})
        spawn_to_answer = time.perf_counter() - start
        times = []
        for _ in range(repeat):
            begin = time.perf_counter()
            await client.call_tool("get_customer_engagement", {"customer": customer})
            times.append(time.perf_counter() - begin)
    return {"stdio_first_answer_s": spawn_to_answer, "stdio_customer_s": statistics.median(times)}


async def bare_cold_start() -> float:
    params = StdioServerParameters(command=sys.executable, args=[str(BARE_SERVER)], cwd=ROOT)
    start = time.perf_counter()
    async with Client(params) as client:
        await client.call_tool("ping", {})
        return time.perf_counter() - start


def cold_starts(env: dict[str, str], customer: str, repeat: int) -> dict[str, float]:
    ours = [anyio.run(stdio_timings, env, customer, 1)["stdio_first_answer_s"] for _ in range(repeat)]
    bare = [anyio.run(bare_cold_start) for _ in range(repeat)]
    return {"cold_start_s": statistics.median(ours), "bare_cold_start_s": statistics.median(bare)}


def import_seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - start


def page_timings(app: Any, paths: dict[str, str], repeat: int) -> dict[str, float]:
    """The dashboard's pages, each one whole request through the team server's ASGI app (warm: after one
    untimed load). The benchmark's store has no users, so the app serves it open, as on a laptop."""
    from starlette.testclient import TestClient

    results: dict[str, float] = {}
    with TestClient(app, base_url="http://127.0.0.1:8000", follow_redirects=False) as client:
        for name, path in paths.items():

            def load(path: str = path) -> None:
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)

            load()
            results[f"page_{name}_s"] = median_time(load, repeat)
    return results


# The nine core tools, then the analysis tools: the first answer of each in a new process (bench.first).
CORE_CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "portfolio": ("get_portfolio_engagement", {"csm_id": "all"}),
    "customer": ("get_customer_engagement", {"customer": "<customer>"}),
    "trends": ("get_engagement_trends", {"customer": "<customer>"}),
    "uncontacted": ("find_uncontacted_customers", {"csm_id": "all"}),
    "low": ("find_low_engagement_customers", {"csm_id": "all"}),
    "search": ("search_customers", {"query": "Customer 00001"}),
    "log": ("log_activity", {"customer": "<customer>", "type": "call", "direction": "outbound"}),
    "sync": ("sync_google_workspace", {}),
    "sync_status": ("get_sync_status", {}),
}


def filled(arguments: dict[str, Any], customer: str, csm: str) -> dict[str, Any]:
    return {k: customer if v == "<customer>" else csm if v == "<csm>" else v for k, v in arguments.items()}


def first_answers(env: dict[str, str], customer: str, csm: str) -> dict[str, Any]:
    """Each core and analysis tool's first answer in a new process, the store's snapshots saved before
    (by the runs above): seconds, and whether it answered with a tool error (a sync without Google set up)."""
    results: dict[str, Any] = {}
    calls = {**CORE_CALLS, **{f"analysis_{key}": call for key, call in ANALYSIS_CALLS.items()}}
    for key, (name, arguments) in calls.items():
        out = subprocess.run([sys.executable, "-m", "bench.first", name, json.dumps(filled(arguments, customer, csm))],
                             cwd=ROOT, env=env, capture_output=True, text=True, check=True)  # fmt: skip
        answer = json.loads(out.stdout.strip().splitlines()[-1])
        results[f"first_{key}_s"] = answer["first_s"]
        results[f"first_{key}_error"] = answer["error"]
    return results


def check_processes(env: dict[str, str], as_of: dt.date) -> dict[str, Any]:
    """`engagement check` as cron runs it, a new process on a new day (the day after the as-of date: its
    periods scored afresh, every customer recorded), then the same day again; wall time and the process's
    own peak memory (bench.check_process)."""
    results: dict[str, Any] = {}
    day = as_of + dt.timedelta(days=1)
    for key in ("check_process", "check_process_again"):
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "bench.check_process"], cwd=ROOT, capture_output=True, text=True,
                             env=env | {"ENGAGEMENT_AS_OF": day.isoformat()}, check=True)  # fmt: skip
        results[f"{key}_s"] = time.perf_counter() - start
        results[f"{key}_peak_mib"] = json.loads(out.stdout.strip().splitlines()[-1])["peak_mib"]
    return results


def batch_timings(app: Any, customers: list[str], as_of: dt.date, repeat: int) -> dict[str, float]:
    """POST /api/activities with 500 rows for as many customers (the REST batch's largest), whole request."""
    from starlette.testclient import TestClient

    times = []
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        for n in range(repeat):
            rows = [{"customer": customer, "type": "email", "direction": "outbound", "date": as_of.isoformat(),
                     "external_id": f"bench-batch-{n}-{i}"} for i, customer in enumerate(customers[:500])]  # fmt: skip
            start = time.perf_counter()
            response = client.post("/api/activities", json=rows)
            times.append(time.perf_counter() - start)
            assert response.status_code in (200, 201), response.text[:500]
    return {"batch_500_s": statistics.median(times)}
