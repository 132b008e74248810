"""The twin of the meeting register (adapters/persistence/meeting_register.py): imports
keyed by (unit, date, kind), never removing a meeting, and the reads of the check."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from workflow.rules.meeting_record import Meeting
from workflow.service.records import MeetingImport, UnitRef
from workflow.testing.audit import MemoryAudit
from workflow.testing.tables import IntegrityError, Row, Session, change, in_subtree
from workflow.timefmt import to_db

#: the audit fact of a meeting import (adapters.persistence.meeting_register.IMPORT_EVENT)
MEETINGS_IMPORTED = "meetings_import"

_VALUES = (
    "duration_min", "present", "absent_excused", "absent_unexcused", "speakers",
    "absent_excused_ids", "absent_unexcused_ids",
)


def _values(meeting: Meeting) -> tuple[Any, ...]:
    return (
        meeting.duration_min, meeting.present, meeting.absent_excused,
        meeting.absent_unexcused, meeting.speakers,
        json.dumps(list(meeting.absent_excused_ids), ensure_ascii=False),
        json.dumps(list(meeting.absent_unexcused_ids), ensure_ascii=False),
    )


def _meeting(code: str, row: Row) -> Meeting:
    return Meeting(
        unit_code=code, held_on=date.fromisoformat(row["held_on"]), kind=row["kind"],
        duration_min=row["duration_min"], present=row["present"],
        absent_excused=row["absent_excused"], absent_unexcused=row["absent_unexcused"],
        speakers=row["speakers"],
        absent_excused_ids=tuple(json.loads(row["absent_excused_ids"])),
        absent_unexcused_ids=tuple(json.loads(row["absent_unexcused_ids"])),
    )


class MemoryMeetings:
    def __init__(self, session: Session, audit: MemoryAudit) -> None:
        self.session = session
        self.tables = session.tables
        self.audit = audit

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
    ) -> MeetingImport:
        tables, stamp = self.session.writing(), to_db(at)
        codes = sorted({m.unit_code for m in meetings})
        existing = {key: tuple(row[v] for v in _VALUES) for key, row in tables.meetings.items()}
        added, updated, unchanged = 0, 0, 0
        for meeting in meetings:
            unit_id, unit_path = units[meeting.unit_code]
            key = (unit_id, meeting.held_on.isoformat(), meeting.kind)
            values = _values(meeting)
            row = {**dict(zip(_VALUES, values, strict=True)), "source_sha256": sha256,
                   "imported_at": stamp, "imported_by": actor}
            if key not in existing:
                if key in tables.meetings:
                    raise IntegrityError(f"UNIQUE constraint failed: meeting {key}")
                tables.meetings[key] = {
                    **row, "unit_id": unit_id, "unit_path": unit_path,
                    "year": meeting.held_on.year, "held_on": key[1], "kind": meeting.kind,
                }
                added += 1
            elif existing[key] != values:
                change(tables.meetings, key, **row)
                updated += 1
            else:
                unchanged += 1
        result = MeetingImport(len(meetings), added, updated, unchanged, len(codes))
        years = sorted({m.held_on.year for m in meetings})
        only = codes[0] if len(codes) == 1 else None
        self.audit.append(
            MEETINGS_IMPORTED, stamp, actor, role=role, unit_code=only,
            unit_path=units[only][1] if only else None,
            year=years[0] if len(years) == 1 else None,
            detail={
                "file": source, "sha256": sha256, "rows": result.rows, "added": result.added,
                "updated": result.updated, "unchanged": result.unchanged,
                "units": result.units, "years": years,
            },
        )
        return result

    def meetings(self, unit_code: str, year: int) -> list[Meeting]:
        unit_id = self.tables.unit_ids.get(unit_code)
        rows = sorted(
            (
                m for m in self.tables.meetings.values()
                if m["unit_id"] == unit_id and m["year"] == year
            ),
            key=lambda m: (m["held_on"], m["kind"]),
        )
        return [_meeting(unit_code, m) for m in rows]

    def meetings_under(self, under: UnitRef | None, year: int) -> dict[str, list[Meeting]]:
        rows = sorted(
            (
                m for m in self.tables.meetings.values()
                if m["year"] == year and in_subtree(under, m["unit_path"])
            ),
            key=lambda m: (m["unit_path"], m["held_on"], m["kind"]),
        )
        found: dict[str, list[Meeting]] = {}
        for m in rows:
            code = str(self.tables.units[m["unit_id"]]["code"])
            found.setdefault(code, []).append(_meeting(code, m))
        return found

    def cycle_definitions(
        self, under: UnitRef | None, year: int, definition_id: str
    ) -> dict[str, int]:
        return {
            str(self.tables.units[c["unit_id"]]["code"]): int(c["definition_version"])
            for _, c in sorted(self.tables.cycles.items())
            if c["year"] == year and c["definition_id"] == definition_id
            and in_subtree(under, c["unit_path"])
        }

    def count(self) -> int:
        return len(self.tables.meetings)
