"""Bytes a closed cycle occupies, on SQLite and PostgreSQL, beside a raw floor.

    python bench/bench_storage.py [--pg postgresql://postgres@127.0.0.1:5432/test]

`bontot demo` drives a sample province through a year (200 units, every cycle from
opening to its final state, with reminders, escalations, refusals, ratings and notices)
into a fresh database; what its cycles occupy is summed per table, indexes included,
and divided by the cycles (all closed at the end). The raw floor is plain `sqlite3`
holding, for as many cycles, one row per cycle (state, version, head hash) and one row
per applied event (event, actor, instant, hash): the least a tamper-evident history
needs. With `--pg` the demo also runs on a database of its own on that server (created
and dropped here). A benchmark, not a test: it asserts nothing about size.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

#: the tables a cycle's life writes (registers, units, actors and definitions are shared)
CYCLE_TABLES = (
    "cycle",
    "transition",
    "deadline",
    "timer",
    "notice",
    "notice_message",
    "notice_queue",
    "outbox",
    "delivery",
    "audit_event",
)


def commit() -> str:
    here = Path(__file__).resolve().parent
    done = subprocess.run(
        ["git", "-C", str(here), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def run_demo(url: str) -> None:
    """The demo in a child process (its figures printed there are not ours)."""
    code = "import sys; from adapters.demo import run_demo; run_demo(sys.argv[1])"
    subprocess.run([sys.executable, "-c", code, url], check=True, capture_output=True)


def sqlite_sizes(path: Path) -> tuple[dict[str, int], dict[str, int]]:
    """(bytes per table, indexes included; rows per table) of a SQLite file."""
    with closing(sqlite3.connect(path)) as conn:
        owner = dict(conn.execute("SELECT name, tbl_name FROM sqlite_schema"))
        sizes: dict[str, int] = {}
        for name, size in conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
            table = owner.get(name, name)
            sizes[table] = sizes.get(table, 0) + int(size)
        rows = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in CYCLE_TABLES}
    return sizes, rows


def cycle_counts(rows: Any) -> tuple[int, int]:
    return int(rows[0]), int(rows[1])


def sqlite_closed(path: Path) -> tuple[int, int]:
    """(cycles, cycles in a final state), final states read from the stored definitions."""
    with closing(sqlite3.connect(path)) as conn:
        return _closed(conn.execute)


def _closed(execute: Any) -> tuple[int, int]:
    finals = set()
    for definition_id, version, resolved in execute(
        "SELECT definition_id, version, resolved FROM definition"
    ).fetchall():
        for name, state in json.loads(resolved).get("states", {}).items():
            if isinstance(state, dict) and state.get("final"):
                finals.add((definition_id, version, name))
    cycles = execute("SELECT definition_id, definition_version, state FROM cycle").fetchall()
    return len(cycles), sum(1 for c in cycles if tuple(c) in finals)


def raw_floor(folder: Path, cycles: int, events: int) -> int:
    """Bytes of the least tamper-evident history of `cycles` cycles and `events` events."""
    path = folder / "raw.db"
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript(
            "CREATE TABLE cycle (id INTEGER PRIMARY KEY, unit_id INTEGER, year INTEGER, "
            "state TEXT, version INTEGER, head_hash TEXT);"
            "CREATE TABLE transition (id INTEGER PRIMARY KEY, cycle_id INTEGER, seq INTEGER, "
            "event TEXT, actor TEXT, at TEXT, hash TEXT, UNIQUE (cycle_id, seq));"
        )
        per_cycle = max(1, events // max(1, cycles))
        conn.executemany(
            "INSERT INTO cycle VALUES (?, ?, 2025, 'recognized', ?, ?)",
            [(i, i, per_cycle, "v2:" + "0" * 64) for i in range(1, cycles + 1)],
        )
        conn.executemany(
            "INSERT INTO transition (cycle_id, seq, event, actor, at, hash) "
            "VALUES (?, ?, 'self_evaluate', 'bithu.cb0001', '2025-06-30T01:00:00+00:00', ?)",
            [(i, s, "v2:" + "0" * 64) for i in range(1, cycles + 1) for s in range(per_cycle)],
        )
        conn.commit()
        conn.execute("VACUUM")
    sizes, _ = sqlite_sizes_plain(path)
    return sum(sizes.values())


def sqlite_sizes_plain(path: Path) -> tuple[dict[str, int], None]:
    with closing(sqlite3.connect(path)) as conn:
        owner = dict(conn.execute("SELECT name, tbl_name FROM sqlite_schema"))
        sizes: dict[str, int] = {}
        for name, size in conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
            if name == "sqlite_schema":
                continue
            table = owner.get(name, name)
            sizes[table] = sizes.get(table, 0) + int(size)
    return sizes, None


@contextmanager
def pg_database(server: str) -> Iterator[str]:
    """A database of our own on `server`, dropped afterwards."""
    import psycopg

    name = f"bench_storage_{os.getpid()}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield server.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def pg_sizes(url: str) -> tuple[dict[str, int], dict[str, int], tuple[int, int]]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM")  # dead tuples of updated rows are not what a cycle keeps
        sizes = {
            t: int(conn.execute("SELECT pg_total_relation_size(%s)", (t,)).fetchone()[0])
            for t in CYCLE_TABLES
        }
        rows = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in CYCLE_TABLES}
        closed = _closed(conn.execute)
    return sizes, rows, closed


def report(
    backend: str, sizes: dict[str, int], rows: dict[str, int], closed: tuple[int, int]
) -> dict[str, Any]:
    cycles, final = closed
    total = sum(sizes.get(t, 0) for t in CYCLE_TABLES)
    print(f"\n{backend}: {cycles} cycles, {final} of them closed")
    print(f"   {'table':<16}{'rows':>8}{'bytes':>12}{'per cycle':>12}")
    for table in CYCLE_TABLES:
        size = sizes.get(table, 0)
        print(f"   {table:<16}{rows[table]:>8}{size:>12,}{size / cycles:>12,.0f}")
    print(f"   {'total':<16}{'':>8}{total:>12,}{total / cycles:>12,.0f}   bytes per closed cycle")
    return {"cycles": cycles, "closed": final, "bytes": sizes, "rows": rows,
            "bytes_per_cycle": total / cycles}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", help="a PostgreSQL server URL (a database is made there)")
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    args = parser.parse_args()
    print(f"bontot storage per closed cycle — commit {commit()}, `bontot demo` (seed 2025)")
    results: dict[str, Any] = {"commit": commit()}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "demo.db"
        run_demo(f"sqlite:///{path}")
        sizes, rows = sqlite_sizes(path)
        results["sqlite"] = report("SQLite (file pages, WAL checkpointed)", sizes, rows,
                                   sqlite_closed(path))  # fmt: skip
        cycles = results["sqlite"]["cycles"]
        floor = raw_floor(folder, cycles, rows["transition"])
        results["raw_bytes_per_cycle"] = floor / cycles
        ratio = results["sqlite"]["bytes_per_cycle"] / (floor / cycles)
        print(f"   raw floor (sqlite3: a cycle row and its event rows with hashes): "
              f"{floor / cycles:,.0f} bytes per cycle; ratio {ratio:.1f}×")  # fmt: skip
    if args.pg:
        with pg_database(args.pg) as url:
            run_demo(url)
            sizes, rows, closed = pg_sizes(url)
            results["postgresql"] = report("PostgreSQL (relation sizes after VACUUM)", sizes,
                                           rows, closed)  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_storage.json").write_text(json.dumps(results, indent=2))
    print(f"\nresults: {args.out / 'bench_storage.json'}")


if __name__ == "__main__":
    main()
