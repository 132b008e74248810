"""PostgreSQL's storage check run and its note kept (adapters/persistence/pg_storage.py
does the reading): the one call `audit verify` makes for it."""

from __future__ import annotations

from sqlalchemy import inspect

from adapters.clock import SystemClock
from adapters.persistence import pg_storage
from adapters.persistence.db import make_engine
from workflow.audit import ChainProblem
from workflow.timefmt import to_db


def pg_checked(url: str) -> list[ChainProblem]:
    """Every row that does not read or decode; the note kept (or cleared when sound)."""
    engine = make_engine(url)
    try:
        damage = pg_storage.storage_problems(engine)
        if inspect(engine).has_table("storage_damage"):
            pg_storage.record(engine, [str(p) for p in damage], to_db(SystemClock().now()))
        return damage
    finally:
        engine.dispose()
