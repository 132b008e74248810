"""The service side of timers: fire what is due, compose it, deliver it.

A tick has three steps, each its own transaction(s), so that a crash anywhere leaves
work that the next tick finishes and nothing done twice:
1. fire: due timers become notices, in batches (timer marked fired + notice + queue row);
2. compose: all queued notices of one address become one message per channel in the
   outbox (so a recipient gets one digest per tick, however the batches fell);
3. deliver: outbox messages are leased, sent one by one, and marked sent, retried with
   back-off, or parked. Leases that expire are taken over by any worker.
Delivery is at least once; the idempotency key travels with each message so that a
receiver drops the one repeat a crash between "sent" and "marked sent" can cause.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from workflow.clock import VirtualClock
from workflow.notices import Message, Renderer, address_notices, compose
from workflow.service.engine import Engine
from workflow.service.ports import OutboxItem

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


class Notifier(Protocol):
    """Sends one message on its channel; raises DeliveryFailed."""

    def send(self, message: Message) -> None: ...


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


class Notifications:
    def __init__(
        self,
        engine: Engine,
        render: Renderer,
        channels: Sequence[str] = ("log",),
        lang: str = "vi",
        batch_size: int = 1000,
    ) -> None:
        self.engine = engine
        self.store = engine.store
        self.render = render
        self.channels = tuple(channels)
        self.lang = lang
        self.batch_size = batch_size

    def fire_and_compose(self) -> TickResult:
        """Steps 1 and 2 at the clock's now."""
        now = self.engine.clock.now()
        fired = 0
        while True:
            count = self.store.fire_due_timers(
                now,
                self.batch_size,
                lambda due, units: address_notices(due, units, self.engine.spec, now),
            )
            fired += count
            if count < self.batch_size:
                break
        composed = 0
        installation = self.store.installation_id()
        while True:
            count = self.store.compose_pending(
                200,
                lambda pending: compose(
                    pending, now, self.lang, self.channels, self.engine.spec, self.render,
                    installation,
                ),
                now,
            )
            if count == 0:
                break
            composed += count
        return TickResult(fired, composed)

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
            items = self.store.claim_outbox(now, limit, now + lease, worker)
            for item in items:
                # The claim's lease may have run out while earlier items were sent (a slow
                # server): renew it, or leave the message to whoever holds it now.
                now = self.engine.clock.now()
                if not self.store.renew_lease(item, worker, now, now + lease):
                    message = item.message
                    report.outcomes.append(
                        DeliveryOutcome(
                            message.key, message.channel, message.address, "skipped",
                            "lease lost",
                        )
                    )
                    continue
                report.outcomes.append(self._deliver_one(notifier, item, worker, backoff))
            if len(items) < limit:
                return report

    def _deliver_one(
        self, notifier: Notifier, item: OutboxItem, worker: str, backoff: Sequence[timedelta]
    ) -> DeliveryOutcome:
        message = item.message
        try:
            notifier.send(message)
        except DeliveryFailed as failure:
            now = self.engine.clock.now()
            if failure.temporary and item.attempts < len(backoff):
                wait = backoff[item.attempts]
                if failure.retry_after is not None:
                    wait = max(wait, timedelta(seconds=failure.retry_after))
                self.store.record_delivery(item, now, worker, "retry", failure.detail, now + wait)
                result = "retry"
            else:
                self.store.record_delivery(item, now, worker, "parked", failure.detail, None)
                result = "parked"
            return DeliveryOutcome(
                message.key, message.channel, message.address, result, failure.detail
            )
        self.store.record_delivery(item, self.engine.clock.now(), worker, "sent", "", None)
        return DeliveryOutcome(message.key, message.channel, message.address, "sent")

    def next_wakeup(self) -> datetime | None:
        return self.store.next_wakeup()

    def run_until(self, clock: VirtualClock, target: datetime) -> list[TickResult]:
        """Drive a virtual clock to `target`, ticking at every timer's due instant on the
        way, as a worker that never slept would: what `simulate` and the demo do."""
        ticks = []
        while (due := self.store.next_timer_due()) is not None and due <= target:
            clock.set(max(due, clock.now()))
            ticks.append(self.fire_and_compose())
        if target > clock.now():
            clock.set(target)
        return ticks
