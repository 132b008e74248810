"""The nationwide benchmark on SQLite and PostgreSQL, each figure beside the raw driver.

    python bench/bench_nation.py --backend sqlite,postgresql

The tree is bench/nation.py's (302,000 units that get a cycle at scale 1). Per backend,
two fresh databases get the schema (`create_schema`) and the tree (`import_units`),
untimed. The engine works on one; the raw driver (stdlib `sqlite3`, or psycopg 3 with
its `executemany`, which pipelines) writes the same rows to the other. Steps:

1. open the year's cycles for every unit (engine in a child process, for its peak RSS);
2. fire `--events` events, one transaction each;
3. board and overdue for one province and for the nation (same database, raw SQL of
   the same aggregates through the raw driver);
4. verify the audit trail (`adapters.audit_verify.verify_database`) vs reading its rows;
5. tick: fire `--timers` due timers with 1, 2 and 4 worker processes
   (`SqlStore.fire_due_timers` as the worker calls it) vs claiming and marking the
   same rows with plain SQL (`FOR UPDATE SKIP LOCKED` on PostgreSQL);
6. peak RSS of a child opening the cycles at smaller sizes (the largest is step 1's).

A benchmark, not a test: it asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg
from bench_core import (
    BATCH,
    EVENT,
    FIRED_AT,
    FIRED_AT_DB,
    INSERT_CYCLE,
    INSERT_DEADLINE,
    INSERT_TIMER,
    INSERT_TRANSITION,
    OPENED_AT,
    PAYLOAD,
    SOME_HASH,
    UPDATE_CYCLE_MINIMAL,
    YEAR,
    PerCall,
    _maxrss_kib,
    _status_kib,
    audit_values,
    machine_info,
    timer_rows,
)
from nation import nation_tree

from adapters.audit_verify import check_storage, verify_database
from adapters.catalog import load_catalog
from adapters.holidays_vn import calendar_for
from adapters.persistence.audit import REGISTER_QUERIES
from adapters.persistence.board_sql import LATE_PER_KEY
from adapters.persistence.db import create_schema, make_engine
from adapters.persistence.dialect import PostgresDialect
from adapters.persistence.rows import subtree
from adapters.persistence.store import SqlStore
from workflow.audit_hashing import cycle_genesis, link
from workflow.clock import VirtualClock
from workflow.deadlines import resolve_deadlines
from workflow.notices import address_notices
from workflow.service.cycles import CycleService
from workflow.service.ticks import Ladders
from workflow.spec.registry import Definition
from workflow.timefmt import to_db

ACTOR, ROLE = "bithu", "unit_secretary"
BOARD_AT = datetime(2025, 7, 1, 2, 0, tzinfo=UTC)  # some deadlines past, most cycles open
TICK_AT = datetime(2026, 12, 31, 0, 0, tzinfo=UTC)  # every timer of the year due
TICK_BATCH = 1000
PROVINCE = "P07"
TARGETS = {
    "open": 2.0,
    "fire": 3.0,
    "board_province_ms": 50.0,
    "board_nation_ms": 1000.0,
    "peak_rss_mb": 500.0,
}


# -- backends -------------------------------------------------------------------------------
class Backend:
    """Where the engine's and the raw driver's databases live, and how to reach them."""

    name: str

    def url(self, db: str) -> str: ...
    def fresh(self, db: str) -> str: ...
    def raw(self, db: str) -> Any: ...  # a connection in autocommit mode
    def cursor(self, conn: Any) -> Any: ...

    begin = "BEGIN"
    durability = ""

    def drop(self, db: str) -> None: ...


class Sqlite(Backend):
    name = "sqlite"
    begin = "BEGIN IMMEDIATE"
    durability = "SQLite WAL, synchronous=NORMAL (no fsync per commit, only at checkpoints)"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def url(self, db: str) -> str:
        return f"sqlite:///{self.folder / (db + '.db')}"

    def fresh(self, db: str) -> str:
        self.drop(db)
        return self.url(db)

    def drop(self, db: str) -> None:
        for suffix in (".db", ".db-wal", ".db-shm"):
            (self.folder / (db + suffix)).unlink(missing_ok=True)

    def raw(self, db: str) -> Any:
        conn = sqlite3.connect(self.folder / (db + ".db"), isolation_level=None, timeout=60)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=60000")
        return conn

    def cursor(self, conn: Any) -> Any:
        return conn.cursor()


class Postgres(Backend):
    name = "postgresql"

    def __init__(self, server: str) -> None:
        self.server = server.rstrip("/")
        with closing(psycopg.connect(self.url("postgres"), autocommit=True)) as conn:
            settings = {
                k: conn.execute(f"SHOW {k}").fetchone()[0]  # type: ignore[index]
                for k in (
                    "server_version",
                    "fsync",
                    "synchronous_commit",
                    "shared_buffers",
                    "max_wal_size",
                    "wal_level",
                )
            }
        self.settings = settings
        self.durability = (
            f"PostgreSQL {settings['server_version']}, fsync={settings['fsync']}, "
            f"synchronous_commit={settings['synchronous_commit']}, shared_buffers="
            f"{settings['shared_buffers']}, max_wal_size={settings['max_wal_size']}"
        )

    def url(self, db: str) -> str:  # never the test database: bontot_bench_* of our own
        return f"{self.server}/{db if db == 'postgres' else 'bontot_' + db}"

    def fresh(self, db: str) -> str:
        self.drop(db)
        with closing(psycopg.connect(self.url("postgres"), autocommit=True)) as conn:
            conn.execute(f"CREATE DATABASE bontot_{db}")
        return self.url(db)

    def drop(self, db: str) -> None:
        with closing(psycopg.connect(self.url("postgres"), autocommit=True)) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS bontot_{db} WITH (FORCE)")

    def raw(self, db: str) -> Any:
        conn = psycopg.connect(self.url(db), autocommit=True)
        conn.execute("SET jit = off")  # as bontot's own connections (db.pg_session)
        return conn

    def cursor(self, conn: Any) -> Any:
        return _PgCursor(conn.cursor())


class _PgCursor:
    """The raw baselines' psycopg cursor, taking SQLite-style statements (translated
    once per text by the dialect, as the store's own connection does)."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor
        self._dialect = PostgresDialect()

    def execute(self, sql: str, params: Any = ()) -> Any:
        if not params:
            return self._cursor.execute(sql)
        return self._cursor.execute(self._dialect.prepare(sql), params)

    def executemany(self, sql: str, params_seq: Any) -> Any:
        return self._cursor.executemany(self._dialect.prepare(sql), params_seq)

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchall(self) -> Any:
        return self._cursor.fetchall()

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount)


def make_backend(name: str, folder: Path, server: str) -> Backend:
    return Sqlite(folder) if name == "sqlite" else Postgres(server)


def prepare(url: str, scale: float) -> None:
    engine = make_engine(url)
    create_schema(engine)
    store = SqlStore(engine)
    store.import_units(nation_tree(scale))
    store.close()
    engine.dispose()


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def child(*arguments: str) -> dict[str, Any]:
    command = [sys.executable, __file__, *arguments]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


# -- 1. open ------------------------------------------------------------------------------------
def open_child(url: str) -> None:
    definition = load_catalog().latest("bon-tot")
    store = SqlStore(make_engine(url))
    engine = CycleService(store, VirtualClock(OPENED_AT), calendar_for)
    before = _status_kib("VmRSS")
    seconds = timed(lambda: engine.open_cycles(definition, YEAR, batch_size=BATCH))
    store.close()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "maxrss_kib": _maxrss_kib(),
                "vmhwm_kib": _status_kib("VmHWM"),
                "rss_before_kib": before,
            }
        )
    )


def open_raw(backend: Backend, db: str, definition: Definition) -> float:
    """bench_core.open_raw on either backend: executemany, BATCH units per transaction."""
    spec = definition.spec
    at = to_db(OPENED_AT)
    state, outcome = spec.initial, spec.states[spec.initial].outcome
    due = [
        (d.key, to_db(d.due_at)) for d in resolve_deadlines(spec, YEAR, calendar_for(spec.calendar))
    ]
    timers = timer_rows(definition)
    kinds = tuple(spec.applies_to)
    cycle_row = (YEAR, spec.id, spec.version, definition.content_hash, state, outcome)
    open_row = ("open", None, state, "system", "system", at, "{}", "[]", spec.id, spec.version)

    def head(cycle_id: int, unit_id: int) -> str:
        start = cycle_genesis(cycle_id, unit_id, YEAR, spec.id, spec.version)
        return link(start, (cycle_id, 1, *open_row))

    def run(cur: Any) -> None:
        marks = ", ".join("?" * len(kinds))
        units = cur.execute(
            f"SELECT id, path, kind FROM unit WHERE kind IN ({marks}) ORDER BY id", kinds
        ).fetchall()
        for start in range(0, len(units), BATCH):
            chunk = list(enumerate(units[start : start + BATCH], start=start + 1))
            cur.execute(backend.begin)
            heads = {c: head(c, unit[0]) for c, unit in chunk}
            cur.executemany(INSERT_CYCLE, [(c, *u, *cycle_row, heads[c], at, at) for c, u in chunk])
            cur.executemany(INSERT_TRANSITION, [(c, 1, *open_row, heads[c]) for c, _ in chunk])
            cur.executemany(INSERT_DEADLINE, [(c, *d, YEAR) for c, _ in chunk for d in due])
            cur.executemany(
                INSERT_TIMER,
                [(f"c{c}:{s}", c, u[0], YEAR, *v) for c, u in chunk for s, v in timers],
            )
            cur.execute("COMMIT")

    with closing(backend.raw(db)) as conn:
        cur = backend.cursor(conn)
        seconds = timed(lambda: run(cur))
        if isinstance(backend, Postgres):  # the raw side wrote ids itself
            cur.execute("SELECT setval('cycle_id_seq', (SELECT MAX(id) FROM cycle))")
        return seconds


def table_digest(backend: Backend, db: str, table: str, columns: str) -> tuple[int, int]:
    """A row count and an order-free sum of row hashes, to compare two databases."""
    with closing(backend.raw(db)) as conn:
        if isinstance(backend, Postgres):
            sql = (
                f"SELECT COUNT(*), COALESCE(SUM(hashtext(concat_ws('|', "
                f"{columns}))::bigint), 0) FROM {table}"
            )
            row = conn.execute(sql).fetchone()
            return int(row[0]), int(row[1])
        rows = conn.execute(f"SELECT {columns} FROM {table}")
        count, total = 0, 0
        for r in rows:
            count += 1
            total += hash("|".join(map(str, r)))
        return count, total


COMPARED = {
    "cycle": "id, unit_id, state, head_hash, opened_at",
    "transition": "cycle_id, seq, event, to_state, hash",
    "deadline": "cycle_id, key, due_at, year",
    "timer": "key, cycle_id, kind, role, due_at",
}


def step_open(backend: Backend, definition: Definition, scale: float) -> dict[str, Any]:
    ours = child("--open-child", backend.url("bench_engine"))
    raw = open_raw(backend, "bench_raw", definition)
    if isinstance(backend, Postgres):  # what autovacuum would do soon after: fresh statistics
        for db in ("bench_engine", "bench_raw"):
            with closing(backend.raw(db)) as conn:
                conn.execute("ANALYZE")
    same = all(
        table_digest(backend, "bench_engine", t, c) == table_digest(backend, "bench_raw", t, c)
        for t, c in COMPARED.items()
    )
    with closing(backend.raw("bench_raw")) as conn:
        cells = backend.cursor(conn).execute("SELECT COUNT(*) FROM cycle").fetchone()[0]
        rows = sum(
            backend.cursor(conn).execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in COMPARED
        )
    result = {
        "cells": cells,
        "rows": rows,
        "engine_s": ours["seconds"],
        "raw_s": raw,
        "ratio": ours["seconds"] / raw,
        "same_rows": same,
        "memory": ours,
    }
    print(
        f"\n1. open the {YEAR} cycle for {cells:,} units ({rows:,} rows), {BATCH:,} "
        f"units per transaction"
    )
    print(f"   engine  CycleService.open_cycles (child process)  {ours['seconds']:8.1f} s")
    print(f"   raw     executemany                         {raw:8.1f} s")
    print(
        f"   ratio   {result['ratio']:.2f}×   target < 2×: "
        f"{'met' if result['ratio'] < 2 else 'MISSED'}"
        f"   same rows: {'yes' if same else 'NO'}"
    )
    print(f"   peak RSS of the opening child: {ours['maxrss_kib'] / 1024:.0f} MB")
    return result


# -- 2. fire --------------------------------------------------------------------------------------
def step_fire(backend: Backend, definition: Definition, events: int) -> dict[str, Any]:
    with closing(backend.raw("bench_engine")) as conn:
        pairs = (
            backend.cursor(conn)
            .execute(
                "SELECT u.code, c.id FROM cycle c JOIN unit u ON u.id = c.unit_id ORDER BY c.id"
            )
            .fetchall()
        )
    step = max(1, len(pairs) // events)
    picked = pairs[::step][:events]
    store = SqlStore(make_engine(backend.url("bench_engine")))
    engine = CycleService(store, VirtualClock(FIRED_AT), calendar_for)
    clock, spent = time.perf_counter, []
    for code, _ in picked:
        start = clock()
        result = engine.fire(code, EVENT, YEAR, ACTOR, ROLE, PAYLOAD)
        spent.append(clock() - start)
        if not result.applied:
            raise RuntimeError(f"{code}: {result.decision.refusal}")
    store.close()
    ours = PerCall.of(spent)
    audit = audit_values(definition)
    spent = []
    with closing(backend.raw("bench_raw")) as conn:
        cur = backend.cursor(conn)
        for _, cycle_id in picked:
            start = clock()
            cur.execute(backend.begin)
            cur.execute(UPDATE_CYCLE_MINIMAL, ("registered", FIRED_AT_DB, cycle_id, 1))
            if cur.rowcount != 1:
                raise RuntimeError(f"cycle {cycle_id} moved meanwhile")
            cur.execute(INSERT_TRANSITION, (cycle_id, 2, *audit, SOME_HASH))
            cur.execute("COMMIT")
            spent.append(clock() - start)
    raw = PerCall.of(spent)
    result = {
        "events": len(picked),
        "engine": ours.__dict__,
        "raw": raw.__dict__,
        "ratio": ours.mean_us / raw.mean_us,
        "ratio_median": ours.median_us / raw.median_us,
    }
    print(
        f"\n2. fire {len(picked):,} events ('{EVENT}'), one transaction each; µs mean / "
        f"median / p99"
    )
    print(
        f"   engine  CycleService.fire                          {ours.mean_us:8.1f} "
        f"{ours.median_us:8.1f} {ours.p99_us:8.1f}"
    )
    print(
        f"   raw     BEGIN; UPDATE; INSERT; COMMIT        {raw.mean_us:8.1f} "
        f"{raw.median_us:8.1f} {raw.p99_us:8.1f}"
    )
    print(
        f"   ratio   {result['ratio']:.2f}× (medians {result['ratio_median']:.2f}×)   "
        f"target < 3×: {'met' if result['ratio'] < 3 else 'MISSED'}"
    )
    return result


# -- 3. board and overdue ----------------------------------------------------------------------
def median_ms(action: Callable[[], object], runs: int) -> float:
    action()  # warm: plans, caches
    return statistics.median(timed(action) for _ in range(runs)) * 1000


def step_queries(backend: Backend, runs: int) -> dict[str, Any]:
    store = SqlStore(make_engine(backend.url("bench_engine")))
    engine = CycleService(store, VirtualClock(BOARD_AT), calendar_for)
    at = to_db(BOARD_AT)
    results: dict[str, Any] = {}
    with closing(backend.raw("bench_engine")) as conn:
        cur = backend.cursor(conn)

        def raw_board(under: Any) -> None:
            params = subtree(under, "unit_path")[1]
            cur.execute(
                "SELECT definition_id, unit_kind, state, outcome, COUNT(*) FROM cycle "
                f"WHERE year = :year{subtree(under, 'unit_path')[0]} GROUP BY 1, 2, 3, 4",
                {**params, "year": YEAR},
            ).fetchall()
            if under is None:  # the whole tree: the late deadlines' index, no cycle read
                cur.execute(LATE_PER_KEY, {"year": YEAR, "at": at}).fetchall()
                return
            cur.execute(
                "SELECT d.key, COUNT(*) FROM deadline d JOIN cycle c ON c.id = d.cycle_id "
                f"WHERE c.year = :year{subtree(under, 'c.unit_path')[0]} "
                "AND d.met_at IS NULL AND d.closed = 0 AND d.due_at < :at GROUP BY d.key",
                {**params, "year": YEAR, "at": at},
            ).fetchall()

        def raw_overdue(under: Any) -> int:
            params = subtree(under, "c.unit_path")[1]
            return len(
                cur.execute(
                    "SELECT u.code, u.name, p.code, c.definition_id, "
                    "c.definition_version, c.state, "
                    "d.key, d.due_at FROM deadline d JOIN cycle c ON c.id = d.cycle_id "
                    "JOIN unit u ON u.id = c.unit_id LEFT JOIN unit p ON p.id = u.parent_id "
                    f"WHERE c.year = :year{subtree(under, 'c.unit_path')[0]} "
                    "AND d.met_at IS NULL AND d.closed = 0 AND d.due_at < :at ORDER BY 8, 1",
                    {**params, "year": YEAR, "at": at},
                ).fetchall()
            )

        for scope, under in (("province", PROVINCE), ("nation", None)):
            node = store.find_unit(under) if under else None
            n = runs if scope == "province" else max(3, runs // 4)
            units = cur.execute(
                "SELECT COUNT(*) FROM cycle WHERE year = :year"
                + subtree(node, "unit_path")[0],
                {**subtree(node, "unit_path")[1], "year": YEAR},
            ).fetchone()[0]
            items = len(engine.overdue(YEAR, under))
            figures = {
                "units": units,
                "overdue_items": items,
                "board_ms": median_ms(lambda u=under: engine.board(YEAR, u), n),
                "board_raw_ms": median_ms(lambda nd=node: raw_board(nd), n),
                "overdue_ms": median_ms(lambda u=under: engine.overdue(YEAR, u), n),
                "overdue_raw_ms": median_ms(lambda nd=node: raw_overdue(nd), n),
            }
            results[scope] = figures
    store.close()
    print(
        f"\n3. board and overdue at {BOARD_AT:%Y-%m-%d}, medians (ms); raw = the same "
        f"SQL through the raw driver"
    )
    for scope, f in results.items():
        target = TARGETS[f"board_{scope}_ms"]
        print(
            f"   {scope:<8} {f['units']:>7,} units  board {f['board_ms']:8.1f} (raw "
            f"{f['board_raw_ms']:8.1f}, "
            f"{f['board_ms'] / f['board_raw_ms']:.2f}×; target < {target:g} ms: "
            f"{'met' if f['board_ms'] < target else 'MISSED'})"
        )
        print(
            f"   {'':<8} {f['overdue_items']:>7,} items  overdue {f['overdue_ms']:6.1f} "
            f"(raw {f['overdue_raw_ms']:8.1f}, "
            f"{f['overdue_ms'] / f['overdue_raw_ms']:.2f}×)"
        )
    return results


# -- 4. audit verification ----------------------------------------------------------------------
#: what verification reads, as plain SQL: the chains' records, the cycle rows and their
#: deadlines, the global chains, the notice chains' heads and the registers
VERIFIED_ROWS = {
    "transition": "SELECT t.cycle_id, t.seq, t.event, t.from_state, t.to_state, t.actor, "
    "t.role, t.at, t.payload, t.checks, t.definition_id, t.definition_version, t.hash, t.id "
    "FROM transition t ORDER BY t.id",
    "cycle": "SELECT c.id, u.code, c.year, c.definition_id, c.definition_version, c.version, "
    "c.head_hash, c.unit_id, c.state, c.outcome, c.facts, c.unit_path "
    "FROM cycle c JOIN unit u ON u.id = c.unit_id ORDER BY c.id",
    "deadline": "SELECT cycle_id, key, due_at, met_at, year, closed FROM deadline",
    "notice": "SELECT id, hash, chain_seq, timer_id, cycle_id, milestone_id, unit_id, kind, "
    "deadline, step, role, address, due_at, at FROM notice ORDER BY id",
    "notice_chain": "SELECT unit_id, seq, head FROM notice_chain",
    "audit_event": "SELECT id, hash, at, kind, unit_code, unit_path, cycle_id, year, event, "
    "actor, role, code, detail FROM audit_event ORDER BY id",
    **{f"register {name}": sql for name, sql in REGISTER_QUERIES.items()},
}


def step_verify(backend: Backend) -> dict[str, Any]:
    url = backend.url("bench_engine")
    report = None

    def verify() -> None:
        nonlocal report
        report = verify_database(url)

    # untimed: the file into the page cache, the write steps' WAL checkpointed, for
    # both sides alike
    verify_database(url)
    ours = timed(verify)
    assert report is not None
    one = timed(lambda: verify_database(url, workers=1))
    storage = timed(lambda: check_storage(url))

    def read(queries: Sequence[str]) -> int:
        count = 0
        with closing(backend.raw("bench_engine")) as conn:
            for sql in queries:
                if isinstance(backend, Postgres):
                    conn.autocommit = False
                    cur = conn.cursor(name="bench_read")
                else:
                    cur = conn.cursor()
                cur.execute(sql)
                while rows := cur.fetchmany(10_000):
                    count += len(rows)
                cur.close()
                if isinstance(backend, Postgres):
                    conn.rollback()
        return count

    counts = {"transitions": 0, "all": 0}

    def read_transitions() -> None:
        counts["transitions"] = read([VERIFIED_ROWS["transition"]])

    def read_all() -> None:
        counts["all"] = read(list(VERIFIED_ROWS.values()))

    raw = timed(read_transitions)
    raw_all = timed(read_all)
    result = {
        "records": report.records,
        "problems": len(report.problems),
        "engine_s": ours,
        "engine_one_process_s": one,
        "storage_check_s": storage,
        "raw_read_s": raw,
        "raw_rows": counts["transitions"],
        "raw_read_all_s": raw_all,
        "raw_rows_all": counts["all"],
        # against reading the transition rows alone (as published before 2026-12-04)
        "ratio": ours / raw,
        # against reading every row verification reads (issue 18's "the same rows")
        "ratio_same_rows": ours / raw_all,
        "records_per_s": report.records / ours,
    }
    print(
        f"\n4. verify the audit trail: {report.records:,} records, {len(report.problems)} problems"
    )
    print(
        f"   engine  verify_database ({os.cpu_count()} processes) {ours:7.2f} s = "
        f"{report.records / ours:,.0f}/s;"
        f" one process {one:.2f} s; the storage check alone {storage:.2f} s"
    )
    print(f"   raw     read the transition rows  {raw:7.2f} s ({counts['transitions']:,} rows)")
    print(f"   raw     read every row it verifies {raw_all:6.2f} s ({counts['all']:,} rows)")
    met = "met" if ours / raw_all <= 1 / 0.6 else "missed"
    print(
        f"   ratio   {ours / raw:.2f}× the transition rows; {ours / raw_all:.2f}× every row "
        f"(target ≤ 1.67×, 60 % of the raw rate: {met})"
    )
    return result


# -- 5. tick over due timers -------------------------------------------------------------------
def tick_child(url: str, quota: int, raw: bool, backend_name: str) -> None:
    # imported and connected first; then all workers start together, on the parent's word
    store = None if raw else SqlStore(make_engine(url))
    print("ready", flush=True)
    sys.stdin.readline()
    begin = time.time()
    claimed = 0
    if raw:
        stamp = to_db(TICK_AT)
        if backend_name == "sqlite":
            conn: Any = sqlite3.connect(
                url.removeprefix("sqlite:///"), isolation_level=None, timeout=600
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            cur: Any = conn.cursor()
            begin_sql, lock = "BEGIN IMMEDIATE", ""
        else:
            conn = psycopg.connect(url, autocommit=True)
            conn.execute("SET jit = off")  # as bontot's own connections
            cur = _PgCursor(conn.cursor())
            begin_sql, lock = "BEGIN", " FOR UPDATE SKIP LOCKED"
        while claimed < quota:
            cur.execute(begin_sql)
            ids = cur.execute(
                "SELECT id FROM timer WHERE fired_at IS NULL AND cancelled_at IS NULL "
                "AND due_at <= ? "
                f"ORDER BY due_at, id LIMIT ?{lock}",
                (stamp, min(TICK_BATCH, quota - claimed)),
            ).fetchall()
            cur.executemany(
                "UPDATE timer SET fired_at = ? WHERE id = ?", [(stamp, i) for (i,) in ids]
            )
            cur.execute("COMMIT")
            claimed += len(ids)
            if not ids:
                break
        conn.close()
    else:
        assert store is not None
        engine = CycleService(store, VirtualClock(TICK_AT), calendar_for)
        ladders = Ladders(engine.spec, engine.calendar)
        while claimed < quota:  # Notifications.fire_and_compose's first loop, to a quota
            count = store.fire_due_timers(
                TICK_AT,
                min(TICK_BATCH, quota - claimed),
                lambda due, units: address_notices(due, units, engine.spec, TICK_AT),
                ladders.follow,
            )
            claimed += count
            if count == 0:
                break
        store.close()
    print(
        json.dumps(
            {"claimed": claimed, "begin": begin, "end": time.time(), "maxrss_kib": _maxrss_kib()}
        )
    )


def keep_analyzing(backend: Backend, db: str, done: threading.Event) -> None:
    """On PostgreSQL, ANALYZE the tables a tick writes every 5 s while the workers run:
    what autovacuum does, and this machine's cluster runs with `autovacuum = off`.
    Without fresh statistics each worker keeps the plan of its foreign-key check on
    `notice` made while that table was empty (a sequential scan) for every later insert:
    at 65,000 notices a batch of 1,000 timers took 20 s."""
    if not isinstance(backend, Postgres):
        return
    with closing(backend.raw(db)) as conn:
        while not done.wait(5.0):
            conn.execute("ANALYZE timer, notice, notice_queue")


def run_ticks(backend: Backend, db: str, workers: int, total: int, raw: bool) -> dict[str, Any]:
    quota = math.ceil(total / workers)
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--tick-child",
                backend.url(db),
                str(quota),
                "raw" if raw else "engine",
                backend.name,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(workers)
    ]
    for p in procs:
        assert p.stdout is not None
        if p.stdout.readline().strip() != "ready":
            raise RuntimeError("tick child did not start")
    start_at = time.time()
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    done = threading.Event()
    analyzer = threading.Thread(target=keep_analyzing, args=(backend, db, done), daemon=True)
    analyzer.start()
    outs = []
    for p in procs:
        out, _ = p.communicate()
        if p.returncode:
            raise RuntimeError(f"tick child failed: {p.returncode}")
        outs.append(json.loads(out.strip().splitlines()[-1]))
    done.set()
    analyzer.join()
    claimed = sum(o["claimed"] for o in outs)
    wall = max(o["end"] for o in outs) - start_at
    return {"workers": workers, "claimed": claimed, "seconds": wall, "per_s": claimed / wall}


def step_ticks(backend: Backend, total: int, workers: Sequence[int]) -> dict[str, Any]:
    with closing(backend.raw("bench_engine")) as conn:
        due = (
            backend.cursor(conn)
            .execute(
                "SELECT COUNT(*) FROM timer WHERE fired_at IS NULL AND cancelled_at IS "
                "NULL AND due_at <= ?",
                (to_db(TICK_AT),),
            )
            .fetchone()[0]
        )
    # Each run takes the next timers, so the runs share what is due: a smaller tree (at
    # --scale 0.1, 513,400 due) cannot give every run the default million, and a run left
    # with none would time nothing.
    per_run = min(total, due // len(workers))
    if per_run == 0:
        raise SystemExit(f"tick: {due:,} due timers cannot be shared by {len(workers)} runs")
    capped = (
        f" (--timers {total:,} capped: {len(workers)} runs share the {due:,} due)"
        if per_run < total
        else ""
    )
    print(
        f"\n5. tick: {per_run:,} due timers per run (of {due:,} due at {TICK_AT:%Y-%m-%d}), "
        f"batches of {TICK_BATCH:,}; each run takes the next ones in due order{capped}"
    )
    rows = []
    for w in workers:
        ours = run_ticks(backend, "bench_engine", w, per_run, raw=False)
        raw = run_ticks(backend, "bench_raw", w, per_run, raw=True)
        rows.append(
            {"workers": w, "engine": ours, "raw": raw, "ratio": raw["per_s"] / ours["per_s"]}
        )
        print(
            f"   {w} worker(s)  engine {ours['claimed']:>9,} in {ours['seconds']:7.1f} "
            f"s = {ours['per_s']:9,.0f}/s   "
            f"raw {raw['claimed']:>9,} in {raw['seconds']:7.1f} s = {raw['per_s']:9,.0f}/s   "
            f"ratio {raw['per_s'] / ours['per_s']:.2f}×"
        )
    return {"due": due, "per_run": per_run, "runs": rows}


# -- 6. peak memory ------------------------------------------------------------------------------
def step_memory(
    backend: Backend, scales: Sequence[float], top: dict[str, Any]
) -> list[dict[str, Any]]:
    out = []
    for scale in scales:
        url = backend.fresh("bench_mem")
        child("--prepare-child", url, "--scale", str(scale))
        figures = child("--open-child", url)
        backend.drop("bench_mem")
        out.append({"scale": scale, "units": round(302_000 * scale), **figures})
    out.append({"scale": 1.0, "units": top["cells"], **top["memory"]})
    print("\n6. peak RSS of a child process opening the cycles (ru_maxrss / VmHWM)")
    for r in out:
        print(
            f"   {r['units']:>8,} units  {r['maxrss_kib'] / 1024:7.1f} MB / "
            f"{r['vmhwm_kib'] / 1024:7.1f} MB"
            f"   (opened in {r['seconds']:.1f} s)"
        )
    return out


# -- the run --------------------------------------------------------------------------------------
def run_backend(backend: Backend, args: argparse.Namespace) -> dict[str, Any]:
    definition = load_catalog().latest("bon-tot")
    print(f"\n=== {backend.name}: {backend.durability}")
    results: dict[str, Any] = {"durability": backend.durability}
    if isinstance(backend, Postgres):
        results["settings"] = backend.settings
    start = time.time()
    for db in ("bench_engine", "bench_raw"):
        prepare(backend.fresh(db), args.scale)
    print(f"   (two databases with the tree prepared in {time.time() - start:.0f} s, untimed)")
    steps = set(args.steps.split(","))
    results["open"] = step_open(backend, definition, args.scale)
    if "fire" in steps:
        results["fire"] = step_fire(backend, definition, args.events)
    if "queries" in steps:
        results["queries"] = step_queries(backend, args.runs)
    if "verify" in steps:
        results["verify"] = step_verify(backend)
    if "tick" in steps:
        results["tick"] = step_ticks(
            backend, args.timers, [int(w) for w in args.workers.split(",")]
        )
    if "memory" in steps:
        scales = [float(s) for s in args.memory_scales.split(",") if s]
        results["memory"] = step_memory(backend, scales, results["open"])
    if not args.keep:
        for db in ("bench_engine", "bench_raw"):
            backend.drop(db)
    return results


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", default="sqlite,postgresql")
    parser.add_argument("--scale", type=float, default=1.0, help="of the nationwide tree")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--timers", type=int, default=1_000_000, help="due timers per tick run")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--runs", type=int, default=20, help="query repetitions (median)")
    parser.add_argument("--memory-scales", default="0.1,0.33")
    parser.add_argument("--steps", default="fire,queries,verify,tick,memory")
    parser.add_argument(
        "--pg",
        default="postgresql://postgres@127.0.0.1:5432",
        help="the server; databases bench_engine, bench_raw, bench_mem are (re)made",
    )
    parser.add_argument("--db-dir", type=Path, default=None, help="where the SQLite files go")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    parser.add_argument("--open-child", help=argparse.SUPPRESS)
    parser.add_argument("--prepare-child", help=argparse.SUPPRESS)
    parser.add_argument("--tick-child", nargs=4, help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.open_child:
        open_child(args.open_child)
        return
    if args.prepare_child:
        prepare(args.prepare_child, args.scale)
        print("{}")
        return
    if args.tick_child:
        url, quota, side, name = args.tick_child
        tick_child(url, int(quota), side == "raw", name)
        return
    # --keep keeps the SQLite files too: their folder is then not a temporary one
    kept = tempfile.mkdtemp(prefix="bontot-nation-", dir=args.db_dir) if args.keep else None
    with (
        contextlib.nullcontext(kept) if kept
        else tempfile.TemporaryDirectory(prefix="bontot-nation-", dir=args.db_dir)
    ) as name:
        folder = Path(name)
        info = machine_info(folder)
        print(
            f"bontot nationwide benchmark — {info['date']}; {info['platform']}, "
            f"{info['cpus']} CPUs "
            f"({info['cpu']}), Python {info['python']}, SQLite {info['sqlite']}, files "
            f"on {info['filesystem']}"
        )
        tree = nation_tree(args.scale)
        kinds: dict[str, int] = {}
        for r in tree:
            kinds[r.kind] = kinds.get(r.kind, 0) + 1
        print(
            "tree: " + ", ".join(f"{k} {v:,}" for k, v in kinds.items()) + f" (scale {args.scale})"
        )
        del tree
        results: dict[str, Any] = {
            "machine": info,
            "arguments": {k: str(v) for k, v in vars(args).items()},
        }
        for name_ in args.backend.split(","):
            results[name_] = run_backend(make_backend(name_, folder, args.pg), args)
            args.out.mkdir(parents=True, exist_ok=True)
            target = args.out / f"bench_nation-{'-'.join(args.backend.split(','))}.json"
            target.write_text(
                json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
    print(f"\nresults: {target}")


if __name__ == "__main__":
    main()
