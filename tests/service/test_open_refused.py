"""A definition that cannot plan a year is refused by `cycle open` before anything is
stored: no definition row, no audit fact, no cycle (issue 16: it used to crash after
storing the definition)."""

from __future__ import annotations

import pytest

from tests.conftest import COMMUNE
from tests.support.twin import import_units
from workflow.errors import DefinitionError
from workflow.service.cycles import CycleService
from workflow.spec.registry import Definition, content_hash
from workflow.testing import InMemoryUnitOfWork


def _with(definition: Definition, **changes: object) -> Definition:
    spec = definition.spec.model_copy(update={"version": 99, **changes})
    return Definition(spec, content_hash(spec), "mars.yaml")


def _nothing_stored(uow: InMemoryUnitOfWork, definition: Definition) -> bool:
    with uow:
        return (
            uow.definitions.stored(definition.spec.id, definition.spec.version) is None
            and uow.cycles.latest_year() is None
        )


def test_a_time_zone_that_does_not_exist_opens_nothing_and_stores_nothing(
    service: CycleService, uow: InMemoryUnitOfWork, bon_tot: Definition
) -> None:
    import_units(uow, COMMUNE)
    martian = _with(bon_tot, timezone="Mars/Olympus")
    with pytest.raises(DefinitionError, match=r"mars\.yaml: cannot plan the year 2025"):
        service.open_cycles(martian, 2025)
    assert _nothing_stored(uow, martian)


@pytest.mark.parametrize("year", [1, 1999, 2101, 9999])
def test_a_year_out_of_range_is_refused_before_anything_is_stored(
    service: CycleService, uow: InMemoryUnitOfWork, bon_tot: Definition, year: int
) -> None:
    import_units(uow, COMMUNE)
    with pytest.raises(DefinitionError, match=f"the year {year} is outside 2000–2100"):
        service.open_cycles(bon_tot, year)
    with uow:
        assert uow.definitions.stored(bon_tot.spec.id, bon_tot.spec.version) is None
