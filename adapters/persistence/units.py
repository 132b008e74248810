"""The unit tree: imports, lookups by code and by subtree, contacts for notices."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from adapters.persistence.compiled import in_list, marks, padded, table
from adapters.persistence.rows import UNIT_COLUMNS, dumps, subtree, subtree_positional, unit_ref
from adapters.persistence.sql import Sql
from workflow.errors import NotFound
from workflow.service.records import UnitRef
from workflow.units import UnitImport

if TYPE_CHECKING:
    from sqlalchemy import Select

    from workflow.notices import UnitContact


class SqlUnits:
    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    def parents(self) -> dict[str, tuple[str, str | None]]:
        """Every unit's code -> (kind, parent code): what an import is checked against."""
        rows = self.sql.query(
            "SELECT u.code, u.kind, p.code FROM unit u LEFT JOIN unit p ON p.id = u.parent_id"
        )
        return {code: (kind, parent) for code, kind, parent in rows}

    def import_rows(self, rows: Sequence[UnitImport]) -> tuple[int, int]:
        """Insert new units and update existing ones, in the caller's unit of work.

        Rows come checked (workflow.units.check_unit_rows) and parents first."""
        sql = self.sql
        sql.serialize("unit")  # ids are allocated as MAX(id) + 1
        existing = {
            code: (uid, path)
            for code, uid, path in sql.execute("SELECT code, id, path FROM unit").fetchall()
        }
        next_id = (sql.execute("SELECT COALESCE(MAX(id), 0) FROM unit").fetchone()[0]) + 1
        inserts, updates = [], []
        for row in rows:
            contacts = dumps(row.contacts)
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
        sql.executemany(
            "INSERT INTO unit (id, code, name, kind, org_type, parent_id, path, "
            "member_count, contacts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            inserts,
        )
        sql.executemany(
            "UPDATE unit SET name = ?, kind = ?, org_type = ?, member_count = ?, "
            "contacts = ? WHERE code = ?",
            updates,
        )
        if inserts:
            sql.sync_sequence("unit", next_id - 1)
        return len(inserts), len(updates)

    def find(self, code: str) -> UnitRef:
        rows = self.sql.query(
            f"SELECT {UNIT_COLUMNS} FROM unit u LEFT JOIN unit p ON p.id = u.parent_id "
            "WHERE u.code = ?",
            (code,),
        )
        if not rows:
            raise NotFound(
                f"no unit with code {code!r}", msgid="error.unknown_unit", params={"unit": code}
            )
        return unit_ref(rows[0])

    def under(self, node: UnitRef | None) -> list[UnitRef]:
        where, params = subtree(node, "u.path")
        rows = self.sql.query(
            f"SELECT {UNIT_COLUMNS} FROM unit u LEFT JOIN unit p ON p.id = u.parent_id "
            f"WHERE u.ended_on IS NULL{where} ORDER BY u.path",
            params,
        )
        return [unit_ref(r) for r in rows]

    def ids_and_paths(self, codes: Sequence[str]) -> dict[str, tuple[int, str]]:
        """code -> (id, path) of the units found among `codes` (read in chunks of 500)."""
        units: dict[str, tuple[int, str]] = {}
        for start in range(0, len(codes), 500):
            chunk = padded(codes[start : start + 500])
            statement = self.sql.compiled(("unit.ids_and_paths", len(chunk)), _by_code, len(chunk))
            for code, unit_id, path in self.sql.run(statement, in_list("code", chunk)).fetchall():
                units[code] = (unit_id, path)
        return units

    def contacts(self, paths: set[str]) -> dict[int, UnitContact]:
        """Every unit on these paths (the units and their ancestors), with its contacts."""
        from workflow.notices import UnitContact  # the notices' code: only where they go out

        ids = sorted({int(part) for path in paths for part in path.strip("/").split("/")})
        found: dict[int, UnitContact] = {}
        for start in range(0, len(ids), 500):
            chunk = padded(ids[start : start + 500])
            statement = self.sql.compiled(("unit.contacts", len(chunk)), _contacts, len(chunk))
            for uid, code, name, path, contacts in self.sql.run(
                statement, in_list("id", chunk)
            ).fetchall():
                found[uid] = UnitContact(uid, code, name, path, json.loads(contacts))
        return found

    def committees(self, under: UnitRef | None) -> list[tuple[str, str, str]]:
        """(code, name, path) of every unit that has units under it, in the subtree."""
        below, params = subtree_positional(under, "u.path")
        parent_in, parent_params = subtree_positional(under, "p.path")
        return [
            (row[0], row[1], row[2])
            for row in self.sql.query(
                # the parents of the subtree's units, each found by primary key
                "SELECT DISTINCT p.code, p.name, p.path FROM unit u "
                f"JOIN unit p ON p.id = u.parent_id WHERE u.ended_on IS NULL{below}{parent_in} "
                "ORDER BY p.path",
                [*params, *parent_params],
            )
        ]


def _contacts(count: int) -> Select[Any]:
    """Units by id, `count` of them (an `IN` list), in id order."""
    from sqlalchemy import select  # lazy: start-up time (compiled.py)

    u = table("unit")
    return (
        select(u.c.id, u.c.code, u.c.name, u.c.path, u.c.contacts)
        .where(u.c.id.in_(marks("id", count)))
        .order_by(u.c.id)
    )


def _by_code(count: int) -> Select[Any]:
    """(code, id, path) of the units among `count` codes (an `IN` list)."""
    from sqlalchemy import select  # lazy: start-up time (compiled.py)

    u = table("unit")
    return select(u.c.code, u.c.id, u.c.path).where(u.c.code.in_(marks("code", count)))
