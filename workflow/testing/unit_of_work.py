"""The in-memory unit of work and a notifier that records what it sends."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Self

from workflow.digests import Message
from workflow.service.ticks import DeliveryFailed
from workflow.testing.audit import MemoryAudit
from workflow.testing.cycles import MemoryCycles
from workflow.testing.meetings import MemoryMeetings
from workflow.testing.outbox import MemoryOutbox
from workflow.testing.registry import (
    MemoryActors,
    MemoryDefinitions,
    MemoryRegisters,
    MemoryUnits,
)
from workflow.testing.tables import Session, Tables
from workflow.testing.timers import MemoryTimers
from workflow.testing.versions import MemoryVersions


class InMemoryUnitOfWork:
    """`with uow:` ... `uow.commit()`, as workflow.service.ports.UnitOfWork says: the
    tables are snapshot on entering and restored unless committed; a repository write
    outside `with` raises OutsideUnitOfWork; units of work do not nest. One instance is
    one database: build a service on it, then look at `uow.tables` or its repositories."""

    def __init__(self) -> None:
        self.session = Session()
        self.audit = MemoryAudit(self.session)
        self.definitions = MemoryDefinitions(self.session)
        self.units = MemoryUnits(self.session)
        self.cycles = MemoryCycles(self.session)
        self.timers = MemoryTimers(self.session, self.audit)
        self.outbox = MemoryOutbox(self.session, self.audit)
        self.actors = MemoryActors(self.session, self.audit)
        self.registers = MemoryRegisters(self.session, self.audit, self.units)
        self.meetings = MemoryMeetings(self.session, self.audit)
        self.versions = MemoryVersions(self.session)
        #: how many units of work committed and rolled back (for tests of atomicity)
        self.commits = 0
        self.rollbacks = 0

    @property
    def tables(self) -> Tables:
        return self.session.tables

    def __enter__(self) -> Self:
        self.session.begin()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.session.open:
            self.rollback()

    def commit(self) -> None:
        self.session.commit()
        self.commits += 1

    def rollback(self) -> None:
        self.session.rollback()
        self.rollbacks += 1

    def close(self) -> None:
        """Nothing to release (the SQL unit of work's connection)."""


@dataclass
class _Failure:
    detail: str
    temporary: bool
    retry_after: float | None
    times: int | None  # None: every time


@dataclass
class RecordingNotifier:
    """A notifier that keeps every message it sent (`sent`) and every attempt
    (`attempts`), and fails for the addresses it was told to (`fail_for`)."""

    sent: list[Message] = field(default_factory=list)
    attempts: list[Message] = field(default_factory=list)
    _failures: dict[str, _Failure] = field(default_factory=dict)

    def fail_for(
        self,
        address: str,
        detail: str = "connection refused",
        *,
        temporary: bool = True,
        retry_after: float | None = None,
        times: int | None = None,
    ) -> None:
        """Fail every send to `address` (or its next `times` sends) with DeliveryFailed."""
        self._failures[address] = _Failure(detail, temporary, retry_after, times)

    def recover(self, address: str) -> None:
        self._failures.pop(address, None)

    def send(self, message: Message) -> None:
        self.attempts.append(message)
        failure = self._failures.get(message.address)
        if failure is not None:
            if failure.times is not None:
                failure.times -= 1
                if failure.times <= 0:
                    del self._failures[message.address]
            raise DeliveryFailed(failure.detail, failure.temporary, failure.retry_after)
        self.sent.append(message)

    def sent_to(self, address: str) -> list[Message]:
        return [m for m in self.sent if m.address == address]


if TYPE_CHECKING:  # mypy holds the twin to the ports
    from workflow.service.ports import Notifier, UnitOfWork

    _uow: UnitOfWork = InMemoryUnitOfWork()
    _notifier: Notifier = RecordingNotifier()
