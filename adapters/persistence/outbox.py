"""The way out: notices (a global hash chain) queued per address, composed into outbox
messages, leased to workers, and every delivery attempt recorded."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from adapters.persistence.audit import SqlAudit
from adapters.persistence.compiled import chunks, in_list, marks, padded, rows_of, table
from adapters.persistence.rows import dumps, subtree_positional
from adapters.persistence.sql import Sql
from workflow.audit_notices import link_notices, notice_genesis
from workflow.digests import NO_RECIPIENT, Message
from workflow.notices import Notice, PendingNotice, UnaddressedNotice, UnitContact
from workflow.service.records import NoticeRecord, OutboxCounts, OutboxItem, UnitRef
from workflow.timefmt import from_db, to_db

if TYPE_CHECKING:
    from sqlalchemy import Select

#: a message parked with no recipient and not readdressed (the partial index
#: ix_outbox_unaddressed holds exactly these)
UNADDRESSED_WHERE = (
    f"o.channel = '{NO_RECIPIENT}' AND o.parked_at IS NOT NULL AND o.readdressed_at IS NULL"
)


class SqlOutbox:
    def __init__(self, sql: Sql, audit: SqlAudit) -> None:
        self.sql = sql
        self.audit = audit

    def add_notices(self, notices: Sequence[Notice], now: datetime) -> None:
        """Chain each notice onto its unit's notice chain (workflow.audit_notices) and
        queue it for composing, in a few statements per batch whatever its size. The
        units' head rows are locked in unit order (created first if new), so two workers
        touching one unit wait for each other and no others do."""
        if not notices:
            return
        stamp, db = to_db(now), self.sql
        units = sorted({n.unit_id for n in notices})
        for part in chunks(units):
            db.execute(
                f"INSERT INTO notice_chain (unit_id, seq, head) VALUES {rows_of(len(part), 3)} "
                "ON CONFLICT (unit_id) DO NOTHING",
                [v for unit_id in part for v in (unit_id, 0, notice_genesis(unit_id))],
            )
        lock = db.dialect.for_update_of("notice_chain")
        heads: dict[int, tuple[int, str]] = {}
        for part in chunks(units):
            for unit_id, seq, head in db.execute(
                f"SELECT unit_id, seq, head FROM notice_chain WHERE unit_id IN "
                f"({', '.join('?' * len(part))}) ORDER BY unit_id{lock}",
                part,
            ).fetchall():
                heads[unit_id] = (seq, head)
        texts: dict[datetime, str] = {}  # a batch's due instants repeat: each written once
        values = [
            (
                n.timer_id, n.cycle_id, n.milestone_id, n.unit_id, n.kind, n.deadline, n.step,
                n.role, n.address,
                texts.get(n.due_at) or texts.setdefault(n.due_at, to_db(n.due_at)),
                stamp,
            )
            for n in notices
        ]
        linked, moved = link_notices(heads, values, unit_at=3)
        queued: list[tuple[int, str]] = []
        # rows go in in chain order, so a unit's records' ids grow with their seq
        for chunk in chunks(list(zip(values, linked, strict=True))):
            ids = db.execute(
                "INSERT INTO notice (timer_id, cycle_id, milestone_id, unit_id, kind, "
                f"deadline, step, role, address, due_at, at, chain_seq, hash) VALUES "
                f"{rows_of(len(chunk), 13)} RETURNING id, address",
                [v for fields, (seq, digest) in chunk for v in (*fields, seq, digest)],
            ).fetchall()
            queued += [(row[0], row[1]) for row in ids]
        for pairs in chunks(queued):
            db.execute(
                f"INSERT INTO notice_queue (notice_id, address) VALUES {rows_of(len(pairs), 2)}",
                [v for pair in pairs for v in pair],
            )
        db.executemany(
            "UPDATE notice_chain SET seq = ?, head = ? WHERE unit_id = ?",
            [(seq, head, unit_id) for unit_id, (seq, head) in sorted(moved.items())],
        )

    def claim_pending(self, max_addresses: int) -> list[PendingNotice]:
        """Every queued notice of the first `max_addresses` addresses, for composing."""
        db = self.sql
        # composers take a recipient's whole queue: two at once would both compose it
        db.serialize("compose")
        addresses = [
            r[0]
            for r in db.execute(
                "SELECT DISTINCT address FROM notice_queue ORDER BY address LIMIT ?",
                (max_addresses,),
            ).fetchall()
        ]
        if not addresses:
            return []
        shown = padded(addresses)
        statement = db.compiled(("outbox.claim_pending", len(shown)), _pending, len(shown))
        rows = db.run(statement, in_list("address", shown)).fetchall()
        return [
            PendingNotice(
                r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], from_db(r[8]),
                from_db(r[9]), r[10], from_db(r[11]),
                UnitContact(r[12], r[13], r[14], r[15], json.loads(r[16])),
                r[17], r[18], r[19], r[20] is not None,
            )
            for r in rows
        ]

    def add_messages(
        self, messages: Sequence[Message], pending: Sequence[PendingNotice], at: datetime
    ) -> None:
        """Write the composed messages and take exactly the notices composed off the queue."""
        stamp = to_db(at)
        db = self.sql
        conflict = " ON CONFLICT (key) DO NOTHING"
        db.executemany(
            "INSERT INTO outbox (key, channel, address, recipient_role, lang, subject, body, "
            "data, created_at, attempts, next_attempt_at) "
            f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?){conflict}",
            [
                (m.key, m.channel, m.address, m.recipient_role, m.lang, m.subject, m.body,
                 dumps(m.data), stamp, stamp)
                for m in messages
            ],
        )
        db.executemany(
            "INSERT INTO notice_message (notice_id, message_key) VALUES (?, ?) "
            "ON CONFLICT DO NOTHING",
            [(notice_id, m.key) for m in messages for notice_id in m.notice_ids],
        )
        # exactly the notices composed: on PostgreSQL a notice queued for one of these
        # addresses after the read above commits meanwhile, and must stay queued
        db.executemany(
            "DELETE FROM notice_queue WHERE notice_id = ?", [(p.notice_id,) for p in pending]
        )

    def claim(
        self, now: datetime, limit: int, lease_until: datetime, worker: str
    ) -> list[OutboxItem]:
        """Lease due messages to `worker`: another worker skips them until the lease ends,
        which is how a crashed worker's messages are taken over."""
        stamp = to_db(now)
        lock = self.sql.dialect.for_update_skip_locked()
        rows = self.sql.execute(
            "SELECT id, key, channel, address, recipient_role, lang, subject, body, data, "
            "attempts FROM outbox WHERE sent_at IS NULL AND parked_at IS NULL "
            "AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?) "
            f"ORDER BY next_attempt_at, id LIMIT ?{lock}",
            (stamp, stamp, limit),
        ).fetchall()
        self.sql.executemany(
            "UPDATE outbox SET lease_until = ?, leased_by = ? WHERE id = ?",
            [(to_db(lease_until), worker, r[0]) for r in rows],
        )
        return [
            OutboxItem(
                r[0], Message(r[1], r[2], r[3], r[4], r[5], r[6], r[7], json.loads(r[8])), r[9]
            )
            for r in rows
        ]

    def renew_lease(
        self, item: OutboxItem, worker: str, now: datetime, lease_until: datetime
    ) -> bool:
        """Extend this worker's lease on a message right before sending it; False when the
        lease ran out and the message may be another worker's now (or is already sent)."""
        cursor = self.sql.execute(
            "UPDATE outbox SET lease_until = ? WHERE id = ? AND leased_by = ? "
            "AND lease_until >= ? AND sent_at IS NULL AND parked_at IS NULL",
            (to_db(lease_until), item.id, worker, to_db(now)),
        )
        return bool(cursor.rowcount == 1)

    def record_delivery(
        self,
        item: OutboxItem,
        at: datetime,
        worker: str,
        result: str,
        detail: str,
        next_attempt_at: datetime | None,
    ) -> None:
        stamp = to_db(at)
        db = self.sql
        # A message is marked sent by whoever sent it; a failure changes it only while
        # this worker still holds it, so a late failure never undoes another's success.
        if result == "sent":
            db.execute(
                "UPDATE outbox SET sent_at = ?, attempts = attempts + 1, lease_until = NULL "
                "WHERE id = ? AND sent_at IS NULL",
                (stamp, item.id),
            )
        elif result == "parked":
            db.execute(
                "UPDATE outbox SET parked_at = ?, attempts = attempts + 1, "
                "lease_until = NULL, last_error = ? WHERE id = ? AND leased_by = ? "
                "AND sent_at IS NULL AND parked_at IS NULL",
                (stamp, detail, item.id, worker),
            )
        else:
            assert next_attempt_at is not None
            db.execute(
                "UPDATE outbox SET next_attempt_at = ?, attempts = attempts + 1, "
                "lease_until = NULL, last_error = ? WHERE id = ? AND leased_by = ? "
                "AND sent_at IS NULL AND parked_at IS NULL",
                (to_db(next_attempt_at), detail, item.id, worker),
            )
        db.execute(
            "INSERT INTO delivery (outbox_id, at, worker, result, detail) "
            "VALUES (?, ?, ?, ?, ?)",
            (item.id, stamp, worker, result, detail),
        )

    def messages(self) -> list[tuple[datetime, Message]]:
        """Every message in the outbox with when it was composed, oldest first."""
        rows = self.sql.query(
            "SELECT created_at, key, channel, address, recipient_role, lang, subject, body, "
            "data FROM outbox ORDER BY created_at, id"
        )
        return [
            (from_db(r[0]), Message(r[1], r[2], r[3], r[4], r[5], r[6], r[7], json.loads(r[8])))
            for r in rows
        ]

    def next_wakeup(self) -> datetime | None:
        """The earliest instant at which a timer or an outbox message is due; the past
        when notices wait to be composed; None when nothing is pending."""
        rows = self.sql.query(
            "SELECT MIN(due_at) FROM timer WHERE fired_at IS NULL AND cancelled_at IS NULL "
            "UNION ALL SELECT MIN(CASE WHEN lease_until > next_attempt_at THEN lease_until "
            "ELSE next_attempt_at END) FROM outbox WHERE sent_at IS NULL AND parked_at IS NULL"
        )
        found = [from_db(r[0]) for r in rows if r[0]]
        pending = self.sql.query("SELECT COUNT(*) FROM notice_queue")
        if pending[0][0]:
            return datetime.min.replace(tzinfo=UTC)
        return min(found) if found else None

    def notices(self, cycle_id: int) -> list[NoticeRecord]:
        rows = self.sql.query(
            "SELECT n.kind, n.deadline, n.step, n.role, n.address, n.due_at, n.at, "
            "MAX(CASE WHEN o.sent_at IS NOT NULL THEN 1 ELSE 0 END), "
            "MAX(CASE WHEN o.parked_at IS NOT NULL THEN 1 ELSE 0 END), COUNT(o.id) "
            "FROM notice n LEFT JOIN notice_message nm ON nm.notice_id = n.id "
            "LEFT JOIN outbox o ON o.key = nm.message_key "
            "WHERE n.cycle_id = ? GROUP BY n.id ORDER BY n.at, n.id",
            (cycle_id,),
        )
        return [
            NoticeRecord(
                r[0], r[1], r[2], r[3], r[4], from_db(r[5]), from_db(r[6]),
                "sent" if r[7] else "parked" if r[8] else "pending" if r[9] else "queued",
            )
            for r in rows
        ]

    def unaddressed(
        self, keys: Sequence[str] | None, under: UnitRef | None = None
    ) -> list[UnaddressedNotice]:
        """The notices of the messages parked with no recipient and not readdressed yet
        (`keys`, or all when None), about units of `under`'s subtree, message by message."""
        where, params = subtree_positional(under, "u.path")
        sql = (
            "SELECT o.key, n.id, n.role, n.kind, t.milestone_id, u.code, u.path, "
            "t.definition_id, t.definition_version FROM outbox o "
            "JOIN notice_message nm ON nm.message_key = o.key "
            "JOIN notice n ON n.id = nm.notice_id JOIN timer t ON t.id = n.timer_id "
            f"JOIN unit u ON u.id = n.unit_id WHERE {UNADDRESSED_WHERE}{where}"
        )
        if keys is not None:
            if not keys:
                return []
            sql += f" AND o.key IN ({', '.join('?' for _ in keys)})"
            params.extend(keys)
        rows = self.sql.query(sql + " ORDER BY o.id, n.id", tuple(params))
        return [
            UnaddressedNotice(r[0], r[1], r[2], r[3], r[4] is not None, r[5], r[6], r[7], r[8])
            for r in rows
        ]

    def readdress(self, key: str, queued: Sequence[tuple[int, str]], now: datetime) -> None:
        """Queue a parked message's notices again to the addresses found for them (the
        next tick composes them anew) and mark the message readdressed."""
        self.sql.executemany(
            "INSERT INTO notice_queue (notice_id, address) VALUES (?, ?) "
            "ON CONFLICT (notice_id) DO NOTHING",
            list(queued),
        )
        self.sql.execute("UPDATE outbox SET readdressed_at = ? WHERE key = ?", (to_db(now), key))

    def unpark(self, keys: Sequence[str] | None, now: datetime) -> int:
        # a message nobody can receive is readdressed (above), never sent again as it is
        sql = (
            "UPDATE outbox SET parked_at = NULL, attempts = 0, next_attempt_at = ?, "
            "last_error = NULL, lease_until = NULL, leased_by = NULL "
            "WHERE parked_at IS NOT NULL AND sent_at IS NULL AND channel <> ?"
        )
        params: list[Any] = [to_db(now), NO_RECIPIENT]
        if keys is not None:
            if not keys:
                return 0
            sql += f" AND key IN ({', '.join('?' for _ in keys)})"
            params.extend(keys)
        return int(self.sql.execute(sql, tuple(params)).rowcount)

    def counts(self) -> OutboxCounts:
        counts = self.sql.query(
            "SELECT SUM(CASE WHEN sent_at IS NULL AND parked_at IS NULL THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN parked_at IS NOT NULL AND readdressed_at IS NULL THEN 1 ELSE 0 END) "
            "FROM outbox"
        )[0]
        parked = self.sql.query(
            "SELECT key, channel, address, COALESCE(last_error, '') FROM outbox "
            "WHERE parked_at IS NOT NULL AND readdressed_at IS NULL ORDER BY parked_at"
        )
        return OutboxCounts(
            int(counts[0] or 0),
            int(counts[1] or 0),
            int(counts[2] or 0),
            [(r[0], r[1], r[2], r[3]) for r in parked],
        )


def _pending(count: int) -> Select[Any]:
    """Every queued notice of `count` addresses (an `IN` list), with its timer, unit and
    cycle, in the order they were queued."""
    from sqlalchemy import select  # lazy: start-up time (compiled.py)

    q, n = table("notice_queue").alias("q"), table("notice").alias("n")
    t, u, c = table("timer").alias("t"), table("unit").alias("u"), table("cycle").alias("c")
    return (
        select(
            n.c.id, t.c.key, n.c.kind, n.c.deadline, n.c.step, t.c.offset, n.c.role,
            q.c.address, n.c.due_at, t.c.deadline_at, t.c.moved_by, n.c.at, u.c.id, u.c.code,
            u.c.name, u.c.path, u.c.contacts, t.c.definition_id, t.c.definition_version,
            c.c.state, t.c.milestone_id,
        )
        .select_from(
            q.join(n, n.c.id == q.c.notice_id)
            .join(t, t.c.id == n.c.timer_id)
            .join(u, u.c.id == n.c.unit_id)
            .outerjoin(c, c.c.id == n.c.cycle_id)
        )
        .where(q.c.address.in_(marks("address", count)))
        .order_by(n.c.id)
    )
