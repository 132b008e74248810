"""The meeting register: imports keyed by (unit, date, kind) and the reads of the check.

Importing the same file again changes nothing, a corrected export overwrites the meetings
it lists, and monthly exports add up. A meeting is never removed by an import (an export
that leaves one out says nothing about it). An import's meetings and its audit fact are
written in the caller's one unit of work.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from adapters.persistence.audit import SqlAudit
from adapters.persistence.rows import subtree
from adapters.persistence.sql import Sql
from workflow.rules.meeting_record import Meeting
from workflow.service.records import MeetingImport, UnitRef
from workflow.timefmt import to_db

IMPORT_EVENT = "meetings_import"

_VALUES = (
    "duration_min",
    "present",
    "absent_excused",
    "absent_unexcused",
    "speakers",
    "absent_excused_ids",
    "absent_unexcused_ids",
)
_COLUMNS = "m.held_on, m.kind, " + ", ".join(f"m.{v}" for v in _VALUES)

_INSERT = (
    "INSERT INTO meeting (unit_id, unit_path, year, held_on, kind, "
    f"{', '.join(_VALUES)}, source_sha256, imported_at, imported_by) "
    "VALUES (:unit_id, :unit_path, :year, :held_on, :kind, "
    f"{', '.join(':' + v for v in _VALUES)}, :sha, :at, :by)"
)
_UPDATE = (
    "UPDATE meeting SET "
    + ", ".join(f"{v} = :{v}" for v in _VALUES)
    + ", source_sha256 = :sha, imported_at = :at, imported_by = :by "
    "WHERE unit_id = :unit_id AND held_on = :held_on AND kind = :kind"
)


def _values(meeting: Meeting) -> tuple[Any, ...]:
    return (
        meeting.duration_min,
        meeting.present,
        meeting.absent_excused,
        meeting.absent_unexcused,
        meeting.speakers,
        json.dumps(list(meeting.absent_excused_ids), ensure_ascii=False),
        json.dumps(list(meeting.absent_unexcused_ids), ensure_ascii=False),
    )


def _meeting(unit_code: str, row: Sequence[Any]) -> Meeting:
    """A meeting from _COLUMNS."""
    return Meeting(
        unit_code=unit_code,
        held_on=date.fromisoformat(row[0]),
        kind=row[1],
        duration_min=row[2],
        present=row[3],
        absent_excused=row[4],
        absent_unexcused=row[5],
        speakers=row[6],
        absent_excused_ids=tuple(json.loads(row[7])),
        absent_unexcused_ids=tuple(json.loads(row[8])),
    )


class SqlMeetings:
    def __init__(self, sql: Sql, audit: SqlAudit) -> None:
        self.sql = sql
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
        """Add new meetings, overwrite changed ones, and append the audit event.
        Meetings come checked (workflow.meeting_rows.check_meeting_rows); `units`:
        code -> (id, path) of every unit they name."""
        stamp = to_db(at)
        codes = sorted({m.unit_code for m in meetings})
        # the write lock first, so what is read below cannot change before the writes
        # (SQLite: BEGIN IMMEDIATE holds it already; the audit chain's lock comes after)
        self.sql.lock(self.sql.dialect.lock_register("meeting"))
        existing = self._existing([units[c][0] for c in codes])
        inserts, updates = [], []
        unchanged = 0
        for meeting in meetings:
            unit_id, unit_path = units[meeting.unit_code]
            key = (unit_id, meeting.held_on.isoformat(), meeting.kind)
            values = dict(zip(_VALUES, _values(meeting), strict=True))
            row = {
                "unit_id": unit_id, "held_on": key[1], "kind": meeting.kind, **values,
                "sha": sha256, "at": stamp, "by": actor,
            }
            if key not in existing:
                inserts.append({**row, "unit_path": unit_path, "year": meeting.held_on.year})
            elif existing[key] != _values(meeting):
                updates.append(row)
            else:
                unchanged += 1
        self.sql.executemany(_INSERT, inserts)
        self.sql.executemany(_UPDATE, updates)
        result = MeetingImport(
            rows=len(meetings), added=len(inserts), updated=len(updates),
            unchanged=unchanged, units=len(codes),
        )
        years = sorted({m.held_on.year for m in meetings})
        only = codes[0] if len(codes) == 1 else None
        self.audit.append(
            IMPORT_EVENT, stamp, actor, role=role, unit_code=only,
            unit_path=units[only][1] if only else None,
            year=years[0] if len(years) == 1 else None,
            detail={
                "file": source, "sha256": sha256, "rows": result.rows, "added": result.added,
                "updated": result.updated, "unchanged": result.unchanged,
                "units": result.units, "years": years,
            },
        )
        return result

    def _existing(self, unit_ids: list[int]) -> dict[tuple[int, str, str], tuple[Any, ...]]:
        if not unit_ids:
            return {}
        marks = ", ".join("?" for _ in unit_ids)
        rows = self.sql.query(
            f"SELECT unit_id, held_on, kind, {', '.join(_VALUES)} FROM meeting "
            f"WHERE unit_id IN ({marks})",
            unit_ids,
        )
        return {(r[0], r[1], r[2]): tuple(r[3:]) for r in rows}

    def meetings(self, unit_code: str, year: int) -> list[Meeting]:
        rows = self.sql.query(
            f"SELECT {_COLUMNS} FROM meeting m JOIN unit u ON u.id = m.unit_id "
            "WHERE u.code = ? AND m.year = ? ORDER BY m.held_on, m.kind",
            (unit_code, year),
        )
        return [_meeting(unit_code, row) for row in rows]

    def meetings_under(self, under: UnitRef | None, year: int) -> dict[str, list[Meeting]]:
        """The year's meetings of every unit in a subtree (the node itself included)."""
        where, params = subtree(under, "m.unit_path")
        rows = self.sql.query(
            f"SELECT u.code, {_COLUMNS} FROM meeting m JOIN unit u "
            f"ON u.id = m.unit_id WHERE m.year = :year{where} "
            "ORDER BY m.unit_path, m.held_on, m.kind",
            {"year": year, **params},
        )
        found: dict[str, list[Meeting]] = {}
        for row in rows:
            found.setdefault(row[0], []).append(_meeting(row[0], row[1:]))
        return found

    def cycle_definitions(
        self, under: UnitRef | None, year: int, definition_id: str
    ) -> dict[str, int]:
        """unit code -> the version of `definition_id` its cycle of `year` opened with."""
        where, params = subtree(under, "c.unit_path")
        rows = self.sql.query(
            "SELECT u.code, c.definition_version FROM cycle c JOIN unit u "
            "ON u.id = c.unit_id WHERE c.year = :year "
            f"AND c.definition_id = :definition_id{where}",
            {"year": year, "definition_id": definition_id, **params},
        )
        return {code: version for code, version in rows}

    def count(self) -> int:
        return int(self.sql.query("SELECT COUNT(*) FROM meeting")[0][0])
