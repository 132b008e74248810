"""The meeting register (criterion 2 evidence), imported from the e-handbook's export.

One row per meeting of a unit, unique on (unit, date, kind): re-importing a file changes
nothing, a corrected export overwrites the meetings it lists, and monthly exports add up.
"""

from __future__ import annotations

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class MeetingRow(SQLModel, table=True):
    __tablename__ = "meeting"
    __table_args__ = (
        UniqueConstraint("unit_id", "held_on", "kind"),
        Index("ix_meeting_year_path", "year", "unit_path"),
    )
    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    #: copied from the unit so a subtree's meetings need no join
    unit_path: str
    year: int
    held_on: str  # yyyy-mm-dd: sorts as time
    kind: str  # regular | thematic | combined
    duration_min: int
    present: int
    absent_excused: int
    absent_unexcused: int
    speakers: int
    absent_excused_ids: str = "[]"  # JSON list of member ids
    absent_unexcused_ids: str = "[]"
    #: the file the row last came from, and when and by whom it was imported
    source_sha256: str
    imported_at: str
    imported_by: str
