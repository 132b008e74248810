"""Evidence tables: the ratings register and the targets superiors set. They hold the
latest known values; every import or change is also a fact in the audit-event chain
(with the file's digest), so the history of the evidence stays verifiable."""

from __future__ import annotations

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class RatingRow(SQLModel, table=True):
    """One annual quality rating of a member, or (member "") of a unit itself, per stage."""

    __tablename__ = "rating"
    __table_args__ = (
        UniqueConstraint("year", "unit_id", "member", "stage"),
        Index("ix_rating_year_path", "year", "unit_path"),
    )
    id: int | None = Field(default=None, primary_key=True)
    year: int
    unit_id: int = Field(foreign_key="unit.id")
    #: copied from the unit so a subtree's ratings are one range read
    unit_path: str
    member: str = ""
    name: str = ""
    status: str = "active"  # active | exempt | suspended
    admitted_on: str | None = None  # ISO date
    level: str | None = None  # excellent | good | completed | not_completed; None: not yet
    stage: str  # provisional | final
    rated_on: str | None = None  # ISO date
    imported_at: str
    #: the 100-point score as the register gave it ("89.5"), where the year's scale is one
    #: (QĐ 366-QĐ/TW from 2025); `level` is then the level the score falls in
    score: str | None = None


class TargetRow(SQLModel, table=True):
    """A superior's target for a year: the share of its grassroots organisations to be
    recognised (seed 002: assigned before 31/01). Without one, the definition's applies."""

    __tablename__ = "target"
    __table_args__ = (UniqueConstraint("year", "unit_id", "definition_id"),)
    id: int | None = Field(default=None, primary_key=True)
    year: int
    unit_id: int = Field(foreign_key="unit.id")
    definition_id: str
    share: float
    assigned_on: str  # ISO date, the decision's date
    actor: str
    at: str
