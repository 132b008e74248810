"""The evidence registers: members' and units' ratings, and superiors' targets. An
import and its audit fact are written in the caller's one unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from adapters.persistence.audit import SqlAudit
from adapters.persistence.rows import subtree_positional
from adapters.persistence.sql import Sql
from adapters.persistence.units import SqlUnits
from workflow.audit_registers import rating_fact
from workflow.evidence.ratings import RatingRecord
from workflow.service.records import UnitRef
from workflow.timefmt import to_db
from workflow.tree import subtree_bounds

_RATING_COLUMNS = (
    "u.code, r.member, r.name, r.status, r.admitted_on, r.level, r.stage, r.rated_on, r.score"
)
_COUNT_RATINGS = "SELECT COUNT(*) FROM rating WHERE year = ?"


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
        score=row[8],
    )


class SqlRegisters:
    def __init__(self, sql: Sql, audit: SqlAudit, units: SqlUnits) -> None:
        self.sql = sql
        self.audit = audit
        self.units = units

    def import_ratings(
        self,
        year: int,
        records: Sequence[RatingRecord],
        units: dict[str, tuple[int, str]],
        at: datetime,
        actor: str,
        detail: dict[str, Any],
    ) -> tuple[int, int]:
        """Add or correct ratings (a row's key: year, unit, member, stage), with one fact
        in the audit-event chain. `units`: code -> (id, path), read before the unit of
        work. Returns (added, updated)."""
        at_text = to_db(at)
        values = [
            (
                year, units[r.unit_code][0], units[r.unit_code][1], r.member, r.name, r.status,
                r.admitted_on.isoformat() if r.admitted_on else None, r.level, r.stage,
                r.rated_on.isoformat() if r.rated_on else None, at_text, r.score,
            )
            for r in records
        ]
        db = self.sql
        # counted inside the transaction, so a concurrent import cannot skew them
        db.execute(_COUNT_RATINGS, (year,))
        before = db.fetchone()[0]
        db.executemany(
            "INSERT INTO rating (year, unit_id, unit_path, member, name, status, "
            "admitted_on, level, stage, rated_on, imported_at, score) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (year, unit_id, member, stage) DO UPDATE SET "
            "name = excluded.name, status = excluded.status, "
            "admitted_on = excluded.admitted_on, level = excluded.level, "
            "rated_on = excluded.rated_on, imported_at = excluded.imported_at, "
            "score = excluded.score",
            values,
        )
        db.execute(_COUNT_RATINGS, (year,))
        updated = len(records) - (db.fetchone()[0] - before)
        self.audit.append(
            "ratings_imported", at_text, actor, year=year,
            detail={
                **detail, "rows": len(records), "updated": updated,
                # the values themselves: a correction is a new fact, the old one stays
                "records": [rating_fact(r) for r in records],
            },
        )
        return len(records) - updated, updated

    def rating_register(self, unit_code: str, year: int) -> dict[str, Any]:
        """What the recognition rule tallies: the unit's own rows (its members' and its own
        rating) and, for a committee, each child cell's own rating and the list of cells."""
        unit = self.units.find(unit_code)
        # Two indexed reads, not one with an OR: (year, unit) for the unit's own rows, the
        # (year, path) range for the rows of the units below it.
        rows = self.sql.query(
            f"SELECT {_RATING_COLUMNS} FROM rating r JOIN unit u ON u.id = r.unit_id "
            "WHERE r.year = ? AND r.unit_id = ? ORDER BY r.member, r.stage",
            (year, unit.id),
        )
        below = subtree_bounds(unit.path)
        rows += self.sql.query(
            f"SELECT {_RATING_COLUMNS} FROM rating r JOIN unit u ON u.id = r.unit_id "
            "WHERE r.year = ? AND r.unit_path > ? AND r.unit_path < ? AND r.member = '' "
            "AND u.parent_id = ? ORDER BY u.code, r.stage",
            (year, *below, unit.id),
        )
        children = self.sql.query(
            "SELECT code FROM unit WHERE path > ? AND path < ? AND parent_id = ?",
            (*below, unit.id),
        )
        return {
            "unit": unit_code,
            "org_type": unit.org_type,
            "records": [_record(row) for row in rows],
            "cells": sorted(row[0] for row in children),
        }

    def ratings_under(self, under: UnitRef | None, year: int) -> list[RatingRecord]:
        """Every rating row of a subtree (units' own and members'), for reports."""
        where, params = subtree_positional(under, "r.unit_path")
        rows = self.sql.query(
            f"SELECT {_RATING_COLUMNS} FROM rating r JOIN unit u ON u.id = r.unit_id "
            f"WHERE r.year = ?{where} ORDER BY u.code, r.member, r.stage",
            [year, *params],
        )
        return [_record(row) for row in rows]

    def set_target(
        self,
        year: int,
        unit: UnitRef,
        definition_id: str,
        share: float,
        assigned_on: date,
        at: datetime,
        actor: str,
    ) -> None:
        at_text = to_db(at)
        self.sql.execute(
            "INSERT INTO target (year, unit_id, definition_id, share, assigned_on, actor, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (year, unit_id, definition_id) "
            "DO UPDATE SET share = excluded.share, assigned_on = excluded.assigned_on, "
            "actor = excluded.actor, at = excluded.at",
            (year, unit.id, definition_id, share, assigned_on.isoformat(), actor, at_text),
        )
        self.audit.append(
            "target_set", at_text, actor, unit_code=unit.code, unit_path=unit.path, year=year,
            detail={
                "definition": definition_id,
                "share": share,
                "assigned_on": assigned_on.isoformat(),
            },
        )

    def targets(self, year: int) -> dict[tuple[str, str], tuple[float, date]]:
        """(unit code, definition id) -> (share, assigned on) for `year`."""
        return {
            (row[0], row[1]): (float(row[2]), date.fromisoformat(row[3]))
            for row in self.sql.query(
                "SELECT u.code, t.definition_id, t.share, t.assigned_on FROM target t "
                "JOIN unit u ON u.id = t.unit_id WHERE t.year = ?",
                (year,),
            )
        }
