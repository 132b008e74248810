"""What the service needs from the world, as Protocols only: the unit of work with one
small repository per aggregate, and the notifier. Adapters implement them (SQL in
adapters/persistence); an in-memory twin may too. The records they exchange are in
workflow.service.records.

A repository runs its statements in the caller's unit of work: it never commits and
never calls into the core. A write outside `with uow:` is an error of the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import date, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self

# Every name below is only an annotation of a Protocol (read by the type checker, never
# at run time): importing the ports costs no import of what they exchange.
if TYPE_CHECKING:
    from workflow.access import Grant
    from workflow.audit import CycleHead, FactRow
    from workflow.deadlines import PlannedTimer
    from workflow.digests import Message
    from workflow.evidence.ratings import RatingRecord
    from workflow.notices import DueTimer, Notice, PendingNotice, UnaddressedNotice, UnitContact
    from workflow.rules.meeting_record import Meeting
    from workflow.service.records import (
        AuditEntry,
        ChildCount,
        Cycle,
        CycleChange,
        DeadlineStatus,
        MeetingImport,
        Migrant,
        MigrationSelection,
        MilestonePlan,
        MoveBatch,
        NoticeRecord,
        OpenBatch,
        Opened,
        OutboxCounts,
        OutboxItem,
        OverdueItem,
        ReportCycle,
        ReportEvent,
        StateCount,
        UnitRef,
    )
    from workflow.spec.registry import Definition
    from workflow.units import UnitImport

class Definitions(Protocol):
    def installation_id(self) -> str | None: ...
    def add_installation_id(self) -> None:
        """A random id for this database; the first one written is kept."""
    def stored(self, definition_id: str, version: int) -> tuple[str, Definition] | None:
        """(content hash as stored, the stored definition), if that version is saved."""
    def add(self, definition: Definition, at: datetime) -> bool:
        """False when another writer saved that version first."""
    def load(self, definition_id: str, version: int | None) -> Definition:
        """A stored version; None means the newest. Raises NotFound."""


class Units(Protocol):
    def parents(self) -> dict[str, tuple[str, str | None]]:
        """code -> (kind, parent code) of every unit."""
    def import_rows(self, rows: Sequence[UnitImport]) -> tuple[int, int]:
        """(inserted, updated); rows come checked and parents first."""
    def find(self, code: str) -> UnitRef:
        """Raises NotFound."""
    def under(self, node: UnitRef | None) -> list[UnitRef]:
        """The subtree (None: every unit), by path."""
    def ids_and_paths(self, codes: Sequence[str]) -> dict[str, tuple[int, str]]:
        """code -> (id, path) of the units found among `codes`."""
    def contacts(self, paths: set[str]) -> dict[int, UnitContact]:
        """Every unit on these paths, ancestors included, with its contacts."""
    def committees(self, under: UnitRef | None) -> list[tuple[str, str, str]]:
        """(code, name, path) of every unit with units under it, in the subtree."""


class Cycles(Protocol):
    def count_units_without_cycle(
        self, under: UnitRef | None, kinds: Sequence[str], year: int, definition_id: str
    ) -> int: ...
    def open_batch(self, batch: OpenBatch) -> Opened:
        """Open the next units' cycles, with deadlines, timers and opening records."""
    def find(self, unit_code: str, year: int) -> list[Cycle]: ...
    def latest_year(self) -> int | None:
        """The newest year any cycle is of (None: no cycle yet)."""
    def apply(self, change: CycleChange) -> bool:
        """Write one transition; False (nothing written) when the row version moved."""
    def history(self, cycle_id: int) -> list[AuditEntry]: ...
    def actors(self, cycle_id: int) -> list[tuple[str, str]]:
        """(event, actor) of each record of a cycle, in order: what separation of duties
        reads (no payload decoded)."""
    def deadlines(self, cycle_id: int) -> list[DeadlineStatus]: ...
    def count_states(self, under: UnitRef | None, year: int) -> list[StateCount]: ...
    def count_by_child(
        self, under: UnitRef | None, year: int, org_type: str | None = None
    ) -> list[ChildCount]:
        """The year's cycles counted per child node of `under` (None: the roots) and
        state, each child's subtree in one group: one grouped read. With `org_type`,
        only the cycles of units of that organisation type (loại hình)."""
    def overdue_by_child(
        self, under: UnitRef | None, year: int, at: datetime, org_type: str | None = None
    ) -> dict[str, int]:
        """Cycles still open with a deadline past due and not met, per child node. A
        cycle is closed once it reached a final state: its store recorded that then."""
    def count_overdue(self, under: UnitRef | None, year: int, at: datetime) -> dict[str, int]:
        """Deadlines past due and not met, of cycles still open, per deadline key."""
    def list_overdue(self, under: UnitRef | None, year: int, at: datetime) -> list[OverdueItem]: ...
    def under(self, under: UnitRef | None, year: int, after_id: int, limit: int) -> list[Cycle]:
        """A page of a subtree's cycles of `year`, by id after `after_id`."""
    def report_cycles(self, under: UnitRef | None, year: int) -> list[ReportCycle]: ...
    def report_events(self, under: UnitRef | None, year: int) -> list[ReportEvent]: ...


class Timers(Protocol):
    def open_milestones(
        self,
        definition: Definition,
        year: int,
        under: UnitRef | None,
        plans: Sequence[MilestonePlan],
        at: datetime,
    ) -> int:
        """Open the milestones not open yet, with their timers; how many were opened."""
    def kept_milestones(
        self, year: int, under: UnitRef | None
    ) -> list[tuple[str, str, str, datetime, str]]:
        """(unit code, definition id, key, met at, met by)."""
    def meet_milestone(
        self, unit_code: str, year: int, definition_id: str, key: str, actor: str, at: datetime
    ) -> bool:
        """Keep it (with its audit fact, its timers cancelled); False if none is open."""
    def claim_due(self, now: datetime, limit: int) -> list[DueTimer]:
        """Up to `limit` due timers, oldest first, held until the unit of work ends."""
    def settle(self, due: Sequence[DueTimer], fired: Collection[int], now: datetime) -> None:
        """Mark claimed timers fired (ids in `fired`) or cancelled (the others)."""
    def add_following(self, following: Sequence[tuple[DueTimer, PlannedTimer]]) -> None:
        """Write the next timer of each claimed one's ladder (workflow.notices.following);
        one whose key exists is rewritten only if pending or cancelled before due."""
    def next_due(self) -> datetime | None: ...


class Outbox(Protocol):
    def add_notices(self, notices: Sequence[Notice], now: datetime) -> None:
        """Chain the notices and queue them for composing."""
    def claim_pending(self, max_addresses: int) -> list[PendingNotice]:
        """Every queued notice of up to `max_addresses` addresses (none: empty)."""
    def add_messages(
        self, messages: Sequence[Message], pending: Sequence[PendingNotice], at: datetime
    ) -> None:
        """Write composed messages; take exactly `pending` off the queue."""
    def claim(
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
    def messages(self) -> list[tuple[datetime, Message]]: ...
    def next_wakeup(self) -> datetime | None:
        """When a timer or a message is next due; the past when notices wait to be
        composed; None when nothing is pending."""
    def notices(self, cycle_id: int) -> list[NoticeRecord]: ...
    def counts(self) -> OutboxCounts: ...
    def unpark(self, keys: Sequence[str] | None, now: datetime) -> int:
        """Parked messages due again now (`keys`, or every parked one when None), their
        attempts counted afresh; how many. Not those parked with no recipient."""
    def unaddressed(
        self, keys: Sequence[str] | None, under: UnitRef | None = None
    ) -> list[UnaddressedNotice]:
        """The notices of messages parked with no recipient, not readdressed yet (about
        units of `under`'s subtree)."""
    def readdress(self, key: str, queued: Sequence[tuple[int, str]], now: datetime) -> None:
        """Queue a parked message's notices again, each to its address; mark it so."""


class Audit(Protocol):
    def append(
        self,
        kind: str,
        at: datetime | str,
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
        """Append a fact (a refusal, a milestone kept) to the audit-event chain."""
    def anchor(
        self,
        at: datetime,
        actor: str,
        seal: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """An anchor over every chain's head; `seal` signs its detail before it is written."""

    def last_signed_anchor(self) -> dict[str, Any] | None: ...
    def heads_at(self, last_id: int) -> dict[int, str]:
        """Each cycle's head as of the transition record `last_id`."""

    def tail_after(self, last_id: int) -> tuple[int, str | None]:
        """(records after `last_id`, the time of the first of them)."""

    def transition_rows(
        self, under: UnitRef | None, year: int | None = None, shard: tuple[int, int] | None = None
    ) -> Iterator[tuple[Any, ...]]: ...
    def cycle_heads(
        self, under: UnitRef | None, year: int | None = None, shard: tuple[int, int] | None = None
    ) -> dict[int, CycleHead]: ...
    def chain_heads(
        self,
        under: UnitRef | None,
        year: int | None = None,
        shard: tuple[int, int] | None = None,
    ) -> list[dict[str, Any]]: ...
    def log(
        self,
        under: UnitRef | None,
        actor: str | None,
        event: str | None,
        since: datetime | None,
        until: datetime | None,
        only: str | None,
    ) -> list[dict[str, Any]]: ...
    def fact_rows(self, table: str) -> Iterator[FactRow]: ...
    def notice_heads(self) -> dict[int, tuple[int, str]]: ...
    def register_rows(self) -> dict[str, list[tuple[Any, ...]]]: ...
    def deadline_rows(self, shard: tuple[int, int] | None = None) -> list[tuple[Any, ...]]: ...
    def last_anchor_detail(self) -> dict[str, Any] | None: ...


class Actors(Protocol):
    def count(self) -> int: ...
    def lock_administration(self) -> None:
        """In a unit of work: writers adding the first actor or revoking an
        administrator wait for each other."""
    def add(
        self, actors: Sequence[tuple[str, str, str, str | None, str]], at: datetime, by: str
    ) -> None:
        """(id, name, role, scope code or None, token hash) each, each in the trail."""
    def revoke(self, actor_id: str, at: datetime, by: str) -> bool: ...
    def find(self, actor_id: str) -> tuple[Grant, str] | None:
        """The actor's grant and token hash."""
    def all(self) -> list[tuple[str, str, str, str | None, str, str | None]]: ...
    def set_password(self, actor_id: str, password_hash: str, at: datetime, by: str) -> bool:
        """The actor's password hash, set; a fact of the trail. False: no such actor."""

    def password_hash(self, actor_id: str) -> str | None: ...
    def add_key(self, name: str, public_key: str, fingerprint: str, at: datetime, by: str) -> None:
        """An inspector's public key (hex) registered; a fact of the trail."""

    def revoke_key(self, name: str, at: datetime, by: str) -> bool: ...
    def inspector_keys(self) -> list[tuple[str, str, str, str, str, str | None]]:
        """(name, public key hex, fingerprint, added at, added by, revoked at) each."""


class Registers(Protocol):
    def import_ratings(
        self,
        year: int,
        records: Sequence[RatingRecord],
        units: dict[str, tuple[int, str]],
        at: datetime,
        actor: str,
        detail: dict[str, Any],
    ) -> tuple[int, int]:
        """(added, updated), with one fact in the audit trail."""
    def rating_register(self, unit_code: str, year: int, cells: bool = True) -> dict[str, Any]:
        """{"unit", "org_type", "records" (RatingRecord), "cells" (codes below it)};
        without `cells`, the unit's own records only and no cells (a members' tally)."""
    def ratings_under(self, under: UnitRef | None, year: int) -> list[RatingRecord]: ...
    def set_target(
        self,
        year: int,
        unit: UnitRef,
        definition_id: str,
        share: float,
        assigned_on: date,
        at: datetime,
        actor: str,
    ) -> None: ...
    def targets(self, year: int) -> dict[tuple[str, str], tuple[float, date]]: ...


class Meetings(Protocol):
    def import_meetings(
        self,
        meetings: Sequence[Meeting],
        units: dict[str, tuple[int, str]],
        *,
        source: str,
        sha256: str,
        actor: str,
        role: str | None,
        at: datetime,
    ) -> MeetingImport: ...
    def meetings(self, unit_code: str, year: int) -> list[Meeting]: ...
    def meetings_under(self, under: UnitRef | None, year: int) -> dict[str, list[Meeting]]: ...
    def cycle_definitions(
        self, under: UnitRef | None, year: int, definition_id: str
    ) -> dict[str, int]: ...
    def count(self) -> int: ...


class UnitOfWork(Protocol):
    """`with uow:` ... `uow.commit()`: one transaction, rolled back unless committed.
    Reads outside a `with` see committed data. Units of work do not nest."""

    @property
    def definitions(self) -> Definitions: ...
    @property
    def units(self) -> Units: ...
    @property
    def cycles(self) -> Cycles: ...
    @property
    def timers(self) -> Timers: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def audit(self) -> Audit: ...
    @property
    def actors(self) -> Actors: ...
    @property
    def registers(self) -> Registers: ...
    @property
    def meetings(self) -> Meetings: ...
    @property
    def versions(self) -> Versions: ...

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


class Notifier(Protocol):
    """Sends one message on its channel; raises workflow.service.ticks.DeliveryFailed."""

    def send(self, message: Message) -> None: ...


class Versions(Protocol):
    """Moving cycles between versions of their definition."""

    def select(
        self, selection: MigrationSelection, after_cycle_id: int, limit: int, lock: bool
    ) -> list[Migrant]:
        """The next `limit` selected cycles after `after_cycle_id`, by id; `lock`: held
        until the unit of work ends, for a batch that will be written."""
    def write_moves(self, batch: MoveBatch) -> None:
        """Write a batch's moves; a stale row version fails the whole batch."""
