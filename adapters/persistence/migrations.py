"""Kept for callers not moved yet: moving cycles between definition versions is
adapters/persistence/versions.py (`SqlVersions`, the unit of work's `versions`), driven by
workflow.service.versions.move_cycles. `SqlMigrations(store)` only stands where the former
`migrate(engine, store, ...)` signature wants an argument."""

from __future__ import annotations

from adapters.persistence.store import SqlStore
from adapters.persistence.versions import StaleBatch

__all__ = ["SqlMigrations", "StaleBatch"]


class SqlMigrations:
    def __init__(self, store: SqlStore) -> None:
        self.store = store
