"""Where a unit of work gets its one driver connection: from a SQLAlchemy pool (the
server, the worker, the tests: many units of work over one pool), or straight from
sqlite3 for a one-shot command on a SQLite file.

A command that reads a board or a history and exits needs one connection once; building
SQLAlchemy's engine for it costs a quarter of a second of imports before the first
statement (issue 15's quick command line), while every statement already runs on the
raw driver (sql.py). So a SQLite file opened by a command gets `SqliteFile`: the same
pragmas as the pool's connect hook (db.sqlite_pragmas), SQLAlchemy imported only if a
dynamic statement is compiled or the schema is touched.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from adapters.persistence.db import busy_timeout_ms, make_engine, sqlite_pragmas

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.engine.interfaces import Dialect as SqlaDialect

#: a driver connection and what gives it back
Checkout = tuple[Any, Callable[[], None]]


class Pooled:
    """Connections from a SQLAlchemy engine's pool."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.name: str = engine.dialect.name
        self.shown = engine.url.render_as_string(hide_password=True)

    @property
    def compiler(self) -> SqlaDialect:
        return self.engine.dialect

    def checkout(self) -> Checkout:
        pooled = self.engine.raw_connection()
        driver = pooled.driver_connection
        assert driver is not None, "a pooled connection always has its driver's"
        return driver, pooled.close

    def dispose(self) -> None:
        self.engine.dispose()


class SqliteFile:
    """One SQLite file, a connection per checkout, no pool and no SQLAlchemy until asked
    for (a Core statement to compile, or the schema through `engine`)."""

    name = "sqlite"

    def __init__(self, url: str, path: str, busy_ms: int) -> None:
        self.shown = url
        self.path = path
        self.busy_ms = busy_ms
        self._engine: Engine | None = None
        self._compiler: SqlaDialect | None = None

    @property
    def compiler(self) -> SqlaDialect:
        if self._compiler is None:
            # lazy: start-up time (see the module's docstring)
            from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite

            self._compiler = SQLiteDialect_pysqlite()
        return self._compiler

    @property
    def engine(self) -> Engine:
        """A SQLAlchemy engine on the same file, for Alembic and the schema's inspection."""
        if self._engine is None:
            self._engine = make_engine(self.shown)
        return self._engine

    def checkout(self) -> Checkout:
        # a unit of work may be opened in one thread and run in another, as a pooled
        # SQLAlchemy connection may (SQLAlchemy turns the check off for files too)
        driver = sqlite3.connect(
            self.path, timeout=self.busy_ms / 1000, check_same_thread=False
        )
        try:
            sqlite_pragmas(driver, self.busy_ms)
        except BaseException:
            driver.close()
            raise
        return driver, driver.close

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


Database = Pooled | SqliteFile


def database_of(source: Engine | Database) -> Database:
    """A SQLAlchemy engine wrapped as its pool; a Database as it is."""
    if isinstance(source, (Pooled, SqliteFile)):
        return source
    return Pooled(source)


def sqlite_file_path(url: str) -> str | None:
    """The file of a plain SQLite URL (`sqlite:///path`), None for anything a pool must
    open: in memory (one database per connection otherwise), URI options, another store."""
    if not url.startswith("sqlite:///") or "?" in url:
        return None
    path = url.removeprefix("sqlite:///")
    if path in ("", ":memory:") or path.startswith("file:"):
        return None
    return path


def open_database(url: str) -> Database:
    """What a one-shot caller opens on `url`: a SQLite file directly, anything else
    through a pool."""
    path = sqlite_file_path(url)
    if path is None:
        return Pooled(make_engine(url))
    return SqliteFile(url, path, busy_timeout_ms())
