"""Kept for callers not moved yet: the service is `CycleService` (workflow.service.cycles,
its read side in board.py). `Engine(store, clock, calendars)` still builds one: a
SqlStore is a unit of work, and `calendars` must now be given."""

from workflow.service.changes import stale_decision
from workflow.service.cycles import (
    CalendarFactory,
    CycleService,
    DefinitionConflict,
    Progress,
    weekends_only,
)

Engine = CycleService

__all__ = [
    "CalendarFactory", "CycleService", "DefinitionConflict", "Engine", "Progress",
    "stale_decision", "weekends_only",
]
