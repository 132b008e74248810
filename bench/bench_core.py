"""Engine-core benchmark at nationwide scale, each figure beside the raw store.

    python bench/bench_core.py [--units 300000] [--events 100000]

Measured in one run, on two fresh SQLite files with the same schema (WAL,
synchronous=NORMAL): the engine's work, and the same rows written by plain `sqlite3`.
A benchmark, not a test: it asserts nothing and prints ratios (lower is better).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapters.catalog import load_catalog
from adapters.persistence.db import create_schema, make_engine
from adapters.persistence.store import SqlStore
from workflow.clock import VirtualClock
from workflow.deadlines import resolve_deadlines
from workflow.runtime.machine import CompiledDefinition
from workflow.service.engine import Engine
from workflow.spec.registry import Definition
from workflow.timefmt import to_db
from workflow.units import UnitRow

BATCH = 5000
OPENED_AT = datetime(2025, 1, 5, 1, 0, tzinfo=UTC)
FIRED_AT = datetime(2025, 2, 20, 2, 0, tzinfo=UTC)


def nation(units: int) -> list[UnitRow]:
    """1 nation -> 34 provinces -> communes -> grassroots organisations and their cells."""
    rows = [UnitRow("VN", "Toàn quốc", "committee", "other", None, 0, {})]
    rows += [
        UnitRow(f"P{p:02d}", f"Tỉnh {p}", "committee", "other", "VN", 0, {}) for p in range(34)
    ]
    communes = max(1, units // 90)
    rows += [
        UnitRow(f"X{c:05d}", f"Xã {c}", "committee", "village", f"P{c % 34:02d}", 0, {})
        for c in range(communes)
    ]
    made = 0
    grassroots = 0
    while made < units:
        code = f"G{grassroots:06d}"
        commune = f"X{grassroots % communes:05d}"
        if grassroots % 5 == 0 and units - made >= 5:  # a committee with four cells
            rows.append(UnitRow(code, code, "grassroots_committee", "village", commune, 40, {}))
            rows += [
                UnitRow(f"{code}-{k}", code, "subordinate_cell", "village", code, 10, {})
                for k in range(4)
            ]
            made += 5
        else:
            rows.append(UnitRow(code, code, "grassroots_cell", "village", commune, 12, {}))
            made += 1
        grassroots += 1
    return rows


def fresh_store(folder: Path, name: str, units: list[UnitRow]) -> tuple[SqlStore, str]:
    path = folder / f"{name}.db"
    engine = make_engine(f"sqlite:///{path}")
    create_schema(engine)
    store = SqlStore(engine)
    store.import_units(units)
    return store, str(path)


def raw_connection(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def timed(action: Callable[[], Any]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


# -- 1. opening the year's cycles ------------------------------------------------------
def open_engine(store: SqlStore, definition: Definition) -> float:
    service = Engine(store, VirtualClock(OPENED_AT))
    return timed(lambda: service.open_cycles(definition, 2025, batch_size=BATCH))


def open_raw(path: str, definition: Definition) -> float:
    """The same rows: a cycle, its opening audit record and its deadlines per unit."""
    spec = definition.spec
    conn = raw_connection(path)
    kinds = tuple(spec.applies_to)
    units = conn.execute(
        f"SELECT id, path, kind FROM unit WHERE kind IN ({','.join('?' * len(kinds))}) ORDER BY id",
        kinds,
    ).fetchall()
    due = [(d.key, to_db(d.due_at)) for d in resolve_deadlines(spec, 2025)]
    at = to_db(OPENED_AT)

    def run() -> None:
        for start in range(0, len(units), BATCH):
            chunk = units[start : start + BATCH]
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                "INSERT INTO cycle (id, unit_id, unit_path, unit_kind, year, definition_id, "
                "definition_version, content_hash, state, outcome, facts, version, opened_at, "
                "updated_at) VALUES (?, ?, ?, ?, 2025, ?, ?, ?, ?, NULL, '{}', 1, ?, ?)",
                [
                    (
                        u[0],
                        u[0],
                        u[1],
                        u[2],
                        spec.id,
                        spec.version,
                        definition.content_hash,
                        spec.initial,
                        at,
                        at,
                    )
                    for u in chunk
                ],
            )
            conn.executemany(
                "INSERT INTO transition (cycle_id, seq, event, from_state, to_state, actor, role, "
                "at, payload, checks, definition_id, definition_version) "
                "VALUES (?, 1, 'open', NULL, ?, 'system', 'system', ?, '{}', '[]', ?, ?)",
                [(u[0], spec.initial, at, spec.id, spec.version) for u in chunk],
            )
            conn.executemany(
                "INSERT INTO deadline (cycle_id, key, due_at, met_at) VALUES (?, ?, ?, NULL)",
                [(u[0], key, due_at) for u in chunk for key, due_at in due],
            )
            conn.execute("COMMIT")

    seconds = timed(run)
    conn.close()
    return seconds


# -- 2. firing events, one transaction each ----------------------------------------------
def fire_engine(store: SqlStore, codes: list[str]) -> float:
    service = Engine(store, VirtualClock(FIRED_AT))
    payload = {"plan": "KH-01/KH-CB"}

    def run() -> None:
        for code in codes:
            result = service.fire(code, "register", 2025, "bithu", "unit_secretary", payload)
            if not result.applied:
                raise RuntimeError(result.decision.refusal)

    return timed(run) / len(codes)


def fire_raw(path: str, count: int, with_deadline: bool) -> float:
    """Per event: BEGIN; UPDATE the cycle; INSERT the audit row; [UPDATE its deadline]; COMMIT."""
    conn = raw_connection(path)
    ids = [r[0] for r in conn.execute("SELECT id FROM cycle ORDER BY id LIMIT ?", (count,))]
    at = to_db(FIRED_AT)

    def run() -> None:
        for cycle_id in ids:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "UPDATE cycle SET state = 'registered', version = version + 1, updated_at = ?, "
                "facts = ? WHERE id = ? AND version = ?",
                (at, '{"plan":"KH-01/KH-CB"}', cycle_id, 1 if not with_deadline else 2),
            )
            conn.execute(
                "INSERT INTO transition (cycle_id, seq, event, from_state, to_state, actor, role, "
                "at, payload, checks, definition_id, definition_version) VALUES "
                "(?, ?, 'register', 'not_registered', 'registered', 'bithu', 'unit_secretary', ?, "
                "'{\"plan\":\"KH-01/KH-CB\"}', '[]', 'bon-tot', 1)",
                (cycle_id, 2 if not with_deadline else 3, at),
            )
            if with_deadline:
                conn.execute(
                    "UPDATE deadline SET met_at = ? WHERE cycle_id = ? AND key = 'register' "
                    "AND met_at IS NULL",
                    (at, cycle_id),
                )
            conn.execute("COMMIT")

    seconds = timed(run) / len(ids)
    conn.close()
    return seconds


# -- 3. the decision in memory ---------------------------------------------------------
def decide_engine(definition: Definition, count: int) -> tuple[float, float]:
    compiled = CompiledDefinition(definition)
    payload = {"plan": "KH-01"}
    plain = (
        timed(
            lambda: [
                compiled.decide(
                    "not_registered", "register", "unit_secretary", payload, "grassroots_cell", {}
                )
                for _ in range(count)
            ]
        )
        / count
    )
    facts = {
        "criteria": {
            "political_task": 96,
            "meetings": 97,
            "unity_discipline": 95,
            "cadres_members": 98,
        },
        "ratings": {"rated": 12, "completed_or_better": 12, "good_or_better": 10},
    }
    guarded = (
        timed(
            lambda: [
                compiled.decide(
                    "proposed", "appraise", "superior_org_board", {}, "grassroots_cell", facts
                )
                for _ in range(count)
            ]
        )
        / count
    )
    return plain, guarded


def decide_bare(count: int) -> float:
    from transitions import Machine

    class Model:
        pass

    machine = Machine(model=None, states=["a", "b"], initial=None, auto_transitions=False)
    machine.add_transition("go", "a", "b")
    model = Model()
    machine.add_model(model, initial="a")

    def run() -> None:
        for _ in range(count):
            machine.set_state("a", model=model)
            model.trigger("go")  # type: ignore[attr-defined]

    return timed(run) / count


# -- 4. peak memory of opening, in a child process per size ----------------------------
def _vm_hwm_mb() -> float:
    """This process's peak RSS since exec (or since the last reset), from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory_child(units: int) -> None:
    """Build and import the tree, then reset the peak and measure opening the cycles only."""
    with tempfile.TemporaryDirectory() as folder:
        rows = nation(units)
        store, _ = fresh_store(Path(folder), "mem", rows)
        del rows
        gc.collect()
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        before = _vm_hwm_mb()
        open_engine(store, load_catalog().latest("bon-tot"))
        store.close()
    print(f"{before:.1f} {_vm_hwm_mb():.1f}")


def peak_memory_mb(units: int) -> tuple[float, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--memory-child", str(units)],
        capture_output=True,
        text=True,
        check=True,
    )
    before, peak = done.stdout.strip().splitlines()[-1].split()
    return float(before), float(peak)


# -- the run ---------------------------------------------------------------------------
def machine_line() -> str:
    return (
        f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=300_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--decisions", type=int, default=100_000)
    parser.add_argument("--memory-sizes", default="30000,100000,300000")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child)
        return

    definition = load_catalog().latest("bon-tot")
    print(f"bontot core benchmark — {machine_line()}")
    print("durability: SQLite WAL, synchronous=NORMAL (no fsync per commit), both sides")
    results: dict[str, Any] = {"machine": machine_line(), "units": args.units}
    with tempfile.TemporaryDirectory() as folder:
        rows = nation(args.units)
        engine_store, _ = fresh_store(Path(folder), "engine", rows)
        raw_store, raw_path = fresh_store(Path(folder), "raw", rows)
        raw_store.close()
        cells = [r.code for r in rows if r.kind in definition.spec.applies_to]
        print(f"tree: {len(rows):,} units, {len(cells):,} get a cycle")

        ours, raw = open_engine(engine_store, definition), open_raw(raw_path, definition)
        results["open"] = {"engine_s": ours, "raw_s": raw, "ratio": ours / raw}
        print(
            f"open 2025 cycles:  engine {ours:6.2f} s   raw {raw:6.2f} s   "
            f"ratio {ours / raw:4.2f}x  (target < 1.5x; rows: cycle + audit + "
            f"{len(definition.spec.deadlines)} deadlines each, batches of {BATCH:,})"
        )

        count = min(args.events, len(cells))
        ours = fire_engine(engine_store, cells[:count])
        raw_min = fire_raw(raw_path, count, with_deadline=False)
        # the same rows again on the same cycles, now with the deadline the event meets
        raw_same = fire_raw(raw_path, count, with_deadline=True)
        results["fire"] = {
            "engine_us": ours * 1e6,
            "raw_update_insert_us": raw_min * 1e6,
            "raw_same_rows_us": raw_same * 1e6,
            "events": count,
        }
        print(f"fire {count:,} events, one transaction each:  engine {ours * 1e6:6.1f} µs")
        print(
            f"  raw UPDATE + INSERT:                 {raw_min * 1e6:6.1f} µs   "
            f"ratio {ours / raw_min:4.2f}x  (target < 2x)"
        )
        print(
            f"  raw same rows (+ deadline UPDATE):   {raw_same * 1e6:6.1f} µs   "
            f"ratio {ours / raw_same:4.2f}x"
        )
        print("  (the engine also reads the cycle by unit code before deciding)")
        engine_store.close()

    plain, guarded = decide_engine(definition, args.decisions)
    bare = decide_bare(args.decisions)
    results["decide"] = {
        "engine_us": plain * 1e6,
        "guarded_us": guarded * 1e6,
        "bare_transitions_us": bare * 1e6,
    }
    print(
        f"decide in memory:  engine {plain * 1e6:5.1f} µs   bare transitions trigger "
        f"{bare * 1e6:5.1f} µs   ratio {plain / bare:4.2f}x  (target < 3x)"
    )
    print(f"  with the recognition rule (6 checks): {guarded * 1e6:5.1f} µs")

    sizes = [int(s) for s in args.memory_sizes.split(",") if s]
    peaks = {size: peak_memory_mb(size) for size in sizes}
    results["rss_mb_before_and_peak_while_opening"] = peaks
    print(
        "RSS while opening the cycles (a child per size; before → peak): "
        + ", ".join(f"{size:,} units: {a:.0f} → {b:.0f} MB" for size, (a, b) in peaks.items())
        + "  (target: flat, < 300 MB at 300,000)"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_core.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
