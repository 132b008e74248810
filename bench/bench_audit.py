"""Audit-trail benchmark: verifying a million records, and what the hash chain adds to a
transition. A benchmark, not a test: it asserts nothing about speed.

    python bench/bench_audit.py                    # 1,000,000 records, 20,000 events
    python bench/bench_audit.py --records 100000 --events 5000      # a quick look

1. A SQLite file (WAL, synchronous=NORMAL) with `--records` transition records in chains
   of ten (100,000 cycles), hashes made as the engine makes them; `bontot audit verify`'s
   own function (`verify_store`) over it, beside plain sqlite3 reading the same rows in the
   same order (what any verifier must at least do). Target: 500,000 records a second.
2. `Engine.fire` on `--events` cycles of the 2025 commune, with the chain, and on a copy
   of the same file with the chain's two functions replaced by constants: the chain's cost
   is the difference. Target: under 10 %.
3. An inspector's Ed25519 key, an anchor signed over every head of 1's file, and `audit
   verify --trust` (1's chains and registers, then the signed anchors held to the heads
   at their last record) beside the raw read of 1. Signing touches no fired event (it
   writes one anchor record); on SQLite the commit path is as in 2, on PostgreSQL a
   commit also looks up the storage check's note (one indexed read).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_core as core

import workflow.service.changes as engine_module
from adapters import bootstrap, signing_keys
from adapters.audit_trust import verify_trust
from adapters.audit_verify import verify_database
from adapters.catalog import load_catalog
from adapters.persistence.db import create_schema, make_engine
from adapters.persistence.unit_of_work import SqlUnitOfWork
from workflow.audit_hashing import cycle_genesis, link
from workflow.clock import VirtualClock
from workflow.service.registers import record_units

CHAIN = 10
UNITS_AT = datetime(2025, 1, 5, 1, 0, tzinfo=UTC)
AT = "2025-02-20T02:00:00.000000Z"


def build_trail(path: Path, records: int) -> float:
    """`records` transition records in chains of CHAIN, cycle rows with their heads."""
    engine = make_engine(f"sqlite:///{path}")
    create_schema(engine)
    engine.dispose()
    started = time.perf_counter()
    cycles = records // CHAIN
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO unit (id, code, name, kind, org_type, path, member_count, contacts) "
            "VALUES (?, ?, 'U', 'grassroots_cell', 'other', ?, 0, '{}')",
            [(i, f"U{i}", f"/{i}/") for i in range(1, cycles + 1)],
        )
        for start in range(1, cycles + 1, 5000):
            transitions, heads = [], []
            for cycle_id in range(start, min(start + 5000, cycles + 1)):
                previous = cycle_genesis(cycle_id, cycle_id, 2025, "bon-tot", 1)
                state = None
                for seq in range(1, CHAIN + 1):
                    event = "open" if seq == 1 else f"step{seq}"
                    row = (cycle_id, seq, event, state, f"s{seq}", "actor.x", "role", AT,
                           '{"plan":"KH-01"}', "[]", "bon-tot", 1)
                    previous = link(previous, row)
                    transitions.append((*row, previous))
                    state = f"s{seq}"
                heads.append((cycle_id, cycle_id, f"/{cycle_id}/", CHAIN, previous))
            conn.executemany(
                "INSERT INTO cycle (id, unit_id, unit_path, unit_kind, year, definition_id, "
                "definition_version, content_hash, state, facts, version, head_hash, "
                "opened_at, updated_at) VALUES (?, ?, ?, 'grassroots_cell', 2025, "
                "'bon-tot', 1, '', 's10', '{\"plan\":\"KH-01\"}', ?, ?, '', '')",
                heads,
            )
            conn.executemany(core.INSERT_TRANSITION, transitions)
        conn.execute("COMMIT")
    # the units as the service imports them: their fact in the audit-event chain, which
    # `audit verify` holds the unit table to
    engine = make_engine(f"sqlite:///{path}")
    uow = SqlUnitOfWork(engine)
    with uow:
        record_units(uow, [f"U{i}" for i in range(1, cycles + 1)], UNITS_AT, "bench")
        uow.commit()
    uow.close()
    engine.dispose()
    return time.perf_counter() - started


def verify_with_engine(path: Path, workers: int) -> tuple[float, Any]:
    """`bontot audit verify`'s own function, processes included."""
    started = time.perf_counter()
    report = verify_database(f"sqlite:///{path}", None, workers)
    return time.perf_counter() - started, report


def read_raw(path: Path) -> tuple[float, int]:
    with closing(sqlite3.connect(path)) as conn:
        started = time.perf_counter()
        cursor = conn.execute(
            "SELECT cycle_id, seq, event, from_state, to_state, actor, role, at, payload, "
            "checks, definition_id, definition_version, hash, id FROM transition ORDER BY id"
        )
        count = 0
        while rows := cursor.fetchmany(20000):
            count += len(rows)
        return time.perf_counter() - started, count


def fire_events(path: Path, codes: list[str], chained: bool) -> core.PerCall:
    saved = engine_module.link
    if not chained:  # the same transition without the chain's work
        engine_module.link = lambda previous, fields: core.SOME_HASH  # type: ignore[assignment]
    try:
        return core.fire_with_engine(path, codes)
    finally:
        engine_module.link = saved


def signed_verification(trail: Path, folder: Path, raw_s: float, plain_s: float) -> Any:
    """3. An inspector's key registered, an anchor signed over every head; verification
    with `--trust` (the chains as in 1, then the signed anchors held to the heads at their
    last record) beside the raw read of 1."""
    url = f"sqlite:///{trail}"
    key = folder / "ubkt.key"
    signing_keys.generate(key)
    app = bootstrap.build(url, VirtualClock(datetime(2025, 3, 1, 2, tzinfo=UTC)))
    try:
        app.inspectors.add_key("ubkt", signing_keys.public_keys(folder / "ubkt.key.pub")[0],
                               "bench")  # fmt: skip
        started = time.perf_counter()
        app.inspectors.sign_anchor("bench", signing_keys.signer(key))
        sign_s = time.perf_counter() - started
    finally:
        app.close()
    trusted = signing_keys.trusted(folder / "ubkt.key.pub")
    started = time.perf_counter()
    report = verify_database(url, None, os.cpu_count() or 1)
    chains_s = time.perf_counter() - started
    verify_trust(url, trusted, datetime(2025, 3, 2, tzinfo=UTC), report)
    total_s = time.perf_counter() - started
    print(f"\n3. signed anchor (Ed25519) over {report.chains:,} chains, signed in {sign_s:.2f} s; "
          f"verdict with --trust: {'ok' if report.ok else 'BROKEN'}")
    print(f"   verify --trust                               {total_s:7.2f} s   "
          f"(chains {chains_s:.2f} s + signed anchors {total_s - chains_s:.2f} s)")
    print(f"   ratio   {total_s / raw_s:.2f}× the raw read of 1; the trust pass adds "
          f"{(total_s / chains_s - 1) * 100:+.1f} % to verify (1: {plain_s:.2f} s before the "
          "anchor)")
    return {
        "records": report.records, "ok": report.ok, "sign_s": sign_s, "chains_s": chains_s,
        "trust_s": total_s - chains_s, "total_s": total_s, "ratio_to_raw": total_s / raw_s,
        "notes": report.notes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of step 2")
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    args = parser.parse_args()
    info = core.machine_info(Path(tempfile.gettempdir()))
    print(f"bontot audit benchmark — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"machine:    {info['platform']}, {info['cpus']} CPUs, Python {info['python']}, "
          f"SQLite {info['sqlite']}")
    print(f"durability: {info['durability']}")
    results: dict[str, Any] = {"machine": info}
    with tempfile.TemporaryDirectory(prefix="bontot-bench-audit-") as scratch:
        folder = Path(scratch)
        trail = folder / "trail.db"
        built = build_trail(trail, args.records)
        raw_s, count = read_raw(trail)
        one_s, _one = verify_with_engine(trail, 1)
        ours_s, report = verify_with_engine(trail, os.cpu_count() or 1)
        rate = report.records / ours_s
        results["verify"] = {
            "records": report.records, "ok": report.ok, "engine_s": ours_s, "raw_read_s": raw_s,
            "records_per_s": rate, "ratio": ours_s / raw_s, "built_s": built,
            "one_process_s": one_s, "processes": os.cpu_count(),
        }
        print(f"\n1. verify {report.records:,} records in {report.chains:,} chains "
              f"(built in {built:.1f} s; verdict: {'ok' if report.ok else 'BROKEN'})")
        print(f"   engine  verify_store                         {ours_s:7.2f} s   "
              f"{rate:,.0f} records/s   target ≥ 500,000/s: "
              f"{'met' if rate >= 500_000 else 'MISSED'}")
        print(f"   (one process: {one_s:.2f} s, {report.records / one_s:,.0f} records/s)")
        print(f"   raw     sqlite3 reading the same {count:,} rows {raw_s:7.2f} s  "
              "(one process, in the table's order, as the verifier reads)")
        print(f"   ratio   {ours_s / raw_s:.2f}× (with {os.cpu_count()} processes against one "
              "raw reader)")

        units = core.nation(args.events)
        definition = load_catalog().latest("bon-tot")
        base = folder / "base.db"
        core.fresh_file(base, units)
        core.open_with_engine(base, definition)
        codes = [u.code for u in units if u.kind in definition.spec.applies_to][: args.events]
        chained, plain = [], []
        for round_ in range(args.rounds):  # alternate, so drift hits both alike
            for label, target, flag in (("with", chained, True), ("without", plain, False)):
                copy = folder / f"{label}-{round_}.db"
                core.copy_file(base, copy)
                target.append(fire_events(copy, codes, flag))
                copy.unlink()
        with_chain = sorted(p.median_us for p in chained)[len(chained) // 2]
        without = sorted(p.median_us for p in plain)[len(plain) // 2]
        with_mean = sorted(p.mean_us for p in chained)[len(chained) // 2]
        without_mean = sorted(p.mean_us for p in plain)[len(plain) // 2]
        added = with_chain / without - 1
        results["chain_cost"] = {
            "events": len(codes), "with_chain_median_us": with_chain,
            "without_median_us": without, "with_chain_mean_us": with_mean,
            "without_mean_us": without_mean, "added": added,
        }
        print(f"\n2. fire {len(codes):,} events ('register'), one transaction each, "
              f"{args.rounds} alternating rounds (median of rounds)")
        print("   µs per event:                    median     mean")
        print(f"   with the hash chain            {with_chain:8.1f} {with_mean:8.1f}")
        print(f"   without (chain made constant)  {without:8.1f} {without_mean:8.1f}")
        print(f"   the chain adds {added * 100:+.1f} % (of medians; "
              f"{(with_mean / without_mean - 1) * 100:+.1f} % of means)   target < 10 %: "
              f"{'met' if added < 0.10 else 'MISSED'}")
        results["signed"] = signed_verification(trail, folder, raw_s, ours_s)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_audit.json").write_text(json.dumps(results, indent=2))
    print(f"\nresults: {args.out / 'bench_audit.json'}")


if __name__ == "__main__":
    main()
