"""The tree's reorganisations on SQL (the unit of work's connection): what a plan is
checked against, and the writes of one plan.

A plan is written with a few executemany statements: each changed unit's row (code,
parent, path, or the day it ended); its places (the one it leaves closed on the day the
decision takes effect, the new one opened; a unit's first reorganisation also keeps the
place it had before, open-ended backwards); the paths copied into milestones, ratings
and meetings; and, per cycle of a moved, renamed or absorbed unit, its row (path, unit,
row version, head) with one `reorganise` record chained onto its trail.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from adapters.persistence.rows import unit_ref
from adapters.persistence.sql import Sql
from workflow.reorganise import REORGANISE_EVENT, Node, Plan
from workflow.reorganise_records import ChainedCycle, CycleRecord
from workflow.service.records import UnitRef
from workflow.tree import subtree_bounds


class StaleCycle(RuntimeError):
    """A cycle changed between its reading and its write (cannot happen inside one
    transaction; raised so that the whole decision is rolled back if it ever does)."""


_PLACE_COLUMNS = (
    "p.unit_id, p.code, u.name, u.kind, p.path, p.parent_code, u.org_type, u.member_count, "
    "u.contacts"
)


class SqlTree:
    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    def nodes(self) -> list[Node]:
        """Every unit, with the day its current place began (when a reorganisation set it)."""
        rows = self.sql.query(
            "SELECT u.id, u.code, u.kind, p.code, u.path, u.ended_on, "
            "(SELECT MAX(valid_from) FROM unit_place s WHERE s.unit_id = u.id) "
            "FROM unit u LEFT JOIN unit p ON p.id = u.parent_id ORDER BY u.path"
        )
        return [
            Node(r[0], r[1], r[2], r[3], r[4], r[5] is not None,
                 date.fromisoformat(r[6]) if r[6] else None)
            for r in rows
        ]  # fmt: skip

    def held_cycles(self, codes: Sequence[str]) -> list[tuple[int, str, int, str, int, str]]:
        """(cycle id, unit code, year, definition id, version, state) of these units."""
        found = []
        for start in range(0, len(codes), 500):
            chunk = list(codes[start : start + 500])
            marks = ", ".join("?" for _ in chunk)
            found += self.sql.query(
                "SELECT c.id, u.code, c.year, c.definition_id, c.definition_version, c.state "
                f"FROM cycle c JOIN unit u ON u.id = c.unit_id WHERE u.code IN ({marks})",
                chunk,
            )
        return [tuple(r) for r in found]

    def chained_cycles(self, plan: Plan) -> list[ChainedCycle]:
        """The cycles a plan touches (of a unit whose path or code changes, or carried),
        locked until the unit of work ends where the backend locks rows."""
        wanted: dict[int, ChainedCycle] = {}
        columns = (
            "SELECT c.id, u.code, c.unit_path, c.state, c.version, c.head_hash, "
            "c.definition_id, c.definition_version FROM cycle c JOIN unit u ON u.id = c.unit_id "
        )
        lock = self.sql.dialect.for_update_of("c")
        for change in plan.moved_roots:
            lo, hi = subtree_bounds(change.old_path)
            for r in self.sql.query(
                columns + "WHERE c.unit_path >= ? AND c.unit_path < ?" + lock, (lo, hi)
            ):
                wanted[r[0]] = ChainedCycle(*r)
        ids = [c.id for c in plan.changes if c.old_code != c.code]
        carried = [k.cycle_id for k in plan.carries]
        for key, values in (("u.id", ids), ("c.id", carried)):
            for start in range(0, len(values), 500):
                chunk = values[start : start + 500]
                marks = ", ".join("?" for _ in chunk)
                for r in self.sql.query(columns + f"WHERE {key} IN ({marks})" + lock, chunk):
                    wanted[r[0]] = ChainedCycle(*r)
        return [wanted[k] for k in sorted(wanted)]

    def write(
        self, plan: Plan, records: Sequence[CycleRecord], at: str, actor: str, role: str
    ) -> None:
        db = self.sql
        effective = plan.decision.effective.isoformat()
        ids = {n.code: n.id for n in self.nodes()}
        ids.update({c.code: c.id for c in plan.changes})  # renamed units by their new code
        changes = plan.changes
        # codes first out of the way: a rename never collides with itself mid-statement
        db.executemany(
            "UPDATE unit SET code = ?, parent_id = ?, path = ?, ended_on = ? WHERE id = ?",
            [
                (c.code, ids.get(c.parent) if c.parent else None, c.path,
                 effective if c.ended else None, c.id)
                for c in changes
            ],
        )  # fmt: skip
        known = {r[0] for r in db.query("SELECT DISTINCT unit_id FROM unit_place")}
        db.executemany(
            "INSERT INTO unit_place (unit_id, code, parent_code, path, valid_from, "
            "valid_until, decision) VALUES (?, ?, ?, ?, NULL, ?, NULL)",
            [
                (c.id, c.old_code, c.old_parent, c.old_path, effective)
                for c in changes
                if c.id not in known
            ],
        )
        db.executemany(
            "UPDATE unit_place SET valid_until = ? WHERE unit_id = ? AND valid_until IS NULL",
            [(effective, c.id) for c in changes if c.id in known],
        )
        db.executemany(
            "INSERT INTO unit_place (unit_id, code, parent_code, path, valid_from, "
            "valid_until, decision) VALUES (?, ?, ?, ?, ?, NULL, ?)",
            [
                (c.id, c.code, c.parent, c.path, effective, plan.decision.number)
                for c in changes
                if not c.ended
            ],
        )
        # the paths other registers copy from their unit (each is exactly its unit's path)
        moved = [(c.path, c.old_path) for c in changes if c.moved]
        for table in ("milestone", "rating", "meeting"):
            db.executemany(f"UPDATE {table} SET unit_path = ? WHERE unit_path = ?", moved)
        db.executemany(
            "UPDATE cycle SET unit_path = ?, unit_id = COALESCE(?, unit_id), "
            "version = version + 1, head_hash = ?, updated_at = ? WHERE id = ? AND version = ?",
            [(r.unit_path, r.unit_id, r.hash, at, r.cycle_id, r.expected_version) for r in records],
        )
        if records and db.rowcount not in (-1, len(records)):
            raise StaleCycle(f"{len(records) - db.rowcount} cycles changed while reorganised")
        db.executemany(
            "INSERT INTO transition (cycle_id, seq, event, from_state, to_state, actor, role, "
            "at, payload, checks, definition_id, definition_version, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', ?, ?, ?)",
            [
                (r.cycle_id, r.seq, REORGANISE_EVENT, r.state, r.state, actor, role, at,
                 r.payload_text, r.definition_id, r.definition_version, r.hash)
                for r in records
            ],
        )  # fmt: skip
        # reminders of a carried cycle go to the unit that now holds it
        db.executemany(
            "UPDATE timer SET unit_id = ? WHERE cycle_id = ?",
            [(k.to_unit_id, k.cycle_id) for k in plan.carries],
        )

    def as_of(self, day: date) -> list[UnitRef]:
        """The tree as it stood on `day`, in path order: a unit's place then, or, for a
        unit no reorganisation touched, where it stands."""
        text = day.isoformat()
        rows = self.sql.query(
            f"SELECT {_PLACE_COLUMNS} FROM unit_place p JOIN unit u ON u.id = p.unit_id "
            "WHERE (p.valid_from IS NULL OR p.valid_from <= ?) "
            "AND (p.valid_until IS NULL OR p.valid_until > ?)",
            (text, text),
        )
        rows += self.sql.query(
            "SELECT u.id, u.code, u.name, u.kind, u.path, p.code, u.org_type, u.member_count, "
            "u.contacts FROM unit u LEFT JOIN unit p ON p.id = u.parent_id "
            "WHERE NOT EXISTS (SELECT 1 FROM unit_place s WHERE s.unit_id = u.id)"
        )
        return sorted((unit_ref(r) for r in rows), key=lambda u: u.path)
