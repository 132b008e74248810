"""The meeting register's repository (SQLAlchemy Core, portable to PostgreSQL).

An import is one transaction: the meetings it adds or changes and the audit event that
records it (the file's sha256, its row count, what changed) commit together or not at all.
Meetings are keyed by (unit, date, kind): importing the same file again changes nothing,
a corrected export overwrites the meetings it lists, and monthly exports add up. A
meeting is never removed by an import (an export that leaves one out says nothing
about it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, text

from workflow.audit import GENESIS, canonical_json, chain_hash, fact_text
from workflow.errors import NotFound
from workflow.rules.meetings import Meeting
from workflow.service.ports import UnitRef
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


@dataclass(frozen=True)
class MeetingImport:
    rows: int
    added: int
    updated: int
    unchanged: int
    units: int


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


def _meeting(unit_code: str, row: Any) -> Meeting:
    return Meeting(
        unit_code=unit_code,
        held_on=date.fromisoformat(row.held_on),
        kind=row.kind,
        duration_min=row.duration_min,
        present=row.present,
        absent_excused=row.absent_excused,
        absent_unexcused=row.absent_unexcused,
        speakers=row.speakers,
        absent_excused_ids=tuple(json.loads(row.absent_excused_ids)),
        absent_unexcused_ids=tuple(json.loads(row.absent_unexcused_ids)),
    )


def _subtree(under: UnitRef | None, column: str) -> tuple[str, dict[str, Any]]:
    if under is None:
        return "", {}
    return (
        f" AND {column} >= :path_lo AND {column} < :path_hi",
        {"path_lo": under.path, "path_hi": under.path[:-1] + "0"},  # "0" sorts after "/"
    )


class MeetingRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- import ----------------------------------------------------------------------------
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
        nothing. Meetings come checked (workflow.meeting_rows.check_meeting_rows)."""
        stamp = to_db(at)
        codes = sorted({m.unit_code for m in meetings})
        with self.engine.begin() as conn:
            self._lock(conn)
            units = self._units(conn, codes)
            existing = self._existing(conn, [units[c][0] for c in codes])
            inserts, updates = [], []
            unchanged = 0
            for meeting in meetings:
                unit_id, unit_path = units[meeting.unit_code]
                key = (unit_id, meeting.held_on.isoformat(), meeting.kind)
                values = dict(zip(_VALUES, _values(meeting), strict=True))
                row = {
                    "unit_id": unit_id,
                    "held_on": key[1],
                    "kind": meeting.kind,
                    **values,
                    "sha": sha256,
                    "at": stamp,
                    "by": actor,
                }
                if key not in existing:
                    inserts.append({**row, "unit_path": unit_path, "year": meeting.held_on.year})
                elif existing[key] != _values(meeting):
                    updates.append(row)
                else:
                    unchanged += 1
            if inserts:
                conn.execute(
                    text(
                        "INSERT INTO meeting (unit_id, unit_path, year, held_on, kind, "
                        f"{', '.join(_VALUES)}, source_sha256, imported_at, imported_by) "
                        "VALUES (:unit_id, :unit_path, :year, :held_on, :kind, "
                        f"{', '.join(':' + v for v in _VALUES)}, :sha, :at, :by)"
                    ),
                    inserts,
                )
            if updates:
                conn.execute(
                    text(
                        "UPDATE meeting SET "
                        + ", ".join(f"{v} = :{v}" for v in _VALUES)
                        + ", source_sha256 = :sha, imported_at = :at, imported_by = :by "
                        "WHERE unit_id = :unit_id AND held_on = :held_on AND kind = :kind"
                    ),
                    updates,
                )
            result = MeetingImport(
                rows=len(meetings),
                added=len(inserts),
                updated=len(updates),
                unchanged=unchanged,
                units=len(codes),
            )
            years = sorted({m.held_on.year for m in meetings})
            only = codes[0] if len(codes) == 1 else None
            self._append_event(
                conn,
                at=stamp,
                actor=actor,
                role=role,
                unit_code=only,
                unit_path=units[only][1] if only else None,
                year=years[0] if len(years) == 1 else None,
                detail={
                    "file": source,
                    "sha256": sha256,
                    "rows": result.rows,
                    "added": result.added,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                    "units": result.units,
                    "years": years,
                },
            )
        return result

    def _lock(self, conn: Connection) -> None:
        """Take the write lock first, so what is read below cannot change before the
        writes (SQLite: a write opens the write transaction; PostgreSQL: table locks,
        the audit chain's in the store's order)."""
        if self.engine.dialect.name == "sqlite":
            conn.execute(text("DELETE FROM meeting WHERE 1 = 0"))
        else:
            conn.execute(text("LOCK TABLE meeting IN SHARE ROW EXCLUSIVE MODE"))

    def _units(self, conn: Connection, codes: list[str]) -> dict[str, tuple[int, str]]:
        found = {
            row.code: (row.id, row.path)
            for row in conn.execute(
                text("SELECT id, code, path FROM unit WHERE code IN :codes").bindparams(
                    bindparam("codes", expanding=True)
                ),
                {"codes": codes},
            )
        }
        missing = [code for code in codes if code not in found]
        if missing:
            raise NotFound(f"no unit with code {missing[0]!r}")
        return found

    def _existing(
        self, conn: Connection, unit_ids: list[int]
    ) -> dict[tuple[int, str, str], tuple[Any, ...]]:
        if not unit_ids:
            return {}
        rows = conn.execute(
            text(
                f"SELECT unit_id, held_on, kind, {', '.join(_VALUES)} FROM meeting "
                "WHERE unit_id IN :ids"
            ).bindparams(bindparam("ids", expanding=True)),
            {"ids": unit_ids},
        )
        return {(r[0], r[1], r[2]): tuple(r[3:]) for r in rows}

    def _append_event(
        self,
        conn: Connection,
        *,
        at: str,
        actor: str,
        role: str | None,
        unit_code: str | None,
        unit_path: str | None,
        year: int | None,
        detail: dict[str, Any],
    ) -> None:
        """Append to the global audit-event chain, as the store does (same columns, same
        canonical text), inside this transaction."""
        if self.engine.dialect.name != "sqlite":
            conn.execute(text("LOCK TABLE audit_event IN SHARE ROW EXCLUSIVE MODE"))
        head = conn.execute(text("SELECT hash FROM audit_event ORDER BY id DESC LIMIT 1")).first()
        values = (
            at, IMPORT_EVENT, unit_code, unit_path, None, year, None, actor, role, None,
            canonical_json(detail),
        )  # fmt: skip
        digest = chain_hash(str(head[0]) if head else GENESIS, fact_text(values))
        conn.execute(
            text(
                "INSERT INTO audit_event (at, kind, unit_code, unit_path, cycle_id, year, "
                "event, actor, role, code, detail, hash) VALUES (:at, :kind, :unit_code, "
                ":unit_path, NULL, :year, NULL, :actor, :role, NULL, :detail, :hash)"
            ),
            {
                "at": at,
                "kind": IMPORT_EVENT,
                "unit_code": unit_code,
                "unit_path": unit_path,
                "year": year,
                "actor": actor,
                "role": role,
                "detail": values[-1],
                "hash": digest,
            },
        )

    # -- reads -----------------------------------------------------------------------------
    def meetings(self, unit_code: str, year: int) -> list[Meeting]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT m.* FROM meeting m JOIN unit u ON u.id = m.unit_id "
                    "WHERE u.code = :code AND m.year = :year ORDER BY m.held_on, m.kind"
                ),
                {"code": unit_code, "year": year},
            ).all()
        return [_meeting(unit_code, row) for row in rows]

    def meetings_under(self, under: UnitRef | None, year: int) -> dict[str, list[Meeting]]:
        """The year's meetings of every unit in a subtree (the node itself included)."""
        where, params = _subtree(under, "m.unit_path")
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT u.code AS unit_code, m.* FROM meeting m JOIN unit u "
                    f"ON u.id = m.unit_id WHERE m.year = :year{where} "
                    "ORDER BY m.unit_path, m.held_on, m.kind"
                ),
                {"year": year, **params},
            ).all()
        found: dict[str, list[Meeting]] = {}
        for row in rows:
            found.setdefault(row.unit_code, []).append(_meeting(row.unit_code, row))
        return found

    def cycle_definitions(
        self, under: UnitRef | None, year: int, definition_id: str
    ) -> dict[str, int]:
        """unit code -> the version of `definition_id` its cycle of `year` opened with."""
        where, params = _subtree(under, "c.unit_path")
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT u.code, c.definition_version FROM cycle c JOIN unit u "
                    "ON u.id = c.unit_id WHERE c.year = :year "
                    f"AND c.definition_id = :definition_id{where}"
                ),
                {"year": year, "definition_id": definition_id, **params},
            ).all()
        return {code: version for code, version in rows}

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text("SELECT COUNT(*) FROM meeting")).scalar_one())
