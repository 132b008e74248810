"""The schema, declared with SQLModel. Instants are UTC text (see workflow.timefmt) so they
sort as time on every backend; JSON is text so SQLite and PostgreSQL store it alike."""

from __future__ import annotations

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from adapters.persistence.rows import LATE
from workflow.digests import NO_RECIPIENT


class MetaRow(SQLModel, table=True):
    """Facts about this database, e.g. its installation id (in every message key, so that
    two provinces posting to one receiver never share a key)."""

    __tablename__ = "meta"
    key: str = Field(primary_key=True)
    value: str


class DefinitionRow(SQLModel, table=True):
    __tablename__ = "definition"
    __table_args__ = (UniqueConstraint("definition_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    definition_id: str
    version: int
    content_hash: str
    filename: str
    resolved: str  # the resolved definition as JSON: cycles are decided by what they opened with
    registered_at: str


class UnitRow(SQLModel, table=True):
    __tablename__ = "unit"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True)
    name: str
    kind: str
    org_type: str
    #: indexed: a board reads a node's children (a province's: 41 ms scanning, 11 indexed)
    parent_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    #: materialised path of ids, "/1/5/23/": a subtree is a range of paths, at any depth
    path: str = Field(index=True)
    member_count: int = 0
    contacts: str = "{}"
    #: the day a reorganisation ended it (merged into another, or dissolved); its row,
    #: cycles and history stay
    ended_on: str | None = None


class UnitPlaceRow(SQLModel, table=True):
    """Where a unit stood, from one reorganisation to the next: its code, parent's code
    and path in [valid_from, valid_until) (dates; None: open-ended). A unit no
    reorganisation touched has no row: it stood where it stands."""

    __tablename__ = "unit_place"
    __table_args__ = (Index("ix_unit_place_unit", "unit_id", "valid_until"),)
    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    code: str
    parent_code: str | None = None
    path: str
    valid_from: str | None = None
    valid_until: str | None = None
    #: the decision that put it there (None for the place it had before the first one)
    decision: str | None = None


class CycleRow(SQLModel, table=True):
    __tablename__ = "cycle"
    __table_args__ = (
        UniqueConstraint("unit_id", "year", "definition_id"),
        Index("ix_cycle_year_path", "year", "unit_path"),
        # The nation's count by state in index order (SQLite has no hash aggregate: 385
        # ms against 39). PostgreSQL hashes; indexing `state` would make updates non-HOT.
        Index(
            "ix_cycle_states", "year", "definition_id", "unit_kind", "state", "outcome"
        ).ddl_if(dialect="sqlite"),
    )
    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    #: copied from the unit so board queries need no join
    unit_path: str
    unit_kind: str
    year: int
    definition_id: str
    definition_version: int
    content_hash: str
    state: str
    outcome: str | None = None
    facts: str = "{}"
    #: row version: every change increments it; a write that expected another is refused
    version: int
    #: hash of the last audit record (seq == version): the head of the cycle's chain
    head_hash: str = ""
    opened_at: str
    updated_at: str


class TransitionRow(SQLModel, table=True):
    """The audit trail: one row per applied event, including the cycle's opening."""

    __tablename__ = "transition"
    __table_args__ = (UniqueConstraint("cycle_id", "seq"),)
    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id")
    seq: int
    event: str
    from_state: str | None = None
    to_state: str
    actor: str
    role: str
    at: str
    payload: str = "{}"
    checks: str = "[]"
    definition_id: str
    definition_version: int
    #: SHA-256 over the previous record's hash and this record (workflow.audit)
    hash: str = ""


class DeadlineRow(SQLModel, table=True):
    """A cycle's deadline and when it was met. Reminders and escalations get their own
    timer rows. Overdue counts of a subtree go through its cycles, each probing the
    partial index of its deadlines that can be late (`ix_deadline_open`: unmet, of a
    cycle still open; it holds what the count reads, so no deadline row is visited): the
    nation's overdue count read every one of 1.5 million deadline rows without it (8.5 s
    against 2.3 s, load 14). Its cost is an index entry removed when a transition meets
    a deadline or closes its cycle; the index is small, as met deadlines leave it."""

    __tablename__ = "deadline"
    __table_args__ = (
        UniqueConstraint("cycle_id", "key"),
        # The year's late count reads no cycle (board_sql.LATE_PER_KEY): 494 ms to 37.
        Index("ix_deadline_late", "year", "key", "due_at",
              sqlite_where=text(LATE), postgresql_where=text(LATE)),
        Index("ix_deadline_open", "cycle_id", "due_at", "key",
              sqlite_where=text(LATE), postgresql_where=text(LATE)),
    )
    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id")
    key: str
    due_at: str
    met_at: str | None = None
    #: the cycle's, so that the year's late count reads no cycle (nullable: revision 0014)
    year: int | None = None
    #: 1 once its cycle is in a final state: a closed cycle's unmet deadline is late no more
    closed: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class MilestoneRow(SQLModel, table=True):
    """A programme date a committee keeps in a year (a review, a report, targets assigned)."""

    __tablename__ = "milestone"
    __table_args__ = (UniqueConstraint("unit_id", "year", "definition_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    unit_path: str
    year: int
    definition_id: str
    definition_version: int
    key: str
    due_at: str
    met_at: str | None = None
    met_by: str | None = None


class TimerRow(SQLModel, table=True):
    """One reminder or escalation to send: written when its cycle (or milestone) opens,
    deleted in the same transaction as the move that meets its deadline or closes its
    cycle (a fired one stays: its notice names it), fired once.
    The partial index keeps "what is due now" cheap however many rows have fired; it ends
    with `id` so that a claim's `ORDER BY due_at, id LIMIT n` reads it in order on
    PostgreSQL (SQLite keeps the rowid in every index anyway): without it, every claim
    sorted all the pending timers sharing a due instant (a whole nation's reminder)."""

    __tablename__ = "timer"
    __table_args__ = (
        Index(
            "ix_timer_pending",
            "due_at",
            "id",
            sqlite_where=text("fired_at IS NULL AND cancelled_at IS NULL"),
            postgresql_where=text("fired_at IS NULL AND cancelled_at IS NULL"),
        ),
        # partial: a cycle's timer has no milestone, a milestone's no cycle (0012)
        Index(
            "ix_timer_cycle", "cycle_id", "deadline",
            sqlite_where=text("cycle_id IS NOT NULL"),
            postgresql_where=text("cycle_id IS NOT NULL"),
        ),
        Index(
            "ix_timer_milestone", "milestone_id",
            sqlite_where=text("milestone_id IS NOT NULL"),
            postgresql_where=text("milestone_id IS NOT NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    #: idempotency key, unique: "c<cycle>:<deadline>:<r|e><step>" or "m<milestone>:..."
    key: str = Field(unique=True)
    cycle_id: int | None = Field(default=None, foreign_key="cycle.id")
    milestone_id: int | None = Field(default=None, foreign_key="milestone.id")
    unit_id: int = Field(foreign_key="unit.id")
    year: int
    definition_id: str
    definition_version: int
    deadline: str
    kind: str  # reminder | escalation
    step: int
    role: str
    offset: str
    deadline_at: str
    due_at: str
    #: holidays that moved it off the date weekends alone would give, "; "-joined
    moved_by: str = ""
    fired_at: str | None = None
    cancelled_at: str | None = None


class NoticeRow(SQLModel, table=True):
    """Audit of notifications: one row per reminder or escalation fired, with whom it was
    addressed to and the message that carried it. Append-only."""

    __tablename__ = "notice"
    __table_args__ = (Index("ix_notice_cycle", "cycle_id"),)
    id: int | None = Field(default=None, primary_key=True)
    timer_id: int = Field(foreign_key="timer.id", unique=True)
    cycle_id: int | None = None
    milestone_id: int | None = None
    unit_id: int
    kind: str
    deadline: str
    step: int
    role: str
    #: where it goes ("" when no unit up the tree has a contact for the role)
    address: str
    due_at: str
    at: str
    #: the hash chaining it (workflow.audit_notices; workflow.audit for the global chain)
    hash: str = ""
    #: its place in its unit's notice chain (workflow.audit_notices), from 1; None for a
    #: notice of the global chain every notice was written in before revision 0011
    chain_seq: int | None = None


class NoticeChainRow(SQLModel, table=True):
    """The head of a unit's notice chain: its last seq and hash, as a cycle row keeps its
    chain's. Writers of a unit's notices lock this row (in unit order), so workers firing
    for different units never wait for each other."""

    __tablename__ = "notice_chain"
    unit_id: int = Field(primary_key=True, foreign_key="unit.id")
    seq: int
    head: str


class NoticeMessageRow(SQLModel, table=True):
    """Which message carried each notice (one per channel): how a reminder in a unit's
    history is followed to its delivery. Written when the notice is composed."""

    __tablename__ = "notice_message"
    notice_id: int = Field(primary_key=True, foreign_key="notice.id")
    message_key: str = Field(primary_key=True, index=True)


class NoticeQueueRow(SQLModel, table=True):
    """Notices fired but not yet composed into a message: composition takes every pending
    notice of one recipient at once, so a recipient gets one digest, not one per batch."""

    __tablename__ = "notice_queue"
    notice_id: int = Field(primary_key=True, foreign_key="notice.id")
    address: str = Field(index=True)


#: a message parked with no recipient (workflow.digests.NO_RECIPIENT), not readdressed
UNADDRESSED = f"channel = '{NO_RECIPIENT}' AND parked_at IS NOT NULL AND readdressed_at IS NULL"


class OutboxRow(SQLModel, table=True):
    """A message to deliver on one channel, written in the transaction that fired its
    timers and sent after commit, with retries and back-off; parked when it keeps failing."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index(
            "ix_outbox_pending",
            "next_attempt_at",
            sqlite_where=text("sent_at IS NULL AND parked_at IS NULL"),
            postgresql_where=text("sent_at IS NULL AND parked_at IS NULL"),
        ),
        # the few messages nobody could receive, which the board lists on every view
        Index(
            "ix_outbox_unaddressed",
            "id",
            sqlite_where=text(UNADDRESSED),
            postgresql_where=text(UNADDRESSED),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    #: idempotency key, unique; sent along so that receivers can drop a repeat
    key: str = Field(unique=True)
    channel: str
    address: str
    recipient_role: str
    lang: str
    subject: str
    body: str
    data: str = "{}"
    created_at: str
    attempts: int = 0
    next_attempt_at: str
    lease_until: str | None = None
    leased_by: str | None = None
    sent_at: str | None = None
    parked_at: str | None = None
    last_error: str | None = None
    #: when a retry found its notices (parked with no recipient) an address and queued
    #: them again: they travel in a new message now, and this one stays parked as it was
    readdressed_at: str | None = None


class AuditEventRow(SQLModel, table=True):
    """Facts for auditors that no transition records: refusals, milestones kept, anchors
    of the chains. One global chain, append-only."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_unit", "unit_code"),)
    id: int | None = Field(default=None, primary_key=True)
    at: str
    kind: str  # refusal | milestone_met | anchor
    unit_code: str | None = None
    unit_path: str | None = None
    cycle_id: int | None = None
    year: int | None = None
    event: str | None = None
    actor: str
    role: str | None = None
    code: str | None = None
    detail: str = "{}"
    hash: str = ""


class ActorRow(SQLModel, table=True):
    """A person or system that may act: one role, scoped to a node of the unit tree. Its
    token is kept only as a salted scrypt hash."""

    __tablename__ = "actor"
    id: str = Field(primary_key=True)
    name: str = ""
    role: str
    scope_unit_id: int | None = Field(default=None, foreign_key="unit.id")
    token_hash: str
    created_at: str
    revoked_at: str | None = None
    #: the password an administrator set (salted scrypt), for the web's log-in
    password_hash: str | None = None


class StorageDamageRow(SQLModel, table=True):
    """What a failed storage check found (PostgreSQL; SQLite keeps a note beside its
    file): while a row is here, nothing is committed. A sound check empties it."""

    __tablename__ = "storage_damage"
    id: int | None = Field(default=None, primary_key=True)
    found_at: str
    findings: str


class InspectorKeyRow(SQLModel, table=True):
    """An inspector's Ed25519 public key, registered to check the anchors it signs (the
    private key never enters the database). A register: each change is an audit fact."""

    __tablename__ = "inspector_key"
    name: str = Field(primary_key=True)
    public_key: str  # the 32 raw bytes, hex
    fingerprint: str = Field(unique=True)
    added_at: str
    added_by: str
    revoked_at: str | None = None


class DeliveryRow(SQLModel, table=True):
    """Every delivery attempt of an outbox message, append-only: what auditors read."""

    __tablename__ = "delivery"
    __table_args__ = (Index("ix_delivery_outbox", "outbox_id"),)
    id: int | None = Field(default=None, primary_key=True)
    outbox_id: int = Field(foreign_key="outbox.id")
    at: str
    worker: str
    result: str  # sent | retry | parked
    detail: str = ""
