"""The store's evidence half: the ratings register and superiors' targets. Mixed into
SqlStore so that an import and its audit fact commit in one transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from workflow.errors import NotFound
from workflow.evidence.ratings import RatingRecord
from workflow.service.ports import Cycle, ReportCycle, ReportEvent, UnitRef
from workflow.timefmt import from_db, to_db

_RATING_COLUMNS = "u.code, r.member, r.name, r.status, r.admitted_on, r.level, r.stage, r.rated_on"


def _record(row: Sequence[Any]) -> RatingRecord:
    return RatingRecord(
        unit_code=row[0],
        member=row[1],
        name=row[2],
        status=row[3],
        admitted_on=date.fromisoformat(row[4]) if row[4] else None,
        level=row[5],
        stage=row[6],
        rated_on=date.fromisoformat(row[7]) if row[7] else None,
    )


class EvidenceStore:
    # provided by SqlStore
    _query: Any
    _write: Any
    _append_event: Any
    find_unit: Any

    def import_ratings(
        self,
        year: int,
        records: Sequence[RatingRecord],
        at: datetime,
        actor: str,
        detail: dict[str, Any],
    ) -> tuple[int, int]:
        """Add or correct ratings (a row's key: year, unit, member, stage). Returns
        (added, updated). The import is one fact in the audit-event chain."""
        codes = sorted({r.unit_code for r in records})
        units: dict[str, tuple[int, str]] = {}
        for start in range(0, len(codes), 500):
            chunk = codes[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            for code, unit_id, path in self._query(
                f"SELECT code, id, path FROM unit WHERE code IN ({marks})", chunk
            ):
                units[code] = (unit_id, path)
        at_text = to_db(at)
        values = [
            (
                year, units[r.unit_code][0], units[r.unit_code][1], r.member, r.name, r.status,
                r.admitted_on.isoformat() if r.admitted_on else None, r.level, r.stage,
                r.rated_on.isoformat() if r.rated_on else None, at_text,
            )
            for r in records
        ]
        count = "SELECT COUNT(*) FROM rating WHERE year = ?"
        with self._write() as cursor:
            # counted inside the transaction, so a concurrent import cannot skew them
            cursor.execute(count, (year,))
            before = cursor.fetchone()[0]
            cursor.executemany(
                "INSERT INTO rating (year, unit_id, unit_path, member, name, status, "
                "admitted_on, level, stage, rated_on, imported_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (year, unit_id, member, stage) DO UPDATE SET "
                "name = excluded.name, status = excluded.status, "
                "admitted_on = excluded.admitted_on, level = excluded.level, "
                "rated_on = excluded.rated_on, imported_at = excluded.imported_at",
                values,
            )
            cursor.execute(count, (year,))
            updated = len(records) - (cursor.fetchone()[0] - before)
            self._append_event(
                cursor, "ratings_imported", at_text, actor, None, None, None, None, year,
                None, None, {**detail, "rows": len(records), "updated": updated},
            )
        return len(records) - updated, updated

    def rating_register(self, unit_code: str, year: int) -> dict[str, Any]:
        """What the recognition rule tallies: the unit's own rows (its members' and its own
        rating) and, for a committee, each child cell's own rating and the list of cells."""
        unit = self.find_unit(unit_code)
        # Two indexed reads, not one with an OR: (year, unit) for the unit's own rows, the
        # (year, path) range for the rows of the units below it.
        rows = self._query(
            f"SELECT {_RATING_COLUMNS} FROM rating r JOIN unit u ON u.id = r.unit_id "
            "WHERE r.year = ? AND r.unit_id = ?",
            (year, unit.id),
        )
        below = (unit.path, unit.path[:-1] + "0")
        rows += self._query(
            f"SELECT {_RATING_COLUMNS} FROM rating r JOIN unit u ON u.id = r.unit_id "
            "WHERE r.year = ? AND r.unit_path > ? AND r.unit_path < ? AND r.member = '' "
            "AND u.parent_id = ?",
            (year, *below, unit.id),
        )
        children = self._query(
            "SELECT code FROM unit WHERE path > ? AND path < ? AND parent_id = ?",
            (*below, unit.id),
        )
        cells = [row[0] for row in children]
        return {
            "unit": unit_code,
            "org_type": unit.org_type,
            "records": [_record(row) for row in rows],
            "cells": sorted(cells),
        }

    def ratings_under(self, under: UnitRef | None, year: int) -> list[RatingRecord]:
        """Every rating row of a subtree (units' own and members'), for reports."""
        where, params = self._range(under, "r.unit_path")
        rows = self._query(
            f"SELECT {_RATING_COLUMNS} FROM rating r JOIN unit u ON u.id = r.unit_id "
            f"WHERE r.year = ?{where} ORDER BY u.code, r.member, r.stage",
            [year, *params],
        )
        return [_record(row) for row in rows]

    # -- reports ------------------------------------------------------------------------
    def _range(self, under: UnitRef | None, column: str) -> tuple[str, list[Any]]:
        if under is None:
            return "", []
        return f" AND {column} >= ? AND {column} < ?", [under.path, under.path[:-1] + "0"]

    def report_cycles(self, under: UnitRef | None, year: int) -> list[ReportCycle]:
        where, params = self._range(under, "c.unit_path")
        rows = self._query(
            "SELECT c.id, u.code, u.name, u.kind, p.code, c.unit_path, c.definition_id, "
            "c.definition_version, c.state, c.outcome FROM cycle c "
            "JOIN unit u ON u.id = c.unit_id LEFT JOIN unit p ON p.id = u.parent_id "
            f"WHERE c.year = ?{where} ORDER BY c.unit_path, c.definition_id",
            [year, *params],
        )
        return [ReportCycle(*row) for row in rows]

    def report_events(self, under: UnitRef | None, year: int) -> list[ReportEvent]:
        where, params = self._range(under, "c.unit_path")
        rows = self._query(
            "SELECT t.cycle_id, t.event, t.at, t.checks, t.payload FROM transition t "
            f"JOIN cycle c ON c.id = t.cycle_id WHERE c.year = ?{where} "
            "ORDER BY t.cycle_id, t.seq",
            [year, *params],
        )
        return [
            ReportEvent(row[0], row[1], from_db(row[2]), json.loads(row[3]), json.loads(row[4]))
            for row in rows
        ]

    def cycles_under(
        self, under: UnitRef | None, year: int, after_id: int, limit: int
    ) -> list[Cycle]:
        """A page of a subtree's cycles of `year`, by id after `after_id` (keyset paging:
        a bulk decision over a whole province holds one page in memory at a time)."""
        where, params = self._range(under, "c.unit_path")
        rows = self._query(
            "SELECT c.id, u.code, c.unit_kind, c.year, c.definition_id, c.definition_version, "
            "c.state, c.version, c.outcome, c.facts, c.head_hash, c.unit_path "
            "FROM cycle c JOIN unit u ON u.id = c.unit_id "
            f"WHERE c.year = ? AND c.id > ?{where} ORDER BY c.id LIMIT ?",
            [year, after_id, *params, limit],
        )
        return [
            Cycle(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], json.loads(r[9]), r[10],
                  r[11])
            for r in rows
        ]

    def committees(self, under: UnitRef | None) -> list[tuple[str, str, str]]:
        """(code, name, path) of every unit that has units under it, in the subtree."""
        below, params = self._range(under, "u.path")
        parent_in, parent_params = self._range(under, "p.path")
        return [
            (row[0], row[1], row[2])
            for row in self._query(
                # the parents of the subtree's units, each found by primary key
                "SELECT DISTINCT p.code, p.name, p.path FROM unit u "
                f"JOIN unit p ON p.id = u.parent_id WHERE 1 = 1{below}{parent_in} "
                "ORDER BY p.path",
                [*params, *parent_params],
            )
        ]

    # -- targets ------------------------------------------------------------------------
    def set_target(
        self,
        year: int,
        unit_code: str,
        definition_id: str,
        share: float,
        assigned_on: date,
        at: datetime,
        actor: str,
    ) -> None:
        unit = self.find_unit(unit_code)
        at_text = to_db(at)
        with self._write() as cursor:
            cursor.execute(
                "INSERT INTO target (year, unit_id, definition_id, share, assigned_on, actor, at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (year, unit_id, definition_id) "
                "DO UPDATE SET share = excluded.share, assigned_on = excluded.assigned_on, "
                "actor = excluded.actor, at = excluded.at",
                (year, unit.id, definition_id, share, assigned_on.isoformat(), actor, at_text),
            )
            self._append_event(
                cursor, "target_set", at_text, actor, None, unit.code, unit.path, None, year,
                None, None,
                {
                    "definition": definition_id,
                    "share": share,
                    "assigned_on": assigned_on.isoformat(),
                },
            )

    def targets(self, year: int) -> dict[tuple[str, str], tuple[float, date]]:
        """(unit code, definition id) -> (share, assigned on) for `year`."""
        return {
            (row[0], row[1]): (float(row[2]), date.fromisoformat(row[3]))
            for row in self._query(
                "SELECT u.code, t.definition_id, t.share, t.assigned_on FROM target t "
                "JOIN unit u ON u.id = t.unit_id WHERE t.year = ?",
                (year,),
            )
        }


__all__ = ["EvidenceStore", "NotFound"]
