"""The Store port on SQL. Hot paths (opening cycles, applying a transition) run prepared
statements on the DBAPI connection: SQLAlchemy Core costs ~3x the raw driver per
transition and the ORM ~17x (DESIGN §5), and a transition must stay within 2x raw.
Everything a transition writes commits in one transaction or not at all.

SQL convention (SQLite and PostgreSQL run the same text):
- Write SQL in SQLite's placeholder style: `?` with a tuple, or `:name` with a dict.
  On PostgreSQL the cursor is a `_PgCursor`, which translates each statement once
  (cached) to psycopg's `%s` / `%(name)s`, doubling literal `%` (`LIKE '%x%'`, modulo)
  and leaving string literals, quoted identifiers and `::` casts alone. A statement run
  without parameters is sent as it is. SQLite keeps the bare sqlite3 cursor: no cost.
- Use only what both accept: `ON CONFLICT ... DO NOTHING` (not `INSERT OR IGNORE`),
  `RETURNING id` (not `lastrowid`), `CASE WHEN ... THEN 1 ELSE 0 END` where a boolean
  would be aggregated or summed (PostgreSQL has no MAX(boolean) nor boolean arithmetic),
  `COALESCE`, `LIMIT ?`, `||`. Group by every selected column that is not an aggregate
  (or by a primary key: PostgreSQL accepts its functionally dependent columns).
- Instants are UTC text (workflow.timefmt) and JSON is text on both backends.
- Writes go through `_write()`: `BEGIN IMMEDIATE` on SQLite serialises writers; on
  PostgreSQL (READ COMMITTED, the connection in autocommit between transactions) a
  write that reads-then-writes must lock what it read: row versions (`WHERE version =
  ?`), `FOR UPDATE [SKIP LOCKED]`, or `_serialize(cursor, name)` (a transaction-scoped
  advisory lock, a no-op on SQLite) for operations that must not interleave.
"""

from __future__ import annotations

import json
import re
import uuid
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from adapters.persistence.evidence_store import EvidenceStore
from workflow.access import Grant
from workflow.audit import (
    GENESIS,
    CycleHead,
    FactRow,
    canonical_json,
    chain_hash,
    cycle_genesis,
    cycle_head,
    fact_text,
    heads_digest,
    transition_text,
)
from workflow.deadlines import PlannedTimer
from workflow.errors import BontotError, NotFound
from workflow.notices import DueTimer, Message, PendingNotice, UnitContact
from workflow.service.ports import (
    AddressNotices,
    AuditEntry,
    ComposeMessages,
    Cycle,
    CycleChange,
    DeadlineStatus,
    MilestonePlan,
    NoticeRecord,
    OpenBatch,
    Opened,
    OutboxCounts,
    OutboxItem,
    OverdueItem,
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


_INSERT_TIMER = (
    "INSERT INTO timer (key, cycle_id, milestone_id, unit_id, year, definition_id, "
    "definition_version, deadline, kind, step, role, \"offset\", deadline_at, due_at, moved_by) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _timer_values(
    timers: Sequence[PlannedTimer], at: datetime, definition: Definition
) -> list[tuple[str, tuple[Any, ...]]]:
    """Per planned timer: its key suffix and the columns after (key, cycle, milestone,
    unit, year). Reminders already past at `at` are left out; escalations never are."""
    spec = definition.spec
    values = []
    for timer in timers:
        if timer.kind == "reminder" and timer.due_at <= at:
            continue
        values.append(
            (
                timer.suffix,
                (
                    spec.id,
                    spec.version,
                    timer.deadline,
                    timer.kind,
                    timer.step,
                    timer.role,
                    timer.offset,
                    to_db(timer.deadline_at),
                    to_db(timer.due_at),
                    "; ".join(timer.moved_by),
                ),
            )
        )
    return values


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


def _not_closed(closed_states: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """A filter on `c.state` keeping only cycles that are not in a final state."""
    closed = {f"closed{i}": s for i, s in enumerate(closed_states)}
    if not closed:
        return "", {}
    return f" AND c.state NOT IN ({', '.join(':' + k for k in closed)})", closed


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


# A literal or quoted identifier (kept whole), a cast, a named or positional
# placeholder, or a bare percent sign.
_SQL_TOKEN = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|::|:([A-Za-z_]\w*)|\?|%""")


def _pyformat_token(match: re.Match[str]) -> str:
    token = match.group(0)
    if token[0] in "'\"":
        # psycopg reads every % of a statement with parameters, even inside literals
        return token.replace("%", "%%")
    if token == "::":
        return token
    if token == "?":
        return "%s"
    if token == "%":
        return "%%"
    return f"%({match.group(1)})s"


def pg_sql(sql: str) -> str:
    """A statement in the store's SQLite style (`?`, `:name`) in psycopg's (`%s`,
    `%(name)s`), for a statement run with parameters."""
    return _SQL_TOKEN.sub(_pyformat_token, sql)


class _PgCursor:
    """A psycopg cursor that takes the store's SQLite-style statements. Translations are
    cached: a store runs a few dozen distinct statements, the hot ones thousands of
    times (psycopg then also prepares them server-side, after 5 runs)."""

    __slots__ = ("_cursor",)
    _cache: dict[str, str] = {}  # noqa: RUF012  (shared by every store of the process)

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    @classmethod
    def _translate(cls, sql: str) -> str:
        found = cls._cache.get(sql)
        if found is None:
            if len(cls._cache) > 4096:  # values written into the text: keep it bounded
                cls._cache.clear()
            found = cls._cache[sql] = pg_sql(sql)
        return found

    def execute(self, sql: str, params: Any = ()) -> Any:
        if not params:
            # no parameters: psycopg sends the text as it is, % included
            return self._cursor.execute(sql)
        return self._cursor.execute(self._translate(sql), params)

    def executemany(self, sql: str, params_seq: Sequence[Any]) -> Any:
        if not params_seq:
            return self._cursor
        return self._cursor.executemany(self._translate(sql), params_seq)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


def _lock_key(name: str) -> int:
    """A stable 32-bit key for an advisory lock (hash() is salted per process)."""
    return zlib.crc32(f"bontot:{name}".encode())


class SqlStore(EvidenceStore):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._fairy = engine.raw_connection()
        self._db: Any = self._fairy.driver_connection
        self.is_sqlite = engine.dialect.name == "sqlite"
        if not self.is_sqlite:
            # Transactions are ours (_write issues BEGIN/COMMIT, as on SQLite): reads
            # outside them must not leave the connection idle in a transaction, holding
            # a snapshot and locks that would block other workers' LOCK TABLE.
            self._db.autocommit = True
        # One cursor for the store's life: every query fetches all its rows at once.
        self._cursor: Any = self._new_cursor()

    def _new_cursor(self) -> Any:
        cursor = self._db.cursor()
        return cursor if self.is_sqlite else _PgCursor(cursor)

    def _streaming_cursor(self) -> Any:
        """A cursor for reading a whole table in pages. psycopg's ordinary cursor would
        hold every row in memory at once; a server-side one sends them page by page
        (WITH HOLD: it outlives the implicit transaction of autocommit)."""
        if self.is_sqlite:
            return self._db.cursor()
        return _PgCursor(self._db.cursor(name=f"bontot_{uuid.uuid4().hex}", withhold=True))

    def close(self) -> None:
        self._cursor.close()
        if not self.is_sqlite and not self._db.closed:
            # back to the pool as SQLAlchemy handed it out (its transactions rely on it)
            self._db.autocommit = False
        self._fairy.close()

    def _serialize(self, cursor: Any, name: str) -> None:
        """On PostgreSQL, wait for any other transaction doing `name` to finish (an
        advisory lock held until this transaction ends). SQLite's BEGIN IMMEDIATE already
        serialises every writer."""
        if not self.is_sqlite:
            cursor.execute("SELECT pg_advisory_xact_lock(?)", (_lock_key(name),))

    # -- transactions ------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[Any]:
        """One write transaction: committed on leaving, rolled back on any error. On
        SQLite it starts IMMEDIATE, so writers queue at the start, never midway."""
        cursor = self._cursor
        cursor.execute("BEGIN IMMEDIATE" if self.is_sqlite else "BEGIN")
        try:
            yield cursor
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        cursor.execute("COMMIT")

    def _query(self, sql: str, params: dict[str, Any] | Sequence[Any] = ()) -> list[Any]:
        self._cursor.execute(sql, params)
        return list(self._cursor.fetchall())

    def installation_id(self) -> str:
        """A random id of this database, made on first use and kept."""
        rows = self._query("SELECT value FROM meta WHERE key = 'installation'")
        if rows:
            return str(rows[0][0])
        with self._write() as cursor:
            cursor.execute(
                "INSERT INTO meta (key, value) VALUES ('installation', ?) "
                "ON CONFLICT (key) DO NOTHING",
                (uuid.uuid4().hex[:12],),
            )
        return str(self._query("SELECT value FROM meta WHERE key = 'installation'")[0][0])

    # -- definitions -------------------------------------------------------------------
    def save_definition(self, definition: Definition, at: datetime) -> None:
        spec = definition.spec
        rows = self._query(
            "SELECT content_hash, resolved FROM definition WHERE definition_id = ? "
            "AND version = ?",
            (spec.id, spec.version),
        )
        if rows:
            # Compare content, not the stored string: a hash made by an earlier release
            # (before new schema fields with defaults) must not read as a change.
            stored = definition_from_resolved(json.loads(rows[0][1])).content_hash
            if rows[0][0] != definition.content_hash and stored != definition.content_hash:
                raise DefinitionConflict(
                    f"{definition.filename}: definition {spec.id!r} version {spec.version} "
                    f"differs from the one already in use (stored {rows[0][0][:12]}, "
                    f"file {definition.content_hash[:12]}); give the change a new version"
                )
            return
        with self._write() as cursor:
            cursor.execute(
                "INSERT INTO definition (definition_id, version, content_hash, filename, "
                "resolved, registered_at) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (definition_id, version) DO NOTHING",
                (
                    spec.id,
                    spec.version,
                    definition.content_hash,
                    definition.filename,
                    _dumps(definition.resolved()),
                    to_db(at),
                ),
            )
            raced = cursor.rowcount == 0
        if raced:  # another process saved it since our read: compare with theirs
            self.save_definition(definition, at)

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
        with self._write() as cursor:
            self._serialize(cursor, "unit")  # ids are allocated as MAX(id) + 1
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
            if inserts:
                self._sync_sequence(cursor, "unit", next_id - 1)
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
        with self._write() as cursor:
            # one opener at a time: cycle ids are MAX(id) + 1, and a unit picked by two
            # openers would otherwise fail the second on the unique (unit, year, definition)
            self._serialize(cursor, "open")
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
                return Opened(0, None)
            next_id = cursor.execute("SELECT COALESCE(MAX(id), 0) FROM cycle").fetchone()[0] + 1
            ids = range(next_id, next_id + len(units))
            # each cycle's chain starts with its opening record
            heads = [
                chain_hash(
                    cycle_genesis(cycle_id, unit_id, batch.year, spec.id, spec.version),
                    transition_text(
                        cycle_id, 1, "open", None, batch.state, batch.actor, batch.role, at,
                        "{}", "[]", spec.id, spec.version,
                    ),
                )
                for cycle_id, (unit_id, _path, _kind) in zip(ids, units, strict=True)
            ]
            cursor.executemany(
                "INSERT INTO cycle (id, unit_id, unit_path, unit_kind, year, definition_id, "
                "definition_version, content_hash, state, outcome, facts, version, head_hash, "
                "opened_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}', 1, ?, ?, ?)",
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
                        head,
                        at,
                        at,
                    )
                    for cycle_id, (unit_id, path, kind), head in zip(ids, units, heads, strict=True)
                ],
            )
            self._sync_sequence(cursor, "cycle", ids[-1])
            cursor.executemany(
                "INSERT INTO transition (cycle_id, seq, event, from_state, to_state, actor, "
                "role, at, payload, checks, definition_id, definition_version, hash) "
                "VALUES (?, 1, 'open', NULL, ?, ?, ?, ?, '{}', '[]', ?, ?, ?)",
                [
                    (cycle_id, batch.state, batch.actor, batch.role, at, spec.id, spec.version,
                     head)
                    for cycle_id, head in zip(ids, heads, strict=True)
                ],
            )
            due = [(key, to_db(instant)) for key, instant in batch.deadlines]
            cursor.executemany(
                "INSERT INTO deadline (cycle_id, key, due_at, met_at) VALUES (?, ?, ?, NULL)",
                [(cycle_id, key, due_at) for cycle_id in ids for key, due_at in due],
            )
            if batch.timers:
                timers = _timer_values(batch.timers, batch.at, batch.definition)
                unit_of = {cycle_id: unit[0] for cycle_id, unit in zip(ids, units, strict=True)}
                cursor.executemany(
                    _INSERT_TIMER,
                    [
                        (f"c{cycle_id}:{suffix}", cycle_id, None, unit_of[cycle_id], batch.year,
                         *values)
                        for cycle_id in ids
                        for suffix, values in timers
                    ],
                )
        return Opened(len(units), units[-1][0])

    def _sync_sequence(self, cursor: Any, table: str, last_id: int) -> None:
        """After rows inserted with ids of our own, move PostgreSQL's id sequence past them,
        so that an insert relying on the column default never collides with them."""
        if not self.is_sqlite:
            # last_id is the table's MAX(id): ids are allocated under _serialize
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), ?)", (last_id,)
            )

    def find_cycles(self, unit_code: str, year: int) -> list[Cycle]:
        rows = self._query(
            "SELECT c.id, u.code, c.unit_kind, c.year, c.definition_id, c.definition_version, "
            "c.state, c.version, c.outcome, c.facts, c.head_hash, c.unit_path "
            "FROM cycle c JOIN unit u ON u.id = c.unit_id "
            "WHERE u.code = ? AND c.year = ? ORDER BY c.definition_id",
            (unit_code, year),
        )
        return [
            Cycle(
                r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], json.loads(r[9]), r[10],
                r[11],
            )
            for r in rows
        ]

    def apply(self, change: CycleChange) -> bool:
        """Commit one transition; False (and nothing written) if the row version moved."""
        with self._write() as cursor:
            return self._apply_in(cursor, change)

    def apply_many(self, changes: Sequence[CycleChange]) -> list[bool]:
        """Commit a batch of transitions, on different cycles, in one transaction. Each
        is still its own record in its cycle's chain; one whose cycle moved meanwhile is
        left out (False) and the others commit."""
        with self._write() as cursor:
            return [self._apply_in(cursor, change) for change in changes]

    def _apply_in(self, cursor: Any, change: CycleChange) -> bool:
        entry = change.entry
        at = change.at_text or to_db(entry.at)
        cursor.execute(
            "UPDATE cycle SET state = ?, outcome = ?, version = version + 1, updated_at = ?, "
            "facts = COALESCE(?, facts), head_hash = ? WHERE id = ? AND version = ?",
            (
                change.state,
                change.outcome,
                at,
                None if change.facts is None else _dumps(change.facts),
                change.hash,
                change.cycle_id,
                change.expected_version,
            ),
        )
        if cursor.rowcount != 1:
            return False
        cursor.execute(
            "INSERT INTO transition (cycle_id, seq, event, from_state, to_state, actor, role, "
            "at, payload, checks, definition_id, definition_version, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                change.cycle_id,
                entry.seq,
                entry.event,
                entry.from_state,
                entry.to_state,
                entry.actor,
                entry.role,
                at,
                change.payload_text,
                change.checks_text,
                entry.definition_id,
                entry.definition_version,
                change.hash,
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
        not_closed, closed = _not_closed(closed_states)
        rows = self._query(
            "SELECT d.key, COUNT(*) FROM deadline d JOIN cycle c ON c.id = d.cycle_id "
            f"WHERE c.year = :year{where.format(col='c.unit_path')}{not_closed} "
            "AND d.met_at IS NULL AND d.due_at < :at GROUP BY d.key",
            {**params, **closed, "year": year, "at": to_db(at)},
        )
        return {r[0]: r[1] for r in rows}

    def list_overdue(
        self, under: UnitRef | None, year: int, at: datetime, closed_states: Sequence[str]
    ) -> list[OverdueItem]:
        """Every deadline past due and not met, of cycles still open, and every milestone
        past due and not kept, under a node: oldest first."""
        where, params = _subtree(under)
        not_closed, closed = _not_closed(closed_states)
        common = {**params, **closed, "year": year, "at": to_db(at)}
        rows = self._query(
            "SELECT u.code, u.name, p.code, c.definition_id, c.definition_version, c.state, "
            "d.key, d.due_at, 0 FROM deadline d JOIN cycle c ON c.id = d.cycle_id "
            "JOIN unit u ON u.id = c.unit_id LEFT JOIN unit p ON p.id = u.parent_id "
            f"WHERE c.year = :year{where.format(col='c.unit_path')}{not_closed} "
            "AND d.met_at IS NULL AND d.due_at < :at "
            "UNION ALL "
            "SELECT u.code, u.name, p.code, m.definition_id, m.definition_version, NULL, "
            "m.key, m.due_at, 1 FROM milestone m JOIN unit u ON u.id = m.unit_id "
            "LEFT JOIN unit p ON p.id = u.parent_id "
            f"WHERE m.year = :year{where.format(col='m.unit_path')} "
            "AND m.met_at IS NULL AND m.due_at < :at ORDER BY 8, 1",
            common,
        )
        return [
            OverdueItem(r[0], r[1], r[2], r[3], r[4], r[5], r[6], from_db(r[7]), bool(r[8]))
            for r in rows
        ]

    # -- milestones ----------------------------------------------------------------------
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
        if not plans:
            return 0
        spec = definition.spec
        where, params = _subtree(under)
        with self._write() as cursor:
            self._serialize(cursor, "open")  # what is open is read, then the rest inserted
            committees = cursor.execute(
                "SELECT u.id, u.path FROM unit u WHERE u.kind = 'committee'"
                f"{where.format(col='u.path')}",
                params,
            ).fetchall()
            existing = {
                (unit_id, key)
                for unit_id, key in cursor.execute(
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
                    milestone_id = cursor.execute(
                        "INSERT INTO milestone (unit_id, unit_path, year, definition_id, "
                        "definition_version, key, due_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                        "RETURNING id",
                        (unit_id, path, year, spec.id, spec.version, plan.due.key,
                         to_db(plan.due.due_at)),
                    ).fetchone()[0]
                    cursor.executemany(
                        _INSERT_TIMER,
                        [
                            (f"m{milestone_id}:{suffix}", None, milestone_id, unit_id, year,
                             *values)
                            for suffix, values in _timer_values(plan.timers, at, definition)
                        ],
                    )
                    opened += 1
        return opened

    def kept_milestones(
        self, year: int, under: UnitRef | None
    ) -> list[tuple[str, str, str, datetime, str]]:
        """(unit code, definition id, key, met at, met by) of the year's kept milestones."""
        where, params = _subtree(under)
        rows = self._query(
            "SELECT u.code, m.definition_id, m.key, m.met_at, m.met_by FROM milestone m "
            "JOIN unit u ON u.id = m.unit_id WHERE m.year = :year AND m.met_at IS NOT NULL"
            f"{where.format(col='m.unit_path')} ORDER BY m.met_at",
            {**params, "year": year},
        )
        return [(r[0], r[1], r[2], from_db(r[3]), r[4] or "") for r in rows]

    def meet_milestone(
        self, unit_code: str, year: int, definition_id: str, key: str, actor: str, at: datetime
    ) -> bool:
        stamp = to_db(at)
        with self._write() as cursor:
            row = cursor.execute(
                "SELECT m.id, m.unit_path FROM milestone m JOIN unit u ON u.id = m.unit_id "
                "WHERE u.code = ? AND m.year = ? AND m.definition_id = ? AND m.key = ? "
                # a concurrent meeting of it waits, then finds it met (PostgreSQL re-reads
                # a locked row after the wait)
                f"AND m.met_at IS NULL{'' if self.is_sqlite else ' FOR UPDATE OF m'}",
                (unit_code, year, definition_id, key),
            ).fetchone()
            if row is None:
                return False
            cursor.execute(
                "UPDATE milestone SET met_at = ?, met_by = ? WHERE id = ?", (stamp, actor, row[0])
            )
            self._append_event(
                cursor, "milestone_met", stamp, actor, None, unit_code, row[1], None, year, key,
                None, {"definition": definition_id},
            )
            cursor.execute(
                "UPDATE timer SET cancelled_at = ? WHERE milestone_id = ? "
                "AND fired_at IS NULL AND cancelled_at IS NULL",
                (stamp, row[0]),
            )
        return True

    # -- timers, notices, outbox ---------------------------------------------------------
    def _chain_head(self, cursor: Any, table: str) -> str:
        """The hash of a global chain's last record, read inside the write transaction
        that appends to it (writers of one chain are serialised by that transaction)."""
        if not self.is_sqlite:
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        row = cursor.execute(f"SELECT hash FROM {table} ORDER BY id DESC LIMIT 1").fetchone()
        return str(row[0]) if row else GENESIS

    def _unit_contacts(self, cursor: Any, paths: set[str]) -> dict[int, UnitContact]:
        ids = sorted({int(part) for path in paths for part in path.strip("/").split("/")})
        found: dict[int, UnitContact] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            for uid, code, name, path, contacts in cursor.execute(
                f"SELECT id, code, name, path, contacts FROM unit WHERE id IN ({marks})", chunk
            ).fetchall():
                found[uid] = UnitContact(uid, code, name, path, json.loads(contacts))
        return found

    def fire_due_timers(self, now: datetime, limit: int, address: AddressNotices) -> int:
        """Timers of a deadline met meanwhile, or of a closed cycle, are not cancelled by
        the transition (that would cost every transition a write to the timer table and
        its indexes): the deadline row it writes anyway is what cancels them. They are
        marked cancelled here, when they come due, and never sent."""
        stamp = to_db(now)
        with self._write() as cursor:
            lock = "" if self.is_sqlite else " FOR UPDATE OF t SKIP LOCKED"
            rows = cursor.execute(
                "SELECT t.id, t.key, t.cycle_id, t.milestone_id, t.unit_id, u.path, "
                "t.definition_id, t.definition_version, t.deadline, t.kind, t.step, t.role, "
                "t.\"offset\", t.deadline_at, t.due_at, t.moved_by, c.state, "
                "d.met_at, c.updated_at "
                "FROM timer t JOIN unit u ON u.id = t.unit_id "
                "LEFT JOIN cycle c ON c.id = t.cycle_id "
                "LEFT JOIN deadline d ON d.cycle_id = t.cycle_id AND d.key = t.deadline "
                "WHERE t.fired_at IS NULL AND t.cancelled_at IS NULL AND t.due_at <= ? "
                f"ORDER BY t.due_at, t.id LIMIT ?{lock}",
                (stamp, limit),
            ).fetchall()
            if not rows:
                return 0
            due = [
                DueTimer(
                    r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11],
                    r[12], from_db(r[13]), from_db(r[14]), r[15], r[16],
                    from_db(r[17]) if r[17] else None, from_db(r[18]) if r[18] else None,
                )
                for r in rows
            ]
            notices = address(due, self._unit_contacts(cursor, {t.unit_path for t in due}))
            fired = {n.timer_id for n in notices}
            cursor.executemany(
                "UPDATE timer SET fired_at = ? WHERE id = ?",
                [(stamp, t.id) for t in due if t.id in fired],
            )
            cursor.executemany(
                "UPDATE timer SET cancelled_at = ? WHERE id = ?",
                [(stamp, t.id) for t in due if t.id not in fired],
            )
            previous = self._chain_head(cursor, "notice")
            for notice in notices:
                values = (
                    notice.timer_id, notice.cycle_id, notice.milestone_id, notice.unit_id,
                    notice.kind, notice.deadline, notice.step, notice.role, notice.address,
                    to_db(notice.due_at), stamp,
                )
                previous = chain_hash(previous, fact_text(values))
                notice_id = cursor.execute(
                    "INSERT INTO notice (timer_id, cycle_id, milestone_id, unit_id, kind, "
                    "deadline, step, role, address, due_at, at, hash) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (*values, previous),
                ).fetchone()[0]
                cursor.execute(
                    "INSERT INTO notice_queue (notice_id, address) VALUES (?, ?)",
                    (notice_id, notice.address),
                )
        return len(due)

    def compose_pending(self, max_addresses: int, compose: ComposeMessages, at: datetime) -> int:
        stamp = to_db(at)
        with self._write() as cursor:
            # composers take a recipient's whole queue: two at once would both compose it
            self._serialize(cursor, "compose")
            addresses = [
                r[0]
                for r in cursor.execute(
                    "SELECT DISTINCT address FROM notice_queue ORDER BY address LIMIT ?",
                    (max_addresses,),
                ).fetchall()
            ]
            if not addresses:
                return 0
            marks = ", ".join("?" for _ in addresses)
            rows = cursor.execute(
                "SELECT n.id, t.key, n.kind, n.deadline, n.step, t.\"offset\", n.role, n.address, "
                "n.due_at, t.deadline_at, t.moved_by, n.at, u.id, u.code, u.name, u.path, "
                "u.contacts, t.definition_id, t.definition_version, c.state, t.milestone_id "
                "FROM notice_queue q JOIN notice n ON n.id = q.notice_id "
                "JOIN timer t ON t.id = n.timer_id JOIN unit u ON u.id = n.unit_id "
                "LEFT JOIN cycle c ON c.id = n.cycle_id "
                f"WHERE q.address IN ({marks})",
                addresses,
            ).fetchall()
            pending = [
                PendingNotice(
                    r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], from_db(r[8]),
                    from_db(r[9]), r[10], from_db(r[11]),
                    UnitContact(r[12], r[13], r[14], r[15], json.loads(r[16])),
                    r[17], r[18], r[19], r[20] is not None,
                )
                for r in rows
            ]
            messages = compose(pending)
            conflict = " ON CONFLICT (key) DO NOTHING"
            cursor.executemany(
                "INSERT INTO outbox (key, channel, address, recipient_role, lang, subject, body, "
                "data, created_at, attempts, next_attempt_at) "
                f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?){conflict}",
                [
                    (m.key, m.channel, m.address, m.recipient_role, m.lang, m.subject, m.body,
                     _dumps(m.data), stamp, stamp)
                    for m in messages
                ],
            )
            cursor.executemany(
                "INSERT INTO notice_message (notice_id, message_key) VALUES (?, ?) "
                "ON CONFLICT DO NOTHING",
                [(notice_id, m.key) for m in messages for notice_id in m.notice_ids],
            )
            # exactly the notices composed: on PostgreSQL a notice queued for one of these
            # addresses after the read above commits meanwhile, and must stay queued
            cursor.executemany(
                "DELETE FROM notice_queue WHERE notice_id = ?", [(p.notice_id,) for p in pending]
            )
        return len(messages)

    def claim_outbox(
        self, now: datetime, limit: int, lease_until: datetime, worker: str
    ) -> list[OutboxItem]:
        """Lease due messages to `worker`: another worker skips them until the lease ends,
        which is how a crashed worker's messages are taken over."""
        stamp = to_db(now)
        with self._write() as cursor:
            lock = "" if self.is_sqlite else " FOR UPDATE SKIP LOCKED"
            rows = cursor.execute(
                "SELECT id, key, channel, address, recipient_role, lang, subject, body, data, "
                "attempts FROM outbox WHERE sent_at IS NULL AND parked_at IS NULL "
                "AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?) "
                f"ORDER BY next_attempt_at, id LIMIT ?{lock}",
                (stamp, stamp, limit),
            ).fetchall()
            cursor.executemany(
                "UPDATE outbox SET lease_until = ?, leased_by = ? WHERE id = ?",
                [(to_db(lease_until), worker, r[0]) for r in rows],
            )
        return [
            OutboxItem(
                r[0], Message(r[1], r[2], r[3], r[4], r[5], r[6], r[7], json.loads(r[8])), r[9]
            )
            for r in rows
        ]

    def renew_lease(
        self, item: OutboxItem, worker: str, now: datetime, lease_until: datetime
    ) -> bool:
        """Extend this worker's lease on a message right before sending it; False when the
        lease ran out and the message may be another worker's now (or is already sent)."""
        with self._write() as cursor:
            cursor.execute(
                "UPDATE outbox SET lease_until = ? WHERE id = ? AND leased_by = ? "
                "AND lease_until >= ? AND sent_at IS NULL AND parked_at IS NULL",
                (to_db(lease_until), item.id, worker, to_db(now)),
            )
            renewed = cursor.rowcount == 1
        return renewed

    def record_delivery(
        self,
        item: OutboxItem,
        at: datetime,
        worker: str,
        result: str,
        detail: str,
        next_attempt_at: datetime | None,
    ) -> None:
        stamp = to_db(at)
        with self._write() as cursor:
            # A message is marked sent by whoever sent it; a failure changes it only while
            # this worker still holds it, so a late failure never undoes another's success.
            if result == "sent":
                cursor.execute(
                    "UPDATE outbox SET sent_at = ?, attempts = attempts + 1, lease_until = NULL "
                    "WHERE id = ? AND sent_at IS NULL",
                    (stamp, item.id),
                )
            elif result == "parked":
                cursor.execute(
                    "UPDATE outbox SET parked_at = ?, attempts = attempts + 1, "
                    "lease_until = NULL, last_error = ? WHERE id = ? AND leased_by = ? "
                    "AND sent_at IS NULL AND parked_at IS NULL",
                    (stamp, detail, item.id, worker),
                )
            else:
                assert next_attempt_at is not None
                cursor.execute(
                    "UPDATE outbox SET next_attempt_at = ?, attempts = attempts + 1, "
                    "lease_until = NULL, last_error = ? WHERE id = ? AND leased_by = ? "
                    "AND sent_at IS NULL AND parked_at IS NULL",
                    (to_db(next_attempt_at), detail, item.id, worker),
                )
            cursor.execute(
                "INSERT INTO delivery (outbox_id, at, worker, result, detail) "
                "VALUES (?, ?, ?, ?, ?)",
                (item.id, stamp, worker, result, detail),
            )

    def next_timer_due(self) -> datetime | None:
        rows = self._query(
            "SELECT MIN(due_at) FROM timer WHERE fired_at IS NULL AND cancelled_at IS NULL"
        )
        return from_db(rows[0][0]) if rows and rows[0][0] else None

    def last_timer_due(self) -> datetime | None:
        rows = self._query(
            "SELECT MAX(due_at) FROM timer WHERE fired_at IS NULL AND cancelled_at IS NULL"
        )
        return from_db(rows[0][0]) if rows and rows[0][0] else None

    def outbox_messages(self) -> list[tuple[datetime, Message]]:
        """Every message in the outbox with when it was composed, oldest first."""
        rows = self._query(
            "SELECT created_at, key, channel, address, recipient_role, lang, subject, body, "
            "data FROM outbox ORDER BY created_at, id"
        )
        return [
            (from_db(r[0]), Message(r[1], r[2], r[3], r[4], r[5], r[6], r[7], json.loads(r[8])))
            for r in rows
        ]

    def next_wakeup(self) -> datetime | None:
        rows = self._query(
            "SELECT MIN(due_at) FROM timer WHERE fired_at IS NULL AND cancelled_at IS NULL "
            "UNION ALL SELECT MIN(CASE WHEN lease_until > next_attempt_at THEN lease_until "
            "ELSE next_attempt_at END) FROM outbox WHERE sent_at IS NULL AND parked_at IS NULL"
        )
        found = [from_db(r[0]) for r in rows if r[0]]
        pending = self._query("SELECT COUNT(*) FROM notice_queue")
        if pending[0][0]:
            return datetime.min.replace(tzinfo=UTC)
        return min(found) if found else None

    def notices(self, cycle_id: int) -> list[NoticeRecord]:
        rows = self._query(
            "SELECT n.kind, n.deadline, n.step, n.role, n.address, n.due_at, n.at, "
            "MAX(CASE WHEN o.sent_at IS NOT NULL THEN 1 ELSE 0 END), "
            "MAX(CASE WHEN o.parked_at IS NOT NULL THEN 1 ELSE 0 END), COUNT(o.id) "
            "FROM notice n LEFT JOIN notice_message nm ON nm.notice_id = n.id "
            "LEFT JOIN outbox o ON o.key = nm.message_key "
            "WHERE n.cycle_id = ? GROUP BY n.id ORDER BY n.at, n.id",
            (cycle_id,),
        )
        return [
            NoticeRecord(
                r[0], r[1], r[2], r[3], r[4], from_db(r[5]), from_db(r[6]),
                "sent" if r[7] else "parked" if r[8] else "pending" if r[9] else "queued",
            )
            for r in rows
        ]

    def outbox_counts(self) -> OutboxCounts:
        counts = self._query(
            "SELECT SUM(CASE WHEN sent_at IS NULL AND parked_at IS NULL THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN parked_at IS NOT NULL THEN 1 ELSE 0 END) FROM outbox"
        )[0]
        parked = self._query(
            "SELECT key, channel, address, COALESCE(last_error, '') FROM outbox "
            "WHERE parked_at IS NOT NULL ORDER BY parked_at"
        )
        return OutboxCounts(
            int(counts[0] or 0),
            int(counts[1] or 0),
            int(counts[2] or 0),
            [(r[0], r[1], r[2], r[3]) for r in parked],
        )

    # -- audit ---------------------------------------------------------------------------
    def record_event(
        self,
        kind: str,
        at: datetime,
        actor: str,
        *,
        role: str | None = None,
        unit_code: str | None = None,
        unit_path: str | None = None,
        cycle_id: int | None = None,
        year: int | None = None,
        event: str | None = None,
        code: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Append a fact to the global audit-event chain, in a transaction of its own."""
        with self._write() as cursor:
            self._append_event(
                cursor, kind, to_db(at), actor, role, unit_code, unit_path, cycle_id, year,
                event, code, detail or {},
            )

    def _append_event(
        self,
        cursor: Any,
        kind: str,
        at: str,
        actor: str,
        role: str | None,
        unit_code: str | None,
        unit_path: str | None,
        cycle_id: int | None,
        year: int | None,
        event: str | None,
        code: str | None,
        detail: dict[str, Any],
    ) -> None:
        values = (
            at, kind, unit_code, unit_path, cycle_id, year, event, actor, role, code,
            canonical_json(detail),
        )
        digest = chain_hash(self._chain_head(cursor, "audit_event"), fact_text(values))
        cursor.execute(
            "INSERT INTO audit_event (at, kind, unit_code, unit_path, cycle_id, year, event, "
            "actor, role, code, detail, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*values, digest),
        )

    def anchor(self, at: datetime, actor: str) -> dict[str, Any]:
        """Hash every cycle chain's head, and the heads of the global chains, into an
        anchor event: what verification later holds the chains to."""
        with self._write() as cursor:
            if not self.is_sqlite:  # no transition may commit between the two reads
                cursor.execute("LOCK TABLE cycle, transition IN SHARE MODE")
            last = cursor.execute("SELECT COALESCE(MAX(id), 0) FROM transition").fetchone()[0]
            heads = dict(
                cursor.execute("SELECT id, head_hash FROM cycle WHERE head_hash != ''").fetchall()
            )
            detail = {
                "transition_id": last,
                "cycles": len(heads),
                "digest": heads_digest(heads),
                "notice_head": self._chain_head(cursor, "notice"),
            }
            self._append_event(
                cursor, "anchor", to_db(at), actor, None, None, None, None, None, None, None,
                detail,
            )
        return detail

    def transition_rows(
        self,
        under: UnitRef | None,
        year: int | None = None,
        shard: tuple[int, int] | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """Every transition record in the table's own order (each cycle's in seq order:
        a record's id grows with its seq), streamed in pages. `shard`: (k, n), only the
        cycles whose id is k modulo n (for verifiers in parallel)."""
        where, params = _subtree(under)
        cursor = self._streaming_cursor()
        try:
            scope = " WHERE 1 = 1"
            if under is not None or year is not None:
                limit = where.format(col="c.unit_path")
                if year is not None:
                    limit += " AND c.year = :year"
                    params = {**params, "year": year}
                scope = f" JOIN cycle c ON c.id = t.cycle_id WHERE 1 = 1{limit}"
            if shard is not None:
                scope += " AND t.cycle_id % :shards = :shard"
                params = {**params, "shard": shard[0], "shards": shard[1]}
            cursor.execute(
                "SELECT t.cycle_id, t.seq, t.event, t.from_state, t.to_state, t.actor, t.role, "
                "t.at, t.payload, t.checks, t.definition_id, t.definition_version, t.hash, t.id "
                f"FROM transition t{scope} ORDER BY t.id",
                params,
            )
            while rows := cursor.fetchmany(20000):
                yield from rows
        finally:
            cursor.close()

    def cycle_heads(
        self,
        under: UnitRef | None,
        year: int | None = None,
        shard: tuple[int, int] | None = None,
    ) -> dict[int, CycleHead]:
        return {
            c["cycle_id"]: cycle_head(c)
            for c in self.chain_heads(under, year)
            if shard is None or c["cycle_id"] % shard[1] == shard[0]
        }

    def chain_heads(self, under: UnitRef | None, year: int | None = None) -> list[dict[str, Any]]:
        """Each cycle's chain head, with what names it: the lines of an export."""
        where, params = _subtree(under)
        if year is not None:
            where += " AND c.year = :year"
            params = {**params, "year": year}
        rows = self._query(
            "SELECT c.id, u.code, c.year, c.definition_id, c.definition_version, c.version, "
            "c.head_hash, c.unit_id, c.state FROM cycle c JOIN unit u ON u.id = c.unit_id "
            f"WHERE 1 = 1{where.format(col='c.unit_path')} ORDER BY c.id",
            params,
        )
        return [
            {
                "cycle_id": r[0], "unit": r[1], "year": r[2], "definition_id": r[3],
                "definition_version": r[4], "version": r[5], "head": r[6], "unit_id": r[7],
                "state": r[8],
            }
            for r in rows
        ]

    def audit_log(
        self,
        under: UnitRef | None,
        actor: str | None,
        event: str | None,
        since: datetime | None,
        until: datetime | None,
        only: str | None,
    ) -> list[dict[str, Any]]:
        """The trail for auditors: applied events and recorded facts (refusals, milestones
        kept, actors added), newest last. `only`: late | refusals | overrides."""
        where, params = _subtree(under)
        filters, values = "", dict(params)
        for column, value, name in (
            ("actor", actor, "actor"), ("event", event, "event"),
        ):
            if value is not None:
                filters += f" AND x.{column} = :{name}"
                values[name] = value
        if since is not None:
            filters += " AND x.at >= :since"
            values["since"] = to_db(since)
        if until is not None:
            filters += " AND x.at <= :until"
            values["until"] = to_db(until)
        transitions = (
            "SELECT 'transition' AS kind, t.at AS at, u.code AS unit, c.year AS year, "
            "t.event AS event, t.actor AS actor, t.role AS role, t.from_state AS source, "
            "t.to_state AS dest, NULL AS code, t.payload AS detail, "
            "(SELECT MIN(d.key) FROM deadline d WHERE d.cycle_id = t.cycle_id "
            "AND d.met_at = t.at AND d.due_at < t.at) AS late_for "
            "FROM transition t JOIN cycle c ON c.id = t.cycle_id JOIN unit u ON u.id = c.unit_id "
            f"WHERE 1 = 1{where.format(col='c.unit_path')}"
        )
        facts = (
            "SELECT e.kind AS kind, e.at AS at, e.unit_code AS unit, e.year AS year, "
            "e.event AS event, e.actor AS actor, e.role AS role, NULL AS source, NULL AS dest, "
            "e.code AS code, e.detail AS detail, NULL AS late_for FROM audit_event e "
            "WHERE e.kind != 'anchor'"
            + (f"{where.format(col='e.unit_path')}" if under is not None else "")
        )
        if only == "late":
            sql = f"SELECT * FROM ({transitions}) x WHERE x.late_for IS NOT NULL"
        elif only == "overrides":
            sql = f"SELECT * FROM ({transitions}) x WHERE x.detail LIKE '%\"override\"%'"
        elif only == "refusals":
            sql = f"SELECT * FROM ({facts}) x WHERE x.kind = 'refusal'"
        else:
            sql = f"SELECT * FROM ({transitions} UNION ALL {facts}) x WHERE 1 = 1"
        rows = self._query(f"{sql}{filters} ORDER BY x.at", values)
        keys = (
            "kind", "at", "unit", "year", "event", "actor", "role", "from", "to", "code",
            "detail", "late_for",
        )
        return [
            {**dict(zip(keys, r, strict=True)), "detail": json.loads(r[10] or "{}")}
            for r in rows
        ]

    def fact_rows(self, table: str) -> Iterator[FactRow]:
        """A global chain's records in id order, with their canonical texts."""
        columns = {
            "notice": "timer_id, cycle_id, milestone_id, unit_id, kind, deadline, step, role, "
            "address, due_at, at",
            "audit_event": "at, kind, unit_code, unit_path, cycle_id, year, event, actor, role, "
            "code, detail",
        }[table]
        cursor = self._streaming_cursor()
        try:
            cursor.execute(f"SELECT id, hash, {columns} FROM {table} ORDER BY id")
            while rows := cursor.fetchmany(20000):
                for row in rows:
                    yield FactRow(row[0], fact_text(row[2:]), row[1])
        finally:
            cursor.close()

    def last_anchor(self) -> tuple[int, str] | None:
        detail = self.last_anchor_detail()
        if detail is None:
            return None
        return int(detail["transition_id"]), str(detail["digest"])

    def last_anchor_detail(self) -> dict[str, Any] | None:
        rows = self._query(
            "SELECT detail FROM audit_event WHERE kind = 'anchor' ORDER BY id DESC LIMIT 1"
        )
        return dict(json.loads(rows[0][0])) if rows else None

    # -- actors --------------------------------------------------------------------------
    def count_actors(self) -> int:
        return int(self._query("SELECT COUNT(*) FROM actor")[0][0])

    def add_actors(self, actors: Sequence[tuple[str, str, str, str | None, str]], at: datetime,
                   by: str) -> None:
        """(id, name, role, scope unit code or None, token hash) each; all or nothing, and
        each addition in the audit trail."""
        stamp = to_db(at)
        with self._write() as cursor:
            for actor_id, name, role, scope, token_hash in actors:
                scope_id, scope_path = None, None
                if scope is not None:
                    found = cursor.execute(
                        "SELECT id, path FROM unit WHERE code = ?", (scope,)
                    ).fetchone()
                    if found is None:
                        raise NotFound(f"no unit with code {scope!r}")
                    scope_id, scope_path = found
                if cursor.execute("SELECT 1 FROM actor WHERE id = ?", (actor_id,)).fetchone():
                    raise BontotError(f"actor {actor_id!r} exists already")
                cursor.execute(
                    "INSERT INTO actor (id, name, role, scope_unit_id, token_hash, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (actor_id, name, role, scope_id, token_hash, stamp),
                )
                self._append_event(
                    cursor, "actor_added", stamp, by, None, scope, scope_path, None, None,
                    None, role, {"actor": actor_id, "name": name},
                )

    def revoke_actor(self, actor_id: str, at: datetime, by: str) -> bool:
        stamp = to_db(at)
        with self._write() as cursor:
            cursor.execute(
                "UPDATE actor SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (stamp, actor_id),
            )
            done = cursor.rowcount == 1
            if done:
                self._append_event(
                    cursor, "actor_revoked", stamp, by, None, None, None, None, None, None,
                    None, {"actor": actor_id},
                )
        return done

    def find_actor(self, actor_id: str) -> tuple[Grant, str] | None:
        """The actor's grant and token hash."""
        rows = self._query(
            "SELECT a.id, a.role, u.code, u.path, a.revoked_at, a.token_hash FROM actor a "
            "LEFT JOIN unit u ON u.id = a.scope_unit_id WHERE a.id = ?",
            (actor_id,),
        )
        if not rows:
            return None
        r = rows[0]
        return Grant(r[0], r[1], r[2], r[3], r[4] is not None), r[5]

    def list_actors(self) -> list[tuple[str, str, str, str | None, str, str | None]]:
        """(id, name, role, scope code, created at, revoked at) of every actor."""
        return [
            (r[0], r[1], r[2], r[3], r[4], r[5])
            for r in self._query(
                "SELECT a.id, a.name, a.role, u.code, a.created_at, a.revoked_at FROM actor a "
                "LEFT JOIN unit u ON u.id = a.scope_unit_id ORDER BY a.id"
            )
        ]
