"""Child processes for the concurrency tests: load a cycle, wait for the other, fire; or
claim due timers and hang until killed."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from adapters.persistence.db import make_engine
from adapters.persistence.store import SqlStore
from workflow.clock import VirtualClock
from workflow.service.cycles import CycleService, weekends_only


def race(db_url: str, units: list[str], barrier: Any, results: Any, name: str) -> None:
    engine = make_engine(db_url)
    store = SqlStore(engine)
    service = CycleService(store, VirtualClock(datetime(2025, 2, 20, 2, tzinfo=UTC)), weekends_only)
    try:
        for unit in units:
            cycle = service.cycle(unit, 2025)
            barrier.wait(timeout=60)  # both hold version 1 before either writes
            result = service.fire_on(
                cycle, "register", f"bithu.{name}", "unit_secretary", {"plan": f"KH-{name}"}
            )
            refusal = result.decision.refusal
            results.put((unit, name, "applied" if refusal is None else refusal.code))
    finally:
        store.close()
        engine.dispose()


def claim_and_hang(db_url: str, now: datetime, limit: int, claimed: Any) -> None:
    """Claim due timers inside fire_due_timers' transaction, say so, and hang there until
    killed: a worker that dies holding its claims (locks that only its death releases)."""
    from adapters.holidays_vn import calendar_for
    from workflow.notices import address_notices
    from workflow.service.ticks import Ladders

    engine = make_engine(db_url)
    store = SqlStore(engine)
    service = CycleService(store, VirtualClock(now), calendar_for)

    def address(due: Any, units: Any) -> Any:
        notices = address_notices(due, units, service.spec, now)
        claimed.put(sorted(t.id for t in due))
        time.sleep(3600)  # never returns: the parent kills this process
        return notices

    store.fire_due_timers(now, limit, address, Ladders(service.spec, service.calendar).follow)
