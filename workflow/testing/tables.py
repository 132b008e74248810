"""The twin's storage: one dict or list per SQL table, rows kept in the shapes the SQL
adapter stores them (instants as `to_db` text, JSON as text), so that what the twin
hashes, sorts and compares is byte for byte what the database would.

A unit of work snapshots the tables on entering and puts the snapshot back on rollback;
a write outside a unit of work raises (on SQL it would run in autocommit, unguarded).
The snapshot copies each table's container, not its rows: so a row is never changed in
place but replaced (`change`), and an index holds tuples, replaced on every addition
(`index_add`). That keeps a unit of work over a province's tables cheap."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from workflow.deadlines import PlannedTimer, ladder_heads
from workflow.service.records import Cycle, UnitRef
from workflow.spec.registry import Definition
from workflow.timefmt import from_db, to_db
from workflow.tree import subtree_bounds

Row = dict[str, Any]

# The SQL adapter's JSON text: key order kept, UTF-8 kept, no spaces.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
dumps = _ENCODER.encode


class OutsideUnitOfWork(RuntimeError):
    """A repository write called outside `with uow:`."""


class UnitOfWorkOpen(RuntimeError):
    """A unit of work entered while another is open (they do not nest)."""


class IntegrityError(RuntimeError):
    """A write that a database constraint (unique key, missing parent row) would refuse."""


@dataclass
class Tables:
    meta: dict[str, str] = field(default_factory=dict)
    #: (definition_id, version) -> content_hash, filename, resolved (text), registered_at
    definitions: dict[tuple[str, int], Row] = field(default_factory=dict)
    units: dict[int, Row] = field(default_factory=dict)
    unit_ids: dict[str, int] = field(default_factory=dict)  # code -> id
    cycles: dict[int, Row] = field(default_factory=dict)
    transitions: list[Row] = field(default_factory=list)
    #: (cycle_id, key) -> due_at, met_at
    deadlines: dict[tuple[int, str], Row] = field(default_factory=dict)
    milestones: dict[int, Row] = field(default_factory=dict)
    timers: dict[int, Row] = field(default_factory=dict)
    timer_ids: dict[str, int] = field(default_factory=dict)  # key -> id
    notices: dict[int, Row] = field(default_factory=dict)
    notice_queue: dict[int, str] = field(default_factory=dict)  # notice id -> address
    #: unit id -> (last seq, head) of its notice chain (the notice_chain table)
    notice_chains: dict[int, tuple[int, str]] = field(default_factory=dict)
    outbox: dict[int, Row] = field(default_factory=dict)
    outbox_ids: dict[str, int] = field(default_factory=dict)  # key -> id
    notice_messages: set[tuple[int, str]] = field(default_factory=set)
    deliveries: list[Row] = field(default_factory=list)
    audit_events: list[Row] = field(default_factory=list)
    actors: dict[str, Row] = field(default_factory=dict)
    #: name -> an inspector's key
    inspector_keys: dict[str, Row] = field(default_factory=dict)
    #: (year, unit_id, member, stage) -> row
    ratings: dict[tuple[int, int, str, str], Row] = field(default_factory=dict)
    #: (year, unit_id, definition_id) -> row
    targets: dict[tuple[int, int, str], Row] = field(default_factory=dict)
    #: (unit_id, held_on, kind) -> row
    meetings: dict[tuple[int, str, str], Row] = field(default_factory=dict)
    #: the last id handed out per table (autoincrement)
    last_ids: dict[str, int] = field(default_factory=dict)
    # indexes, for the reads a service makes per cycle
    transitions_of: dict[int, tuple[Row, ...]] = field(default_factory=dict)  # by seq
    cycles_of_unit: dict[int, tuple[int, ...]] = field(default_factory=dict)
    deadline_keys: dict[int, tuple[str, ...]] = field(default_factory=dict)
    ratings_of: dict[tuple[int, int], tuple[tuple[int, int, str, str], ...]] = field(
        default_factory=dict
    )  # (year, unit id) -> rating keys
    children: dict[int, tuple[int, ...]] = field(default_factory=dict)  # unit id -> ids

    def snapshot(self) -> Tables:
        """A copy of every container (rows are shared: they are replaced, never changed)."""
        return Tables(**{f.name: copy.copy(getattr(self, f.name)) for f in fields(Tables)})

    def next_id(self, table: str) -> int:
        self.last_ids[table] = self.last_ids.get(table, 0) + 1
        return self.last_ids[table]


class Session:
    """What the repositories of one twin share: the tables and whether a unit of work is
    open. Rollback restores the tables in place, so a repository may keep `tables`."""

    def __init__(self) -> None:
        self.tables = Tables()
        self.open = False
        self._snapshot: Tables | None = None

    def begin(self) -> None:
        if self.open:
            raise UnitOfWorkOpen("a unit of work is already open on this twin")
        self._snapshot = self.tables.snapshot()
        self.open = True

    def commit(self) -> None:
        self.open, self._snapshot = False, None

    def rollback(self) -> None:
        if self._snapshot is not None:
            for f in fields(Tables):
                setattr(self.tables, f.name, getattr(self._snapshot, f.name))
        self.open, self._snapshot = False, None

    def writing(self) -> Tables:
        """The tables, for a write: refused outside a unit of work."""
        if not self.open:
            raise OutsideUnitOfWork("a repository write outside `with uow:`")
        return self.tables


def change(table: dict[Any, Row], key: Any, **values: Any) -> Row:
    """Replace a row by a copy with `values` changed (the snapshot keeps the old one)."""
    row = table[key] = {**table[key], **values}
    return row


def index_add(index: dict[Any, tuple[Any, ...]], key: Any, value: Any) -> None:
    index[key] = (*index.get(key, ()), value)


def in_subtree(node: UnitRef | None, path: str | None) -> bool:
    """The SQL filter `path >= lo AND path < hi` of workflow.tree's bounds (a NULL path
    is in no subtree, as a NULL compares false)."""
    if node is None:
        return True
    if path is None:
        return False
    lo, hi = subtree_bounds(node.path)
    return lo <= path < hi


def parent_code(tables: Tables, unit: Row) -> str | None:
    parent = tables.units.get(unit["parent_id"]) if unit["parent_id"] is not None else None
    return None if parent is None else str(parent["code"])


def parent_name(tables: Tables, unit: Row) -> str | None:
    parent = tables.units.get(unit["parent_id"]) if unit["parent_id"] is not None else None
    return None if parent is None else str(parent["name"])


def unit_ref(tables: Tables, unit: Row) -> UnitRef:
    return UnitRef(
        id=unit["id"],
        code=unit["code"],
        name=unit["name"],
        kind=unit["kind"],
        path=unit["path"],
        parent_code=parent_code(tables, unit),
        org_type=unit["org_type"],
        member_count=unit["member_count"],
        contacts=json.loads(unit["contacts"]),
    )


def cycle_of(tables: Tables, c: Row) -> Cycle:
    return Cycle(
        c["id"], tables.units[c["unit_id"]]["code"], c["unit_kind"], c["year"],
        c["definition_id"], c["definition_version"], c["state"], c["version"], c["outcome"],
        json.loads(c["facts"]), c["head_hash"], c["unit_path"],
        from_db(c["updated_at"]) if c.get("updated_at") else None,
    )


def insert_timer(tables: Tables, row: Row) -> int:
    """A timer row (key unique); its id."""
    if row["key"] in tables.timer_ids:
        raise IntegrityError(f"UNIQUE constraint failed: timer.key {row['key']!r}")
    timer_id = tables.next_id("timer")
    tables.timers[timer_id] = {**row, "id": timer_id, "fired_at": None, "cancelled_at": None}
    tables.timer_ids[row["key"]] = timer_id
    return timer_id


def upsert_timer(tables: Tables, row: Row) -> None:
    """A new timer, or a pending one (or one cancelled before it came due) rewritten with
    the row's date, role and version; a fired one is left as it is (as
    adapters.persistence.rows.UPSERT_TIMER)."""
    timer_id = tables.timer_ids.get(row["key"])
    if timer_id is None:
        insert_timer(tables, row)
        return
    t = tables.timers[timer_id]
    if t["fired_at"] is None and (t["cancelled_at"] is None or t["cancelled_at"] < t["due_at"]):
        columns = (
            "definition_id", "definition_version", "role", "offset", "deadline_at",
            "due_at", "moved_by",
        )
        change(tables.timers, timer_id, cancelled_at=None, **{c: row[c] for c in columns})


def timer_rows(
    timers: Sequence[PlannedTimer], at: datetime, definition: Definition
) -> list[tuple[str, Row]]:
    """Per planned timer to write at `at` (each ladder's next one and the escalations
    already owed: workflow.deadlines.ladder_heads): its key suffix and its columns after
    (key, cycle, milestone, unit, year), as adapters.persistence.rows.timer_values."""
    return planned_rows(timers, at, definition.spec.id, definition.spec.version)


def planned_rows(
    timers: Sequence[PlannedTimer], at: datetime, definition_id: str, version: int
) -> list[tuple[str, Row]]:
    """timer_rows, for a definition named by id and version."""
    return [
        (timer.suffix, timer_row(timer, definition_id, version))
        for timer in ladder_heads(timers, at)
    ]


def timer_row(timer: PlannedTimer, definition_id: str, version: int) -> Row:
    """A timer row's columns after (key, cycle, milestone, unit, year)."""
    return {
        "definition_id": definition_id,
        "definition_version": version,
        "deadline": timer.deadline,
        "kind": timer.kind,
        "step": timer.step,
        "role": timer.role,
        "offset": timer.offset,
        "deadline_at": to_db(timer.deadline_at),
        "due_at": to_db(timer.due_at),
        "moved_by": "; ".join(timer.moved_by),
    }
