"""The contract tests' fixtures: one `uow` per kind (the twin, SQLite, PostgreSQL), the
same assertions on each; `commune` is the commune of tests/conftest.py with its 2025
cycles opened through the service, on that unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import COMMUNE
from tests.support.register import COMMUNE_RATINGS
from tests.support.units_of_work import KINDS, import_units, unit_of_work, write
from workflow.clock import VirtualClock
from workflow.service.cycles import CycleService, weekends_only
from workflow.spec.registry import Definition


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def uow(kind: str, tmp_path: Path) -> Iterator[Any]:
    with unit_of_work(kind, tmp_path) as found:
        yield found


@pytest.fixture
def service(uow: Any, clock: VirtualClock) -> CycleService:
    return CycleService(uow, clock, weekends_only)


@pytest.fixture
def commune(service: CycleService, uow: Any, bon_tot: Definition) -> CycleService:
    import_units(uow, COMMUNE)
    service.open_cycles(bon_tot, 2025, actor="btc.t01")
    units = uow.units.ids_and_paths(sorted({r.unit_code for r in COMMUNE_RATINGS}))
    write(
        uow,
        lambda: uow.registers.import_ratings(
            2025, COMMUNE_RATINGS, units, service.clock.now(), "btc.x01", {"file": "fixture"}
        ),
    )
    return service
