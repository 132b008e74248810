"""Units of work of every kind the contract tests hold to one another: the in-memory
twin (workflow.testing) and the SQL one on each real backend (tests/support/backends.py;
PostgreSQL skipped with the reason when BONTOT_TEST_DATABASE_URL is unset)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from adapters.persistence.db import create_schema, make_engine
from adapters.persistence.unit_of_work import SqlUnitOfWork
from tests.support.backends import BACKENDS, database
from workflow.service.ports import UnitOfWork
from workflow.service.registers import record_units
from workflow.testing import InMemoryUnitOfWork
from workflow.units import UnitImport

KINDS = ("memory", *BACKENDS)

T = TypeVar("T")


@contextmanager
def unit_of_work(kind: str, folder: Path) -> Iterator[Any]:
    """An empty database of `kind` behind a unit of work (InMemoryUnitOfWork or
    SqlUnitOfWork); typed Any so that a test may reach its repositories' own methods."""
    if kind == "memory":
        yield InMemoryUnitOfWork()
        return
    with database(kind, folder) as url:
        engine = make_engine(url)
        create_schema(engine)
        uow = SqlUnitOfWork(engine)
        try:
            yield uow
        finally:
            uow.close()
            engine.dispose()


def write(uow: UnitOfWork, work: Callable[[], T]) -> T:
    """Run `work` in a unit of work of its own and commit it."""
    with uow:
        result = work()
        uow.commit()
    return result


#: when the fixtures' units were imported (the time their audit fact says)
UNITS_IMPORTED_AT = datetime(2025, 1, 2, 1, 0, tzinfo=UTC)


def import_units(uow: Any, rows: Sequence[UnitImport], at: datetime = UNITS_IMPORTED_AT) -> Any:
    """Import units as the service does: the rows, and their fact in the trail."""

    def work() -> Any:
        counts = uow.units.import_rows(rows)
        record_units(uow, [row.code for row in rows], at, "system")
        return counts

    return write(uow, work)


class AuditView:
    """What workflow.service.auditing.verify_store reads, over a unit of work's audit
    repository (the SQL facade's `last_anchor`, which the Audit port does not have)."""

    def __init__(self, uow: Any) -> None:
        self.audit = uow.audit

    def transition_rows(self, under: Any) -> Any:
        return self.audit.transition_rows(under)

    def fact_rows(self, table: str) -> Any:
        return self.audit.fact_rows(table)

    def notice_heads(self) -> Any:
        return self.audit.notice_heads()

    def register_rows(self) -> Any:
        return self.audit.register_rows()

    def deadline_rows(self) -> Any:
        return self.audit.deadline_rows()

    def chain_heads(self, under: Any) -> Any:
        return self.audit.chain_heads(under)

    def last_anchor_detail(self) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.audit.last_anchor_detail()
        return found

    def last_anchor(self) -> tuple[int, str] | None:
        detail = self.last_anchor_detail()
        return None if detail is None else (int(detail["transition_id"]), str(detail["digest"]))
