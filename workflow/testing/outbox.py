"""The twin of the outbox repository (adapters/persistence/outbox.py): the notice chain,
the queue, the outbox with its leases and deliveries."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from workflow.audit_notices import link_notices
from workflow.digests import NO_RECIPIENT, Message
from workflow.notices import Notice, PendingNotice, UnaddressedNotice, UnitContact
from workflow.service.records import NoticeRecord, OutboxCounts, OutboxItem, UnitRef
from workflow.testing.audit import FACT_COLUMNS, MemoryAudit
from workflow.testing.tables import Row, Session, change, dumps, in_subtree
from workflow.testing.timers import pending_timer
from workflow.timefmt import from_db, to_db


def _message(o: Row) -> Message:
    return Message(
        o["key"], o["channel"], o["address"], o["recipient_role"], o["lang"], o["subject"],
        o["body"], json.loads(o["data"]),
    )



class MemoryOutbox:
    def __init__(self, session: Session, audit: MemoryAudit) -> None:
        self.session = session
        self.tables = session.tables
        self.audit = audit

    def add_notices(self, notices: Sequence[Notice], now: datetime) -> None:
        tables, stamp = self.session.writing(), to_db(now)
        values = [
            (
                n.timer_id, n.cycle_id, n.milestone_id, n.unit_id, n.kind, n.deadline, n.step,
                n.role, n.address, to_db(n.due_at), stamp,
            )
            for n in notices
        ]
        linked, moved = link_notices(tables.notice_chains, values, unit_at=3)
        for fields, (seq, digest) in zip(values, linked, strict=True):
            notice_id = tables.next_id("notice")
            tables.notices[notice_id] = {
                **dict(zip(FACT_COLUMNS["notice"], fields, strict=True)),
                "id": notice_id, "chain_seq": seq, "hash": digest,
            }
            tables.notice_queue[notice_id] = str(fields[8])
        tables.notice_chains.update(moved)

    def claim_pending(self, max_addresses: int) -> list[PendingNotice]:
        tables = self.session.writing()
        addresses = set(sorted(set(tables.notice_queue.values()))[:max_addresses])
        claimed = []
        for notice_id in sorted(tables.notice_queue):
            if tables.notice_queue[notice_id] not in addresses:
                continue
            n = tables.notices[notice_id]
            t = tables.timers[n["timer_id"]]
            u = tables.units[n["unit_id"]]
            cycle = tables.cycles.get(n["cycle_id"]) if n["cycle_id"] is not None else None
            claimed.append(PendingNotice(
                n["id"], t["key"], n["kind"], n["deadline"], n["step"], t["offset"], n["role"],
                tables.notice_queue[notice_id], from_db(n["due_at"]), from_db(t["deadline_at"]),
                t["moved_by"],
                from_db(n["at"]),
                UnitContact(u["id"], u["code"], u["name"], u["path"], json.loads(u["contacts"])),
                t["definition_id"], t["definition_version"], cycle["state"] if cycle else None,
                t["milestone_id"] is not None,
            ))
        return claimed

    def add_messages(
        self, messages: Sequence[Message], pending: Sequence[PendingNotice], at: datetime
    ) -> None:
        tables, stamp = self.session.writing(), to_db(at)
        for m in messages:
            if m.key in tables.outbox_ids:  # ON CONFLICT (key) DO NOTHING
                continue
            outbox_id = tables.next_id("outbox")
            tables.outbox_ids[m.key] = outbox_id
            tables.outbox[outbox_id] = {
                "id": outbox_id, "key": m.key, "channel": m.channel, "address": m.address,
                "recipient_role": m.recipient_role, "lang": m.lang, "subject": m.subject,
                "body": m.body, "data": dumps(m.data), "created_at": stamp, "attempts": 0,
                "next_attempt_at": stamp, "sent_at": None, "parked_at": None,
                "lease_until": None, "leased_by": None, "last_error": None,
                "readdressed_at": None,
            }
        for m in messages:
            for notice_id in m.notice_ids:
                tables.notice_messages.add((notice_id, m.key))
        for p in pending:
            tables.notice_queue.pop(p.notice_id, None)

    def _open(self) -> list[Row]:
        return [
            o for o in self.tables.outbox.values()
            if o["sent_at"] is None and o["parked_at"] is None
        ]

    def claim(
        self, now: datetime, limit: int, lease_until: datetime, worker: str
    ) -> list[OutboxItem]:
        tables = self.session.writing()
        stamp = to_db(now)
        due = sorted(
            (
                o for o in self._open()
                if o["next_attempt_at"] <= stamp
                and (o["lease_until"] is None or o["lease_until"] < stamp)
            ),
            key=lambda o: (o["next_attempt_at"], o["id"]),
        )[:limit]
        items = [OutboxItem(o["id"], _message(o), o["attempts"]) for o in due]
        for o in due:
            change(tables.outbox, o["id"], lease_until=to_db(lease_until), leased_by=worker)
        return items

    def renew_lease(
        self, item: OutboxItem, worker: str, now: datetime, lease_until: datetime
    ) -> bool:
        tables = self.session.writing()
        o = tables.outbox.get(item.id)
        if (
            o is None or o["leased_by"] != worker or o["lease_until"] is None
            or o["lease_until"] < to_db(now) or o["sent_at"] is not None
            or o["parked_at"] is not None
        ):
            return False
        change(tables.outbox, item.id, lease_until=to_db(lease_until))
        return True

    def record_delivery(
        self,
        item: OutboxItem,
        at: datetime,
        worker: str,
        result: str,
        detail: str,
        next_attempt_at: datetime | None,
    ) -> None:
        tables, stamp = self.session.writing(), to_db(at)
        o = tables.outbox[item.id]
        held = o["leased_by"] == worker and o["sent_at"] is None and o["parked_at"] is None
        if result == "sent":
            if o["sent_at"] is None:
                change(tables.outbox, item.id, sent_at=stamp, attempts=o["attempts"] + 1,
                       lease_until=None)
        elif result == "parked":
            if held:
                change(
                    tables.outbox, item.id, parked_at=stamp, attempts=o["attempts"] + 1,
                    lease_until=None, last_error=detail,
                )
        else:
            assert next_attempt_at is not None
            if held:
                change(
                    tables.outbox, item.id, next_attempt_at=to_db(next_attempt_at),
                    attempts=o["attempts"] + 1, lease_until=None, last_error=detail,
                )
        tables.deliveries.append({
            "id": tables.next_id("delivery"), "outbox_id": item.id, "at": stamp,
            "worker": worker, "result": result, "detail": detail,
        })

    def messages(self) -> list[tuple[datetime, Message]]:
        rows = sorted(self.tables.outbox.values(), key=lambda o: (o["created_at"], o["id"]))
        return [(from_db(o["created_at"]), _message(o)) for o in rows]

    def next_wakeup(self) -> datetime | None:
        found = [t["due_at"] for t in self.tables.timers.values() if pending_timer(t)]
        found += [
            o["lease_until"]
            if o["lease_until"] is not None and o["lease_until"] > o["next_attempt_at"]
            else o["next_attempt_at"]
            for o in self._open()
        ]
        if self.tables.notice_queue:
            return datetime.min.replace(tzinfo=UTC)
        return from_db(min(found)) if found else None

    def notices(self, cycle_id: int) -> list[NoticeRecord]:
        tables = self.tables
        rows = sorted(
            (n for n in tables.notices.values() if n["cycle_id"] == cycle_id),
            key=lambda n: (n["at"], n["id"]),
        )
        found = []
        for n in rows:
            linked = [
                tables.outbox[tables.outbox_ids[key]]
                for notice_id, key in tables.notice_messages
                if notice_id == n["id"] and key in tables.outbox_ids
            ]
            delivery = (
                "sent" if any(o["sent_at"] is not None for o in linked)
                else "parked" if any(o["parked_at"] is not None for o in linked)
                else "pending" if linked else "queued"
            )
            found.append(NoticeRecord(
                n["kind"], n["deadline"], n["step"], n["role"], n["address"],
                from_db(n["due_at"]), from_db(n["at"]), delivery,
            ))
        return found

    def _unaddressed(self, keys: Sequence[str] | None) -> list[Row]:
        return [
            o for o in sorted(self.tables.outbox.values(), key=lambda o: o["id"])
            if o["channel"] == NO_RECIPIENT and o["parked_at"] is not None
            and o["readdressed_at"] is None and (keys is None or o["key"] in keys)
        ]  # fmt: skip

    def unaddressed(
        self, keys: Sequence[str] | None, under: UnitRef | None = None
    ) -> list[UnaddressedNotice]:
        tables, found = self.tables, []
        for o in self._unaddressed(keys):
            for notice_id in sorted(i for i, key in tables.notice_messages if key == o["key"]):
                n = tables.notices[notice_id]
                t, u = tables.timers[n["timer_id"]], tables.units[n["unit_id"]]
                if not in_subtree(under, u["path"]):
                    continue
                found.append(UnaddressedNotice(
                    o["key"], notice_id, n["role"], n["kind"], t["milestone_id"] is not None,
                    u["code"], u["path"], t["definition_id"], t["definition_version"],
                ))  # fmt: skip
        return found

    def readdress(self, key: str, queued: Sequence[tuple[int, str]], now: datetime) -> None:
        tables = self.session.writing()
        for notice_id, address in queued:
            tables.notice_queue.setdefault(notice_id, address)
        change(tables.outbox, tables.outbox_ids[key], readdressed_at=to_db(now))

    def unpark(self, keys: Sequence[str] | None, now: datetime) -> int:
        tables = self.session.writing()
        chosen = [
            o for o in tables.outbox.values()
            if o["parked_at"] is not None and o["sent_at"] is None
            and o["channel"] != NO_RECIPIENT and (keys is None or o["key"] in keys)
        ]  # fmt: skip
        for o in chosen:
            change(tables.outbox, o["id"], parked_at=None, attempts=0, next_attempt_at=to_db(now),
                   last_error=None, lease_until=None, leased_by=None)  # fmt: skip
        return len(chosen)

    def counts(self) -> OutboxCounts:
        rows = list(self.tables.outbox.values())
        parked = sorted(
            (o for o in rows if o["parked_at"] is not None and o["readdressed_at"] is None),
            key=lambda o: o["parked_at"],
        )
        return OutboxCounts(
            sum(1 for o in rows if o["sent_at"] is None and o["parked_at"] is None),
            sum(1 for o in rows if o["sent_at"] is not None),
            len(parked),
            [(o["key"], o["channel"], o["address"], o["last_error"] or "") for o in parked],
        )
