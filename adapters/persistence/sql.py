"""One raw DBAPI connection and its one cursor, statements prepared by the dialect.

Hot paths run prepared statements on the DBAPI connection: SQLAlchemy Core costs ~3x the
raw driver per transition and the ORM ~17x (DESIGN §5), and a transition must stay within
2x raw. A statement without parameters is sent as it is (psycopg then reads no `%`);
one with parameters is translated by the dialect, once per distinct text. A dynamic
statement is a Core construct compiled once per shape (compiled.py) and run as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from adapters.persistence.compiled import Compiled, compiled
from adapters.persistence.connection import Database
from adapters.persistence.dialect import Dialect, dialect_for

if TYPE_CHECKING:
    from sqlalchemy import ClauseElement

Params = Mapping[str, Any] | Sequence[Any]


class Sql:
    """The connection a unit of work and its repositories share. One cursor for its
    whole life: every query fetches all its rows at once (`stream` pages big reads)."""

    def __init__(self, database: Database) -> None:
        self.dialect: Dialect = dialect_for(database.name)
        self._database = database
        self._db, self._release = database.checkout()
        self.dialect.on_checkout(self._db)
        self._cursor: Any = self._db.cursor()

    def execute(self, sql: str, params: Params = ()) -> Any:
        """Run one statement; returns the cursor (fetchone/fetchall/rowcount)."""
        if not params:
            return self._cursor.execute(sql)
        return self._cursor.execute(self.dialect.prepare(sql), params)

    def run(self, statement: Compiled, values: Mapping[str, Any]) -> Any:
        """Run a compiled Core statement (already in the driver's placeholder style)."""
        return self._cursor.execute(statement.text, statement.bind(values))

    def compiled(
        self, shape: Hashable, build: Callable[..., ClauseElement], *args: Any
    ) -> Compiled:
        """The statement of `shape` for this connection's backend (compiled.py)."""
        return compiled(self._database.compiler, shape, build, *args)

    def executemany(self, sql: str, params_seq: Sequence[Params]) -> Any:
        if not params_seq:
            return self._cursor
        return self._cursor.executemany(self.dialect.prepare(sql), params_seq)

    def query(self, sql: str, params: Params = ()) -> list[Any]:
        return list(self.execute(sql, params).fetchall())

    def one(self, sql: str, params: Params = ()) -> Any:
        return self.execute(sql, params).fetchone()

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount)

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def stream(self, sql: str, params: Params = (), page: int = 20000) -> Iterator[Any]:
        """Rows of a big read in pages, on a cursor of their own (see the dialect's)."""
        cursor = self.dialect.streaming_cursor(self._db)
        try:
            if params:
                cursor.execute(self.dialect.prepare(sql), params)
            else:
                cursor.execute(sql)
            while rows := cursor.fetchmany(page):
                yield from rows
        finally:
            cursor.close()

    def serialize(self, name: str) -> None:
        """Wait for any other transaction doing `name` to finish (held until this one ends)."""
        statement = self.dialect.serialize(name)
        if statement is not None:
            self.execute(*statement)

    def lock(self, statement: str | None) -> None:
        """Run a dialect's lock statement, if it has one."""
        if statement is not None:
            self.execute(statement)

    def sync_sequence(self, table: str, last_id: int) -> None:
        statement = self.dialect.sync_sequence(table, last_id)
        if statement is not None:
            self.execute(*statement)

    def close(self) -> None:
        self._cursor.close()
        self.dialect.on_release(self._db)
        self._release()
