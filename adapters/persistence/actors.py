"""Actors: who may act, with which role, over which subtree, by which token (hashed)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from adapters.persistence.audit import SqlAudit
from adapters.persistence.sql import Sql
from workflow.access import Grant
from workflow.audit_registers import token_print
from workflow.errors import BontotError, NotFound
from workflow.timefmt import to_db


class SqlActors:
    def __init__(self, sql: Sql, audit: SqlAudit) -> None:
        self.sql = sql
        self.audit = audit

    def count(self) -> int:
        return int(self.sql.query("SELECT COUNT(*) FROM actor")[0][0])

    def lock_administration(self) -> None:
        """Make writers adding the first actor, or revoking an administrator, wait for
        each other, so that the one that comes second counts the first's row: an advisory
        lock on PostgreSQL; on SQLite a write that changes nothing takes the database's
        one write lock now."""
        found = self.sql.dialect.serialize("first_actor")
        if found is not None:
            self.sql.execute(*found)
        else:
            self.sql.execute("UPDATE actor SET name = name WHERE 1 = 0")

    def add(
        self, actors: Sequence[tuple[str, str, str, str | None, str]], at: datetime, by: str
    ) -> None:
        """(id, name, role, scope unit code or None, token hash) each, each addition in
        the audit trail; raises (and the caller's unit of work rolls back) on a bad one."""
        stamp = to_db(at)
        db = self.sql
        for actor_id, name, role, scope, token_hash in actors:
            scope_id, scope_path = None, None
            if scope is not None:
                found = db.execute(
                    "SELECT id, path FROM unit WHERE code = ?", (scope,)
                ).fetchone()
                if found is None:
                    raise NotFound(f"no unit with code {scope!r}")
                scope_id, scope_path = found
            if db.execute("SELECT 1 FROM actor WHERE id = ?", (actor_id,)).fetchone():
                raise BontotError(f"actor {actor_id!r} exists already")
            db.execute(
                "INSERT INTO actor (id, name, role, scope_unit_id, token_hash, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (actor_id, name, role, scope_id, token_hash, stamp),
            )
            self.audit.append(
                "actor_added", stamp, by, unit_code=scope, unit_path=scope_path, code=role,
                detail={"actor": actor_id, "name": name, "token": token_print(token_hash)},
            )

    def revoke(self, actor_id: str, at: datetime, by: str) -> bool:
        stamp = to_db(at)
        cursor = self.sql.execute(
            "UPDATE actor SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            (stamp, actor_id),
        )
        done = bool(cursor.rowcount == 1)
        if done:
            self.audit.append("actor_revoked", stamp, by, detail={"actor": actor_id})
        return done

    def find(self, actor_id: str) -> tuple[Grant, str] | None:
        """The actor's grant and token hash."""
        rows = self.sql.query(
            "SELECT a.id, a.role, u.code, u.path, a.revoked_at, a.token_hash FROM actor a "
            "LEFT JOIN unit u ON u.id = a.scope_unit_id WHERE a.id = ?",
            (actor_id,),
        )
        if not rows:
            return None
        r = rows[0]
        return Grant(r[0], r[1], r[2], r[3], r[4] is not None), r[5]

    def all(self) -> list[tuple[str, str, str, str | None, str, str | None]]:
        """(id, name, role, scope code, created at, revoked at) of every actor."""
        return [
            (r[0], r[1], r[2], r[3], r[4], r[5])
            for r in self.sql.query(
                "SELECT a.id, a.name, a.role, u.code, a.created_at, a.revoked_at FROM actor a "
                "LEFT JOIN unit u ON u.id = a.scope_unit_id ORDER BY a.id"
            )
        ]

    def set_password(self, actor_id: str, password_hash: str, at: datetime, by: str) -> bool:
        """An actor's password (its hash) set by an administrator, a fact of the trail."""
        stamp = to_db(at)
        cursor = self.sql.execute(
            "UPDATE actor SET password_hash = ? WHERE id = ?", (password_hash, actor_id)
        )
        done = bool(cursor.rowcount == 1)
        if done:
            self.audit.append(
                "actor_password_set", stamp, by,
                detail={"actor": actor_id, "password": token_print(password_hash)},
            )  # fmt: skip
        return done

    def password_hash(self, actor_id: str) -> str | None:
        rows = self.sql.query("SELECT password_hash FROM actor WHERE id = ?", (actor_id,))
        return str(rows[0][0]) if rows and rows[0][0] is not None else None

    def add_key(self, name: str, public_key: str, fingerprint: str, at: datetime, by: str) -> None:
        """An inspector's public key (hex), a fact of the trail; refused if the name or
        the key is registered already."""
        stamp = to_db(at)
        found = self.sql.query(
            "SELECT name FROM inspector_key WHERE name = ? OR fingerprint = ?", (name, fingerprint)
        )
        if found:
            raise BontotError(f"key {found[0][0]!r} is registered already (same name or key)")
        self.sql.execute(
            "INSERT INTO inspector_key (name, public_key, fingerprint, added_at, added_by) "
            "VALUES (?, ?, ?, ?, ?)",
            (name, public_key, fingerprint, stamp, by),
        )
        self.audit.append(
            "inspector_key_added", stamp, by,
            detail={"key": name, "public_key": public_key, "fingerprint": fingerprint},
        )  # fmt: skip

    def revoke_key(self, name: str, at: datetime, by: str) -> bool:
        stamp = to_db(at)
        cursor = self.sql.execute(
            "UPDATE inspector_key SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
            (stamp, name),
        )
        done = bool(cursor.rowcount == 1)
        if done:
            self.audit.append("inspector_key_revoked", stamp, by, detail={"key": name})
        return done

    def inspector_keys(self) -> list[tuple[str, str, str, str, str, str | None]]:
        """(name, public key hex, fingerprint, added at, added by, revoked at) of each key."""
        return [
            (r[0], r[1], r[2], r[3], r[4], r[5])
            for r in self.sql.query(
                "SELECT name, public_key, fingerprint, added_at, added_by, revoked_at "
                "FROM inspector_key ORDER BY name"
            )
        ]
