"""Two real processes fire on the same cycles of one SQLite file at the same moment."""

from __future__ import annotations

import multiprocessing

from adapters.persistence.store import SqlStore
from tests.integration.racer import race
from workflow.service.engine import Engine

UNITS = ["CB-THON1", "CB-KP3", "DB-TRUONG", "DB-TRUONG-1", "DB-TRUONG-2", "DB-TRUONG-3"]


def test_two_processes_one_applies_the_other_is_refused_as_stale(
    commune: Engine, store: SqlStore, db_url: str
) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    results = context.Queue()
    workers = [
        context.Process(target=race, args=(db_url, UNITS, barrier, results, name))
        for name in ("a", "b")
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in range(2 * len(UNITS))]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    for unit in UNITS:
        codes = sorted(code for u, _, code in outcomes if u == unit)
        assert codes == ["applied", "stale"], (unit, codes)
        winner = next(name for u, name, code in outcomes if u == unit and code == "applied")
        history = commune.history(unit, 2025)
        # exactly one registration recorded, by the process that won
        assert [e.event for e in history.entries] == ["open", "register"]
        assert history.entries[1].actor == f"bithu.{winner}"
        assert history.cycle.version == 2
