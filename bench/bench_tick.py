"""The tick at the nation's size: the reminder instant every unit shares, and the rate.

    python bench/bench_tick.py --backend postgresql --scale 1.0

Per backend, two fresh databases get the tree (bench/nation.py) and the year's cycles,
written by the raw driver (bench_nation.open_raw: the same rows `open_cycles` writes,
which bench_nation compares), untimed. Then:

1. the instant: every timer due at the year's first reminder instant (one per cycle,
   302,000 at scale 1) fired *and composed* by `--instant-workers` worker processes,
   each running `Ticks.fire_and_compose` as `bontot worker` does; beside it, the raw
   driver claiming and marking the same timers in the other database with as many
   workers (`FOR UPDATE SKIP LOCKED` on PostgreSQL). Checked afterwards: every timer
   taken, a notice per timer, each unit's notice chain whole (workflow.audit_notices),
   nothing left queued.
2. the rate: `--timers` due timers fired with 1, 2 and 4 workers (bench_nation's tick
   step: `fire_due_timers` vs raw claim-and-mark), each run taking the next ones.

A benchmark, not a test: it asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_core import OPENED_AT, machine_info
from bench_nation import (
    Backend,
    Postgres,
    make_backend,
    open_raw,
    prepare,
    run_ticks,
)

from adapters import bootstrap
from adapters.catalog import load_catalog
from workflow.audit_notices import NOTICE_UNIT_AT, check_notice_chains
from workflow.clock import VirtualClock
from workflow.service.adoption import save_definition
from workflow.spec.registry import Definition
from workflow.timefmt import from_db, to_db

#: the databases (bontot_tick_* on PostgreSQL: not bench_nation's, which may run meanwhile)
ENGINE, RAW = "tick_engine", "tick_raw"
#: what the rate step's runs take: every timer of the year due
TICK_AT = datetime(2026, 12, 31, 0, 0, tzinfo=UTC)


def instant_child(url: str, at: str) -> None:
    """One worker: fire and compose everything due at `at`, as `bontot worker` does."""
    clock = VirtualClock(from_db(at))
    app = bootstrap.build(url, clock)
    ticks = app.ticks()
    print("ready", flush=True)
    sys.stdin.readline()
    begin = time.time()
    now = clock.now()
    # Ticks.fire_and_compose's two loops, timed apart
    fired = 0
    while (count := ticks.fire_batch(now)) > 0:
        fired += count
    fired_at = time.time()
    composed, installation = 0, ticks.installation_id()
    while (count := ticks.compose_batch(now, installation)) > 0:
        composed += count
    end = time.time()
    app.close()
    print(json.dumps({"fired": fired, "composed": composed, "begin": begin,
                      "fired_at": fired_at, "end": end}))  # fmt: skip


def _children(arguments: list[list[str]]) -> tuple[list[dict[str, Any]], float]:
    """Start the children, let them all go at once, and wait: their outputs and the wall
    time from the go to the last one's end."""
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, *a], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True,
        )
        for a in arguments
    ]  # fmt: skip
    for p in procs:
        assert p.stdout is not None
        if p.stdout.readline().strip() != "ready":
            raise RuntimeError("a child did not start")
    start = time.time()
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    outs = []
    for p in procs:
        out, _ = p.communicate()
        if p.returncode:
            raise RuntimeError(f"a child failed: {p.returncode}")
        outs.append(json.loads(out.strip().splitlines()[-1]))
    return outs, max(o["end"] for o in outs) - start


def first_instant(backend: Backend, db: str) -> tuple[str, int]:
    with closing(backend.raw(db)) as conn:
        cur = backend.cursor(conn)
        at = cur.execute(
            "SELECT MIN(due_at) FROM timer WHERE fired_at IS NULL AND cancelled_at IS NULL"
        ).fetchone()[0]
        count = cur.execute(
            "SELECT COUNT(*) FROM timer WHERE fired_at IS NULL AND cancelled_at IS NULL "
            "AND due_at <= ?",
            (at,),
        ).fetchone()[0]
    return str(at), int(count)


def check_instant(backend: Backend, db: str, due: int) -> dict[str, Any]:
    """What the instant left: every timer taken, a notice each, chains whole, no queue."""
    with bootstrap.reading(backend.url(db)) as store:
        facts = list(store.fact_rows("notice"))
        found = check_notice_chains(
            ((f.id, int(f.seq or 0), f.hash, f.fields) for f in facts if f.seq is not None),
            store.notice_heads(),
            NOTICE_UNIT_AT,
        )
    with closing(backend.raw(db)) as conn:
        cur = backend.cursor(conn)
        queued = cur.execute("SELECT COUNT(*) FROM notice_queue").fetchone()[0]
        messages = cur.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
    return {
        "notices": len(facts), "chains": found.chains, "chain_problems": len(found.problems),
        "queued": int(queued), "messages": int(messages), "all_fired": len(facts) == due,
    }  # fmt: skip


def step_instant(backend: Backend, workers: int) -> dict[str, Any]:
    at, due = first_instant(backend, ENGINE)
    raw_at, raw_due = first_instant(backend, RAW)
    assert (at, due) == (raw_at, raw_due), "both databases hold the same timers"
    print(
        f"\n1. the instant {at}: {due:,} timers due at once, fired and composed by "
        f"{workers} worker(s)"
    )
    outs, seconds = _children([["--instant-child", backend.url(ENGINE), at]] * workers)
    fire_s = max(o["fired_at"] for o in outs) - min(o["begin"] for o in outs)
    fired = sum(o["fired"] for o in outs)
    composed = sum(o["composed"] for o in outs)
    raw = run_ticks(backend, RAW, workers, due, raw=True)
    checks = check_instant(backend, ENGINE, due)
    print(
        f"   engine  fired {fired:,} and composed {composed:,} messages in {seconds:.1f} s "
        f"({fired / seconds:,.0f} timers/s); target < 60 s: "
        f"{'met' if seconds < 60 else 'MISSED'}"
    )
    print(
        f"           of which firing (every worker's fire loop done) {fire_s:.1f} s = "
        f"{fired / fire_s:,.0f} timers/s, composing {seconds - fire_s:.1f} s"
    )
    print(
        f"   raw     claimed and marked {raw['claimed']:,} in {raw['seconds']:.1f} s "
        f"({raw['per_s']:,.0f}/s); engine at {100 * fired / seconds / raw['per_s']:.0f} % "
        "of the raw rate"
    )
    print(
        f"   checks  {checks['notices']:,} notices in {checks['chains']:,} unit chains, "
        f"{checks['chain_problems']} chain problem(s), {checks['queued']} left queued, "
        f"every timer fired: {'yes' if checks['all_fired'] else 'NO'}"
    )
    return {
        "at": at, "due": due, "workers": workers, "fired": fired, "composed": composed,
        "seconds": seconds, "fire_seconds": fire_s, "raw": raw, "checks": checks,
    }  # fmt: skip


def step_rate(backend: Backend, total: int, workers: list[int]) -> dict[str, Any]:
    with closing(backend.raw(ENGINE)) as conn:
        due = backend.cursor(conn).execute(
            "SELECT COUNT(*) FROM timer WHERE fired_at IS NULL AND cancelled_at IS NULL "
            "AND due_at <= ?",
            (to_db(TICK_AT),),
        ).fetchone()[0]
    per_run = min(total, due // len(workers))
    print(f"\n2. the rate: {per_run:,} due timers per run, each run taking the next ones")
    rows = []
    one = None
    for w in workers:
        ours = run_ticks(backend, ENGINE, w, per_run, raw=False)
        raw = run_ticks(backend, RAW, w, per_run, raw=True)
        one = one or ours["per_s"]
        rows.append({"workers": w, "engine": ours, "raw": raw})
        print(
            f"   {w} worker(s)  engine {ours['per_s']:9,.0f}/s   raw {raw['per_s']:9,.0f}/s   "
            f"engine at {100 * ours['per_s'] / raw['per_s']:.0f} % of raw; "
            f"{ours['per_s'] / one:.2f}× one worker"
        )
    return {"per_run": per_run, "runs": rows}


def give_contacts(backend: Backend, db: str, definition: Definition) -> None:
    """Every unit gets an address for every role of the definition, its own: a nation
    where each secretary has a mailbox, so the instant composes a message per recipient
    (bench/nation.py's tree has no contacts, and its notices would all go to "")."""
    roles = sorted(definition.spec.roles)
    text = "'{' || " + " || ',' || ".join(
        f"'\"{role}\":\"{role}.' || code || '@example.vn\"'" for role in roles
    ) + " || '}'"
    with closing(backend.raw(db)) as conn:
        cur = backend.cursor(conn)
        cur.execute(backend.begin)
        cur.execute(f"UPDATE unit SET contacts = {text}")
        cur.execute("COMMIT")


def run_backend(backend: Backend, args: argparse.Namespace) -> dict[str, Any]:
    definition = load_catalog().latest("bon-tot")
    print(f"\n=== {backend.name}: {backend.durability}")
    start = time.time()
    for db in (ENGINE, RAW):
        prepare(backend.fresh(db), args.scale)
        give_contacts(backend, db, definition)
        with bootstrap.reading(backend.url(db)) as store:  # what open_cycles stores first
            save_definition(store, definition, OPENED_AT)
        open_raw(backend, db, definition)
        if isinstance(backend, Postgres):
            with closing(backend.raw(db)) as conn:
                conn.execute("ANALYZE")
    print(f"   (two databases with the tree and its cycles in {time.time() - start:.0f} s)")
    results: dict[str, Any] = {"durability": backend.durability}
    results["instant"] = step_instant(backend, args.instant_workers)
    if args.timers:
        results["rate"] = step_rate(backend, args.timers, [int(w) for w in args.workers.split(",")])
    if not args.keep:
        for db in (ENGINE, RAW):
            backend.drop(db)
    return results


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", default="sqlite,postgresql")
    parser.add_argument("--scale", type=float, default=1.0, help="of the nationwide tree")
    parser.add_argument("--instant-workers", type=int, default=4)
    parser.add_argument("--timers", type=int, default=200_000, help="due timers per rate run")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--db-dir", type=Path, default=None, help="where the SQLite files go")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL databases")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    parser.add_argument("--instant-child", nargs=2, help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.instant_child:
        instant_child(*args.instant_child)
        return
    with tempfile.TemporaryDirectory(prefix="bontot-tick-", dir=args.db_dir) as name:
        info = machine_info(Path(name))
        print(
            f"bontot tick benchmark — {info['date']}; {info['cpus']} CPUs ({info['cpu']}), "
            f"Python {info['python']}, SQLite {info['sqlite']}; scale {args.scale}"
        )
        results: dict[str, Any] = {"machine": info, "arguments": {
            k: str(v) for k, v in vars(args).items()
        }}  # fmt: skip
        for backend_name in args.backend.split(","):
            backend = make_backend(backend_name, Path(name), args.pg)
            results[backend_name] = run_backend(backend, args)
            args.out.mkdir(parents=True, exist_ok=True)
            target = args.out / f"bench_tick-{'-'.join(args.backend.split(','))}.json"
            target.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults: {target}")


if __name__ == "__main__":
    main()
