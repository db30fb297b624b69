"""Persisted period scores: what a process scored, kept in the store for every other process to start from.

A snapshot holds a period's inputs as scored at one store version: the customers' columns, the period's
sums, people and last contacts, and the previous period's (for the trend). Scores are not stored: the
loading process scores the inputs with its own weights and code (engagement.scorer), so a snapshot can
never carry a stale formula, and it catches up with the changes logged since its version by rescoring
only those customers. Saving is best effort and never waits for a lock: a store busy with a long write
keeps the older snapshot, which stays exact through the change log.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from engagement import rollup
from engagement.db import SQLITE_BUSY_TIMEOUT_MS
from engagement.freshness import ScoreChange, ScoreSnapshot
from engagement.metrics import COUNT_COLUMNS, SUM_COLUMNS, PeriodInputs, ScoredTable
from engagement.models import utcnow
from engagement.periods import Period, previous_period

log = logging.getLogger(__name__)

FORMAT = 2  # of the bytes below: in the key, with the rollup definition's digest, so a change starts afresh
NAMED = ("customer_id", "name")  # texts as themselves (NUL-separated); the others by codes into their values
CODED = ("segment", "csm_id", "status")
# What a read may write: the scores it computed, saved, and the change log pruned behind them.
WRITTEN_BY_READS = ("score_snapshot", "score_change")
KEEP_FOR = dt.timedelta(days=1)  # a snapshot not saved again for this long is dropped (and the log behind it)
ALIGN = 8


def key(period: Period) -> str:
    """The days a period's scores read (its own and its previous period's), and what made their sums."""
    before = previous_period(period)
    return f"{FORMAT}:{rollup.DIGEST}:{period.start}:{period.end}:{before.start}:{before.end}"


@dataclass(frozen=True)
class Snapshot:
    version: int
    written_at: dt.datetime
    customers: dict[str, np.ndarray]  # store.CUSTOMER_COLUMNS
    current: PeriodInputs
    previous: PeriodInputs


def encode(table: ScoredTable) -> bytes | None:
    """A scored portfolio's inputs as bytes: a JSON header naming each array's type, shape and place, then
    the arrays' raw bytes (read back without copying or unpickling). None if a text holds a NUL."""
    assert table.previous is not None
    arrays: dict[str, np.ndarray] = {}
    values: dict[str, list[Any]] = {}
    for name in NAMED:
        joined = "\0".join(str(v) for v in (table.ids if name == "customer_id" else table[name]).tolist())
        if joined.count("\0") != max(len(table) - 1, 0):
            return None
        arrays[name] = np.frombuffer(joined.encode(), dtype=np.uint8)
    for name in CODED:
        arrays[name], values[name] = _coded(table[name])
    health = table["health_score"]
    arrays["health_score"] = np.array([np.nan if v is None else v for v in health.tolist()], dtype=float)
    arrays["renewal_date"] = np.array(table["renewal_date"].tolist(), dtype="datetime64[D]")
    for prefix, part in (("current", table), ("previous", table.previous)):
        arrays[f"{prefix}.counts"] = _small(np.stack([part[name] for name in COUNT_COLUMNS], axis=1))
        arrays[f"{prefix}.totals"] = np.stack([part[name] for name in SUM_COLUMNS], axis=1).astype(float)
        arrays[f"{prefix}.people"] = _small(part["stakeholders_engaged"])
        arrays[f"{prefix}.last_date"] = part["last_contact_date"].astype("datetime64[us]")
        arrays[f"{prefix}.last_type"], values[f"{prefix}.last_type"] = _coded(part["last_contact_type"])
    header: dict[str, Any] = {"format": FORMAT, "count": len(table), "values": values, "arrays": {}}
    offset, chunks = 0, []
    for name, array in arrays.items():
        data = np.ascontiguousarray(array).tobytes()
        header["arrays"][name] = [array.dtype.str, list(array.shape), offset]
        chunks.append(data + bytes(-len(data) % ALIGN))
        offset += len(chunks[-1])
    head = json.dumps(header).encode()
    head += b" " * (-(len(head) + 8) % ALIGN)
    return len(head).to_bytes(8, "little") + head + b"".join(chunks)


def decode(version: int, written_at: dt.datetime, data: bytes) -> Snapshot:
    size = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + size])
    start = 8 + size

    def array(name: str) -> np.ndarray:
        kind, shape, offset = header["arrays"][name]
        dtype = np.dtype(kind)
        return np.frombuffer(data, dtype=dtype, count=int(np.prod(shape)), offset=start + offset).reshape(shape)

    count = header["count"]
    customers = {
        name: _objects(array(name).tobytes().decode().split("\0") if count else []) for name in NAMED
    }
    customers |= {name: _uncoded(array(name), header["values"][name]) for name in CODED}
    health = array("health_score").astype(object)
    health[np.isnan(array("health_score"))] = None
    customers["health_score"] = health
    customers["renewal_date"] = _objects(array("renewal_date").tolist())  # NaT -> None
    parts = []
    for prefix in ("current", "previous"):
        sums = np.concatenate([array(f"{prefix}.counts").astype(float), array(f"{prefix}.totals")], axis=1)
        last_type = _uncoded(array(f"{prefix}.last_type"), header["values"][f"{prefix}.last_type"])
        parts.append(PeriodInputs(sums, array(f"{prefix}.people").astype(float), array(f"{prefix}.last_date"), last_type))
    return Snapshot(version, written_at, customers, parts[0], parts[1])


def _small(counts: np.ndarray) -> np.ndarray:
    """Counts (never negative) in the narrowest integers that hold them: most fit 16 bits."""
    return counts.astype(np.min_scalar_type(int(counts.max(initial=0))))


def _coded(column: np.ndarray) -> tuple[np.ndarray, list[Any]]:
    """A column of few distinct values (texts or None) as codes into the list of them."""
    found: dict[Any, int] = {}
    codes = np.fromiter((found.setdefault(v, len(found)) for v in column.tolist()), dtype=np.int64, count=len(column))
    return _small(codes), list(found)


def _uncoded(codes: np.ndarray, values: list[Any]) -> np.ndarray:
    return _objects(values)[codes] if len(codes) else _objects([])


def _objects(values: list[Any]) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def load(session: Session, period: Period) -> Snapshot | None:
    """The period's snapshot, read in the caller's snapshot of the store (so its version is at most theirs)."""
    t = ScoreSnapshot.__table__.c  # type: ignore[attr-defined]
    row = session.connection().execute(select(t.version, t.written_at, t.data).where(t.key == key(period))).first()
    if row is None:
        return None
    version, written_at, data = row
    try:
        return decode(int(version), written_at, bytes(data))
    except (ValueError, KeyError, TypeError) as exc:  # not what this code writes: score afresh, never fail the answer
        log.warning("score snapshot %s unreadable (%s): scoring the period afresh", key(period), exc)
        return None


def save(engine: Engine, period: Period, version: int, table: ScoredTable) -> bool:
    """Keep `table` (the period scored at `version`) unless a newer snapshot is there; False when it was not
    saved (the store busy with another write, or a text it cannot hold). Then drops the snapshots older
    than KEEP_FOR and the change log no snapshot needs any more."""
    data = encode(table)
    if data is None:
        return False
    now = utcnow()
    values = {"key": key(period), "version": version, "written_at": now, "data": data}

    def upsert(connection: Connection) -> None:
        if engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        table = ScoreSnapshot.__table__  # type: ignore[attr-defined]
        statement = insert(table).values(values)
        newer = {name: statement.excluded[name] for name in ("version", "written_at", "data")}
        connection.execute(statement.on_conflict_do_update(
            index_elements=["key"], set_=newer, where=table.c.version < statement.excluded.version
        ))  # fmt: skip

    if not _without_waiting(engine, upsert):
        return False
    _without_waiting(engine, lambda c: _prune(c, now))
    return True


_saving: list[threading.Thread] = []
_saving_lock = threading.Lock()
_one_at_a_time = threading.Lock()


def save_later(engine: Engine, period: Period, version: int, table: ScoredTable) -> None:
    """`save` in a thread of its own, so the answer that scored the table need not wait for it (Python
    waits for the thread before it exits)."""
    thread = threading.Thread(target=_save_logged, args=(engine, period, version, table), name="save-scores")
    with _saving_lock:
        _saving[:] = [t for t in _saving if t.is_alive()] + [thread]
    thread.start()


def _save_logged(engine: Engine, period: Period, version: int, table: ScoredTable) -> None:
    try:
        with _one_at_a_time:  # this process's saves queue; only another process's writes make one give up
            save(engine, period, version, table)
    except Exception:  # a cache: a failure to save is logged, and the next process scores the period itself
        log.exception("score snapshot of %s not saved", period.label)


def wait_saved() -> None:
    """Until the snapshots being saved are saved (or given up)."""
    with _saving_lock:
        saving = list(_saving)
    for thread in saving:
        thread.join()


def touch(engine: Engine, period: Period, old: int, version: int) -> None:
    """The snapshot read at `old` is exact at `version` too (no change since touched its days): say so."""
    t = ScoreSnapshot.__table__  # type: ignore[attr-defined]
    statement = update(t).where(t.c.key == key(period), t.c.version == old).values(version=version, written_at=utcnow())
    _without_waiting(engine, lambda c: c.execute(statement))


def _prune(connection: Connection, now: dt.datetime) -> None:
    snapshot, change = ScoreSnapshot.__table__, ScoreChange.__table__  # type: ignore[attr-defined]
    connection.execute(delete(snapshot).where(snapshot.c.written_at < now - KEEP_FOR))
    floor = connection.execute(select(func.min(snapshot.c.version))).scalar_one()
    if floor is not None and connection.execute(select(change.c.id).where(change.c.version <= floor).limit(1)).first():
        connection.execute(delete(change).where(change.c.version <= floor))
        connection.execute(
            text("UPDATE store_version SET changes_from = :floor WHERE id = 1 AND changes_from < :floor"), {"floor": floor}
        )


def _without_waiting(engine: Engine, work: Any) -> bool:
    """Run `work` in a transaction of its own that gives up at once (SQLite) or within 100 ms (PostgreSQL)
    when another writer holds what it needs. False when it gave up."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        driver = connection.connection.driver_connection  # a PRAGMA through SQLAlchemy would begin a transaction
        try:
            if sqlite:
                driver.execute("PRAGMA busy_timeout = 0")
            with connection.begin():
                if not sqlite:
                    connection.exec_driver_sql("SET LOCAL lock_timeout = '100ms'")
                work(connection)
            return True
        except OperationalError as exc:  # busy or locked: the next reader saves instead
            log.info("score snapshot not saved: %s", exc.orig)
            return False
        finally:
            if sqlite:
                driver.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
