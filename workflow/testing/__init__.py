"""An in-memory twin of the service's ports, for tests of behaviour that need no SQL
(as httpx's MockTransport or procrastinate's InMemoryConnector): `InMemoryUnitOfWork`
with one twin per repository of workflow.service.ports, and `RecordingNotifier`.

The twin keeps rows as the SQL adapter stores them and answers in the same order, with
the same audit-chain hashes, so verification runs on it too; tests/contract holds it to
the SQL repositories on SQLite and PostgreSQL. Pure Python, no I/O:

    uow = InMemoryUnitOfWork()
    service = CycleService(uow, VirtualClock(...), weekends_only)
"""

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
from workflow.testing.tables import IntegrityError, OutsideUnitOfWork, Tables, UnitOfWorkOpen
from workflow.testing.timers import MemoryTimers
from workflow.testing.unit_of_work import InMemoryUnitOfWork, RecordingNotifier
from workflow.testing.versions import MemoryVersions, StaleBatch

__all__ = [
    "InMemoryUnitOfWork", "IntegrityError", "MemoryActors", "MemoryAudit", "MemoryCycles",
    "MemoryDefinitions", "MemoryMeetings", "MemoryOutbox", "MemoryRegisters", "MemoryTimers",
    "MemoryUnits", "MemoryVersions", "OutsideUnitOfWork", "RecordingNotifier", "StaleBatch",
    "Tables", "UnitOfWorkOpen",
]
