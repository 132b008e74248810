"""A message parked with no recipient is readdressed by a retry (issue 16): its notices
are queued again to the contact the tree now holds, and the message keeps its row, marked
with the instant, so that it is neither counted as parked nor retried twice.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


#: a message parked with no recipient, not readdressed: the few the board lists
_UNADDRESSED = "channel = 'none' AND parked_at IS NOT NULL AND readdressed_at IS NULL"


def upgrade() -> None:
    op.add_column("outbox", sa.Column("readdressed_at", sa.String(), nullable=True))
    op.create_index(
        "ix_outbox_unaddressed", "outbox", ["id"],
        sqlite_where=sa.text(_UNADDRESSED), postgresql_where=sa.text(_UNADDRESSED),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_outbox_unaddressed", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("readdressed_at")
