"""The Store port on SQL. Hot paths (opening cycles, applying a transition) run prepared
statements on the DBAPI connection: SQLAlchemy Core costs ~3x the raw driver per
transition and the ORM ~17x (DESIGN §5), and a transition must stay within 2x raw.
Everything a transition writes commits in one transaction or not at all."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from workflow.errors import BontotError, NotFound
from workflow.service.ports import (
    AuditEntry,
    Cycle,
    CycleChange,
    DeadlineStatus,
    OpenBatch,
    Opened,
    StateCount,
    UnitRef,
)
from workflow.spec.registry import Definition, definition_from_resolved
from workflow.timefmt import from_db, to_db
from workflow.units import UnitRow


class DefinitionConflict(BontotError):
    """A definition's content changed without a new version number."""


# Built once: json.dumps with non-default options builds an encoder on every call.
# Key order is kept: a definition's states are listed in the order it declares them.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_dumps = _ENCODER.encode


def _subtree(node: UnitRef | None) -> tuple[str, dict[str, Any]]:
    """A range over materialised paths: every descendant's path starts with the node's."""
    if node is None:
        return "", {}
    return (
        " AND {col} >= :path_lo AND {col} < :path_hi",
        {"path_lo": node.path, "path_hi": node.path[:-1] + "0"},  # "0" sorts right after "/"
    )


_UNIT_COLUMNS = (
    "u.id, u.code, u.name, u.kind, u.path, p.code, u.org_type, u.member_count, u.contacts"
)


def _unit(row: Sequence[Any]) -> UnitRef:
    return UnitRef(
        id=row[0],
        code=row[1],
        name=row[2],
        kind=row[3],
        path=row[4],
        parent_code=row[5],
        org_type=row[6],
        member_count=row[7],
        contacts=json.loads(row[8]),
    )


class SqlStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._fairy = engine.raw_connection()
        self._db: Any = self._fairy.driver_connection
        # One cursor for the store's life: every query fetches all its rows at once.
        self._cursor: Any = self._db.cursor()
        self.is_sqlite = engine.dialect.name == "sqlite"

    def close(self) -> None:
        self._cursor.close()
        self._fairy.close()

    # -- transactions ------------------------------------------------------------------
    def _begin_write(self) -> Any:
        self._cursor.execute("BEGIN IMMEDIATE" if self.is_sqlite else "BEGIN")
        return self._cursor

    def _query(self, sql: str, params: dict[str, Any] | Sequence[Any] = ()) -> list[Any]:
        self._cursor.execute(sql, params)
        return list(self._cursor.fetchall())

    def _commit(self, cursor: Any) -> None:
        cursor.execute("COMMIT")

    def _rollback(self, cursor: Any) -> None:
        cursor.execute("ROLLBACK")

    # -- definitions -------------------------------------------------------------------
    def save_definition(self, definition: Definition, at: datetime) -> None:
        spec = definition.spec
        rows = self._query(
            "SELECT content_hash FROM definition WHERE definition_id = ? AND version = ?",
            (spec.id, spec.version),
        )
        if rows:
            if rows[0][0] != definition.content_hash:
                raise DefinitionConflict(
                    f"{definition.filename}: definition {spec.id!r} version {spec.version} "
                    f"differs from the one already in use (stored {rows[0][0][:12]}, "
                    f"file {definition.content_hash[:12]}); give the change a new version"
                )
            return
        cursor = self._begin_write()
        try:
            cursor.execute(
                "INSERT INTO definition (definition_id, version, content_hash, filename, "
                "resolved, registered_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    spec.id,
                    spec.version,
                    definition.content_hash,
                    definition.filename,
                    _dumps(definition.resolved()),
                    to_db(at),
                ),
            )
        except BaseException:
            self._rollback(cursor)
            raise
        self._commit(cursor)

    def load_definition(self, definition_id: str, version: int | None) -> Definition:
        if version is None:
            rows = self._query(
                "SELECT resolved, filename FROM definition WHERE definition_id = ? "
                "ORDER BY version DESC LIMIT 1",
                (definition_id,),
            )
        else:
            rows = self._query(
                "SELECT resolved, filename FROM definition WHERE definition_id = ? AND version = ?",
                (definition_id, version),
            )
        if not rows:
            raise NotFound(f"definition {definition_id!r} version {version} is not in the database")
        return definition_from_resolved(json.loads(rows[0][0]), rows[0][1])

    # -- units -------------------------------------------------------------------------
    def unit_parents(self) -> dict[str, tuple[str, str | None]]:
        """Every unit's code -> (kind, parent code): what an import is checked against."""
        rows = self._query(
            "SELECT u.code, u.kind, p.code FROM unit u LEFT JOIN unit p ON p.id = u.parent_id"
        )
        return {code: (kind, parent) for code, kind, parent in rows}

    def import_units(self, rows: Sequence[UnitRow]) -> tuple[int, int]:
        """Insert new units and update existing ones; all or nothing.

        Rows come checked (workflow.units.check_unit_rows) and parents first."""
        cursor = self._begin_write()
        try:
            existing = {
                code: (uid, path)
                for code, uid, path in cursor.execute("SELECT code, id, path FROM unit").fetchall()
            }
            next_id = (cursor.execute("SELECT COALESCE(MAX(id), 0) FROM unit").fetchone()[0]) + 1
            inserts, updates = [], []
            for row in rows:
                contacts = _dumps(row.contacts)
                if row.code in existing:
                    updates.append(
                        (row.name, row.kind, row.org_type, row.member_count, contacts, row.code)
                    )
                    continue
                parent = existing[row.parent_code] if row.parent_code else None
                path = (parent[1] if parent else "/") + f"{next_id}/"
                inserts.append(
                    (
                        next_id,
                        row.code,
                        row.name,
                        row.kind,
                        row.org_type,
                        parent[0] if parent else None,
                        path,
                        row.member_count,
                        contacts,
                    )
                )
                existing[row.code] = (next_id, path)
                next_id += 1
            cursor.executemany(
                "INSERT INTO unit (id, code, name, kind, org_type, parent_id, path, "
                "member_count, contacts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                inserts,
            )
            cursor.executemany(
                "UPDATE unit SET name = ?, kind = ?, org_type = ?, member_count = ?, "
                "contacts = ? WHERE code = ?",
                updates,
            )
        except BaseException:
            self._rollback(cursor)
            raise
        self._commit(cursor)
        return len(inserts), len(updates)

    def find_unit(self, code: str) -> UnitRef:
        rows = self._query(
            f"SELECT {_UNIT_COLUMNS} FROM unit u LEFT JOIN unit p ON p.id = u.parent_id "
            "WHERE u.code = ?",
            (code,),
        )
        if not rows:
            raise NotFound(f"no unit with code {code!r}")
        return _unit(rows[0])

    def list_units(self, under: str | None) -> list[UnitRef]:
        node = self.find_unit(under) if under else None
        where, params = _subtree(node)
        rows = self._query(
            f"SELECT {_UNIT_COLUMNS} FROM unit u LEFT JOIN unit p ON p.id = u.parent_id "
            f"WHERE 1 = 1{where.format(col='u.path')} ORDER BY u.path",
            params,
        )
        return [_unit(r) for r in rows]

    def _without_cycle_sql(
        self, node: UnitRef | None, kinds: Sequence[str]
    ) -> tuple[str, dict[str, Any]]:
        where, params = _subtree(node)
        kind_params = {f"kind{i}": kind for i, kind in enumerate(kinds)}
        kind_list = ", ".join(f":{name}" for name in kind_params)
        sql = (
            f"FROM unit u WHERE u.kind IN ({kind_list}){where.format(col='u.path')} "
            "AND NOT EXISTS (SELECT 1 FROM cycle c WHERE c.unit_id = u.id "
            "AND c.year = :year AND c.definition_id = :definition_id)"
        )
        return sql, {**params, **kind_params}

    def count_units_without_cycle(
        self, under: UnitRef | None, kinds: Sequence[str], year: int, definition_id: str
    ) -> int:
        sql, params = self._without_cycle_sql(under, kinds)
        rows = self._query(
            f"SELECT COUNT(*) {sql}", {**params, "year": year, "definition_id": definition_id}
        )
        return int(rows[0][0])

    def open_next_batch(self, batch: OpenBatch) -> Opened:
        """Pick the next units without a cycle and open theirs, in one write transaction,
        so that a concurrent opener can never open a unit's cycle twice."""
        spec = batch.definition.spec
        sql, params = self._without_cycle_sql(batch.under, spec.applies_to)
        at = to_db(batch.at)
        cursor = self._begin_write()
        try:
            units = cursor.execute(
                f"SELECT u.id, u.path, u.kind {sql} AND u.id > :after ORDER BY u.id LIMIT :limit",
                {
                    **params,
                    "year": batch.year,
                    "definition_id": spec.id,
                    "after": batch.after_unit_id,
                    "limit": batch.limit,
                },
            ).fetchall()
            if not units:
                self._rollback(cursor)
                return Opened(0, None)
            next_id = cursor.execute("SELECT COALESCE(MAX(id), 0) FROM cycle").fetchone()[0] + 1
            ids = range(next_id, next_id + len(units))
            cursor.executemany(
                "INSERT INTO cycle (id, unit_id, unit_path, unit_kind, year, definition_id, "
                "definition_version, content_hash, state, outcome, facts, version, opened_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}', 1, ?, ?)",
                [
                    (
                        cycle_id,
                        unit_id,
                        path,
                        kind,
                        batch.year,
                        spec.id,
                        spec.version,
                        batch.definition.content_hash,
                        batch.state,
                        batch.outcome,
                        at,
                        at,
                    )
                    for cycle_id, (unit_id, path, kind) in zip(ids, units, strict=True)
                ],
            )
            cursor.executemany(
                "INSERT INTO transition (cycle_id, seq, event, from_state, to_state, actor, "
                "role, at, payload, checks, definition_id, definition_version) "
                "VALUES (?, 1, 'open', NULL, ?, ?, ?, ?, '{}', '[]', ?, ?)",
                [
                    (cycle_id, batch.state, batch.actor, batch.role, at, spec.id, spec.version)
                    for cycle_id in ids
                ],
            )
            due = [(key, to_db(instant)) for key, instant in batch.deadlines]
            cursor.executemany(
                "INSERT INTO deadline (cycle_id, key, due_at, met_at) VALUES (?, ?, ?, NULL)",
                [(cycle_id, key, due_at) for cycle_id in ids for key, due_at in due],
            )
        except BaseException:
            self._rollback(cursor)
            raise
        self._commit(cursor)
        return Opened(len(units), units[-1][0])

    def find_cycles(self, unit_code: str, year: int) -> list[Cycle]:
        rows = self._query(
            "SELECT c.id, u.code, c.unit_kind, c.year, c.definition_id, c.definition_version, "
            "c.state, c.version, c.outcome, c.facts FROM cycle c JOIN unit u ON u.id = c.unit_id "
            "WHERE u.code = ? AND c.year = ? ORDER BY c.definition_id",
            (unit_code, year),
        )
        return [
            Cycle(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], json.loads(r[9]))
            for r in rows
        ]

    def apply(self, change: CycleChange) -> bool:
        """Commit one transition; False (and nothing written) if the row version moved."""
        entry = change.entry
        at = to_db(entry.at)
        cursor = self._begin_write()
        try:
            cursor.execute(
                "UPDATE cycle SET state = ?, outcome = ?, version = version + 1, updated_at = ?, "
                "facts = COALESCE(?, facts) WHERE id = ? AND version = ?",
                (
                    change.state,
                    change.outcome,
                    at,
                    None if change.facts is None else _dumps(change.facts),
                    change.cycle_id,
                    change.expected_version,
                ),
            )
            if cursor.rowcount != 1:
                self._rollback(cursor)
                return False
            cursor.execute(
                "INSERT INTO transition (cycle_id, seq, event, from_state, to_state, actor, role, "
                "at, payload, checks, definition_id, definition_version) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    change.cycle_id,
                    entry.seq,
                    entry.event,
                    entry.from_state,
                    entry.to_state,
                    entry.actor,
                    entry.role,
                    at,
                    _dumps(entry.payload) if entry.payload else "{}",
                    _dumps(entry.checks) if entry.checks else "[]",
                    entry.definition_id,
                    entry.definition_version,
                ),
            )
            for key in change.met:
                cursor.execute(
                    "UPDATE deadline SET met_at = ? WHERE cycle_id = ? AND key = ? "
                    "AND met_at IS NULL",
                    (at, change.cycle_id, key),
                )
            for key in change.reopened:
                cursor.execute(
                    "UPDATE deadline SET met_at = NULL WHERE cycle_id = ? AND key = ?",
                    (change.cycle_id, key),
                )
        except BaseException:
            self._rollback(cursor)
            raise
        self._commit(cursor)
        return True

    def history(self, cycle_id: int) -> list[AuditEntry]:
        rows = self._query(
            "SELECT seq, event, from_state, to_state, actor, role, at, payload, checks, "
            "definition_id, definition_version FROM transition WHERE cycle_id = ? ORDER BY seq",
            (cycle_id,),
        )
        return [
            AuditEntry(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                from_db(r[6]),
                json.loads(r[7]),
                json.loads(r[8]),
                r[9],
                r[10],
            )
            for r in rows
        ]

    def deadlines(self, cycle_id: int) -> list[DeadlineStatus]:
        rows = self._query(
            "SELECT key, due_at, met_at FROM deadline WHERE cycle_id = ? ORDER BY due_at, key",
            (cycle_id,),
        )
        return [DeadlineStatus(r[0], from_db(r[1]), from_db(r[2]) if r[2] else None) for r in rows]

    def count_states(self, under: UnitRef | None, year: int) -> list[StateCount]:
        where, params = _subtree(under)
        rows = self._query(
            "SELECT definition_id, unit_kind, state, outcome, COUNT(*) FROM cycle "
            f"WHERE year = :year{where.format(col='unit_path')} GROUP BY 1, 2, 3, 4",
            {**params, "year": year},
        )
        return [StateCount(*r) for r in rows]

    def count_overdue(
        self, under: UnitRef | None, year: int, at: datetime, closed_states: Sequence[str]
    ) -> dict[str, int]:
        where, params = _subtree(under)
        closed = {f"closed{i}": s for i, s in enumerate(closed_states)}
        not_closed = f" AND c.state NOT IN ({', '.join(':' + k for k in closed)})" if closed else ""
        rows = self._query(
            "SELECT d.key, COUNT(*) FROM deadline d JOIN cycle c ON c.id = d.cycle_id "
            f"WHERE c.year = :year{where.format(col='c.unit_path')}{not_closed} "
            "AND d.met_at IS NULL AND d.due_at < :at GROUP BY d.key",
            {**params, **closed, "year": year, "at": to_db(at)},
        )
        return {r[0]: r[1] for r in rows}
