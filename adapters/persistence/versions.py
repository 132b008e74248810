"""Moving cycles between versions of their definition, on SQL (the unit of work's connection).

A batch is one unit of work: the selected cycles are read (locked on PostgreSQL), judged
by the service (workflow.versions), and every move written with a few executemany statements:
- the cycle row: target version and content hash, new state and outcome, row version + 1,
  head hash (a stale row version fails the whole batch: nothing of it is written);
- one `migrate` record chained onto the cycle's audit trail;
- its deadlines: the target's, with the target's dates. A deadline the target does not
  have is removed; one it adds is inserted; one met in the new state keeps the instant it
  was met (or is met now), one not met there is open again;
- its timers, re-planned as at a cycle's opening but at the migration's instant (each
  ladder's next timer and the escalations already owed: workflow.deadlines.ladder_heads):
  a pending timer (not fired, not cancelled) the target also plans is rewritten in place
  with the target's date, role and version; a target timer the cycle never had is added;
  every other pending timer is cancelled.
  Fired timers are history and never sent again. A timer a migration cancelled before it
  came due is planned again if a later migration brings its key back.
Plain SQL with `?` placeholders (named ones for the subtree filter).
"""

from __future__ import annotations

from adapters.persistence.cycles import MOOT_TIMERS
from adapters.persistence.rows import (
    CYCLE_COLUMNS,
    UPSERT_TIMER,
    cycle_of,
    subtree,
    timer_values,
)
from adapters.persistence.sql import Sql
from workflow.service.records import Migrant, MigrationSelection, MoveBatch
from workflow.timefmt import to_db

_UPSERT_DEADLINE = (
    "INSERT INTO deadline (cycle_id, key, due_at, met_at, year, closed) "
    "VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (cycle_id, key) DO UPDATE SET due_at = excluded.due_at, "
    "closed = excluded.closed, "
    "met_at = CASE WHEN excluded.met_at IS NULL THEN NULL "
    "ELSE COALESCE(deadline.met_at, excluded.met_at) END"
)


class StaleBatch(RuntimeError):
    """A cycle of a batch changed between its selection and its write (cannot happen
    inside one transaction; raised so that the batch is rolled back if it ever does)."""


class SqlVersions:
    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    def select(
        self, selection: MigrationSelection, after_cycle_id: int, limit: int, lock: bool
    ) -> list[Migrant]:
        """The next `limit` selected cycles after `after_cycle_id`, by id; `lock`: locked
        until the unit of work ends (PostgreSQL), for a batch that will write."""
        where, params = subtree(selection.under, "c.unit_path")
        sql = (
            f"SELECT {CYCLE_COLUMNS}, c.unit_id "
            "FROM cycle c JOIN unit u ON u.id = c.unit_id "
            "WHERE c.definition_id = :definition_id AND c.definition_version = :version "
            f"AND c.id > :after{where}"
        )
        params = {
            **params,
            "definition_id": selection.definition_id,
            "version": selection.from_version,
            "after": after_cycle_id,
            "limit": limit,
        }
        if selection.year is not None:
            sql += " AND c.year = :year"
            params["year"] = selection.year
        sql += " ORDER BY c.id LIMIT :limit"
        if lock:
            sql += self.sql.dialect.for_update_of("c")
        rows = self.sql.query(sql, params)
        return [Migrant(cycle_of(r), r[-1]) for r in rows]  # the unit id after the cycle

    def write_moves(self, batch: MoveBatch) -> None:
        """Write a batch's moves (a stale row version fails the whole batch)."""
        db = self.sql
        spec, at, moves = batch.target.spec, batch.at_text, batch.moves
        db.executemany(
            "UPDATE cycle SET definition_version = ?, content_hash = ?, state = ?, outcome = ?, "
            "version = version + 1, head_hash = ?, updated_at = ? WHERE id = ? AND version = ?",
            [
                (spec.version, batch.target.content_hash, m.state, m.outcome, m.hash, at,
                 m.cycle_id, m.expected_version)
                for m in moves
            ],
        )
        if db.rowcount not in (-1, len(moves)):
            raise StaleBatch(
                f"{len(moves) - db.rowcount} cycles changed while being migrated"
            )
        db.executemany(
            "INSERT INTO transition (cycle_id, seq, event, from_state, to_state, actor, role, "
            "at, payload, checks, definition_id, definition_version, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', ?, ?, ?)",
            [
                (m.cycle_id, m.seq, batch.event, m.from_state, m.state, batch.actor, batch.role,
                 at, m.payload_text, spec.id, spec.version, m.hash)
                for m in moves
            ],
        )
        # deadlines: the target's only, with its dates; met as the new state says
        keys = list(spec.deadlines)
        marks = ", ".join("?" for _ in keys)
        db.executemany(
            "DELETE FROM deadline WHERE cycle_id = ?"
            + (f" AND key NOT IN ({marks})" if keys else ""),
            [(m.cycle_id, *keys) for m in moves],
        )
        final = {name for name, state in spec.states.items() if state.final}
        db.executemany(  # an unmet deadline of a cycle moved into a final state is closed
            _UPSERT_DEADLINE,
            [
                (m.cycle_id, key, to_db(due_at), at if key in m.met else None, m.year,
                 int(m.state in final and key not in m.met))
                for m in moves
                for key, due_at in batch.deadlines.get(m.year, ())
            ],
        )
        # timers: the target's rewrite or join the pending ones; the rest are cancelled
        planned = {
            year: timer_values(timers, batch.at, batch.target)
            for year, timers in batch.timers.items()
        }
        # none that the move makes moot (a met deadline's, a closed cycle's reminders and
        # escalations not yet due: cycles.MOOT_TIMERS); values: (definition, version,
        # deadline, kind, step, role, offset, deadline_at, due_at, moved_by)
        rows = [
            (f"c{m.cycle_id}:{suffix}", m.cycle_id, None, m.unit_id, m.year, *values)
            for m in moves
            for suffix, values in planned.get(m.year, ())
            if not (
                (m.state in final or values[2] in m.met)
                and (values[3] == "reminder" or values[8] >= at)
            )
        ]
        if rows:
            db.executemany(UPSERT_TIMER, rows)
        db.executemany(
            f"DELETE FROM timer WHERE cycle_id = ? AND deadline = ? AND {MOOT_TIMERS}",
            [(m.cycle_id, key, at) for m in moves if m.state not in final for key in m.met],
        )
        db.executemany(
            f"DELETE FROM timer WHERE cycle_id = ? AND {MOOT_TIMERS}",
            [(m.cycle_id, at) for m in moves if m.state in final],
        )
        db.executemany(
            "UPDATE timer SET cancelled_at = ? WHERE cycle_id = ? AND fired_at IS NULL "
            "AND cancelled_at IS NULL AND (definition_id <> ? OR definition_version <> ?)",
            [(at, m.cycle_id, spec.id, spec.version) for m in moves],
        )
