"""Kept for callers not moved yet: see workflow.service.versions (`move_cycles`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from workflow.service.cycles import CycleService
from workflow.service.records import CycleMove, Migrant, MigrationSelection, MoveBatch
from workflow.service.versions import MigrationReport, move_cycles
from workflow.spec.registry import Definition

__all__ = [
    "CycleMove",
    "Migrant",
    "MigrationReport",
    "MigrationSelection",
    "MoveBatch",
    "migrate",
]


def migrate(
    engine: CycleService,
    store: Any,
    selection: MigrationSelection,
    target: Definition,
    pairs: Sequence[tuple[str, str]] = (),
    **options: Any,
) -> MigrationReport:
    """`move_cycles` under its former signature; `store` (a SqlMigrations) is not used:
    the batches run in the service's own unit of work."""
    return move_cycles(engine, selection, target, pairs, **options)
