"""The timer's cycle and milestone indexes hold only the rows they find (issue 11's bar,
issue 18 part 2): a cycle's timer has no milestone and a milestone's no cycle, so every
timer sat in one index for nothing, a b-tree page more to write when a fired event
deletes its met deadline's timers. Queries look a timer up by `cycle_id = ?` or
`milestone_id = ?`, which imply the indexes' `IS NOT NULL` on SQLite and PostgreSQL.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CYCLE = "cycle_id IS NOT NULL"
_MILESTONE = "milestone_id IS NOT NULL"


def upgrade() -> None:
    op.drop_index("ix_timer_cycle", table_name="timer")
    op.drop_index("ix_timer_milestone", table_name="timer")
    op.create_index(
        "ix_timer_cycle", "timer", ["cycle_id", "deadline"],
        sqlite_where=sa.text(_CYCLE), postgresql_where=sa.text(_CYCLE),
    )  # fmt: skip
    op.create_index(
        "ix_timer_milestone", "timer", ["milestone_id"],
        sqlite_where=sa.text(_MILESTONE), postgresql_where=sa.text(_MILESTONE),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_timer_milestone", table_name="timer")
    op.drop_index("ix_timer_cycle", table_name="timer")
    op.create_index("ix_timer_cycle", "timer", ["cycle_id", "deadline"], unique=False)
    op.create_index("ix_timer_milestone", "timer", ["milestone_id"], unique=False)
