"""Everything that decides is history: a database made before it has actors, units,
stored definitions, ratings and targets no fact of the audit-event chain holds the
values of. This revision chains what it holds today as one dated `baseline` fact, from
which `audit verify` replays (workflow.audit_registers); later changes are facts of
their own. Nothing else changes: the rows are not touched.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from adapters.clock import SystemClock
from adapters.persistence.audit import REGISTER_QUERIES
from workflow.audit_hashing import GENESIS, canonical_json, link
from workflow.audit_registers import baseline_detail
from workflow.timefmt import to_db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


#: the registers as this revision's schema holds them (later revisions add columns and
#: tables that are not there yet when it runs)
_REGISTERS_THEN = {
    **{name: REGISTER_QUERIES[name] for name in ("definition", "target")},
    "unit": "SELECT u.code, u.kind, p.code, u.path FROM unit u "
    "LEFT JOIN unit p ON p.id = u.parent_id ORDER BY u.code",
    "actor": "SELECT a.id, a.name, a.role, u.code, a.revoked_at, a.token_hash FROM actor a "
    "LEFT JOIN unit u ON u.id = a.scope_unit_id ORDER BY a.id",
    "rating": "SELECT r.year, u.code, r.member, r.stage, r.name, r.status, r.admitted_on, "
    "r.level, r.rated_on, r.score FROM rating r JOIN unit u ON u.id = r.unit_id",
}


def upgrade() -> None:
    connection = op.get_bind()
    rows = {
        name: [tuple(r) for r in connection.exec_driver_sql(sql).fetchall()]
        for name, sql in _REGISTERS_THEN.items()
    }
    if not any(rows.values()):
        return  # nothing to vouch for: an empty database starts its history with its facts
    if connection.dialect.name == "postgresql":  # appends to the chain are serialised
        connection.exec_driver_sql("LOCK TABLE audit_event IN EXCLUSIVE MODE")
    last = connection.exec_driver_sql(
        "SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1"
    ).fetchone()
    new_id = int(last[0]) + 1 if last else 1
    values = (
        to_db(SystemClock().now()), "baseline", None, None, None, None, None, "system", None,
        None, canonical_json(baseline_detail(rows)),
    )
    digest = link(str(last[1]) if last else GENESIS, values)
    mark = "?" if connection.dialect.name == "sqlite" else "%s"
    marks = ", ".join(mark for _ in range(13))
    connection.exec_driver_sql(
        "INSERT INTO audit_event (id, at, kind, unit_code, unit_path, cycle_id, year, event, "
        f"actor, role, code, detail, hash) VALUES ({marks})",
        (new_id, *values, digest),
    )
    if connection.dialect.name == "postgresql":  # an id of our own: the sequence past it
        connection.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('audit_event', 'id'), {new_id})"
        )


def downgrade() -> None:
    pass  # the chain is append-only: its baseline stays
