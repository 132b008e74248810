"""Evidence: the ratings register and the targets superiors set (commit c1d7f91).

Revision ID: 0002
Revises: 0001
Create Date: 2025-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("unit_path", sa.String(), nullable=False),
        sa.Column("member", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("admitted_on", sa.String(), nullable=True),
        sa.Column("level", sa.String(), nullable=True),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("rated_on", sa.String(), nullable=True),
        sa.Column("imported_at", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("year", "unit_id", "member", "stage"),
    )
    op.create_index("ix_rating_year_path", "rating", ["year", "unit_path"], unique=False)
    op.create_table(
        "target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("definition_id", sa.String(), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.Column("assigned_on", sa.String(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("at", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("year", "unit_id", "definition_id"),
    )


def downgrade() -> None:
    op.drop_table("target")
    op.drop_index("ix_rating_year_path", table_name="rating")
    op.drop_table("rating")
