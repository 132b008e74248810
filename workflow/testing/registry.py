"""The twins of the definitions, units, actors and registers repositories
(adapters/persistence/definitions.py, units.py, actors.py, registers.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from workflow.access import Grant
from workflow.audit_registers import rating_fact, token_print
from workflow.errors import BontotError, NotFound
from workflow.evidence.ratings import RatingRecord
from workflow.notices import UnitContact
from workflow.service.records import UnitRef
from workflow.spec.registry import Definition, definition_from_resolved
from workflow.testing.audit import MemoryAudit
from workflow.testing.tables import Row, Session, change, dumps, in_subtree, index_add, unit_ref
from workflow.timefmt import to_db
from workflow.tree import subtree_bounds
from workflow.units import UnitImport


class MemoryDefinitions:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.tables = session.tables

    def installation_id(self) -> str | None:
        return self.tables.meta.get("installation")

    def add_installation_id(self) -> None:
        self.session.writing().meta.setdefault("installation", uuid.uuid4().hex[:12])

    def stored(self, definition_id: str, version: int) -> tuple[str, Definition] | None:
        row = self.tables.definitions.get((definition_id, version))
        if row is None:
            return None
        return str(row["content_hash"]), definition_from_resolved(json.loads(row["resolved"]))

    def add(self, definition: Definition, at: datetime) -> bool:
        tables = self.session.writing()
        spec = definition.spec
        if (spec.id, spec.version) in tables.definitions:
            return False
        tables.definitions[(spec.id, spec.version)] = {
            "content_hash": definition.content_hash,
            "filename": definition.filename,
            "resolved": dumps(definition.resolved()),
            "registered_at": to_db(at),
        }
        return True

    def load(self, definition_id: str, version: int | None) -> Definition:
        versions = [v for i, v in self.tables.definitions if i == definition_id]
        wanted = max(versions, default=None) if version is None else version
        row = self.tables.definitions.get((definition_id, wanted)) if wanted else None
        if row is None:
            raise NotFound(f"definition {definition_id!r} version {version} is not in the database")
        return definition_from_resolved(json.loads(row["resolved"]), row["filename"])


class MemoryUnits:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.tables = session.tables

    def parents(self) -> dict[str, tuple[str, str | None]]:
        return {ref.code: (ref.kind, ref.parent_code) for ref in self.under(None)}

    def import_rows(self, rows: Sequence[UnitImport]) -> tuple[int, int]:
        tables = self.session.writing()
        next_id = max(tables.units, default=0) + 1
        inserted, updated = 0, 0
        for row in rows:
            contacts = dumps(row.contacts)
            found = tables.unit_ids.get(row.code)
            if found is not None:
                change(
                    tables.units, found, name=row.name, kind=row.kind, org_type=row.org_type,
                    member_count=row.member_count, contacts=contacts,
                )
                updated += 1
                continue
            parent = tables.units[tables.unit_ids[row.parent_code]] if row.parent_code else None
            tables.units[next_id] = {
                "id": next_id, "code": row.code, "name": row.name, "kind": row.kind,
                "org_type": row.org_type, "parent_id": parent["id"] if parent else None,
                "path": (parent["path"] if parent else "/") + f"{next_id}/",
                "member_count": row.member_count, "contacts": contacts,
            }
            tables.unit_ids[row.code] = next_id
            if parent is not None:
                index_add(tables.children, parent["id"], next_id)
            next_id += 1
            inserted += 1
        return inserted, updated

    def find(self, code: str) -> UnitRef:
        unit_id = self.tables.unit_ids.get(code)
        if unit_id is None:
            raise NotFound(
                f"no unit with code {code!r}", msgid="error.unknown_unit", params={"unit": code}
            )
        return unit_ref(self.tables, self.tables.units[unit_id])

    def under(self, node: UnitRef | None) -> list[UnitRef]:
        rows = sorted(
            (u for u in self.tables.units.values() if in_subtree(node, u["path"])),
            key=lambda u: u["path"],
        )
        return [unit_ref(self.tables, u) for u in rows]

    def ids_and_paths(self, codes: Sequence[str]) -> dict[str, tuple[int, str]]:
        found = {}
        for code in codes:
            unit_id = self.tables.unit_ids.get(code)
            if unit_id is not None:
                found[code] = (unit_id, str(self.tables.units[unit_id]["path"]))
        return found

    def contacts(self, paths: set[str]) -> dict[int, UnitContact]:
        ids = sorted({int(part) for path in paths for part in path.strip("/").split("/")})
        return {
            u["id"]: UnitContact(
                u["id"], u["code"], u["name"], u["path"], json.loads(u["contacts"])
            )
            for u in (self.tables.units[i] for i in ids if i in self.tables.units)
        }

    def committees(self, under: UnitRef | None) -> list[tuple[str, str, str]]:
        parents = {
            u["parent_id"]
            for u in self.tables.units.values()
            if u["parent_id"] is not None and in_subtree(under, u["path"])
        }
        found = {
            (p["code"], p["name"], p["path"])
            for p in (self.tables.units[i] for i in parents)
            if in_subtree(under, p["path"])
        }
        return sorted(found, key=lambda row: row[2])


class MemoryActors:
    def __init__(self, session: Session, audit: MemoryAudit) -> None:
        self.session = session
        self.tables = session.tables
        self.audit = audit

    def count(self) -> int:
        return len(self.tables.actors)

    def lock_administration(self) -> None:
        """One process, one writer at a time: nothing to wait for."""

    def add(
        self, actors: Sequence[tuple[str, str, str, str | None, str]], at: datetime, by: str
    ) -> None:
        tables, stamp = self.session.writing(), to_db(at)
        for actor_id, name, role, scope, token_hash in actors:
            scope_id, scope_path = None, None
            if scope is not None:
                found = tables.unit_ids.get(scope)
                if found is None:
                    raise NotFound(f"no unit with code {scope!r}")
                scope_id, scope_path = found, tables.units[found]["path"]
            if actor_id in tables.actors:
                raise BontotError(f"actor {actor_id!r} exists already")
            tables.actors[actor_id] = {
                "id": actor_id, "name": name, "role": role, "scope_unit_id": scope_id,
                "token_hash": token_hash, "created_at": stamp, "revoked_at": None,
            }
            self.audit.append(
                "actor_added", stamp, by, unit_code=scope, unit_path=scope_path, code=role,
                detail={"actor": actor_id, "name": name, "token": token_print(token_hash)},
            )

    def revoke(self, actor_id: str, at: datetime, by: str) -> bool:
        tables, stamp = self.session.writing(), to_db(at)
        actor = tables.actors.get(actor_id)
        if actor is None or actor["revoked_at"] is not None:
            return False
        change(tables.actors, actor_id, revoked_at=stamp)
        self.audit.append("actor_revoked", stamp, by, detail={"actor": actor_id})
        return True

    def set_password(self, actor_id: str, password_hash: str, at: datetime, by: str) -> bool:
        tables = self.session.writing()
        if actor_id not in tables.actors:
            return False
        change(tables.actors, actor_id, password_hash=password_hash)
        self.audit.append(
            "actor_password_set", to_db(at), by,
            detail={"actor": actor_id, "password": token_print(password_hash)},
        )  # fmt: skip
        return True

    def password_hash(self, actor_id: str) -> str | None:
        actor = self.tables.actors.get(actor_id)
        return None if actor is None else actor.get("password_hash")

    def add_key(self, name: str, public_key: str, fingerprint: str, at: datetime, by: str) -> None:
        tables, stamp = self.session.writing(), to_db(at)
        for known in tables.inspector_keys.values():
            if known["name"] == name or known["fingerprint"] == fingerprint:
                raise BontotError(f"key {known['name']!r} is registered already (same name or key)")
        tables.inspector_keys[name] = {
            "name": name,
            "public_key": public_key,
            "fingerprint": fingerprint,
            "added_at": stamp,
            "added_by": by,
            "revoked_at": None,
        }
        self.audit.append(
            "inspector_key_added", stamp, by,
            detail={"key": name, "public_key": public_key, "fingerprint": fingerprint},
        )  # fmt: skip

    def revoke_key(self, name: str, at: datetime, by: str) -> bool:
        tables, stamp = self.session.writing(), to_db(at)
        key = tables.inspector_keys.get(name)
        if key is None or key["revoked_at"] is not None:
            return False
        change(tables.inspector_keys, name, revoked_at=stamp)
        self.audit.append("inspector_key_revoked", stamp, by, detail={"key": name})
        return True

    def inspector_keys(self) -> list[tuple[str, str, str, str, str, str | None]]:
        return [
            (
                k["name"],
                k["public_key"],
                k["fingerprint"],
                k["added_at"],
                k["added_by"],
                k["revoked_at"],
            )
            for _, k in sorted(self.tables.inspector_keys.items())
        ]

    def _scope(self, actor: Row) -> Row | None:
        scope_id = actor["scope_unit_id"]
        return None if scope_id is None else self.tables.units.get(scope_id)

    def find(self, actor_id: str) -> tuple[Grant, str] | None:
        actor = self.tables.actors.get(actor_id)
        if actor is None:
            return None
        scope = self._scope(actor)
        grant = Grant(
            actor["id"], actor["role"], scope["code"] if scope else None,
            scope["path"] if scope else None, actor["revoked_at"] is not None,
        )
        return grant, str(actor["token_hash"])

    def all(self) -> list[tuple[str, str, str, str | None, str, str | None]]:
        found = []
        for actor_id in sorted(self.tables.actors):
            a = self.tables.actors[actor_id]
            scope = self._scope(a)
            found.append((
                a["id"], a["name"], a["role"], scope["code"] if scope else None,
                a["created_at"], a["revoked_at"],
            ))
        return found


def _record(code: str, r: Row) -> RatingRecord:
    return RatingRecord(
        unit_code=code, member=r["member"], name=r["name"], status=r["status"],
        admitted_on=date.fromisoformat(r["admitted_on"]) if r["admitted_on"] else None,
        level=r["level"], stage=r["stage"],
        rated_on=date.fromisoformat(r["rated_on"]) if r["rated_on"] else None,
        score=r.get("score"),
    )


class MemoryRegisters:
    def __init__(self, session: Session, audit: MemoryAudit, units: MemoryUnits) -> None:
        self.session = session
        self.tables = session.tables
        self.audit = audit
        self.units = units

    def import_ratings(
        self,
        year: int,
        records: Sequence[RatingRecord],
        units: dict[str, tuple[int, str]],
        at: datetime,
        actor: str,
        detail: dict[str, Any],
    ) -> tuple[int, int]:
        tables, at_text = self.session.writing(), to_db(at)
        updated = 0
        for r in records:
            unit_id, unit_path = units[r.unit_code]
            values = {
                "name": r.name, "status": r.status,
                "admitted_on": r.admitted_on.isoformat() if r.admitted_on else None,
                "level": r.level, "rated_on": r.rated_on.isoformat() if r.rated_on else None,
                "imported_at": at_text, "score": r.score,
            }
            key = (year, unit_id, r.member, r.stage)
            if key in tables.ratings:
                change(tables.ratings, key, **values)
                updated += 1
            else:
                tables.ratings[key] = {
                    "unit_id": unit_id, "unit_path": unit_path, "member": r.member,
                    "stage": r.stage, **values,
                }
                index_add(tables.ratings_of, (year, unit_id), key)
        self.audit.append(
            "ratings_imported", at_text, actor, year=year,
            detail={
                **detail, "rows": len(records), "updated": updated,
                "records": [rating_fact(r) for r in records],
            },
        )
        return len(records) - updated, updated

    def _code(self, unit_id: int) -> str:
        return str(self.tables.units[unit_id]["code"])

    def rating_register(self, unit_code: str, year: int, cells: bool = True) -> dict[str, Any]:
        unit = self.units.find(unit_code)
        lo, hi = subtree_bounds(unit.path)
        tables = self.tables
        below = tables.children.get(unit.id, ()) if cells else ()
        children = {
            u["id"]: u["code"] for u in (tables.units[i] for i in below) if lo < u["path"] < hi
        }
        # the unit's own rows by member and stage, then its cells' own by code and stage
        own = sorted(tables.ratings_of.get((year, unit.id), ()), key=lambda k: (k[2], k[3]))
        rows = [tables.ratings[k] for k in own]
        rows += sorted(
            (
                r
                for child in children
                for r in (tables.ratings[k] for k in tables.ratings_of.get((year, child), ()))
                if r["member"] == "" and lo < r["unit_path"] < hi
            ),
            key=lambda r: (children[r["unit_id"]], r["stage"]),
        )
        return {
            "unit": unit_code,
            "org_type": unit.org_type,
            "records": [_record(self._code(r["unit_id"]), r) for r in rows],
            "cells": sorted(children.values()),
        }

    def ratings_under(self, under: UnitRef | None, year: int) -> list[RatingRecord]:
        rows = [
            _record(self._code(r["unit_id"]), r)
            for k, r in self.tables.ratings.items()
            if k[0] == year and in_subtree(under, r["unit_path"])
        ]
        return sorted(rows, key=lambda r: (r.unit_code, r.member, r.stage))

    def set_target(
        self,
        year: int,
        unit: UnitRef,
        definition_id: str,
        share: float,
        assigned_on: date,
        at: datetime,
        actor: str,
    ) -> None:
        tables, at_text = self.session.writing(), to_db(at)
        tables.targets[(year, unit.id, definition_id)] = {
            "share": share, "assigned_on": assigned_on.isoformat(), "actor": actor, "at": at_text,
        }
        self.audit.append(
            "target_set", at_text, actor, unit_code=unit.code, unit_path=unit.path, year=year,
            detail={
                "definition": definition_id, "share": share,
                "assigned_on": assigned_on.isoformat(),
            },
        )

    def targets(self, year: int) -> dict[tuple[str, str], tuple[float, date]]:
        return {
            (self._code(unit_id), definition_id): (
                float(t["share"]), date.fromisoformat(t["assigned_on"])
            )
            for (y, unit_id, definition_id), t in self.tables.targets.items()
            if y == year
        }
