"""A child process for the concurrency test: load a cycle, wait for the other, fire."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from adapters.persistence.db import make_engine
from adapters.persistence.store import SqlStore
from workflow.clock import VirtualClock
from workflow.service.engine import Engine


def race(db_url: str, units: list[str], barrier: Any, results: Any, name: str) -> None:
    engine = make_engine(db_url)
    store = SqlStore(engine)
    service = Engine(store, VirtualClock(datetime(2025, 2, 20, 2, tzinfo=UTC)))
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
