"""The nation's board without a temporary b-tree or a cycle read per deadline (issues 12
and 18): a deadline carries its cycle's year and whether that cycle is closed; the
partial indexes of deadlines hold only those that can be late (unmet, of a cycle still
open); units are indexed by parent; on SQLite, cycles are indexed in the order the count
by state groups them.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LATE = "met_at IS NULL AND closed = 0"
_CLOSED = (
    "UPDATE deadline SET closed = 1 WHERE met_at IS NULL AND cycle_id IN (SELECT c.id "
    "FROM cycle c WHERE c.definition_id = :definition AND c.definition_version = :version "
    "AND c.state = :state)"
)


def _final_states(conn: sa.Connection) -> list[dict[str, object]]:
    """(definition, version, state) of every final state of the stored definitions."""
    found = []
    rows = conn.execute(sa.text("SELECT definition_id, version, resolved FROM definition"))
    for definition_id, version, resolved in rows:
        states = json.loads(resolved).get("states", {})
        for name, state in states.items():
            if isinstance(state, dict) and state.get("final"):
                found.append({"definition": definition_id, "version": version, "state": name})
    return found


def upgrade() -> None:
    conn = op.get_bind()
    op.add_column("deadline", sa.Column("year", sa.Integer(), nullable=True))
    op.add_column(
        "deadline", sa.Column("closed", sa.Integer(), nullable=False, server_default="0")
    )
    conn.execute(
        sa.text("UPDATE deadline SET year = (SELECT year FROM cycle WHERE id = deadline.cycle_id)")
    )
    finals = _final_states(conn)
    if finals:
        conn.execute(sa.text(_CLOSED), finals)
    # the open deadlines' index holds those of open cycles only, as the late one does
    op.drop_index("ix_deadline_open", table_name="deadline")
    op.create_index(
        "ix_deadline_open", "deadline", ["cycle_id", "due_at", "key"],
        sqlite_where=sa.text(_LATE), postgresql_where=sa.text(_LATE),
    )  # fmt: skip
    op.create_index(
        "ix_deadline_late", "deadline", ["year", "key", "due_at"],
        sqlite_where=sa.text(_LATE), postgresql_where=sa.text(_LATE),
    )  # fmt: skip
    op.create_index("ix_unit_parent_id", "unit", ["parent_id"])
    if conn.dialect.name == "sqlite":
        op.create_index(
            "ix_cycle_states", "cycle", ["year", "definition_id", "unit_kind", "state", "outcome"]
        )


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        op.drop_index("ix_cycle_states", table_name="cycle")
    op.drop_index("ix_unit_parent_id", table_name="unit")
    op.drop_index("ix_deadline_late", table_name="deadline")
    op.drop_index("ix_deadline_open", table_name="deadline")
    op.create_index(
        "ix_deadline_open", "deadline", ["cycle_id", "due_at", "key"],
        sqlite_where=sa.text("met_at IS NULL"), postgresql_where=sa.text("met_at IS NULL"),
    )  # fmt: skip
    with op.batch_alter_table("deadline") as batch:
        batch.drop_column("closed")
        batch.drop_column("year")
