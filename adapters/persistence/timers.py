"""Timers (reminders and escalations of deadlines and milestones) and the milestones.

A deadline's ladder of reminders and escalations is written lazily: a cycle or
milestone opens with each ladder's next timer (workflow.deadlines.ladder_heads), and the
tick that claims one writes the one after it (`add_following`). A transition deletes
the timers it makes moot (not yet due, of the deadline it meets or of a cycle it
closes: adapters.persistence.cycles), so a closed cycle keeps only the timers that
fired. A timer the tick finds moot all the same (already due when its deadline was met)
is marked cancelled (`settle`), and never sent.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from adapters.persistence.audit import SqlAudit
from adapters.persistence.compiled import chunks
from adapters.persistence.rows import (
    INSERT_TIMER,
    UPSERT_TIMER,
    subtree,
    timer_columns,
    timer_values,
)
from adapters.persistence.sql import Sql
from workflow.service.records import MilestonePlan, UnitRef
from workflow.spec.registry import Definition
from workflow.timefmt import from_db, to_db

if TYPE_CHECKING:
    from workflow.deadlines import PlannedTimer
    from workflow.notices import DueTimer


class SqlTimers:
    def __init__(self, sql: Sql, audit: SqlAudit) -> None:
        self.sql = sql
        self.audit = audit

    def open_milestones(
        self,
        definition: Definition,
        year: int,
        under: UnitRef | None,
        plans: Sequence[MilestonePlan],
        at: datetime,
    ) -> int:
        """Open the year's milestones for the committees they belong to, with their
        timers; those already open are left as they are."""
        spec = definition.spec
        where, params = subtree(under, "u.path")
        db = self.sql
        db.serialize("open")  # what is open is read, then the rest inserted
        committees = db.execute(
            f"SELECT u.id, u.path FROM unit u WHERE u.kind = 'committee'{where}",
            params,
        ).fetchall()
        existing = {
            (unit_id, key)
            for unit_id, key in db.execute(
                "SELECT unit_id, key FROM milestone WHERE year = ? AND definition_id = ?",
                (year, spec.id),
            ).fetchall()
        }
        opened = 0
        for unit_id, path in committees:
            depth = path.count("/") - 2
            for plan in plans:
                if plan.depth is not None and depth not in plan.depth:
                    continue
                if (unit_id, plan.due.key) in existing:
                    continue
                milestone_id = db.execute(
                    "INSERT INTO milestone (unit_id, unit_path, year, definition_id, "
                    "definition_version, key, due_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                    "RETURNING id",
                    (unit_id, path, year, spec.id, spec.version, plan.due.key,
                     to_db(plan.due.due_at)),
                ).fetchone()[0]
                db.executemany(
                    INSERT_TIMER,
                    [
                        (f"m{milestone_id}:{suffix}", None, milestone_id, unit_id, year, *values)
                        for suffix, values in timer_values(plan.timers, at, definition)
                    ],
                )
                opened += 1
        return opened

    def kept_milestones(
        self, year: int, under: UnitRef | None
    ) -> list[tuple[str, str, str, datetime, str]]:
        """(unit code, definition id, key, met at, met by) of the year's kept milestones."""
        where, params = subtree(under, "m.unit_path")
        rows = self.sql.query(
            "SELECT u.code, m.definition_id, m.key, m.met_at, m.met_by FROM milestone m "
            "JOIN unit u ON u.id = m.unit_id WHERE m.year = :year AND m.met_at IS NOT NULL"
            f"{where} ORDER BY m.met_at",
            {**params, "year": year},
        )
        return [(r[0], r[1], r[2], from_db(r[3]), r[4] or "") for r in rows]

    def meet_milestone(
        self, unit_code: str, year: int, definition_id: str, key: str, actor: str, at: datetime
    ) -> bool:
        """Mark a milestone kept, with its audit fact, and cancel its pending timers."""
        stamp = to_db(at)
        db = self.sql
        row = db.execute(
            "SELECT m.id, m.unit_path FROM milestone m JOIN unit u ON u.id = m.unit_id "
            "WHERE u.code = ? AND m.year = ? AND m.definition_id = ? AND m.key = ? "
            f"AND m.met_at IS NULL{db.dialect.for_update_of('m')}",
            (unit_code, year, definition_id, key),
        ).fetchone()
        if row is None:
            return False
        db.execute(
            "UPDATE milestone SET met_at = ?, met_by = ? WHERE id = ?", (stamp, actor, row[0])
        )
        self.audit.append(
            "milestone_met", stamp, actor, unit_code=unit_code, unit_path=row[1], year=year,
            event=key, detail={"definition": definition_id},
        )
        db.execute(
            "UPDATE timer SET cancelled_at = ? WHERE milestone_id = ? "
            "AND fired_at IS NULL AND cancelled_at IS NULL",
            (stamp, row[0]),
        )
        return True

    def claim_due(self, now: datetime, limit: int) -> list[DueTimer]:
        """Up to `limit` due timers, oldest first, locked until the unit of work ends
        (another worker skips them), with what decides whether each is still owed."""
        from workflow.notices import DueTimer  # the tick's code: a board never loads it

        lock = self.sql.dialect.for_update_skip_locked("t")
        rows = self.sql.execute(
            "SELECT t.id, t.key, t.cycle_id, t.milestone_id, t.unit_id, u.path, t.year, "
            "t.definition_id, t.definition_version, t.deadline, t.kind, t.step, t.role, "
            "t.\"offset\", t.deadline_at, t.due_at, t.moved_by, c.state, "
            "d.met_at, c.updated_at "
            "FROM timer t JOIN unit u ON u.id = t.unit_id "
            "LEFT JOIN cycle c ON c.id = t.cycle_id "
            "LEFT JOIN deadline d ON d.cycle_id = t.cycle_id AND d.key = t.deadline "
            "WHERE t.fired_at IS NULL AND t.cancelled_at IS NULL AND t.due_at <= ? "
            f"ORDER BY t.due_at, t.id LIMIT ?{lock}",
            (to_db(now), limit),
        ).fetchall()
        # a batch's instants repeat (a nation's reminder instant is one due_at for all):
        # each distinct text is parsed once
        instants: dict[str, datetime] = {}

        def instant(text: str) -> datetime:
            found = instants.get(text)
            if found is None:
                found = instants[text] = from_db(text)
            return found

        return [
            DueTimer(
                r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11],
                r[12], r[13], instant(r[14]), instant(r[15]), r[16], r[17],
                instant(r[18]) if r[18] else None, instant(r[19]) if r[19] else None,
            )
            for r in rows
        ]

    def settle(self, due: Sequence[DueTimer], fired: Collection[int], now: datetime) -> None:
        """Mark the claimed timers fired (those in `fired`) or cancelled (the others)."""
        stamp = to_db(now)
        for column, ids in (
            ("fired_at", [t.id for t in due if t.id in fired]),
            ("cancelled_at", [t.id for t in due if t.id not in fired]),
        ):
            # a statement per chunk of ids, not per timer
            for chunk in chunks(ids):
                self.sql.execute(
                    f"UPDATE timer SET {column} = ? WHERE id IN ({', '.join('?' * len(chunk))})",
                    (stamp, *chunk),
                )

    def add_following(self, following: Sequence[tuple[DueTimer, PlannedTimer]]) -> None:
        """The next timer of each claimed one's ladder, keyed as its predecessor
        (`c{cycle}:` or `m{milestone}:`), of the same definition version."""
        if not following:
            return
        self.sql.executemany(
            UPSERT_TIMER,
            [
                (
                    f"{due.key.partition(':')[0]}:{timer.suffix}", due.cycle_id,
                    due.milestone_id, due.unit_id, due.year,
                    *timer_columns(timer, due.definition_id, due.definition_version),
                )
                for due, timer in following
            ],
        )

    def next_due(self) -> datetime | None:
        rows = self.sql.query(
            "SELECT MIN(due_at) FROM timer WHERE fired_at IS NULL AND cancelled_at IS NULL"
        )
        return from_db(rows[0][0]) if rows and rows[0][0] else None
