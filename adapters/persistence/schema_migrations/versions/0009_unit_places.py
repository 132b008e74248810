"""The tree reorganises (issue 17): a unit's place (code, parent, path) is kept from one
reorganisation to the next in `unit_place`, and a unit merged away or dissolved keeps
its row with the day it ended. Nothing else changes: units untouched by a
reorganisation have no place rows and stand where they stand.

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("unit", sa.Column("ended_on", sa.String(), nullable=True))
    op.create_table(
        "unit_place",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("unit.id"), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("parent_code", sa.String(), nullable=True),
        sa.Column("path", sa.String(), nullable=False),
        sa.Column("valid_from", sa.String(), nullable=True),
        sa.Column("valid_until", sa.String(), nullable=True),
        sa.Column("decision", sa.String(), nullable=True),
    )
    op.create_index("ix_unit_place_unit", "unit_place", ["unit_id", "valid_until"])


def downgrade() -> None:
    op.drop_index("ix_unit_place_unit", "unit_place")
    op.drop_table("unit_place")
    with op.batch_alter_table("unit") as batch:
        batch.drop_column("ended_on")
