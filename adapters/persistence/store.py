"""A thin facade over the SQL unit of work, for callers not moved to it yet: each of
today's `SqlStore` methods keeps its name and signature and runs one repository method,
a write in a unit of work of its own (as each method was one transaction before).
New code uses `SqlUnitOfWork` and the repositories (`uow.cycles`, `uow.audit`, ...)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from adapters.clock import SystemClock
from adapters.persistence.connection import Database
from adapters.persistence.unit_of_work import SqlUnitOfWork
from workflow.evidence.ratings import RatingRecord
from workflow.service import records as r
from workflow.units import UnitImport

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from workflow.service.ticks import AddressNotices, ComposeMessages, FollowLadders

# The use cases a few facade methods run (the tick's batches, the units' audit records)
# are imported by those methods: a command that only reads never loads them.

T = TypeVar("T")


class SqlStore(SqlUnitOfWork):
    def __init__(self, source: Engine | Database) -> None:
        super().__init__(source)
        d, u, c, t, o, a = (
            self.definitions, self.units, self.cycles, self.timers, self.outbox, self.audit
        )
        self.load_definition, self.unit_parents, self.find_unit = d.load, u.parents, u.find
        self.count_units_without_cycle, self.find_cycles = c.count_units_without_cycle, c.find
        self.history, self.deadlines, self.count_states = c.history, c.deadlines, c.count_states
        self.count_overdue, self.list_overdue = c.count_overdue, c.list_overdue
        self.report_cycles, self.report_events = c.report_cycles, c.report_events
        self.cycles_under, self.committees = c.under, u.committees
        self.kept_milestones, self.next_timer_due = t.kept_milestones, t.next_due
        self.outbox_messages = o.messages
        self.next_wakeup, self.notices, self.outbox_counts = o.next_wakeup, o.notices, o.counts
        self.transition_rows, self.cycle_heads = a.transition_rows, a.cycle_heads
        self.chain_heads, self.audit_log, self.fact_rows = a.chain_heads, a.log, a.fact_rows
        self.last_anchor_detail, self.register_rows = a.last_anchor_detail, a.register_rows
        self.deadline_rows, self.notice_heads = a.deadline_rows, a.notice_heads
        self.count_actors, self.find_actor = self.actors.count, self.actors.find
        self.list_actors = self.actors.all
        self.rating_register = self.registers.rating_register
        self.ratings_under, self.targets = self.registers.ratings_under, self.registers.targets

    def _write(self, work: Callable[[], T]) -> T:
        with self:
            result = work()
            self.commit()
        return result

    def installation_id(self) -> str:
        from workflow.service.ticks import installation_id

        return installation_id(self)

    def list_units(self, under: str | None) -> list[r.UnitRef]:
        return self.units.under(self.find_unit(under) if under else None)

    def import_units(
        self, rows: Sequence[UnitImport], at: datetime | None = None, actor: str = "system"
    ) -> tuple[int, int]:
        def work() -> tuple[int, int]:
            counts = self.units.import_rows(rows)
            from workflow.service.registers import record_units

            record_units(self, [row.code for row in rows], at or SystemClock().now(), actor)
            return counts

        return self._write(work)

    def apply(self, change: r.CycleChange) -> bool:
        return self._write(lambda: self.cycles.apply(change))

    def meet_milestone(
        self, unit_code: str, year: int, definition_id: str, key: str, actor: str, at: datetime
    ) -> bool:
        return self._write(
            lambda: self.timers.meet_milestone(unit_code, year, definition_id, key, actor, at)
        )

    def fire_due_timers(
        self, now: datetime, limit: int, address: AddressNotices, follow: FollowLadders
    ) -> int:
        from workflow.service.ticks import fire_due

        return fire_due(self, now, limit, address, follow)

    def compose_pending(self, max_addresses: int, compose: ComposeMessages, at: datetime) -> int:
        from workflow.service.ticks import compose_due

        return compose_due(self, at, max_addresses, compose)

    def claim_outbox(
        self, now: datetime, limit: int, lease_until: datetime, worker: str
    ) -> list[r.OutboxItem]:
        return self._write(lambda: self.outbox.claim(now, limit, lease_until, worker))

    def renew_lease(
        self, item: r.OutboxItem, worker: str, now: datetime, lease_until: datetime
    ) -> bool:
        return self._write(lambda: self.outbox.renew_lease(item, worker, now, lease_until))

    def record_event(self, kind: str, at: datetime, actor: str, **fields: Any) -> None:
        """Append a fact to the audit-event chain, in a transaction of its own."""
        self._write(lambda: self.audit.append(kind, at, actor, **fields))

    def anchor(self, at: datetime, actor: str) -> dict[str, Any]:
        return self._write(lambda: self.audit.anchor(at, actor))

    def last_anchor(self) -> tuple[int, str] | None:
        detail = self.last_anchor_detail()
        return None if detail is None else (int(detail["transition_id"]), str(detail["digest"]))

    def add_actors(
        self, actors: Sequence[tuple[str, str, str, str | None, str]], at: datetime, by: str
    ) -> None:
        self._write(lambda: self.actors.add(actors, at, by))

    def revoke_actor(self, actor_id: str, at: datetime, by: str) -> bool:
        return self._write(lambda: self.actors.revoke(actor_id, at, by))

    def import_ratings(
        self, year: int, records: Sequence[RatingRecord], at: datetime, actor: str,
        detail: dict[str, Any],
    ) -> tuple[int, int]:
        units = self.units.ids_and_paths(sorted({row.unit_code for row in records}))
        return self._write(
            lambda: self.registers.import_ratings(year, records, units, at, actor, detail)
        )

    def set_target(
        self, year: int, unit_code: str, definition_id: str, share: float,
        assigned_on: date, at: datetime, actor: str,
    ) -> None:
        unit = self.find_unit(unit_code)
        target = self.registers.set_target
        self._write(lambda: target(year, unit, definition_id, share, assigned_on, at, actor))
