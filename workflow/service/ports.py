"""What the service needs from the world. Adapters implement these; tests may too."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from workflow.deadlines import DueDeadline, PlannedTimer
from workflow.evidence.ratings import RatingRecord
from workflow.notices import DueTimer, Message, Notice, PendingNotice, UnitContact
from workflow.spec.registry import Definition
from workflow.units import UnitRow


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


AddressNotices = Callable[[list[DueTimer], dict[int, UnitContact]], list[Notice]]
ComposeMessages = Callable[[list[PendingNotice]], list[Message]]


@dataclass(frozen=True)
class StateCount:
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


@dataclass(frozen=True)
class ReportEvent:
    """An applied event of a cycle, with the checks stored with it (the verdict)."""

    cycle_id: int
    event: str
    at: datetime
    checks: list[dict[str, Any]]
    payload: dict[str, Any]


class Store(Protocol):
    def installation_id(self) -> str: ...

    def record_event(
        self,
        kind: str,
        at: datetime,
        actor: str,
        *,
        role: str | None = None,
        unit_code: str | None = None,
        unit_path: str | None = None,
        cycle_id: int | None = None,
        year: int | None = None,
        event: str | None = None,
        code: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Append a fact (a refusal, a milestone kept) to the audit trail."""
        ...

    def save_definition(self, definition: Definition, at: datetime) -> None: ...

    def rating_register(self, unit_code: str, year: int) -> dict[str, Any]:
        """The ratings the recognition rule tallies for a unit: {"unit", "records" (a list
        of RatingRecord), "cells" (codes of the units below it)}."""
        ...

    def report_cycles(self, under: UnitRef | None, year: int) -> list[ReportCycle]: ...

    def report_events(self, under: UnitRef | None, year: int) -> list[ReportEvent]:
        """The applied events of a subtree's cycles, in order."""
        ...

    def ratings_under(self, under: UnitRef | None, year: int) -> list[RatingRecord]: ...

    def committees(self, under: UnitRef | None) -> list[tuple[str, str, str]]:
        """(code, name, path) of every unit with units under it, in the subtree."""
        ...

    def targets(self, year: int) -> dict[tuple[str, str], tuple[float, date]]:
        """Targets assigned for `year`: (superior's code, definition id) -> (share, on)."""
        ...

    def load_definition(self, definition_id: str, version: int | None) -> Definition:
        """A stored version; None means the newest."""
        ...

    def import_units(self, rows: Sequence[UnitRow]) -> tuple[int, int]: ...

    def unit_parents(self) -> dict[str, tuple[str, str | None]]: ...

    def find_unit(self, code: str) -> UnitRef: ...

    def list_units(self, under: str | None) -> list[UnitRef]: ...

    def count_units_without_cycle(
        self, under: UnitRef | None, kinds: Sequence[str], year: int, definition_id: str
    ) -> int: ...

    def open_next_batch(self, batch: OpenBatch) -> Opened: ...

    def find_cycles(self, unit_code: str, year: int) -> list[Cycle]: ...

    def apply(self, change: CycleChange) -> bool: ...

    def apply_many(self, changes: Sequence[CycleChange]) -> list[bool]:
        """A batch of changes to different cycles in one transaction; False: stale."""
        ...

    def cycles_under(
        self, under: UnitRef | None, year: int, after_id: int, limit: int
    ) -> list[Cycle]: ...

    def history(self, cycle_id: int) -> list[AuditEntry]: ...

    def deadlines(self, cycle_id: int) -> list[DeadlineStatus]: ...

    def count_states(self, under: UnitRef | None, year: int) -> list[StateCount]: ...

    def count_overdue(
        self, under: UnitRef | None, year: int, at: datetime, closed_states: Sequence[str]
    ) -> dict[str, int]: ...

    def list_overdue(
        self, under: UnitRef | None, year: int, at: datetime, closed_states: Sequence[str]
    ) -> list[OverdueItem]: ...

    # -- milestones and timers ---------------------------------------------------------
    def open_milestones(
        self,
        definition: Definition,
        year: int,
        under: UnitRef | None,
        plans: Sequence[MilestonePlan],
        at: datetime,
    ) -> int: ...

    def meet_milestone(
        self, unit_code: str, year: int, definition_id: str, key: str, actor: str, at: datetime
    ) -> bool: ...

    def fire_due_timers(self, now: datetime, limit: int, address: AddressNotices) -> int:
        """Take up to `limit` due timers in one transaction: those `address` makes a notice
        of are marked fired, their notices written and queued for composing; the others
        (their deadline met, their cycle closed) are marked cancelled. Returns how many
        were taken."""
        ...

    def compose_pending(self, max_addresses: int, compose: ComposeMessages, at: datetime) -> int:
        """Compose the queued notices of up to `max_addresses` addresses, all of each, into
        outbox messages, in one transaction. Returns how many messages were written."""
        ...

    def claim_outbox(
        self, now: datetime, limit: int, lease_until: datetime, worker: str
    ) -> list[OutboxItem]: ...

    def renew_lease(
        self, item: OutboxItem, worker: str, now: datetime, lease_until: datetime
    ) -> bool: ...

    def record_delivery(
        self,
        item: OutboxItem,
        at: datetime,
        worker: str,
        result: str,
        detail: str,
        next_attempt_at: datetime | None,
    ) -> None: ...

    def next_timer_due(self) -> datetime | None: ...

    def next_wakeup(self) -> datetime | None:
        """The earliest instant at which a timer or an outbox message is due; the past
        when notices wait to be composed; None when nothing is pending."""
        ...

    def notices(self, cycle_id: int) -> list[NoticeRecord]: ...

    def outbox_counts(self) -> OutboxCounts: ...
