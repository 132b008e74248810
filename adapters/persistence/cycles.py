"""Cycles with their deadlines: opening in batches, applying transitions under the row
version, and the reads of boards, histories and reports."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from adapters.persistence.board_sql import (
    IN_CHILD,
    LATE_PER_KEY,
    children_of,
    of_org_type,
)
from adapters.persistence.rows import (
    CYCLE_COLUMNS,
    INSERT_TIMER,
    cycle_of,
    dumps,
    late,
    planned_values,
    subtree,
    subtree_positional,
    timer_values,
)
from adapters.persistence.sql import Sql
from workflow.audit_hashing import cycle_genesis, link
from workflow.service.records import (
    AuditEntry,
    ChildCount,
    Cycle,
    CycleChange,
    DeadlineStatus,
    OpenBatch,
    Opened,
    OverdueItem,
    ReportCycle,
    ReportEvent,
    StateCount,
    UnitRef,
)
from workflow.timefmt import from_db, to_db


def without_cycle_sql(node: UnitRef | None, kinds: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """`FROM unit u WHERE …`: the units of `kinds` under `node` with no cycle of the
    year's definition (`:year`, `:definition_id`), and the parameters it names."""
    where, params = subtree(node, "u.path")
    kind_params = {f"kind{i}": kind for i, kind in enumerate(kinds)}
    kind_list = ", ".join(f":{name}" for name in kind_params)
    # A scalar subquery, not NOT EXISTS: PostgreSQL turns NOT EXISTS into an anti-join
    # whose plan follows the statistics, and with statistics taken before a bulk opening
    # (autovacuum off, or not yet run) its generic plan rescanned every cycle of the year
    # for each unit: 40 s a batch at 240,000 cycles. A correlated scalar subquery stays a
    # probe of the unique (unit_id, year, definition_id) index per unit, on both backends.
    sql = (
        f"FROM unit u WHERE u.kind IN ({kind_list}){where} "
        "AND (SELECT c.id FROM cycle c WHERE c.unit_id = u.id "
        "AND c.year = :year AND c.definition_id = :definition_id) IS NULL"
    )
    return sql, {**params, **kind_params}


#: the next batch of units to open, after the last one opened
NEXT_UNITS = "SELECT u.id, u.path, u.kind {units} AND u.id > :after ORDER BY u.id LIMIT :limit"

#: the timers a move makes moot: those not yet due. One already due is left to the tick,
#: which drops it or sends it as workflow.notices decides (an escalation that fell due
#: before the deadline was met, or the cycle closed, is still owed: the worker may have
#: been down) and writes what follows it on its ladder that is owed too
MOOT_TIMERS = "fired_at IS NULL AND due_at >= ?"
_DELETE_TIMERS_OF_CYCLE = f"DELETE FROM timer WHERE cycle_id = ? AND {MOOT_TIMERS}"
_DELETE_TIMERS_OF_DEADLINE = (
    f"DELETE FROM timer WHERE cycle_id = ? AND deadline = ? AND {MOOT_TIMERS}"
)
#: the next timer of a reopened deadline, its unit and year from the cycle row; one still
#: kept (fired, or written before ladders were lazy) is left as it is
_REPLAN_TIMER = (
    "INSERT INTO timer (key, cycle_id, milestone_id, unit_id, year, definition_id, "
    'definition_version, deadline, kind, step, role, "offset", deadline_at, due_at, moved_by) '
    "SELECT ?, id, NULL, unit_id, year, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM cycle WHERE id = ? "
    "ON CONFLICT (key) DO NOTHING"
)


class SqlCycles:
    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    def count_units_without_cycle(
        self, under: UnitRef | None, kinds: Sequence[str], year: int, definition_id: str
    ) -> int:
        sql, params = without_cycle_sql(under, kinds)
        rows = self.sql.query(
            f"SELECT COUNT(*) {sql}", {**params, "year": year, "definition_id": definition_id}
        )
        return int(rows[0][0])

    def latest_year(self) -> int | None:
        rows = self.sql.query("SELECT MAX(year) FROM cycle", {})
        return None if rows[0][0] is None else int(rows[0][0])

    def open_batch(self, batch: OpenBatch) -> Opened:
        """Pick the next units without a cycle and open theirs, in the caller's unit of
        work, so that a concurrent opener can never open a unit's cycle twice."""
        spec = batch.definition.spec
        sql, params = without_cycle_sql(batch.under, spec.applies_to)
        at = to_db(batch.at)
        db = self.sql
        # one opener at a time: cycle ids are MAX(id) + 1, and a unit picked by two
        # openers would otherwise fail the second on the unique (unit, year, definition)
        db.serialize("open")
        units = db.execute(
            NEXT_UNITS.format(units=sql),
            {
                **params,
                "year": batch.year,
                "definition_id": spec.id,
                "after": batch.after_unit_id,
                "limit": batch.limit,
            },
        ).fetchall()
        if not units:
            return Opened(0, None)
        next_id = db.execute("SELECT COALESCE(MAX(id), 0) FROM cycle").fetchone()[0] + 1
        ids = range(next_id, next_id + len(units))
        # each cycle's chain starts with its opening record
        heads = [
            link(
                cycle_genesis(cycle_id, unit_id, batch.year, spec.id, spec.version),
                (
                    cycle_id, 1, "open", None, batch.state, batch.actor, batch.role, at,
                    "{}", "[]", spec.id, spec.version,
                ),
            )
            for cycle_id, (unit_id, _path, _kind) in zip(ids, units, strict=True)
        ]
        db.executemany(
            "INSERT INTO cycle (id, unit_id, unit_path, unit_kind, year, definition_id, "
            "definition_version, content_hash, state, outcome, facts, version, head_hash, "
            "opened_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}', 1, ?, ?, ?)",
            [
                (
                    cycle_id, unit_id, path, kind, batch.year, spec.id, spec.version,
                    batch.definition.content_hash, batch.state, batch.outcome, head, at, at,
                )
                for cycle_id, (unit_id, path, kind), head in zip(ids, units, heads, strict=True)
            ],
        )
        db.sync_sequence("cycle", ids[-1])
        db.executemany(
            "INSERT INTO transition (cycle_id, seq, event, from_state, to_state, actor, "
            "role, at, payload, checks, definition_id, definition_version, hash) "
            "VALUES (?, 1, 'open', NULL, ?, ?, ?, ?, '{}', '[]', ?, ?, ?)",
            [
                (cycle_id, batch.state, batch.actor, batch.role, at, spec.id, spec.version, head)
                for cycle_id, head in zip(ids, heads, strict=True)
            ],
        )
        due = [(key, to_db(instant)) for key, instant in batch.deadlines]
        db.executemany(
            "INSERT INTO deadline (cycle_id, key, due_at, met_at, year) "
            "VALUES (?, ?, ?, NULL, ?)",
            [(cycle_id, key, due_at, batch.year) for cycle_id in ids for key, due_at in due],
        )
        if batch.timers:
            timers = timer_values(batch.timers, batch.at, batch.definition)
            unit_of = {cycle_id: unit[0] for cycle_id, unit in zip(ids, units, strict=True)}
            db.executemany(
                INSERT_TIMER,
                [
                    (f"c{cycle_id}:{suffix}", cycle_id, None, unit_of[cycle_id], batch.year,
                     *values)
                    for cycle_id in ids
                    for suffix, values in timers
                ],
            )
        return Opened(len(units), units[-1][0])

    def find(self, unit_code: str, year: int) -> list[Cycle]:
        rows = self.sql.query(
            f"SELECT {CYCLE_COLUMNS} "
            "FROM cycle c JOIN unit u ON u.id = c.unit_id "
            "WHERE u.code = ? AND c.year = ? ORDER BY c.definition_id",
            (unit_code, year),
        )
        return [cycle_of(r) for r in rows]

    def apply(self, change: CycleChange) -> bool:
        """Write one transition; False (and nothing written) if the row version moved."""
        db = self.sql
        entry = change.entry
        at = change.at_text or to_db(entry.at)
        db.execute(
            "UPDATE cycle SET state = ?, outcome = ?, version = version + 1, updated_at = ?, "
            "facts = COALESCE(?, facts), head_hash = ? WHERE id = ? AND version = ?",
            (
                change.state,
                change.outcome,
                at,
                None if change.facts is None else dumps(change.facts),
                change.hash,
                change.cycle_id,
                change.expected_version,
            ),
        )
        if db.rowcount != 1:
            return False
        db.execute(
            "INSERT INTO transition (cycle_id, seq, event, from_state, to_state, actor, role, "
            "at, payload, checks, definition_id, definition_version, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                change.cycle_id, entry.seq, entry.event, entry.from_state, entry.to_state,
                entry.actor, entry.role, at, change.payload_text, change.checks_text,
                entry.definition_id, entry.definition_version, change.hash,
            ),
        )
        for key in change.met:
            db.execute(
                "UPDATE deadline SET met_at = ? WHERE cycle_id = ? AND key = ? "
                "AND met_at IS NULL",
                (at, change.cycle_id, key),
            )
        for key in change.reopened:
            db.execute(
                "UPDATE deadline SET met_at = NULL WHERE cycle_id = ? AND key = ?",
                (change.cycle_id, key),
            )
        if change.closes:  # its deadlines unmet are late no more (ix_deadline_late)
            db.execute(
                "UPDATE deadline SET closed = 1 WHERE cycle_id = ? AND met_at IS NULL",
                (change.cycle_id,),
            )
        self._settle_timers(change, at)
        return True

    def _settle_timers(self, change: CycleChange, at: str) -> None:
        """Timers this change made moot are deleted with it (a closed cycle's, a met
        deadline's, not yet due: they could never fire), and a reopened deadline's next
        one is planned again. Fired timers stay: their notices name them; so do those
        already due, which the tick drops or sends."""
        db, cycle_id = self.sql, change.cycle_id
        if change.closes:
            db.execute(_DELETE_TIMERS_OF_CYCLE, (cycle_id, at))
        else:
            for key in change.met:
                db.execute(_DELETE_TIMERS_OF_DEADLINE, (cycle_id, key, at))
        if change.replanned and not change.closes:
            entry = change.entry
            planned = planned_values(
                change.replanned, from_db(at), entry.definition_id, entry.definition_version
            )
            db.executemany(
                _REPLAN_TIMER,
                [(f"c{cycle_id}:{suffix}", *values, cycle_id) for suffix, values in planned],
            )

    def history(self, cycle_id: int) -> list[AuditEntry]:
        rows = self.sql.query(
            "SELECT seq, event, from_state, to_state, actor, role, at, payload, checks, "
            "definition_id, definition_version FROM transition WHERE cycle_id = ? ORDER BY seq",
            (cycle_id,),
        )
        return [
            AuditEntry(
                r[0], r[1], r[2], r[3], r[4], r[5], from_db(r[6]), json.loads(r[7]),
                json.loads(r[8]), r[9], r[10],
            )
            for r in rows
        ]

    def actors(self, cycle_id: int) -> list[tuple[str, str]]:
        rows = self.sql.query(
            "SELECT event, actor FROM transition WHERE cycle_id = ? ORDER BY seq", (cycle_id,)
        )
        return [(r[0], r[1]) for r in rows]

    def deadlines(self, cycle_id: int) -> list[DeadlineStatus]:
        rows = self.sql.query(
            "SELECT key, due_at, met_at FROM deadline WHERE cycle_id = ? ORDER BY due_at, key",
            (cycle_id,),
        )
        return [DeadlineStatus(r[0], from_db(r[1]), from_db(r[2]) if r[2] else None) for r in rows]

    def count_states(self, under: UnitRef | None, year: int) -> list[StateCount]:
        where, params = subtree(under, "unit_path")
        rows = self.sql.query(
            "SELECT definition_id, unit_kind, state, outcome, COUNT(*) FROM cycle "
            # NULL outcomes first on both backends (PostgreSQL puts them last by default)
            f"WHERE year = :year{where} GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4 IS NOT NULL, 4",
            {**params, "year": year},
        )
        return [StateCount(*r) for r in rows]

    def count_by_child(
        self, under: UnitRef | None, year: int, org_type: str | None = None
    ) -> list[ChildCount]:
        # Each child's subtree is a range of paths (workflow.tree), so one range join on
        # the path index groups the whole tree below `under` in a single pass.
        parent, params = children_of(under)
        of_type, typed = of_org_type(org_type)
        rows = self.sql.query(
            "SELECT ch.code, ch.name, ch.kind, c.definition_id, c.unit_kind, c.state, "
            f"c.outcome, COUNT(*) FROM unit ch JOIN cycle c ON {IN_CHILD} "
            f"WHERE {parent} AND c.year = :year{of_type} GROUP BY 1, 2, 3, 4, 5, 6, 7",
            {**params, **typed, "year": year},
        )
        return [ChildCount(*r) for r in rows]

    def overdue_by_child(
        self, under: UnitRef | None, year: int, at: datetime, org_type: str | None = None
    ) -> dict[str, int]:
        parent, params = children_of(under)
        of_type, typed = of_org_type(org_type)
        rows = self.sql.query(
            f"SELECT ch.code, COUNT(DISTINCT c.id) FROM unit ch JOIN cycle c ON {IN_CHILD} "
            "JOIN deadline d ON d.cycle_id = c.id "
            f"WHERE {parent} AND c.year = :year{of_type} "
            f"AND {late('d')} AND d.due_at < :at GROUP BY ch.code",
            {**params, **typed, "year": year, "at": to_db(at)},
        )
        return {r[0]: r[1] for r in rows}

    def count_overdue(self, under: UnitRef | None, year: int, at: datetime) -> dict[str, int]:
        if under is None:  # the whole tree: no cycle read (see LATE_PER_KEY)
            rows = self.sql.query(LATE_PER_KEY, {"year": year, "at": to_db(at)})
            return {r[0]: r[1] for r in rows if r[1]}
        where, params = subtree(under, "c.unit_path")
        rows = self.sql.query(
            "SELECT d.key, COUNT(*) FROM deadline d JOIN cycle c ON c.id = d.cycle_id "
            f"WHERE c.year = :year{where} "
            f"AND {late('d')} AND d.due_at < :at GROUP BY d.key",
            {**params, "year": year, "at": to_db(at)},
        )
        return {r[0]: r[1] for r in rows}

    def list_overdue(self, under: UnitRef | None, year: int, at: datetime) -> list[OverdueItem]:
        """Every deadline past due and not met, of cycles still open, and every milestone
        past due and not kept, under a node: oldest first."""
        where, params = subtree(under, "c.unit_path")
        where_m, _ = subtree(under, "m.unit_path")
        rows = self.sql.query(
            "SELECT u.code, u.name, p.code, c.definition_id, c.definition_version, c.state, "
            "d.key, d.due_at, 0, p.name FROM deadline d JOIN cycle c ON c.id = d.cycle_id "
            "JOIN unit u ON u.id = c.unit_id LEFT JOIN unit p ON p.id = u.parent_id "
            f"WHERE c.year = :year{where} "
            f"AND {late('d')} AND d.due_at < :at "
            "UNION ALL "
            "SELECT u.code, u.name, p.code, m.definition_id, m.definition_version, NULL, "
            "m.key, m.due_at, 1, p.name FROM milestone m JOIN unit u ON u.id = m.unit_id "
            "LEFT JOIN unit p ON p.id = u.parent_id "
            f"WHERE m.year = :year{where_m} "
            "AND m.met_at IS NULL AND m.due_at < :at ORDER BY 8, 1, 7",
            {**params, "year": year, "at": to_db(at)},
        )
        return [
            OverdueItem(r[0], r[1], r[2], r[3], r[4], r[5], r[6], from_db(r[7]), bool(r[8]), r[9])
            for r in rows
        ]

    def under(self, under: UnitRef | None, year: int, after_id: int, limit: int) -> list[Cycle]:
        """A page of a subtree's cycles of `year`, by id after `after_id` (keyset paging:
        a bulk decision over a whole province holds one page in memory at a time)."""
        where, params = subtree_positional(under, "c.unit_path")
        rows = self.sql.query(
            f"SELECT {CYCLE_COLUMNS} "
            "FROM cycle c JOIN unit u ON u.id = c.unit_id "
            f"WHERE c.year = ? AND c.id > ?{where} ORDER BY c.id LIMIT ?",
            [year, after_id, *params, limit],
        )
        return [cycle_of(r) for r in rows]

    def report_cycles(self, under: UnitRef | None, year: int) -> list[ReportCycle]:
        where, params = subtree_positional(under, "c.unit_path")
        rows = self.sql.query(
            "SELECT c.id, u.code, u.name, u.kind, p.code, c.unit_path, c.definition_id, "
            "c.definition_version, c.state, c.outcome, u.org_type FROM cycle c "
            "JOIN unit u ON u.id = c.unit_id LEFT JOIN unit p ON p.id = u.parent_id "
            f"WHERE c.year = ?{where} ORDER BY c.unit_path, c.definition_id",
            [year, *params],
        )
        return [ReportCycle(*row) for row in rows]

    def report_events(self, under: UnitRef | None, year: int) -> list[ReportEvent]:
        """The applied events of a subtree's cycles, in order."""
        where, params = subtree_positional(under, "c.unit_path")
        rows = self.sql.query(
            "SELECT t.cycle_id, t.event, t.at, t.checks, t.payload FROM transition t "
            f"JOIN cycle c ON c.id = t.cycle_id WHERE c.year = ?{where} "
            "ORDER BY t.cycle_id, t.seq",
            [year, *params],
        )
        return [
            ReportEvent(row[0], row[1], from_db(row[2]), json.loads(row[3]), json.loads(row[4]))
            for row in rows
        ]
