"""Every table of the schema on SQLModel's one metadata: what the schema is made from
(`schema.create`, Alembic's autogenerate) and what the dynamic Core statements are built
on (compiled.table). Imported only there, never at start-up: SQLModel and the table
classes take about a third of a second to import, and the repositories run text SQL."""

from __future__ import annotations

from sqlmodel import SQLModel

from adapters.persistence import evidence_tables, meeting_tables, tables  # noqa: F401

METADATA = SQLModel.metadata
