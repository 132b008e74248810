"""The schema, declared with SQLModel. Instants are UTC text (see workflow.timefmt) so they
sort as time on every backend; JSON is text so SQLite and PostgreSQL store it alike."""

from __future__ import annotations

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class DefinitionRow(SQLModel, table=True):
    __tablename__ = "definition"
    __table_args__ = (UniqueConstraint("definition_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    definition_id: str
    version: int
    content_hash: str
    filename: str
    resolved: str  # the resolved definition as JSON: cycles are decided by what they opened with
    registered_at: str


class UnitRow(SQLModel, table=True):
    __tablename__ = "unit"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True)
    name: str
    kind: str
    org_type: str
    parent_id: int | None = Field(default=None, foreign_key="unit.id")
    #: materialised path of ids, "/1/5/23/": a subtree is a range of paths, at any depth
    path: str = Field(index=True)
    member_count: int = 0
    contacts: str = "{}"


class CycleRow(SQLModel, table=True):
    __tablename__ = "cycle"
    __table_args__ = (
        UniqueConstraint("unit_id", "year", "definition_id"),
        Index("ix_cycle_year_path", "year", "unit_path"),
    )
    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    #: copied from the unit so board queries need no join
    unit_path: str
    unit_kind: str
    year: int
    definition_id: str
    definition_version: int
    content_hash: str
    state: str
    outcome: str | None = None
    facts: str = "{}"
    #: row version: every change increments it; a write that expected another is refused
    version: int
    opened_at: str
    updated_at: str


class TransitionRow(SQLModel, table=True):
    """The audit trail: one row per applied event, including the cycle's opening."""

    __tablename__ = "transition"
    __table_args__ = (UniqueConstraint("cycle_id", "seq"),)
    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id")
    seq: int
    event: str
    from_state: str | None = None
    to_state: str
    actor: str
    role: str
    at: str
    payload: str = "{}"
    checks: str = "[]"
    definition_id: str
    definition_version: int


class DeadlineRow(SQLModel, table=True):
    """A cycle's deadline and when it was met. Looked up by cycle only (overdue counts go
    through the cycles of a subtree): no index on due_at, so meeting a deadline writes
    one page fewer per transition. Reminders and escalations get their own timer rows."""

    __tablename__ = "deadline"
    __table_args__ = (
        UniqueConstraint("cycle_id", "key"),
    )
    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id")
    key: str
    due_at: str
    met_at: str | None = None
