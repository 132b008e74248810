"""Adopting a definition version: stored once, refused if its content changed."""

from __future__ import annotations

from datetime import datetime

from workflow.audit_registers import content_print
from workflow.errors import BontotError
from workflow.service.ports import UnitOfWork
from workflow.spec.registry import Definition


class DefinitionConflict(BontotError):
    """A definition's content changed without a new version number."""


def save_definition(uow: UnitOfWork, definition: Definition, at: datetime) -> None:
    """Store a definition version once; raise DefinitionConflict if the version stored
    has other content."""
    spec = definition.spec
    stored = uow.definitions.stored(spec.id, spec.version)
    if stored is not None:
        # Compare content, not the stored string: a hash made by an earlier release
        # (before new schema fields with defaults) must not read as a change.
        stored_hash, kept = stored
        if definition.content_hash not in (stored_hash, kept.content_hash):
            raise DefinitionConflict(
                f"{definition.filename}: definition {spec.id!r} version {spec.version} "
                f"differs from the one already in use (stored {stored_hash[:12]}, "
                f"file {definition.content_hash[:12]}); give the change a new version"
            )
        return
    with uow:
        added = uow.definitions.add(definition, at)
        if added:  # what `audit verify` holds the stored version to
            uow.audit.append(
                "definition_saved", at, "system",
                detail={
                    "definition": spec.id, "version": spec.version,
                    "content_hash": definition.content_hash,
                    "content": content_print(definition.resolved()),
                },
            )  # fmt: skip
        uow.commit()
    if not added:  # another process saved it since our read: compare with theirs
        save_definition(uow, definition, at)
