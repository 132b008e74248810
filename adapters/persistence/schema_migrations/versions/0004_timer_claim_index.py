"""The pending-timer index ends with id (commit bb5bbd0): a claim's `ORDER BY due_at, id
LIMIT n` then reads it in order on PostgreSQL instead of sorting every pending timer that
shares a due instant (a whole nation's reminder).

Revision ID: 0004
Revises: 0003
Create Date: 2025-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PENDING = "fired_at IS NULL AND cancelled_at IS NULL"


def _pending_index(columns: list[str]) -> None:
    op.create_index(
        "ix_timer_pending",
        "timer",
        columns,
        unique=False,
        sqlite_where=sa.text(_PENDING),
        postgresql_where=sa.text(_PENDING),
    )


def upgrade() -> None:
    op.drop_index("ix_timer_pending", table_name="timer")
    _pending_index(["due_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_timer_pending", table_name="timer")
    _pending_index(["due_at"])
