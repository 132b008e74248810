"""What several repositories share: the subtree filter (the one SQL place for the path
range of workflow.tree), a unit row's columns, the timer insert, JSON text."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from workflow.deadlines import PlannedTimer, ladder_heads
from workflow.service.records import Cycle, UnitRef
from workflow.spec.registry import Definition
from workflow.timefmt import from_db, to_db
from workflow.tree import subtree_bounds


def late(table: str = "") -> str:
    """A deadline that can be late: unmet, of a cycle still open (ix_deadline_late's
    rows), its columns named by `table` when one is given."""
    of = f"{table}." if table else ""
    return f"{of}met_at IS NULL AND {of}closed = 0"


LATE = late()

# Built once: json.dumps with non-default options builds an encoder on every call.
# Key order is kept: a definition's states are listed in the order it declares them.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
dumps = _ENCODER.encode


def subtree(node: UnitRef | None, column: str) -> tuple[str, dict[str, Any]]:
    """A filter on `column` keeping the node's subtree (empty without a node), with named
    parameters."""
    if node is None:
        return "", {}
    lo, hi = subtree_bounds(node.path)
    return f" AND {column} >= :path_lo AND {column} < :path_hi", {"path_lo": lo, "path_hi": hi}


def subtree_positional(node: UnitRef | None, column: str) -> tuple[str, list[Any]]:
    """The same filter with `?` parameters, for statements written positionally."""
    if node is None:
        return "", []
    return f" AND {column} >= ? AND {column} < ?", list(subtree_bounds(node.path))


UNIT_COLUMNS = (
    "u.id, u.code, u.name, u.kind, u.path, p.code, u.org_type, u.member_count, u.contacts"
)

CYCLE_COLUMNS = (
    "c.id, u.code, c.unit_kind, c.year, c.definition_id, c.definition_version, "
    "c.state, c.version, c.outcome, c.facts, c.head_hash, c.unit_path, c.updated_at"
)


def unit_ref(row: Sequence[Any]) -> UnitRef:
    return UnitRef(
        id=row[0],
        code=row[1],
        name=row[2],
        kind=row[3],
        path=row[4],
        parent_code=row[5],
        org_type=row[6],
        member_count=row[7],
        contacts=json.loads(row[8]),
    )


def cycle_of(r: Sequence[Any]) -> Cycle:
    """A cycle from CYCLE_COLUMNS."""
    return Cycle(
        r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], json.loads(r[9]), r[10], r[11],
        from_db(r[12]) if r[12] else None,
    )


INSERT_TIMER = (
    "INSERT INTO timer (key, cycle_id, milestone_id, unit_id, year, definition_id, "
    "definition_version, deadline, kind, step, role, \"offset\", deadline_at, due_at, moved_by) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
#: a timer written again (a migration's target, a ladder's successor): a pending one,
#: or one cancelled before it came due, is rewritten; a fired one is left as it is
UPSERT_TIMER = (
    INSERT_TIMER
    + " ON CONFLICT (key) DO UPDATE SET definition_id = excluded.definition_id, "
    "definition_version = excluded.definition_version, role = excluded.role, "
    "\"offset\" = excluded.\"offset\", deadline_at = excluded.deadline_at, "
    "due_at = excluded.due_at, moved_by = excluded.moved_by, cancelled_at = NULL "
    "WHERE timer.fired_at IS NULL "
    "AND (timer.cancelled_at IS NULL OR timer.cancelled_at < timer.due_at)"
)


def timer_values(
    timers: Sequence[PlannedTimer], at: datetime, definition: Definition
) -> list[tuple[str, tuple[Any, ...]]]:
    """Per planned timer to write at `at` (workflow.deadlines.ladder_heads: each ladder's
    next one, and escalations already owed): its key suffix and the columns after (key,
    cycle, milestone, unit, year)."""
    return planned_values(timers, at, definition.spec.id, definition.spec.version)


def planned_values(
    timers: Sequence[PlannedTimer], at: datetime, definition_id: str, version: int
) -> list[tuple[str, tuple[Any, ...]]]:
    """timer_values, for a definition named by id and version."""
    return [
        (timer.suffix, timer_columns(timer, definition_id, version))
        for timer in ladder_heads(timers, at)
    ]


def timer_columns(timer: PlannedTimer, definition_id: str, version: int) -> tuple[Any, ...]:
    """A timer row's columns after (key, cycle, milestone, unit, year)."""
    return (
        definition_id,
        version,
        timer.deadline,
        timer.kind,
        timer.step,
        timer.role,
        timer.offset,
        to_db(timer.deadline_at),
        to_db(timer.due_at),
        "; ".join(timer.moved_by),
    )
