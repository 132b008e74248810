"""Engines and schema. SQLite is the embedded default: WAL, synchronous=NORMAL, a busy
timeout so that concurrent writers wait their turn instead of failing at once.
PostgreSQL URLs (`postgresql://user@host:port/db`, libpq's own form, `postgres://` too)
run on psycopg 3: they are mapped to SQLAlchemy's `postgresql+psycopg://` here, so that
users and tests write the URL every PostgreSQL tool understands."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Engine

DEFAULT_URL = "sqlite:///bontot.db"
ENV_URL = "BONTOT_DATABASE_URL"


def database_url(explicit: str | None = None) -> str:
    return explicit or os.environ.get(ENV_URL) or DEFAULT_URL


def sqlalchemy_url(url: str) -> str:
    """The URL with the driver SQLAlchemy should use: psycopg 3 for PostgreSQL (SQLAlchemy
    would pick psycopg2 for a bare `postgresql://`, which we do not install)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def is_postgresql(url: str) -> bool:
    return url.startswith(("postgresql:", "postgresql+", "postgres:"))


#: pages the WAL may hold before a writer's commit checkpoints it (16 MB at 4 KB pages)
WAL_AUTOCHECKPOINT_PAGES = 4000


def checkpoint(engine: Engine) -> None:
    """Copy SQLite's WAL into the database file without waiting for readers (PASSIVE),
    off the request path: the worker runs it after each tick. Nothing on PostgreSQL."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


BUSY_ENV = "BONTOT_BUSY_TIMEOUT_MS"


def busy_timeout_ms() -> int:
    """How long a SQLite writer waits for another to finish (default 30 s)."""
    try:
        return max(0, int(os.environ.get(BUSY_ENV, "30000")))
    except ValueError:
        return 30000


def sqlite_pragmas(dbapi_connection: Any, busy: int) -> None:
    """What every SQLite connection of ours runs first, pooled or not (connection.py)."""
    # Autocommit at the driver; we issue BEGIN ourselves (SQLAlchemy's recipe),
    # so that a write transaction starts with BEGIN IMMEDIATE where we want it.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={busy}")
    # A checkpoint copies the WAL back into the file: with SQLite's default (1,000
    # pages) one lands on a request every few hundred events (its p99). The worker
    # checkpoints between ticks (checkpoint below); a request checkpoints only if
    # the WAL grew this far without a worker running.
    cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
    cursor.close()


#: connections a long-lived pool keeps (the web server's, the worker's): one for each of
#: the threads a server runs requests in (anyio's default limiter: 40), so that a busy
#: server neither waits for a connection nor opens and closes one per request, as
#: SQLAlchemy's default (5, and 10 more opened and closed again) made it do
SERVER_POOL = 40


def make_engine(url: str, pool_size: int | None = None) -> Engine:
    """An engine on `url`; `pool_size`: the connections its pool keeps (SQLAlchemy's
    default when None; ten more are opened for a moment beyond them before one waits)."""
    # lazy: a one-shot command on a SQLite file never builds an engine (connection.py)
    from sqlalchemy import create_engine, event

    url = sqlalchemy_url(url)
    sizes: dict[str, Any] = {}
    if pool_size is not None:
        sizes = {"pool_size": pool_size, "max_overflow": 10}
    if url.startswith("sqlite"):
        busy = busy_timeout_ms()
        engine = create_engine(url, connect_args={"timeout": busy / 1000}, **sizes)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            sqlite_pragmas(dbapi_connection, busy)

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN")

        return engine
    # pre_ping: a worker outlives server restarts; a dead pooled connection is replaced
    # at checkout instead of failing the next tick.
    engine = create_engine(url, pool_pre_ping=True, **sizes)

    @event.listens_for(engine, "connect")
    def _pg_session(dbapi_connection: Any, _record: Any) -> None:
        pg_session(dbapi_connection)

    return engine


def pg_session(dbapi_connection: Any) -> None:
    """What every PostgreSQL connection of ours runs first.

    JIT off: PostgreSQL compiles a statement to machine code once the planner's cost
    passes `jit_above_cost`, and a board over the nation's 302,000 cycles passes it
    every time: compiling was 116 ms of its 222 ms. bontot's statements are short and
    never run long enough to win that back."""
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True  # a SET outside a transaction lasts the session
    dbapi_connection.execute("SET jit = off")
    dbapi_connection.autocommit = autocommit


#: audit records: the database itself refuses to change or remove them
APPEND_ONLY = ("transition", "notice", "audit_event", "delivery")


def create_schema(engine: Engine) -> None:
    """The newest schema: built and stamped when the database is empty, else migrated
    (adapters.persistence.schema)."""
    from adapters.persistence import schema

    schema.create(engine)


def append_only_triggers(dialect: str, audit_tables: Sequence[str] = APPEND_ONLY) -> list[str]:
    """Triggers that refuse UPDATE and DELETE on the audit tables (idempotent DDL);
    `audit_tables` lets a schema revision name the audit tables of its own time."""
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'audit records are append-only: {verb} on {table} "
            "refused'); END"
            for table in audit_tables
            for verb in ("UPDATE", "DELETE")
        ]
    # The message is built with || rather than RAISE's own % markers: the driver would
    # read a bare % as a parameter.
    statements = [
        "CREATE OR REPLACE FUNCTION bontot_append_only() RETURNS trigger AS $$ BEGIN "
        "RAISE EXCEPTION USING MESSAGE = 'audit records are append-only: ' || TG_OP || "
        "' on ' || TG_TABLE_NAME || ' refused'; END $$ LANGUAGE plpgsql"
    ]
    for table in audit_tables:
        statements += [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION bontot_append_only()",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION bontot_append_only()",
        ]
    return statements
