"""Every difference between the two backends, and nowhere else: how a write transaction
begins, the locks a writer takes, the `FOR UPDATE` suffixes, sequence sync, the driver's
placeholder style, and what a connection needs on checkout and before going back.

Statements are written once, in SQLite's placeholder style (`?` with a tuple, `:name`
with a dict); `prepare` gives a dialect's text for one, translated once per distinct
text (a bounded cache: statements are module constants or built from a few shapes).

SQLite serialises every writer with BEGIN IMMEDIATE, so its locks are no-ops. PostgreSQL
runs READ COMMITTED with the connection in autocommit between our transactions: a write
that reads-then-writes locks what it read (row versions, `FOR UPDATE [SKIP LOCKED]`, a
transaction-scoped advisory lock, or a table lock for a global chain).
"""

from __future__ import annotations

import re
import uuid
import zlib
from functools import lru_cache
from typing import Any

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
    """A statement in SQLite's placeholder style (`?`, `:name`) in psycopg's (`%s`,
    `%(name)s`), for a statement run with parameters."""
    return _SQL_TOKEN.sub(_pyformat_token, sql)


def lock_key(name: str) -> int:
    """A stable 32-bit key for an advisory lock (hash() is salted per process)."""
    return zlib.crc32(f"bontot:{name}".encode())


class SqliteDialect:
    name = "sqlite"
    #: writers queue at the start of their transaction, never midway
    begin = "BEGIN IMMEDIATE"

    def prepare(self, sql: str) -> str:
        return sql

    def on_checkout(self, db: Any) -> None:
        """make_engine's connect hook already put the driver in autocommit."""

    def on_release(self, db: Any) -> None:
        pass

    def streaming_cursor(self, db: Any) -> Any:
        return db.cursor()

    def serialize(self, name: str) -> tuple[str, tuple[Any, ...]] | None:
        """The statement that makes writers doing `name` wait for each other; none here:
        BEGIN IMMEDIATE already serialises every writer."""
        return None

    def lock_chain(self, table: str) -> str | None:
        """The statement that serialises appends to a global hash chain."""
        return None

    def lock_shared(self, tables: str) -> str | None:
        """A lock that lets no write to `tables` commit until this transaction ends."""
        return None

    def lock_register(self, table: str) -> str | None:
        """The lock a register import takes before reading what it will overwrite."""
        return None

    def for_update_of(self, alias: str) -> str:
        return ""

    def contains(self, column: str, parameter: str) -> str:
        """A condition: `column` holds the text of `:parameter`, case-sensitively (LIKE
        ignores ASCII case on SQLite and not on PostgreSQL)."""
        return f"instr({column}, :{parameter}) > 0"

    def for_update_skip_locked(self, alias: str | None = None) -> str:
        return ""

    def table_exists(self, table: str) -> tuple[str, tuple[Any, ...]]:
        """A read that finds a row when `table` is there."""
        return "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)

    def sync_sequence(self, table: str, last_id: int) -> tuple[str, tuple[Any, ...]] | None:
        """Ids are MAX(id) + 1 and SQLite's INTEGER PRIMARY KEY follows MAX(id) itself."""
        return None


class PostgresDialect:
    name = "postgresql"
    begin = "BEGIN"

    def prepare(self, sql: str) -> str:
        return _prepared_pg(sql)

    def on_checkout(self, db: Any) -> None:
        # Transactions are ours (the unit of work issues BEGIN/COMMIT, as on SQLite):
        # reads outside them must not leave the connection idle in a transaction,
        # holding a snapshot and locks that would block other workers' LOCK TABLE.
        db.autocommit = True

    def on_release(self, db: Any) -> None:
        if not db.closed:
            # back to the pool as SQLAlchemy handed it out (its transactions rely on it)
            db.autocommit = False

    def streaming_cursor(self, db: Any) -> Any:
        """psycopg's ordinary cursor would hold every row in memory at once; a server-side
        one sends them page by page (WITH HOLD: it outlives autocommit's transaction)."""
        return db.cursor(name=f"bontot_{uuid.uuid4().hex}", withhold=True)

    def serialize(self, name: str) -> tuple[str, tuple[Any, ...]] | None:
        return "SELECT pg_advisory_xact_lock(?)", (lock_key(name),)

    def lock_chain(self, table: str) -> str | None:
        return f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE"

    def lock_shared(self, tables: str) -> str | None:
        return f"LOCK TABLE {tables} IN SHARE MODE"

    def lock_register(self, table: str) -> str | None:
        return f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE"

    def contains(self, column: str, parameter: str) -> str:
        return f"strpos({column}, :{parameter}) > 0"

    def for_update_of(self, alias: str) -> str:
        # a concurrent writer of the row waits, then re-reads it after the wait
        return f" FOR UPDATE OF {alias}"

    def for_update_skip_locked(self, alias: str | None = None) -> str:
        return f" FOR UPDATE OF {alias} SKIP LOCKED" if alias else " FOR UPDATE SKIP LOCKED"

    def table_exists(self, table: str) -> tuple[str, tuple[Any, ...]]:
        """A read that finds a row when `table` is in the connection's schema."""
        return (
            "SELECT 1 FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_name = ?",
            (table,),
        )

    def sync_sequence(self, table: str, last_id: int) -> tuple[str, tuple[Any, ...]] | None:
        """After rows inserted with ids of our own, move the id sequence past them, so that
        an insert relying on the column default never collides with them (last_id is the
        table's MAX(id): ids are allocated under `serialize`)."""
        return f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), ?)", (last_id,)


Dialect = SqliteDialect | PostgresDialect


@lru_cache(maxsize=2048)
def _prepared_pg(sql: str) -> str:
    # bounded: a few dozen constant statements and the shapes of the dynamic ones
    return pg_sql(sql)


def dialect_for(name: str) -> Dialect:
    """The dialect of a backend's name (`sqlite`, `postgresql`: SQLAlchemy's names)."""
    return SqliteDialect() if name == "sqlite" else PostgresDialect()
