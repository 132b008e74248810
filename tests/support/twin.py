"""Small writes and looks for the service tests on the twin (tests/service): each write
one unit of work of its own, as a command would make it."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from tests.support.units_of_work import import_units as imported
from tests.support.units_of_work import write
from workflow.evidence.ratings import RatingRecord
from workflow.testing import InMemoryUnitOfWork, Tables
from workflow.units import UnitImport


def import_units(uow: InMemoryUnitOfWork, rows: Sequence[UnitImport]) -> tuple[int, int]:
    return imported(uow, rows)


def import_ratings(
    uow: InMemoryUnitOfWork,
    records: Sequence[RatingRecord],
    at: datetime,
    actor: str = "btc.x01",
    detail: dict[str, Any] | None = None,
    year: int = 2025,
) -> tuple[int, int]:
    units = uow.units.ids_and_paths(sorted({r.unit_code for r in records}))
    return write(
        uow, lambda: uow.registers.import_ratings(year, records, units, at, actor, detail or {})
    )


def set_target(
    uow: InMemoryUnitOfWork, unit: str, share: float, on: date, at: datetime, actor: str
) -> None:
    node = uow.units.find(unit)
    write(uow, lambda: uow.registers.set_target(2025, node, "bon-tot", share, on, at, actor))


def snapshot(uow: InMemoryUnitOfWork) -> Tables:
    """Every table as it is now, to compare with later."""
    return copy.deepcopy(uow.tables)


def refusal_facts(uow: InMemoryUnitOfWork) -> list[tuple[str, str, str, str]]:
    """(unit, event, actor, code) of every refusal in the audit trail."""
    return [
        (e["unit_code"], e["event"], e["actor"], e["code"])
        for e in uow.tables.audit_events
        if e["kind"] == "refusal"
    ]
