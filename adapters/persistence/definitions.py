"""Definitions as stored (each version's resolved content, kept forever) and the
installation's id."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import datetime

from adapters.persistence.rows import dumps
from adapters.persistence.sql import Sql
from workflow.errors import NotFound
from workflow.spec.registry import Definition, definition_from_resolved
from workflow.timefmt import to_db

_INSTALLATION = "SELECT value FROM meta WHERE key = 'installation'"

#: definitions already rebuilt in this process, by their exact stored text: validating
#: one builds pydantic's schema (tens of ms) and a web server loads them per request.
#: The catalog's cache seeds it with the texts of the shipped definitions (`remember`).
#: Keyed by the whole text, so that a stored row that differs by one byte is validated
#: afresh, as verification needs.
_KNOWN: dict[str, Definition] = {}
_KNOWN_MOST = 256


def stored_text(definition: Definition) -> str:
    """The `resolved` column's text of `definition`, as `register` writes it."""
    return dumps(definition.resolved())


def remember(text: str, definition: Definition) -> None:
    """`definition` is what `text` (a stored `resolved` column) validates to."""
    if len(_KNOWN) >= _KNOWN_MOST:
        _KNOWN.clear()
    _KNOWN[text] = definition


def _rebuilt(text: str, filename: str) -> Definition:
    known = _KNOWN.get(text)
    if known is None:
        known = definition_from_resolved(json.loads(text), filename)
        remember(text, known)
    return known if known.filename == filename else replace(known, filename=filename)


class SqlDefinitions:
    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    def installation_id(self) -> str | None:
        rows = self.sql.query(_INSTALLATION)
        return str(rows[0][0]) if rows else None

    def add_installation_id(self) -> None:
        """A random id of this database; the first one written is kept."""
        self.sql.execute(
            "INSERT INTO meta (key, value) VALUES ('installation', ?) "
            "ON CONFLICT (key) DO NOTHING",
            (uuid.uuid4().hex[:12],),
        )

    def stored(self, definition_id: str, version: int) -> tuple[str, Definition] | None:
        """(content hash as stored, the stored definition) of one version, if saved."""
        rows = self.sql.query(
            "SELECT content_hash, resolved FROM definition WHERE definition_id = ? "
            "AND version = ?",
            (definition_id, version),
        )
        if not rows:
            return None
        return str(rows[0][0]), _rebuilt(rows[0][1], "<stored>")

    def add(self, definition: Definition, at: datetime) -> bool:
        """Insert a version; False when another process saved it first."""
        spec = definition.spec
        cursor = self.sql.execute(
            "INSERT INTO definition (definition_id, version, content_hash, filename, "
            "resolved, registered_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (definition_id, version) DO NOTHING",
            (
                spec.id,
                spec.version,
                definition.content_hash,
                definition.filename,
                stored_text(definition),
                to_db(at),
            ),
        )
        return bool(cursor.rowcount != 0)

    def load(self, definition_id: str, version: int | None) -> Definition:
        """A stored version; None means the newest."""
        if version is None:
            rows = self.sql.query(
                "SELECT resolved, filename FROM definition WHERE definition_id = ? "
                "ORDER BY version DESC LIMIT 1",
                (definition_id,),
            )
        else:
            rows = self.sql.query(
                "SELECT resolved, filename FROM definition WHERE definition_id = ? AND version = ?",
                (definition_id, version),
            )
        if not rows:
            raise NotFound(f"definition {definition_id!r} version {version} is not in the database")
        return _rebuilt(rows[0][0], rows[0][1])
