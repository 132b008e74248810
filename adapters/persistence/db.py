"""Engines and schema. SQLite is the embedded default: WAL, synchronous=NORMAL, a busy
timeout so that concurrent writers wait their turn instead of failing at once."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlmodel import SQLModel

from adapters.persistence import tables  # noqa: F401  (registers the tables)

DEFAULT_URL = "sqlite:///bontot.db"
ENV_URL = "BONTOT_DATABASE_URL"


def database_url(explicit: str | None = None) -> str:
    return explicit or os.environ.get(ENV_URL) or DEFAULT_URL


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Autocommit at the driver; we issue BEGIN ourselves (SQLAlchemy's recipe),
            # so that a write transaction starts with BEGIN IMMEDIATE where we want it.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN")

        return engine
    return create_engine(url)


def create_schema(engine: Engine) -> None:
    SQLModel.metadata.create_all(engine)
