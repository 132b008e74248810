"""The records the service and its ports exchange: plain frozen values, no behaviour."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from workflow.versions import MIGRATE_EVENT

if TYPE_CHECKING:  # field types only: a board loads none of the notices' or imports' code
    from workflow.deadlines import DueDeadline, PlannedTimer
    from workflow.digests import Message
    from workflow.import_columns import ColumnNote
    from workflow.spec.registry import Definition


@dataclass(frozen=True)
class UnitRef:
    id: int
    code: str
    name: str
    kind: str
    path: str
    parent_code: str | None = None
    org_type: str = "other"
    member_count: int = 0
    contacts: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Cycle:
    id: int
    unit_code: str
    unit_kind: str
    year: int
    definition_id: str
    definition_version: int
    state: str
    version: int
    outcome: str | None
    facts: dict[str, Any]
    #: the hash of the cycle's last audit record: the next one chains onto it
    head: str = ""
    unit_path: str = ""
    #: when its last record was written: the next one may not be dated before it
    updated_at: datetime | None = None


@dataclass(frozen=True)
class AuditEntry:
    """One applied event as the audit trail keeps it."""

    seq: int
    event: str
    from_state: str | None
    to_state: str
    actor: str
    role: str
    at: datetime
    payload: dict[str, Any]
    checks: list[dict[str, Any]]
    definition_id: str
    definition_version: int


@dataclass(frozen=True)
class OpenBatch:
    """Open the next `limit` cycles (units after `after_unit_id`, by id) in one transaction:
    each with its deadlines and its opening audit entry."""

    definition: Definition
    year: int
    under: UnitRef | None
    state: str
    outcome: str | None
    deadlines: Sequence[tuple[str, datetime]]
    #: the reminders and escalations every cycle gets; those already past at `at` that
    #: are reminders are skipped (a cycle opened late is not reminded of what it missed)
    timers: Sequence[PlannedTimer]
    at: datetime
    actor: str
    role: str
    after_unit_id: int
    limit: int


@dataclass(frozen=True)
class MilestonePlan:
    """A milestone for the committees at `depth` (None: every committee) under a node."""

    due: DueDeadline
    depth: Sequence[int] | None
    timers: Sequence[PlannedTimer]


@dataclass(frozen=True)
class Opened:
    count: int
    #: the last unit looked at, to continue after; None when no unit was left
    last_unit_id: int | None


@dataclass(frozen=True)
class CycleChange:
    """Everything one transition writes; the store commits it all or nothing."""

    cycle_id: int
    expected_version: int
    state: str
    outcome: str | None
    facts: dict[str, Any] | None  # None: unchanged
    entry: AuditEntry
    met: tuple[str, ...]
    reopened: tuple[str, ...]
    #: the entry's payload and checks as stored, and its hash in the cycle's chain
    payload_text: str = "{}"
    checks_text: str = "[]"
    hash: str = ""
    #: the entry's instant as stored (what the hash covers)
    at_text: str = ""
    #: the cycle reaches a final state: none of its timers can fire any more
    closes: bool = False
    #: the timers of the reopened deadlines, planned again (those of a met deadline are
    #: deleted when it is met; reminders already past are not written again)
    replanned: tuple[PlannedTimer, ...] = ()


@dataclass(frozen=True)
class DeadlineStatus:
    key: str
    due_at: datetime
    met_at: datetime | None


@dataclass(frozen=True)
class OverdueItem:
    unit_code: str
    unit_name: str
    parent_code: str | None
    definition_id: str
    definition_version: int
    state: str | None
    deadline: str
    due_at: datetime
    milestone: bool
    parent_name: str | None = None


@dataclass(frozen=True)
class NoticeRecord:
    kind: str
    deadline: str
    step: int
    role: str
    address: str
    due_at: datetime
    at: datetime
    #: queued (not composed yet), pending (in the outbox), sent (on some channel), parked
    delivery: str = "queued"


@dataclass(frozen=True)
class OutboxItem:
    id: int
    message: Message
    attempts: int


@dataclass(frozen=True)
class OutboxCounts:
    pending: int
    sent: int
    parked: int
    parked_items: list[tuple[str, str, str, str]]  # key, channel, address, last error
    #: the parked with no recipient: key -> (role, unit codes), to be said in words
    unaddressed: dict[str, tuple[str, list[str]]] = field(default_factory=dict)


@dataclass(frozen=True)
class StateCount:
    definition_id: str
    unit_kind: str
    state: str
    outcome: str | None
    count: int


@dataclass(frozen=True)
class ChildCount:
    """The cycles of one child node's subtree (the child's own included) in one state:
    a cell of the board's row per child."""

    child_code: str
    child_name: str
    child_kind: str
    definition_id: str
    unit_kind: str
    state: str
    outcome: str | None
    count: int


@dataclass(frozen=True)
class ReportCycle:
    """A cycle with its unit, as a report lists it."""

    cycle_id: int
    unit_code: str
    unit_name: str
    unit_kind: str
    parent_code: str | None
    unit_path: str
    definition_id: str
    definition_version: int
    state: str
    outcome: str | None
    org_type: str = "other"


@dataclass(frozen=True)
class ReportEvent:
    """An applied event of a cycle, with the checks stored with it (the verdict)."""

    cycle_id: int
    event: str
    at: datetime
    checks: list[dict[str, Any]]
    payload: dict[str, Any]


@dataclass(frozen=True)
class MeetingImport:
    """What a meeting import did."""

    rows: int
    added: int
    updated: int
    unchanged: int
    units: int
    #: the file's columns nobody read, to warn about
    notes: tuple[ColumnNote, ...] = ()


@dataclass(frozen=True)
class Imported:
    """What an import of units or ratings did, and the file's columns nobody read."""

    added: int
    updated: int
    notes: tuple[ColumnNote, ...] = ()


@dataclass(frozen=True)
class MigrationSelection:
    """The cycles a migration looks at: those of one definition version, optionally under
    a node and of one year."""

    definition_id: str
    from_version: int
    under: UnitRef | None = None
    year: int | None = None


@dataclass(frozen=True)
class Migrant:
    """A selected cycle, with what the store needs to write its timers."""

    cycle: Cycle
    unit_id: int


@dataclass(frozen=True)
class CycleMove:
    """Everything one move writes, besides what its batch shares."""

    cycle_id: int
    unit_id: int
    year: int
    expected_version: int
    from_state: str
    state: str
    outcome: str | None
    #: the record's seq in the cycle's chain, its payload as stored, and its hash
    seq: int
    payload_text: str
    hash: str
    #: the target's deadlines met in the new state
    met: frozenset[str]


@dataclass(frozen=True)
class MoveBatch:
    """What one batch writes: its moves, and what they share (the target, the instant,
    who acts, and per cycle year the target's deadlines and timers)."""

    target: Definition
    moves: Sequence[CycleMove]
    deadlines: Mapping[int, Sequence[tuple[str, datetime]]]
    timers: Mapping[int, Sequence[PlannedTimer]]
    at: datetime
    at_text: str
    actor: str
    role: str
    event: str = MIGRATE_EVENT
