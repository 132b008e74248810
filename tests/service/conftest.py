"""The service on the in-memory twin (workflow.testing): the same commune as
tests/conftest.py, in milliseconds instead of a database per test. What a test here
pins is the service's behaviour; what the SQL repositories do with it is pinned by
tests/contract on both databases."""

from __future__ import annotations

import pytest

from tests.conftest import COMMUNE
from tests.support.register import COMMUNE_RATINGS
from tests.support.twin import import_ratings, import_units
from workflow.clock import VirtualClock
from workflow.service.cycles import CycleService, weekends_only
from workflow.spec.registry import Definition
from workflow.testing import InMemoryUnitOfWork


@pytest.fixture
def uow() -> InMemoryUnitOfWork:
    return InMemoryUnitOfWork()


@pytest.fixture
def service(uow: InMemoryUnitOfWork, clock: VirtualClock) -> CycleService:
    return CycleService(uow, clock, weekends_only)


@pytest.fixture
def commune(service: CycleService, uow: InMemoryUnitOfWork, bon_tot: Definition) -> CycleService:
    """The commune imported, its 2025 cycles opened, its members rated."""
    import_units(uow, COMMUNE)
    service.open_cycles(bon_tot, 2025, actor="btc.t01")
    import_ratings(uow, COMMUNE_RATINGS, service.clock.now(), "btc.x01", {"file": "fixture"})
    return service
