"""Databases for the schema-migration tests: the legacy file of release 7a2cb4e, scratch
PostgreSQL databases, and what a schema and its rows look like, compared as data."""

from __future__ import annotations

import os
import re
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, create_engine, inspect, make_url, text
from sqlalchemy.engine import Connection

from adapters.persistence.db import make_engine

LEGACY = Path(__file__).resolve().parents[1] / "fixtures" / "legacy"
#: made by the real code of release 7a2cb4e (tests/fixtures/legacy/make_7a2cb4e.py)
LEGACY_SQL = LEGACY / "bontot-7a2cb4e.sql"
#: the token of `quantri`, the administrator that release made (its hash is in `actor`)
LEGACY_TOKEN = (LEGACY / "bontot-7a2cb4e.token").read_text(encoding="utf-8").strip()
PG_ENV = "BONTOT_TEST_DATABASE_URL"


def legacy_sqlite(path: Path) -> str:
    """The 7a2cb4e database, as that release left it (its own DDL, triggers, rows)."""
    with sqlite3.connect(path) as conn:
        conn.executescript(LEGACY_SQL.read_text(encoding="utf-8"))
    conn.close()
    return f"sqlite:///{path}"


@contextmanager
def scratch_postgres() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards; the test is skipped, with
    the reason, when no server is named or none answers."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL: set {PG_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"bontot_schema_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no driver, no server, no right to create databases
        admin.dispose()
        pytest.skip(f"PostgreSQL at {base} is not usable here: {type(exc).__name__}: {exc}")
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def scratch_url(backend: str, folder: Path, name: str = "bontot.db") -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / name}"
    else:
        with scratch_postgres() as url:
            yield url


@contextmanager
def engine_for(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def _sql(value: str | None) -> str:
    return re.sub(r"\s+", " ", value or "").strip()


def snapshot(engine: Engine) -> dict[str, Any]:
    """The schema as data: every table's columns, keys, constraints and indexes (with
    their WHERE), and the triggers with their definitions. Equal snapshots: the same
    schema, whatever built it."""
    with engine.connect() as conn:
        insp = inspect(conn)
        tables: dict[str, Any] = {}
        for table in sorted(insp.get_table_names()):
            tables[table] = {
                "columns": [
                    (c["name"], str(c["type"]), c["nullable"], c.get("default"))
                    for c in insp.get_columns(table)
                ],
                "pk": insp.get_pk_constraint(table)["constrained_columns"],
                "fks": sorted(
                    (tuple(f["constrained_columns"]), f["referred_table"],
                     tuple(f["referred_columns"]))
                    for f in insp.get_foreign_keys(table)
                ),
                "unique": sorted(
                    tuple(u["column_names"]) for u in insp.get_unique_constraints(table)
                ),
            }
        return {"tables": tables, **_indexes_and_triggers(conn)}


def _indexes_and_triggers(conn: Connection) -> dict[str, Any]:
    if conn.dialect.name == "sqlite":
        rows = conn.execute(
            text("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN "
                 "('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name")
        ).all()
        return {
            "indexes": [(r.name, r.tbl_name, _sql(r.sql)) for r in rows if r.type == "index"],
            "triggers": [(r.name, r.tbl_name, _sql(r.sql)) for r in rows if r.type == "trigger"],
            "functions": [],
        }
    indexes = conn.execute(
        text("SELECT indexname, tablename, indexdef FROM pg_indexes "
             "WHERE schemaname = current_schema() ORDER BY indexname")
    ).all()
    triggers = conn.execute(
        text("SELECT t.tgname, c.relname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
             "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal "
             "ORDER BY t.tgname")
    ).all()
    functions = conn.execute(
        text("SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p "
             "JOIN pg_namespace n ON n.oid = p.pronamespace "
             "WHERE n.nspname = current_schema() ORDER BY p.proname")
    ).all()
    return {
        "indexes": [(r[0], r[1], _sql(r[2])) for r in indexes],
        "triggers": [(r[0], r[1], _sql(r[2])) for r in triggers],
        "functions": [(r[0], _sql(r[1])) for r in functions],
    }


def all_rows(engine: Engine, skip: frozenset[str] = frozenset({"alembic_version"})) -> dict[
    str, list[tuple[Any, ...]]
]:
    """Every row of every table, in primary-key order."""
    meta = MetaData()
    meta.reflect(engine)
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            if table.name in skip:
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            out[table.name] = [tuple(r) for r in conn.execute(table.select().order_by(*order))]
    return out


def copy_rows(source: Engine, target: Engine) -> int:
    """Every row of `source` into the same tables of `target`, parents first."""
    meta, into = MetaData(), MetaData()
    meta.reflect(source)
    into.reflect(target)
    copied = 0
    with source.connect() as src, target.begin() as dst:
        for table in meta.sorted_tables:
            order = list(table.primary_key.columns)
            rows = [dict(r._mapping) for r in src.execute(table.select().order_by(*order))]
            if rows:
                dst.execute(into.tables[table.name].insert(), rows)
                copied += len(rows)
    return copied


def end_of_day(rows: dict[str, list[tuple[object, ...]]]) -> dict[str, list[tuple[object, ...]]]:
    """Release 7a2cb4e's rows as revision 0005 leaves them, written out by hand: due
    instants at 23:59 local (16:59:00Z) end with their day, the stored definitions lose
    the 23:59 time of day; nothing else changes."""

    def moved(value: object) -> object:
        if isinstance(value, str) and value.endswith("T16:59:00.000000Z"):
            return value[:11] + "16:59:59.999999Z"
        return value

    # positions of deadline.due_at, milestone.due_at, timer.deadline_at in the baseline
    columns = {"deadline": (3,), "milestone": (7,), "timer": (13,)}
    out = dict(rows)
    for table, at in columns.items():
        out[table] = [
            tuple(moved(v) if i in at else v for i, v in enumerate(row)) for row in rows[table]
        ]
    out["definition"] = [
        tuple(
            v.replace('"time":"23:59"', '"time":null') if i == 5 and isinstance(v, str) else v
            for i, v in enumerate(row)
        )
        for row in rows["definition"]
    ]
    return out


def deadline_years(engine: Engine) -> dict[int, int]:
    """Each deadline's cycle's year, read from the cycles before revision 0014 copies it
    to the deadline; the legacy file closes no cycle (its states: appraised, returned,
    not registered), so every unmet deadline of it stays open (closed = 0)."""
    with engine.connect() as conn:
        states = {r[0] for r in conn.execute(text("SELECT DISTINCT state FROM cycle"))}
        assert not states & {"reported", "lapsed"}, states
        rows = conn.execute(
            text("SELECT d.id, c.year FROM deadline d JOIN cycle c ON c.id = d.cycle_id")
        )
        return {r[0]: r[1] for r in rows}


def dated(
    rows: list[tuple[object, ...]], years: dict[int, int]
) -> list[tuple[object, ...]]:
    """Deadline rows as revision 0014 leaves them: their cycle's year, not closed."""
    return [(*row, years[int(str(row[0]))], 0) for row in rows]
