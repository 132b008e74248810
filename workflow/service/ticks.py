"""The service side of timers: fire what is due, compose it, deliver it.

A tick has three steps, each its own unit(s) of work, so that a crash anywhere leaves
work that the next tick finishes and nothing done twice; the core (addressing,
composing) runs in the service between a unit of work's reads and its writes:
1. fire: due timers become notices, in batches (timer marked fired + notice + queue row);
2. compose: all queued notices of one address become one message per channel in the
   outbox (so a recipient gets one digest per tick, however the batches fell);
3. deliver: outbox messages are leased, sent one by one, and marked sent, retried with
   back-off, or parked. Leases that expire are taken over by any worker.
Delivery is at least once; the idempotency key travels with each message so that a
receiver drops the one repeat a crash between "sent" and "marked sent" can cause.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from workflow.calendar import WorkingCalendar
from workflow.clock import VirtualClock
from workflow.deadlines import PlannedTimer, plan_year
from workflow.digests import NO_RECIPIENT, Message, Renderer, compose, no_recipient_detail
from workflow.notices import (
    DueTimer,
    Notice,
    PendingNotice,
    UnitContact,
    address_notices,
    following,
)
from workflow.service.cycles import CycleService
from workflow.service.ports import Notifier, UnitOfWork
from workflow.service.records import OutboxItem
from workflow.spec.model import DefinitionSpec

#: waits before the 1st, 2nd, ... retry of a message; after the last it is parked
DEFAULT_BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)


class DeliveryFailed(Exception):
    def __init__(self, detail: str, temporary: bool, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.temporary = temporary
        #: the receiver's own wish (HTTP Retry-After), in seconds
        self.retry_after = retry_after


@dataclass(frozen=True)
class TickResult:
    fired: int
    composed: int


@dataclass(frozen=True)
class DeliveryOutcome:
    key: str
    channel: str
    address: str
    result: str  # sent | retry | parked | skipped
    detail: str = ""


@dataclass
class DeliveryReport:
    outcomes: list[DeliveryOutcome]

    def count(self, result: str) -> int:
        return sum(1 for o in self.outcomes if o.result == result)


AddressNotices = Callable[[list[DueTimer], dict[int, UnitContact]], list[Notice]]
ComposeMessages = Callable[[list[PendingNotice]], list[Message]]


FollowLadders = Callable[[list[DueTimer]], list[tuple[DueTimer, PlannedTimer]]]


class Ladders:
    """Where each claimed timer's ladder goes next (workflow.notices.following), from its
    definition version's plan of its year, planned once per (definition, version, year)."""

    def __init__(
        self,
        specs: Callable[[str, int], DefinitionSpec],
        calendar: Callable[[DefinitionSpec], WorkingCalendar],
    ) -> None:
        self.specs = specs
        self.calendar = calendar
        self._plans: dict[tuple[str, int, int], dict[tuple[bool, str], list[PlannedTimer]]] = {}

    def follow(self, due: list[DueTimer]) -> list[tuple[DueTimer, PlannedTimer]]:
        return following(due, self.specs, self.ladder)

    def ladder(self, timer: DueTimer) -> list[PlannedTimer]:
        key = (timer.definition_id, timer.definition_version, timer.year)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._plan(*key)
        return plan.get((timer.milestone_id is not None, timer.deadline), [])

    def _plan(
        self, definition_id: str, version: int, year: int
    ) -> dict[tuple[bool, str], list[PlannedTimer]]:
        spec = self.specs(definition_id, version)
        planned = plan_year(spec, year, self.calendar(spec))
        ladders: dict[tuple[bool, str], list[PlannedTimer]] = {}
        for timer in planned.timers:
            ladders.setdefault((False, timer.deadline), []).append(timer)
        for milestone, timers in planned.milestones:
            ladders[(True, milestone.key)] = timers
        return ladders


def fire_due(
    uow: UnitOfWork, now: datetime, limit: int, address: AddressNotices, follow: FollowLadders
) -> int:
    """One unit of work: claim up to `limit` due timers, address them (the core), mark
    each fired (a notice was made of it) or cancelled (its deadline met, its cycle
    closed), write the next timer of each one's ladder that is still owed (the core
    decides), chain and queue the notices. Returns how many timers were taken."""
    with uow:
        due = uow.timers.claim_due(now, limit)
        if not due:
            return 0
        notices = address(due, uow.units.contacts({t.unit_path for t in due}))
        successors = follow(due)
        uow.timers.settle(due, {n.timer_id for n in notices}, now)
        uow.timers.add_following(successors)
        uow.outbox.add_notices(notices, now)
        uow.commit()
    return len(due)


def compose_due(
    uow: UnitOfWork, now: datetime, max_addresses: int, compose: ComposeMessages
) -> int:
    """One unit of work: take every queued notice of up to `max_addresses` addresses,
    compose them (the core), write the messages. Returns how many were written."""
    with uow:
        pending = uow.outbox.claim_pending(max_addresses)
        if not pending:
            return 0
        messages = compose(pending)
        uow.outbox.add_messages(messages, pending, now)
        uow.commit()
    return len(messages)


def installation_id(uow: UnitOfWork) -> str:
    """A random id of this database, made on first use and kept."""
    found = uow.definitions.installation_id()
    if found is None:
        with uow:
            uow.definitions.add_installation_id()
            uow.commit()
        found = uow.definitions.installation_id()
        assert found is not None
    return found


class Ticks:
    def __init__(
        self,
        engine: CycleService,
        render: Renderer,
        channels: Sequence[str] = ("log",),
        lang: str = "vi",
        batch_size: int = 1000,
    ) -> None:
        self.engine = engine
        self.uow = engine.uow
        self.render = render
        self.channels = tuple(channels)
        self.lang = lang
        self.batch_size = batch_size
        self.ladders = Ladders(engine.spec, engine.calendar)
        #: asked between batches: a worker told to stop (SIGTERM) ends after the batch
        #: under way; every batch is its own unit of work, so what is left waits intact
        self.stopping: Callable[[], bool] = lambda: False

    def fire_and_compose(self) -> TickResult:
        """Steps 1 and 2 at the clock's now."""
        now = self.engine.clock.now()
        fired = 0
        while True:
            # until a batch finds nothing: one may write successors that are due already
            # (a worker that was down catches a whole ladder up in one tick)
            count = self.fire_batch(now)
            fired += count
            if count == 0 or self.stopping():
                break
        composed = 0
        installation = self.installation_id()
        while not self.stopping():
            count = self.compose_batch(now, installation)
            if count == 0:
                break
            composed += count
        return TickResult(fired, composed)

    def fire_batch(self, now: datetime) -> int:
        """One unit of work of step 1; returns how many timers were taken."""
        return fire_due(
            self.uow, now, self.batch_size,
            lambda due, units: address_notices(due, units, self.engine.spec, now),
            self.ladders.follow,
        )

    def compose_batch(self, now: datetime, installation: str, max_addresses: int = 200) -> int:
        """One unit of work of step 2; returns how many messages were written."""
        return compose_due(
            self.uow, now, max_addresses,
            lambda pending: compose(
                pending, now, self.lang, self.channels, self.engine.spec, self.render,
                installation,
                # the units up the tree, so that a digest names the committee it goes to
                self.uow.units.contacts({n.unit.path for n in pending}),
            ),
        )

    def installation_id(self) -> str:
        return installation_id(self.uow)

    def deliver(
        self,
        notifier: Notifier,
        worker: str,
        lease: timedelta = timedelta(minutes=2),
        backoff: Sequence[timedelta] = DEFAULT_BACKOFF,
        limit: int = 10,
    ) -> DeliveryReport:
        """Step 3: send what is due in the outbox, each marked as soon as it is sent.
        Claims are small (`limit`) so that a claim's lease outlasts its sending."""
        report = DeliveryReport([])
        while True:
            now = self.engine.clock.now()
            with self.uow:
                items = self.uow.outbox.claim(now, limit, now + lease, worker)
                self.uow.commit()
            for item in items:
                # The claim's lease may have run out while earlier items were sent (a slow
                # server): renew it, or leave the message to whoever holds it now.
                now = self.engine.clock.now()
                if not self._renew(item, worker, now, now + lease):
                    message = item.message
                    report.outcomes.append(
                        DeliveryOutcome(
                            message.key, message.channel, message.address, "skipped",
                            "lease lost",
                        )
                    )
                    continue
                report.outcomes.append(self._deliver_one(notifier, item, worker, backoff))
            if len(items) < limit or self.stopping():
                return report

    def _deliver_one(
        self, notifier: Notifier, item: OutboxItem, worker: str, backoff: Sequence[timedelta]
    ) -> DeliveryOutcome:
        message = item.message
        if message.channel == NO_RECIPIENT:
            detail = no_recipient_detail(message.recipient_role, message.data)
            self._record(item, self.engine.clock.now(), worker, "parked", detail, None)
            return DeliveryOutcome(message.key, message.channel, message.address, "parked", detail)
        try:
            notifier.send(message)
        except DeliveryFailed as failure:
            now = self.engine.clock.now()
            if failure.temporary and item.attempts < len(backoff):
                wait = backoff[item.attempts]
                if failure.retry_after is not None:
                    wait = max(wait, timedelta(seconds=failure.retry_after))
                self._record(item, now, worker, "retry", failure.detail, now + wait)
                result = "retry"
            else:
                self._record(item, now, worker, "parked", failure.detail, None)
                result = "parked"
            return DeliveryOutcome(
                message.key, message.channel, message.address, result, failure.detail
            )
        self._record(item, self.engine.clock.now(), worker, "sent", "", None)
        return DeliveryOutcome(message.key, message.channel, message.address, "sent")

    def _renew(self, item: OutboxItem, worker: str, now: datetime, until: datetime) -> bool:
        with self.uow:
            renewed = self.uow.outbox.renew_lease(item, worker, now, until)
            self.uow.commit()
        return renewed

    def _record(
        self,
        item: OutboxItem,
        at: datetime,
        worker: str,
        result: str,
        detail: str,
        next_attempt_at: datetime | None,
    ) -> None:
        with self.uow:
            self.uow.outbox.record_delivery(item, at, worker, result, detail, next_attempt_at)
            self.uow.commit()

    def next_wakeup(self) -> datetime | None:
        return self.uow.outbox.next_wakeup()

    def run_until(self, clock: VirtualClock, target: datetime) -> list[TickResult]:
        """Drive a virtual clock to `target`, ticking at every timer's due instant on the
        way, as a worker that never slept would: what `simulate` and the demo do."""
        ticks = []
        while (due := self.uow.timers.next_due()) is not None and due <= target:
            clock.set(max(due, clock.now()))
            ticks.append(self.fire_and_compose())
        if target > clock.now():
            clock.set(target)
        return ticks

    def run_out(self, clock: VirtualClock, until: datetime | None = None) -> list[TickResult]:
        """Drive a virtual clock through every timer still to come, up to `until` if
        given, as `run_until` does: a ladder's later timers are written as the ones before
        them come due, so the last one is known only at the end. The clock stops at the
        last timer's instant, or at `until` if some are still ahead of it."""
        ticks = []
        while (due := self.uow.timers.next_due()) is not None:
            if until is not None and due > until:
                clock.set(max(until, clock.now()))
                break
            clock.set(max(due, clock.now()))
            ticks.append(self.fire_and_compose())
        return ticks
