"""The two database backends the suite runs on: a real SQLite file in the test's folder,
and a real PostgreSQL server (`BONTOT_TEST_DATABASE_URL`, e.g.
`postgresql://postgres@127.0.0.1:5432/test`) where each test gets a schema of its own,
created empty and dropped after. The schema is chosen through the URL
(`options=-csearch_path=...`), so that child processes given the URL (workers, the CLI)
land in it too; `application_name` names the test's connections so that teardown can end
any a crashed child left behind.

Without the variable, or with a server that does not answer, PostgreSQL tests are
skipped with the reason (shown by `pytest -ra`), never passed.

Tests that look at the database behind the store's back use `rows()` / `execute()`:
SQLite-style statements (`?` placeholders) on a connection of their own.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

from adapters.persistence.db import is_postgresql
from adapters.persistence.dialect import pg_sql

PG_ENV = "BONTOT_TEST_DATABASE_URL"
BACKENDS = ("sqlite", "postgresql")


@cache
def _pg_server() -> tuple[str | None, str]:
    """(server URL, "") when PostgreSQL answers, else (None, why not)."""
    url = os.environ.get(PG_ENV, "").strip()
    if not url:
        return None, f"{PG_ENV} is not set: the PostgreSQL backend is not tested"
    if not is_postgresql(url):
        return None, f"{PG_ENV}={url!r} is not a postgresql:// URL"
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except Exception as error:  # any failure to reach it is a reason to skip, given
        return None, f"PostgreSQL at {url} does not answer: {error}".strip()
    return url, ""


def pg_server_url() -> str:
    url, why = _pg_server()
    if url is None:
        pytest.skip(why)
    return url


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = [*parse_qsl(parts.query), *params.items()]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _admin(server: str) -> Any:
    import psycopg

    return psycopg.connect(server, autocommit=True, connect_timeout=5)


@contextmanager
def pg_schema(server: str) -> Iterator[str]:
    """A URL into a new, empty schema of the server's database; the schema is dropped
    (with whatever connections are still in it) on leaving."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    app = f"bontot-test-{schema}"
    with closing(_admin(server)) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield _with_query(server, options=f"-csearch_path={schema}", application_name=app)
    finally:
        with closing(_admin(server)) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = %s AND pid != pg_backend_pid()",
                (app,),
            )
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


@contextmanager
def database(backend: str, folder: Path, name: str = "bontot") -> Iterator[str]:
    """An empty database of the backend, as a URL the application takes."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / f'{name}.db'}"
        return
    assert backend == "postgresql", backend
    with pg_schema(pg_server_url()) as url:
        yield url


# -- looking behind the store's back ------------------------------------------------------
@contextmanager
def connect(url: str) -> Iterator[Any]:
    """A DBAPI connection of its own (autocommit) to the database behind `url`."""
    if is_postgresql(url):
        import psycopg

        with closing(psycopg.connect(url, autocommit=True)) as conn:
            yield conn
    else:
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)) as c:
            yield c


def run_sql(conn: Any, url: str, sql: str, params: Sequence[Any] = ()) -> Any:
    """A SQLite-style statement on a connection from `connect()`."""
    if is_postgresql(url) and params:
        return conn.execute(pg_sql(sql), params)
    return conn.execute(sql, params) if params else conn.execute(sql)


def rows(url: str, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    with connect(url) as conn:
        return [tuple(r) for r in run_sql(conn, url, sql, params).fetchall()]


def execute(url: str, *statements: str, bypass_triggers: bool = False) -> None:
    """Run statements in one transaction. `bypass_triggers`: as someone who holds the
    database would, past the append-only triggers (SQLite: drops them; PostgreSQL: a
    superuser session with `session_replication_role = replica`, which fires no trigger)."""
    with connect(url) as conn:
        if bypass_triggers and not is_postgresql(url):
            names = conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            for (trigger,) in names.fetchall():
                conn.execute(f"DROP TRIGGER {trigger}")
        conn.execute("BEGIN")
        if bypass_triggers and is_postgresql(url):
            conn.execute("SET LOCAL session_replication_role = replica")
        for statement in statements:
            conn.execute(statement)
        conn.execute("COMMIT")


def tables(url: str) -> list[str]:
    if is_postgresql(url):
        found = rows(url, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    else:
        found = rows(url, "SELECT name FROM sqlite_master WHERE type = 'table'")
    return sorted(r[0] for r in found)


@contextmanager
def example_database(db_url: str) -> Iterator[str]:
    """An empty database for one hypothesis example: a new SQLite file, or the test's
    PostgreSQL schema emptied (a new schema per example would cost more than the example)."""
    if not is_postgresql(db_url):
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'example.db'}"
    else:
        empty(db_url)
        yield db_url


def empty(url: str) -> None:
    """Remove every row of a PostgreSQL test schema, ids restarting at 1: a fresh database
    for a fraction of what a new schema costs (its DDL takes ~0.5 s), for tests that need
    one per hypothesis example. The audit triggers are bypassed, as in `execute`."""
    assert is_postgresql(url)
    names = tables(url)
    sequences = [
        r[0]
        for r in rows(
            url,
            "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()",
        )
    ]
    execute(
        url,
        # the schema's revision stays: the tables it describes are still all there
        *[f"DELETE FROM {name}" for name in names if name != "alembic_version"],
        *[f"ALTER SEQUENCE {name} RESTART" for name in sequences],
        bypass_triggers=True,
    )


def dump(url: str) -> Any:
    """The whole database, read by another connection, to compare before and after: SQLite's
    SQL text dump (schema included); on PostgreSQL every table's rows, sorted."""
    if not is_postgresql(url):
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as conn:
            return list(conn.iterdump())
    return {name: sorted(rows(url, f"SELECT * FROM {name}"), key=repr) for name in tables(url)}


def url_of(store: Any) -> str:
    """The URL of the database behind a store, in the form `connect()` takes."""
    url = store.engine.url
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{url.database}"
    return str(url.set(drivername="postgresql").render_as_string(hide_password=False))


def database_error(url: str) -> type[Exception]:
    """The driver's base error: what a refused statement raises on this backend."""
    if is_postgresql(url):
        import psycopg

        return psycopg.Error
    return sqlite3.DatabaseError
