"""Notices chained per unit (workflow.audit_notices), so that tick workers never lock
the whole notice table: each notice gets its place in its unit's chain (`chain_seq`),
and `notice_chain` keeps each unit's head. Notices written before stay in the global
chain they were written in (no `chain_seq`) and verify as before.

The board's overdue counts read only open deadlines: a partial index on them
(`ix_deadline_open`, see tables.DeadlineRow).

Revision ID: 0011
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("notice", sa.Column("chain_seq", sa.Integer(), nullable=True))
    op.create_table(
        "notice_chain",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("head", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.PrimaryKeyConstraint("unit_id"),
    )
    op.create_index(
        "ix_deadline_open",
        "deadline",
        ["cycle_id", "due_at", "key"],
        unique=False,
        sqlite_where=sa.text("met_at IS NULL"),
        postgresql_where=sa.text("met_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_deadline_open", table_name="deadline")
    op.drop_table("notice_chain")
    with op.batch_alter_table("notice") as batch:
        batch.drop_column("chain_seq")
