"""Kept for callers not moved yet: see workflow.versions (moving cycles between
definition versions). `Verdict` is `MoveVerdict` there."""

from workflow.versions import (
    MIGRATE_EVENT,
    MigrationError,
    MoveVerdict,
    StateMap,
    judge,
    met_deadlines,
    parse_pairs,
    state_map,
)

Verdict = MoveVerdict

__all__ = [
    "MIGRATE_EVENT", "MigrationError", "MoveVerdict", "StateMap", "Verdict", "judge",
    "met_deadlines", "parse_pairs", "state_map",
]
