"""The meeting register, criterion 2 evidence (commit 50e294d).

Revision ID: 0003
Revises: 0002
Create Date: 2025-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("unit_path", sa.String(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("duration_min", sa.Integer(), nullable=False),
        sa.Column("present", sa.Integer(), nullable=False),
        sa.Column("absent_excused", sa.Integer(), nullable=False),
        sa.Column("absent_unexcused", sa.Integer(), nullable=False),
        sa.Column("speakers", sa.Integer(), nullable=False),
        sa.Column("absent_excused_ids", sa.String(), nullable=False),
        sa.Column("absent_unexcused_ids", sa.String(), nullable=False),
        sa.Column("source_sha256", sa.String(), nullable=False),
        sa.Column("imported_at", sa.String(), nullable=False),
        sa.Column("imported_by", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("unit_id", "held_on", "kind"),
    )
    op.create_index("ix_meeting_year_path", "meeting", ["year", "unit_path"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_meeting_year_path", table_name="meeting")
    op.drop_table("meeting")
