"""Baseline: the schema of release 7a2cb4e, the last one made by `create_all` alone.

A database made by that release (tables, no alembic_version) is recognised and stamped
at this revision before it is upgraded (adapters.persistence.schema). Frozen: written
from that release's metadata, it must not follow later changes of the tables.

Revision ID: 0001
Revises:
Create Date: 2025-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from adapters.persistence.db import append_only_triggers

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: the audit tables of 7a2cb4e: the database refuses UPDATE and DELETE on them
APPEND_ONLY = ("transition", "notice", "audit_event", "delivery")


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("unit_code", sa.String(), nullable=True),
        sa.Column("unit_path", sa.String(), nullable=True),
        sa.Column("cycle_id", sa.Integer(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("event", sa.String(), nullable=True),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=True),
        sa.Column("code", sa.String(), nullable=True),
        sa.Column("detail", sa.String(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_event_unit", "audit_event", ["unit_code"], unique=False)
    op.create_table(
        "definition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("definition_id", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.Column("filename", sa.String(), nullable=False),
        sa.Column("resolved", sa.String(), nullable=False),
        sa.Column("registered_at", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("definition_id", "version"),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("recipient_role", sa.String(), nullable=False),
        sa.Column("lang", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("data", sa.String(), nullable=False),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.String(), nullable=False),
        sa.Column("lease_until", sa.String(), nullable=True),
        sa.Column("leased_by", sa.String(), nullable=True),
        sa.Column("sent_at", sa.String(), nullable=True),
        sa.Column("parked_at", sa.String(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["next_attempt_at"],
        unique=False,
        sqlite_where=sa.text("sent_at IS NULL AND parked_at IS NULL"),
        postgresql_where=sa.text("sent_at IS NULL AND parked_at IS NULL"),
    )
    op.create_table(
        "unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("org_type", sa.String(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("path", sa.String(), nullable=False),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("contacts", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["unit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index(op.f("ix_unit_path"), "unit", ["path"], unique=False)
    op.create_table(
        "actor",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("scope_unit_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(), nullable=False),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.Column("revoked_at", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["scope_unit_id"],
            ["unit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "cycle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("unit_path", sa.String(), nullable=False),
        sa.Column("unit_kind", sa.String(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("definition_id", sa.String(), nullable=False),
        sa.Column("definition_version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=True),
        sa.Column("facts", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(), nullable=False),
        sa.Column("opened_at", sa.String(), nullable=False),
        sa.Column("updated_at", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("unit_id", "year", "definition_id"),
    )
    op.create_index("ix_cycle_year_path", "cycle", ["year", "unit_path"], unique=False)
    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.String(), nullable=False),
        sa.Column("worker", sa.String(), nullable=False),
        sa.Column("result", sa.String(), nullable=False),
        sa.Column("detail", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_delivery_outbox", "delivery", ["outbox_id"], unique=False)
    op.create_table(
        "milestone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("unit_path", sa.String(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("definition_id", sa.String(), nullable=False),
        sa.Column("definition_version", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("due_at", sa.String(), nullable=False),
        sa.Column("met_at", sa.String(), nullable=True),
        sa.Column("met_by", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("unit_id", "year", "definition_id", "key"),
    )
    op.create_table(
        "deadline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("due_at", sa.String(), nullable=False),
        sa.Column("met_at", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["cycle.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("cycle_id", "key"),
    )
    op.create_table(
        "timer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=True),
        sa.Column("milestone_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("definition_id", sa.String(), nullable=False),
        sa.Column("definition_version", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("offset", sa.String(), nullable=False),
        sa.Column("deadline_at", sa.String(), nullable=False),
        sa.Column("due_at", sa.String(), nullable=False),
        sa.Column("moved_by", sa.String(), nullable=False),
        sa.Column("fired_at", sa.String(), nullable=True),
        sa.Column("cancelled_at", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["cycle.id"],
        ),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["milestone.id"],
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_timer_cycle", "timer", ["cycle_id", "deadline"], unique=False)
    op.create_index("ix_timer_milestone", "timer", ["milestone_id"], unique=False)
    op.create_index(
        "ix_timer_pending",
        "timer",
        ["due_at"],
        unique=False,
        sqlite_where=sa.text("fired_at IS NULL AND cancelled_at IS NULL"),
        postgresql_where=sa.text("fired_at IS NULL AND cancelled_at IS NULL"),
    )
    op.create_table(
        "transition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(), nullable=False),
        sa.Column("from_state", sa.String(), nullable=True),
        sa.Column("to_state", sa.String(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("at", sa.String(), nullable=False),
        sa.Column("payload", sa.String(), nullable=False),
        sa.Column("checks", sa.String(), nullable=False),
        sa.Column("definition_id", sa.String(), nullable=False),
        sa.Column("definition_version", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["cycle.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("cycle_id", "seq"),
    )
    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("timer_id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=True),
        sa.Column("milestone_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("deadline", sa.String(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("due_at", sa.String(), nullable=False),
        sa.Column("at", sa.String(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["timer_id"],
            ["timer.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("timer_id"),
    )
    op.create_index("ix_notice_cycle", "notice", ["cycle_id"], unique=False)
    op.create_table(
        "notice_message",
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("message_key", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notice.id"],
        ),
        sa.PrimaryKeyConstraint("notice_id", "message_key"),
    )
    op.create_index(
        op.f("ix_notice_message_message_key"), "notice_message", ["message_key"], unique=False
    )
    op.create_table(
        "notice_queue",
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notice.id"],
        ),
        sa.PrimaryKeyConstraint("notice_id"),
    )
    op.create_index(op.f("ix_notice_queue_address"), "notice_queue", ["address"], unique=False)
    for statement in append_only_triggers(op.get_bind().dialect.name, APPEND_ONLY):
        op.execute(statement)


def downgrade() -> None:
    op.drop_index(op.f("ix_notice_queue_address"), table_name="notice_queue")
    op.drop_table("notice_queue")
    op.drop_index(op.f("ix_notice_message_message_key"), table_name="notice_message")
    op.drop_table("notice_message")
    op.drop_index("ix_notice_cycle", table_name="notice")
    op.drop_table("notice")
    op.drop_table("transition")
    op.drop_index(
        "ix_timer_pending",
        table_name="timer",
        sqlite_where=sa.text("fired_at IS NULL AND cancelled_at IS NULL"),
        postgresql_where=sa.text("fired_at IS NULL AND cancelled_at IS NULL"),
    )
    op.drop_index("ix_timer_milestone", table_name="timer")
    op.drop_index("ix_timer_cycle", table_name="timer")
    op.drop_table("timer")
    op.drop_table("deadline")
    op.drop_table("milestone")
    op.drop_index("ix_delivery_outbox", table_name="delivery")
    op.drop_table("delivery")
    op.drop_index("ix_cycle_year_path", table_name="cycle")
    op.drop_table("cycle")
    op.drop_table("actor")
    op.drop_index(op.f("ix_unit_path"), table_name="unit")
    op.drop_table("unit")
    op.drop_index(
        "ix_outbox_pending",
        table_name="outbox",
        sqlite_where=sa.text("sent_at IS NULL AND parked_at IS NULL"),
        postgresql_where=sa.text("sent_at IS NULL AND parked_at IS NULL"),
    )
    op.drop_table("outbox")
    op.drop_table("meta")
    op.drop_table("definition")
    op.drop_index("ix_audit_event_unit", table_name="audit_event")
    op.drop_table("audit_event")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS bontot_append_only()")
