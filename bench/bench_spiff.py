"""bontot beside SpiffWorkflow 3.2 and the raw store, per fired event, in one run.

    python bench/bench_spiff.py [--cycles 2000] [--rounds 3] [--sync]

Three sides, each an event per request, one transaction each, on SQLite files in the
same durability mode (WAL with synchronous=NORMAL; `--sync`: synchronous=FULL, a sync
per commit, on all three):

- raw: `BEGIN IMMEDIATE; UPDATE cycle; INSERT transition; COMMIT` (bench_core's floor);
- bontot: `CycleService.fire(unit, "register", ...)` on distinct cycles (bench_core's);
- SpiffWorkflow: the seven-step cycle of `spiff/bon_tot_cycle.bpmn` (a user task per
  step, two reminders and two escalations as boundary timers on the proposal), its
  state loaded from the row, deserialised, the next user task completed, the engine
  stepped, serialised and written back with a history row, committed.

Each round runs the three in turn on fresh cycles (interleaved, so the machine's load
falls on all of them alike); medians over the rounds' per-event medians are printed,
with ratios. SpiffWorkflow's figure is the first step's (`register`, as bontot's) and
the mean of all seven. Also printed: the bytes a closed cycle's state and history take
in SpiffWorkflow's file. A benchmark, not a test: it asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser import BpmnParser
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.util.task import TaskState

from adapters.catalog import load_catalog

HERE = Path(__file__).resolve().parent
BPMN = HERE / "spiff" / "bon_tot_cycle.bpmn"
STEPS = 7


def bench_core() -> Any:
    """bench_core.py as a module: its tree, its files and its raw and engine fire loops."""
    spec = importlib.util.spec_from_file_location("bench_core", HERE / "bench_core.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# -- SpiffWorkflow ------------------------------------------------------------------------
class Spiff:
    def __init__(self, folder: Path, count: int, sync: bool) -> None:
        parser = BpmnParser()
        parser.add_bpmn_file(str(BPMN))
        self.spec = parser.get_spec("bon_tot")
        self.serializer = BpmnWorkflowSerializer()
        self.path = folder / "spiff.db"
        self.sync = sync
        with closing(self.connect()) as conn:
            conn.execute(
                "CREATE TABLE instance (id INTEGER PRIMARY KEY, state TEXT NOT NULL, "
                "version INTEGER NOT NULL)"
            )
            conn.execute(
                "CREATE TABLE history (id INTEGER PRIMARY KEY, instance_id INTEGER NOT NULL "
                "REFERENCES instance (id), seq INTEGER NOT NULL, task TEXT NOT NULL, "
                "actor TEXT NOT NULL, at TEXT NOT NULL, UNIQUE (instance_id, seq))"
            )
            opened = BpmnWorkflow(self.spec)
            opened.do_engine_steps()
            text = self.serializer.serialize_json(opened)
            conn.execute("BEGIN")
            conn.executemany(
                "INSERT INTO instance VALUES (?, ?, 1)", [(i, text) for i in range(1, count + 1)]
            )
            conn.execute("COMMIT")

    def connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={'FULL' if self.sync else 'NORMAL'}")
        return conn

    def step(self, cursor: sqlite3.Cursor, instance: int) -> str:
        """One request: load, complete the next user task, serialise, commit."""
        state, version = cursor.execute(
            "SELECT state, version FROM instance WHERE id = ?", (instance,)
        ).fetchone()
        workflow = self.serializer.deserialize_json(state)
        task = workflow.get_next_task(state=TaskState.READY, manual=True)
        if task is None:
            raise RuntimeError(f"instance {instance} has no task ready")
        task.run()
        workflow.refresh_waiting_tasks()
        workflow.do_engine_steps()
        text = self.serializer.serialize_json(workflow)
        cursor.execute("BEGIN IMMEDIATE")
        cursor.execute(
            "UPDATE instance SET state = ?, version = version + 1 WHERE id = ? AND version = ?",
            (text, instance, version),
        )
        if cursor.rowcount != 1:
            raise RuntimeError(f"instance {instance} moved meanwhile")
        cursor.execute(
            "INSERT INTO history (instance_id, seq, task, actor, at) VALUES (?, ?, ?, ?, ?)",
            (instance, version + 1, task.task_spec.name, "bithu", "2025-02-20T02:00:00+00:00"),
        )
        cursor.execute("COMMIT")
        return str(task.task_spec.name)

    def fire(self, instances: Sequence[int], steps: int) -> tuple[list[float], list[float]]:
        """µs of each first step, and of every step, over `instances` run `steps` steps."""
        first: list[float] = []
        every: list[float] = []
        clock = time.perf_counter
        with closing(self.connect()) as conn:
            cursor = conn.cursor()
            for instance in instances:
                for n in range(steps):
                    start = clock()
                    self.step(cursor, instance)
                    spent = (clock() - start) * 1e6
                    every.append(spent)
                    if n == 0:
                        first.append(spent)
        return first, every

    def bytes_per_closed(self, closed: Sequence[int]) -> float:
        """Bytes of the closed instances' state and history rows, as stored (payload
        bytes, not pages: the file also holds the open instances)."""
        with closing(self.connect()) as conn:
            marks = ",".join("?" * len(closed))
            state = conn.execute(
                f"SELECT SUM(LENGTH(CAST(state AS BLOB))) FROM instance WHERE id IN ({marks})",
                list(closed),
            ).fetchone()[0]
            history = conn.execute(
                "SELECT SUM(LENGTH(task) + LENGTH(actor) + LENGTH(at) + 16) FROM history "
                f"WHERE instance_id IN ({marks})",
                list(closed),
            ).fetchone()[0]
        return float(state + history) / len(closed)


# -- the run ----------------------------------------------------------------------------------
def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=2000, help="events per side per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sync", action="store_true", help="synchronous=FULL on all sides")
    parser.add_argument("--closed", type=int, default=200, help="Spiff cycles run to the end")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args()
    core = bench_core()
    mode = "synchronous=FULL (a sync per commit)" if args.sync else "synchronous=NORMAL"
    print(f"bontot beside SpiffWorkflow 3.2 — commit {commit()}, SQLite WAL, {mode}, all sides")
    definition = load_catalog().latest("bon-tot")
    total = args.cycles * args.rounds
    figures: dict[str, list[float]] = {"raw": [], "bontot": [], "spiff_first": [],
                                       "spiff_every": []}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        units = core.nation(total)
        engine_db, raw_db = folder / "engine.db", folder / "raw.db"
        core.fresh_file(engine_db, units)
        core.open_with_engine(engine_db, definition)
        core.copy_file(engine_db, raw_db)
        codes = [u.code for u in units if u.kind in definition.spec.applies_to][:total]
        ids = core.cycle_ids(raw_db, codes)
        spiff = Spiff(folder, total + args.closed, args.sync)
        if args.sync:
            core.raw_connect = _synced(core.raw_connect)
            core.open_store = _synced_store(core.open_store)
        for r in range(args.rounds):
            part = slice(r * args.cycles, (r + 1) * args.cycles)
            figures["raw"].append(core.fire_raw_minimal(raw_db, ids[part], definition).median_us)
            figures["bontot"].append(core.fire_with_engine(engine_db, codes[part]).median_us)
            first, _ = spiff.fire(range(part.start + 1, part.stop + 1), 1)
            figures["spiff_first"].append(median(first))
        closed = range(total + 1, total + args.closed + 1)
        _, every = spiff.fire(closed, STEPS)
        figures["spiff_every"].append(median(every))
        spiff_bytes = spiff.bytes_per_closed(closed)
    result = {k: median(v) for k, v in figures.items()}
    raw = result["raw"]
    print(f"\nµs per event, median of {args.rounds} rounds' medians ({args.cycles:,} events each)")
    for name, label in (
        ("raw", "raw      BEGIN; UPDATE cycle; INSERT transition; COMMIT"),
        ("bontot", "bontot   CycleService.fire('register')"),
        ("spiff_first", "Spiff    load, complete 'register', serialise, commit"),
        ("spiff_every", f"Spiff    the same, every one of the {STEPS} steps"),
    ):
        print(f"   {label:<58}{result[name]:9.1f}   {result[name] / raw:6.2f}× raw")
    print(
        f"\n   SpiffWorkflow / bontot: {result['spiff_first'] / result['bontot']:.1f}× "
        f"(first step), {result['spiff_every'] / result['bontot']:.1f}× (mean step)"
    )
    print(f"   a closed SpiffWorkflow cycle: {spiff_bytes:,.0f} bytes (state + history rows)")
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"bench_spiff{'_sync' if args.sync else ''}.json"
    out.write_text(json.dumps({"commit": commit(), "mode": mode, "us": result, "rounds": figures,
                               "spiff_closed_bytes": spiff_bytes}, indent=2))  # fmt: skip
    print(f"\nresults: {out}")


def _synced(connect: Any) -> Any:
    def synced(path: Path) -> sqlite3.Connection:
        conn = connect(path)
        conn.execute("PRAGMA synchronous=FULL")
        return conn

    return synced


def _synced_store(open_store: Any) -> Any:
    def synced(path: Path) -> Any:
        store = open_store(path)
        store.sql.execute("PRAGMA synchronous=FULL")
        return store

    return synced


def commit() -> str:
    import subprocess

    done = subprocess.run(
        ["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


if __name__ == "__main__":
    main()
