"""PostgreSQL's storage check for `audit verify`: every row of every bontot table reads
and decodes (JSON columns parse, instants are the UTC text `to_db` writes), each failure
named by table and row. PostgreSQL has no `PRAGMA integrity_check`; a damaged page shows
as a read that fails (`invalid page in block …`), so each table is read whole, in pages by
its primary key, and a page that fails is read again row by row to name the row.

A failed check is kept in `storage_damage` (what it found); while a row is there, every
unit of work refuses to commit (adapters/persistence/unit_of_work.py). A later check that
finds the store sound empties it."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from workflow.audit import ChainProblem
from workflow.timefmt import from_db

PAGE = 5000
#: columns that hold canonical JSON, by table (others with these names are free text)
JSON_COLUMNS = {
    "transition": ("payload", "checks"),
    "cycle": ("facts",),
    "audit_event": ("detail",),
    "definition": ("resolved",),
    "outbox": ("data",),
}
#: tables that are not bontot's rows (Alembic's stamp; the note itself)
SKIPPED = {"alembic_version", "storage_damage"}
#: the most rows a check names
LIMIT = 20


def storage_problems(engine: Engine) -> list[ChainProblem]:
    """Every row that does not read or decode, by table and primary key."""
    found: list[ChainProblem] = []
    with engine.connect() as conn:
        names = inspect(conn).get_table_names()
        for table in sorted(set(names) - SKIPPED):
            key = inspect(conn).get_pk_constraint(table)["constrained_columns"]
            if not key:
                continue
            found += _table_problems(conn, table, list(key))
            if len(found) >= LIMIT:
                return [*found[:LIMIT], ChainProblem("storage", "the database", "and more")]
    return found


def _table_problems(conn: Connection, table: str, key: list[str]) -> list[ChainProblem]:
    found: list[ChainProblem] = []
    after: tuple[Any, ...] | None = None
    order = ", ".join(key)
    while True:
        where, params = _after(key, after)
        try:
            result = conn.execute(
                text(f"SELECT * FROM {table}{where} ORDER BY {order} LIMIT {PAGE}"), params
            )
            columns = list(result.keys())
            rows = [tuple(r) for r in result.fetchall()]
        except DBAPIError as exc:
            conn.rollback()
            return found + _row_by_row(conn, table, key, after, exc)
        for row in rows:
            found += _decode(table, key, columns, row)
        if len(rows) < PAGE:
            return found
        after = tuple(row[columns.index(k)] for k in key)


def _after(key: Sequence[str], after: tuple[Any, ...] | None) -> tuple[str, dict[str, Any]]:
    if after is None:
        return "", {}
    marks = ", ".join(f":k{i}" for i in range(len(key)))
    return (
        f" WHERE ({', '.join(key)}) > ({marks})",
        {f"k{i}": value for i, value in enumerate(after)},
    )


def _row_by_row(
    conn: Connection, table: str, key: list[str], after: tuple[Any, ...] | None, first: Exception
) -> list[ChainProblem]:
    """A page that did not read: its keys (from the index, if it reads), then each row."""
    where, params = _after(key, after)
    try:
        keys = [tuple(r) for r in conn.execute(
            text(f"SELECT {', '.join(key)} FROM {table}{where} ORDER BY {', '.join(key)}"),
            params,
        )]  # fmt: skip
    except DBAPIError as exc:
        conn.rollback()
        start = "its start" if after is None else f"{_named(key, after)}"
        return [ChainProblem(
            "storage", f"table {table}", f"rows after {start} cannot be read: {_said(exc)}",
        )]  # fmt: skip
    found = []
    for values in keys:
        condition = " AND ".join(f"{k} = :k{i}" for i, k in enumerate(key))
        try:
            conn.execute(
                text(f"SELECT * FROM {table} WHERE {condition}"),
                {f"k{i}": v for i, v in enumerate(values)},
            ).fetchall()
        except DBAPIError as exc:
            conn.rollback()
            found.append(ChainProblem(
                "storage", f"table {table}, {_named(key, values)}",
                f"the row cannot be read: {_said(exc)}",
            ))  # fmt: skip
            if len(found) >= LIMIT:
                break
    if not found:  # the page failed but no single row does: say what the page said
        found.append(ChainProblem("storage", f"table {table}", f"a read failed: {_said(first)}"))
    return found


def _decode(
    table: str, key: list[str], columns: list[str], row: tuple[Any, ...]
) -> Iterator[ChainProblem]:
    values = dict(zip(columns, row, strict=True))
    where = f"table {table}, {_named(key, tuple(values[k] for k in key))}"
    for column in JSON_COLUMNS.get(table, ()):
        value = values.get(column)
        if value is None:
            continue
        try:
            json.loads(value)
        except (ValueError, TypeError) as exc:
            yield ChainProblem("storage", where, f"{column} does not decode as JSON: {exc}")
    for column, value in values.items():
        if value is None or not (column == "at" or column.endswith("_at")):
            continue
        try:
            from_db(str(value))
        except ValueError:
            yield ChainProblem(
                "storage", where, f"{column} {value!r} is not an instant as stored (UTC)"
            )


def _named(key: Sequence[str], values: Sequence[Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in zip(key, values, strict=True))


def _said(exc: Exception) -> str:
    original = getattr(exc, "orig", exc)
    return str(original).strip().splitlines()[0] if str(original).strip() else type(exc).__name__


def record(engine: Engine, findings: list[str], at: str) -> None:
    """Keep the findings (the store then refuses writes), or clear them (sound)."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM storage_damage"))
        if findings:
            conn.execute(
                text("INSERT INTO storage_damage (found_at, findings) VALUES (:at, :found)"),
                {"at": at, "found": "\n".join(findings)},
            )
