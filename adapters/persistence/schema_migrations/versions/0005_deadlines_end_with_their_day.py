"""Deadlines end with their day (issue 17): "on or before D" is met up to the last instant
of D in Asia/Ho_Chi_Minh, no longer at 23:59:00. Due instants stored at the old default
(23:59 local, 16:59:00.000000Z) move to the end of their day (16:59:59.999999Z): a
cycle's deadlines, a committee's milestones and the deadline each pending or fired timer
refers to. The stored definitions lose the old default time of day, so that they resolve
as the files now do.

The audit trail (transition, notice, audit_event, delivery) is not touched: what was
recorded, and when, stays as it was; only what counts as late changes. A deadline a
definition gave another time of day ("17:00") keeps it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Vietnam keeps UTC+7 all year: 23:59 local is 16:59 UTC, the day ends at 16:59:59.999999
_OLD = "16:59:00.000000Z"
_NEW = "16:59:59.999999Z"
#: (table, column) of every stored deadline instant; timer.due_at is a reminder's own time
_INSTANTS = (("deadline", "due_at"), ("milestone", "due_at"), ("timer", "deadline_at"))
#: the old default as the stored resolved definitions spell it (compact JSON)
_OLD_TIME = '"time":"23:59"'
_NO_TIME = '"time":null'


def _move(old: str, new: str) -> None:
    for table, column in _INSTANTS:
        # the text is fixed width (workflow.timefmt.to_db): the time of day starts at 12
        op.execute(
            sa.text(
                f"UPDATE {table} SET {column} = substr({column}, 1, 11) || :new "
                f"WHERE substr({column}, 12) = :old"
            ).bindparams(old=old, new=new)
        )


def upgrade() -> None:
    _move(_OLD, _NEW)
    op.execute(
        sa.text("UPDATE definition SET resolved = replace(resolved, :old, :new)").bindparams(
            old=_OLD_TIME, new=_NO_TIME
        )
    )


def downgrade() -> None:
    _move(_NEW, _OLD)
    op.execute(
        sa.text("UPDATE definition SET resolved = replace(resolved, :old, :new)").bindparams(
            old=_NO_TIME, new=_OLD_TIME
        )
    )
