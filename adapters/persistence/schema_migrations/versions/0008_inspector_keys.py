"""Inspectors' keys and passwords: the register of inspectors' Ed25519 public keys that
sign anchors (issue 13), and an actor's password hash for the web's log-in (issue 12).
Both are checked against the audit-event chain like the other registers. And the note of
a failed storage check on PostgreSQL (`storage_damage`), which refuses writes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("actor", sa.Column("password_hash", sa.String(), nullable=True))
    op.create_table(
        "inspector_key",
        sa.Column("name", sa.String(), primary_key=True),
        sa.Column("public_key", sa.String(), nullable=False),
        sa.Column("fingerprint", sa.String(), nullable=False, unique=True),
        sa.Column("added_at", sa.String(), nullable=False),
        sa.Column("added_by", sa.String(), nullable=False),
        sa.Column("revoked_at", sa.String(), nullable=True),
    )
    op.create_table(
        "storage_damage",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("found_at", sa.String(), nullable=False),
        sa.Column("findings", sa.String(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("storage_damage")
    op.drop_table("inspector_key")
    with op.batch_alter_table("actor") as batch:
        batch.drop_column("password_hash")
