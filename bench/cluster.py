"""Several `engagement serve` processes sharing one store behind one address: one takes a steady stream of
logged touchpoints, the others answer portfolio and detail questions from concurrent MCP clients.

The address is a small TCP relay started here: each client binds its own loopback address (127.0.0.x), and
the relay keeps every connection of one address on one server (an MCP session lives in one process).
Every answer is checked exact for a version it could have read: a written customer's score must be one
its successive writes produced while the request ran, every other customer's score the one before the run.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client


READERS = 8
LOGS_PER_SECOND = 10
WRITTEN = 20  # customers the writer logs to (a CSM's first ones)


@dataclass
class Relay:
    """Connections from each client address to one server port, the writer's to the first."""

    ports: list[int]
    readers_on: list[int]  # the servers' ports readers are spread over
    assigned: dict[str, int] = field(default_factory=dict)
    next_reader: Iterator[int] = field(init=False)
    open: set[asyncio.Task[Any]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.next_reader = itertools.cycle(self.readers_on)

    def port_for(self, address: str) -> int:
        if address not in self.assigned:
            self.assigned[address] = self.ports[0] if address == writer_address() else next(self.next_reader)
        return self.assigned[address]

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.open.add(task)
        port = self.port_for(writer.get_extra_info("peername")[0])
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            writer.close()
            return

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                sink.close()

        try:
            await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))
        except asyncio.CancelledError:
            pass
        finally:
            self.open.discard(task)

    async def close(self, server: asyncio.Server) -> None:
        server.close()
        for task in list(self.open):
            task.cancel()
        await asyncio.gather(*self.open, return_exceptions=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def writer_address() -> str:
    return "127.0.0.2"


def reader_address(n: int) -> str:
    return f"127.0.0.{10 + n}"


@contextmanager
def servers(env: dict[str, str], count: int) -> Iterator[list[int]]:
    """`count` `engagement serve` processes on the store `env` names, each on a free port, once listening."""
    with ExitStack() as stack:
        ports = []
        for _ in range(count):
            port = free_port()
            process = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--port", str(port)], env=env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
            stack.callback(process.wait)
            stack.callback(process.terminate)
            ports.append(port)
        for port in ports:
            wait_listening(port)
        yield ports


def client(url: str, address: str) -> Client:
    http = httpx2.AsyncClient(transport=httpx2.AsyncHTTPTransport(local_address=address), timeout=60)
    return Client(streamable_http_client(url, http_client=http))


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    answers: list[tuple[float, float, str, Any]] = field(default_factory=list)  # start, end, tool, structured
    writes: dict[str, list[tuple[float, float, float]]] = field(default_factory=dict)  # customer: (sent, got, score)


async def load(
    routes: Relay, port: int, seconds: float, written: list[str], detail: list[str], csm: str, as_of: str
) -> Run:
    """The writer and READERS readers for `seconds`, through the relay on `port` (in this event loop)."""
    run = Run()
    relay = await asyncio.start_server(routes.handle, "127.0.0.1", port)
    url = f"http://127.0.0.1:{port}/mcp"
    stop = time.perf_counter() + seconds

    async def write() -> None:
        async with client(url, writer_address()) as session:
            for n in itertools.count():
                due = time.perf_counter() + 1 / LOGS_PER_SECOND
                if due > stop:
                    return
                customer = written[n % len(written)]
                arguments = {"customer": customer, "type": "call", "direction": "outbound", "date": as_of,
                             "external_id": f"cluster-{time.time_ns()}-{n}"}  # fmt: skip
                sent = time.perf_counter()
                answer = await session.call_tool("log_activity", arguments)
                got = time.perf_counter()
                score = answer.structured_content["score"]["engagement_score"]
                run.writes.setdefault(customer, []).append((sent, got, score))
                await anyio.sleep(max(0.0, due - time.perf_counter()))

    async def read(n: int) -> None:
        pick = random.Random(n)
        async with client(url, reader_address(n)) as session:
            while time.perf_counter() < stop:
                if pick.random() < 0.5:
                    tool, arguments = "get_portfolio_engagement", {"csm_id": csm}  # a page: the lowest 20
                else:
                    tool, arguments = "get_customer_engagement", {"customer": pick.choice(detail)}
                start = time.perf_counter()
                answer = await session.call_tool(tool, arguments)
                end = time.perf_counter()
                assert not answer.is_error, answer.content
                run.latencies.append(end - start)
                run.answers.append((start, end, tool, answer.structured_content))

    async with anyio.create_task_group() as group:
        group.start_soon(write)
        for n in range(READERS):
            group.start_soon(read, n)
    await routes.close(relay)
    return run


def possible(writes: list[tuple[float, float, float]], before: float, start: float, end: float) -> set[float]:
    """The scores a customer could show to a request that ran from `start` to `end`: the one before the run
    or each write's, from when it was sent (it may commit at once) to when the next one was answered."""
    states = [(float("-inf"), before), *((sent, score) for sent, _, score in writes)]
    ends = [got for _, got, _ in writes] + [float("inf")]  # state k is gone once write k+1 is answered
    return {score for (visible, score), gone in zip(states, ends) if visible <= end and gone >= start}


def inexact(run: Run, baseline: dict[str, float]) -> int:
    """Answers holding a score no version during their request had."""
    wrong = 0
    for start, end, tool, answer in run.answers:
        rows = answer["customers"] if tool == "get_portfolio_engagement" else [answer]
        for row in rows:
            customer = row["customer_id"]
            score = row["engagement_score"] if tool == "get_portfolio_engagement" else row["score"]["engagement_score"]
            writes = run.writes.get(customer, [])
            if score not in possible(writes, baseline[customer], start, end):
                wrong += 1
                break
    return wrong


def cluster_timings(env: dict[str, str], csm_customers: list[str], baseline: dict[str, float], csm: str,
                    as_of: str, seconds: float = 20.0) -> dict[str, Any]:  # fmt: skip
    """For 1 to 4 processes: reader answers per second, their p50 and p95, and the inexact answers."""
    results: dict[str, Any] = {}
    lowest = sorted(csm_customers, key=lambda c: (baseline[c], c))  # a page of the portfolio shows them
    written, detail = lowest[:WRITTEN], lowest[: 4 * WRITTEN]
    for count in range(1, 5):
        port = free_port()  # the one address: the servers take requests for it (their host check)
        with servers(env | {"ENGAGEMENT_PUBLIC_URL": f"http://127.0.0.1:{port}"}, count) as ports:
            routes = Relay(ports, ports[1:] or ports)  # one process: it takes the writes too
            run = anyio.run(load, routes, port, seconds, written, detail, csm, as_of)
        ordered = sorted(run.latencies)
        results[f"cluster_{count}"] = {
            "processes": count,
            "answers_per_s": len(run.latencies) / seconds,
            "p50_s": statistics.median(ordered),
            "p95_s": ordered[int(0.95 * (len(ordered) - 1))],
            "logs_per_s": sum(len(w) for w in run.writes.values()) / seconds,
            "readers": READERS,
            "inexact": inexact(run, baseline),
        }
        baseline = {**baseline, **{c: w[-1][2] for c, w in run.writes.items()}}  # the next run starts from these
    return results
