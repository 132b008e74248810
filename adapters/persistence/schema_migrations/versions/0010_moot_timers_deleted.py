"""Timers that can no longer fire are deleted (issue 18 part 3): an unfired timer of a
deadline already met, or of a cycle in a final state. A transition deletes them itself
from now on (adapters.persistence.cycles); this removes those a store written before
left behind, which the tick would only have marked cancelled when they came due.

A fired timer stays (its notice names it). Nothing else changes: the audit chains do
not cover timers.

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# as workflow.notices drops them: every reminder, and an escalation that was not yet
# due when its deadline was met (or its cycle closed); one due before is still owed
_OF_MET_DEADLINES = (
    "DELETE FROM timer WHERE fired_at IS NULL AND cycle_id IS NOT NULL AND EXISTS ("
    "SELECT 1 FROM deadline d WHERE d.cycle_id = timer.cycle_id AND d.key = timer.deadline "
    "AND d.met_at IS NOT NULL AND (timer.kind = 'reminder' OR timer.due_at >= d.met_at))"
)
_OF_CLOSED_CYCLE = (
    "DELETE FROM timer WHERE fired_at IS NULL AND cycle_id IN (SELECT c.id FROM cycle c "
    "WHERE c.definition_id = :definition AND c.definition_version = :version "
    "AND c.state = :state AND (timer.kind = 'reminder' OR timer.due_at >= c.updated_at))"
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
    conn.execute(sa.text(_OF_MET_DEADLINES))
    finals = _final_states(conn)
    if finals:
        conn.execute(sa.text(_OF_CLOSED_CYCLE), finals)


def downgrade() -> None:
    """Deleted timers are not written back: none of them could have fired."""
