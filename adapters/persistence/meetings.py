"""A facade over the meeting register (adapters/persistence/meeting_register.py) for
callers not moved to the unit of work yet: `MeetingRepository(engine)` as before, each
call on a connection of its own, an import in one unit of work with its audit fact."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Engine

from adapters.persistence.meeting_register import IMPORT_EVENT
from adapters.persistence.unit_of_work import SqlUnitOfWork
from workflow.errors import NotFound
from workflow.rules.meetings import Meeting
from workflow.service.records import MeetingImport, UnitRef

__all__ = ["IMPORT_EVENT", "MeetingImport", "MeetingRepository"]


class MeetingRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def _uow(self) -> Iterator[SqlUnitOfWork]:
        uow = SqlUnitOfWork(self.engine)
        try:
            yield uow
        finally:
            uow.close()

    def import_meetings(
        self,
        meetings: Sequence[Meeting],
        *,
        source: str,
        sha256: str,
        actor: str,
        role: str | None,
        at: datetime,
    ) -> MeetingImport:
        """Add new meetings, overwrite changed ones, and append the audit event; all or
        nothing."""
        codes = sorted({m.unit_code for m in meetings})
        with self._uow() as uow:
            units = uow.units.ids_and_paths(codes)
            missing = [code for code in codes if code not in units]
            if missing:
                raise NotFound(f"no unit with code {missing[0]!r}")
            with uow:
                result = uow.meetings.import_meetings(
                    meetings, units, source=source, sha256=sha256, actor=actor, role=role,
                    at=at,
                )
                uow.commit()
        return result

    def meetings(self, unit_code: str, year: int) -> list[Meeting]:
        with self._uow() as uow:
            return uow.meetings.meetings(unit_code, year)

    def meetings_under(self, under: UnitRef | None, year: int) -> dict[str, list[Meeting]]:
        with self._uow() as uow:
            return uow.meetings.meetings_under(under, year)

    def cycle_definitions(
        self, under: UnitRef | None, year: int, definition_id: str
    ) -> dict[str, int]:
        with self._uow() as uow:
            return uow.meetings.cycle_definitions(under, year, definition_id)

    def count(self) -> int:
        with self._uow() as uow:
            return uow.meetings.count()
