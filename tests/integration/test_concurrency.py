"""Real processes on one database (each backend) at the same moment: two fire on the same
cycles, one applies and the other is refused as stale, in the audit trail; a worker dies
holding its timer claims and another fires them, each once."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from typing import Any

from adapters.holidays_vn import calendar_for
from adapters.persistence.store import SqlStore
from tests.conftest import local
from tests.integration.racer import claim_and_hang, race
from tests.support.backends import rows
from workflow.clock import VirtualClock
from workflow.notices import address_notices
from workflow.service.cycles import CycleService
from workflow.service.ticks import Ladders

UNITS = ["CB-THON1", "CB-KP3", "DB-TRUONG", "DB-TRUONG-1", "DB-TRUONG-2", "DB-TRUONG-3"]


def test_two_processes_one_applies_the_other_is_refused_as_stale(
    commune: CycleService, store: SqlStore, db_url: str
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
    refusals = store.audit_log(None, None, None, None, None, "refusals")
    for unit in UNITS:
        codes = sorted(code for u, _, code in outcomes if u == unit)
        assert codes == ["applied", "stale"], (unit, codes)
        winner = next(name for u, name, code in outcomes if u == unit and code == "applied")
        loser = next(name for u, name, code in outcomes if u == unit and code == "stale")
        history = commune.history(unit, 2025)
        # exactly one registration recorded, by the process that won
        assert [e.event for e in history.entries] == ["open", "register"]
        assert history.entries[1].actor == f"bithu.{winner}"
        assert history.cycle.version == 2
        # and the loser's attempt is in the audit trail, refused as stale, with the
        # version it had read
        (refused,) = [r for r in refusals if r["unit"] == unit]
        assert (refused["actor"], refused["event"], refused["code"]) == (
            f"bithu.{loser}", "register", "stale"
        )
        assert refused["detail"]["version"] == 1


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.05)


def test_timers_claimed_by_a_worker_that_died_are_fired_by_another_each_once(
    commune: CycleService, store: SqlStore, db_url: str
) -> None:
    """The claim of a timer is the transaction that fires it (row locks, FOR UPDATE SKIP
    LOCKED on PostgreSQL): its lease is that transaction's life. A worker killed inside it
    leaves nothing half-fired, and its timers to the next worker. Meanwhile, on
    PostgreSQL, another worker fires every other due timer, skipping the locked ones
    (SQLite has one writer at a time: there the others wait for the death)."""
    now = local(2026, 3, 31)  # the whole ladder of every 2025 cycle is due
    due = {
        r[0]
        for r in rows(
            db_url, "SELECT id FROM timer WHERE due_at <= ? AND fired_at IS NULL "
            "AND cancelled_at IS NULL", (store_time(now),),
        )
    }
    assert len(due) > 20
    context = multiprocessing.get_context("spawn")
    claimed = context.Queue()
    dying = context.Process(
        target=claim_and_hang, args=(db_url, now, 10, claimed), daemon=True
    )
    dying.start()
    try:
        held = set(claimed.get(timeout=120))
        assert len(held) == 10 and held <= due
        service = CycleService(store, VirtualClock(now), calendar_for)
        ladders = Ladders(service.spec, service.calendar)

        def address(timers: Any, units: Any) -> Any:
            return address_notices(timers, units, service.spec, now)

        done_meanwhile = 0
        if store.sql.dialect.name == "postgresql":
            done_meanwhile = store.fire_due_timers(now, 1000, address, ladders.follow)
            assert done_meanwhile == len(due) - 10  # all but the ten held
    finally:
        assert dying.pid is not None
        os.kill(dying.pid, signal.SIGKILL)
        dying.join(timeout=30)
    assert dying.exitcode == -signal.SIGKILL
    if store.sql.dialect.name == "postgresql":  # the server ends the dead client's transaction
        wait_until(lambda: not in_transaction(db_url), 60, "the dead worker's session ended")
    taken_over = store.fire_due_timers(now, 1000, address, ladders.follow)
    assert taken_over >= len(held)  # the ten held, and successors already due
    rounds = 0  # a fired timer writes the next one on its ladder; it may be due too
    while store.fire_due_timers(now, 1000, address, ladders.follow):
        rounds += 1
        assert rounds < 20, "the ladders never ran out"
    outcome = rows(
        db_url, "SELECT id, fired_at IS NOT NULL, cancelled_at IS NOT NULL FROM timer "
        "WHERE due_at <= ?", (store_time(now),),
    )
    assert due <= {r[0] for r in outcome}
    assert all(bool(fired) != bool(cancelled) for _id, fired, cancelled in outcome)
    fired = {i for i, was_fired, _c in outcome if was_fired}
    noticed = [r[0] for r in rows(db_url, "SELECT timer_id FROM notice")]
    assert held <= fired
    assert sorted(noticed) == sorted(fired)  # one notice per fired timer, never two


def store_time(instant: Any) -> str:
    from workflow.timefmt import to_db

    return to_db(instant)


def in_transaction(url: str) -> bool:
    """Whether a session of this test (its application name) still holds a transaction."""
    return bool(
        rows(
            url,
            "SELECT 1 FROM pg_stat_activity WHERE application_name = "
            "current_setting('application_name') AND pid != pg_backend_pid() "
            "AND state LIKE 'idle in transaction%'",
        )
    )
