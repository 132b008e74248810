"""The outbox repository's contract: notices chained and queued per address, composed
into messages that take exactly their notices off the queue, leased to one worker at a
time, every delivery recorded; a late failure never undoes another worker's success."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import local
from tests.support.units_of_work import write
from workflow.audit_notices import NOTICE_UNIT_AT, check_notice_chains
from workflow.digests import Message
from workflow.notices import Notice
from workflow.service.cycles import CycleService
from workflow.service.ticks import Ladders

NOW = local(2025, 3, 20)
MINUTE = timedelta(minutes=1)


def _queue(uow: Any, service: CycleService) -> list[Notice]:
    """Fire every timer due at NOW into a notice: CB-THON1's to one address, the others'
    to another; write what follows each on its ladder."""
    with uow:
        due = uow.timers.claim_due(NOW, 100)
        notices = [
            Notice(t.id, t.cycle_id, t.milestone_id, t.unit_id, t.kind, t.deadline, t.step,
                   t.role, "a@thon1.vn" if t.cycle_id == 1 else "b@others.vn", t.due_at, NOW)
            for t in due
        ]
        uow.timers.settle(due, {t.timer_id for t in notices}, NOW)
        uow.timers.add_following(Ladders(service.spec, service.calendar).follow(due))
        uow.outbox.add_notices(notices, NOW)
        uow.commit()
    return notices


def _unit_chain_problems(uow: Any) -> list[str]:
    rows = [(r.id, r.seq, r.hash, r.fields) for r in uow.audit.fact_rows("notice")]
    found = check_notice_chains(rows, uow.audit.notice_heads(), NOTICE_UNIT_AT)
    return [str(p) for p in found.problems]


def test_a_later_batch_carries_on_each_unit_s_chain(
    queued: list[Notice], uow: Any, commune: CycleService
) -> None:
    """Notices of a unit written by two units of work form one chain: the second
    batch's first notice links to the first batch's last."""
    later = NOW + timedelta(days=40)
    with uow:
        due = uow.timers.claim_due(later, 100)
        notices = [
            Notice(t.id, t.cycle_id, t.milestone_id, t.unit_id, t.kind, t.deadline, t.step,
                   t.role, "a@thon1.vn", t.due_at, later)
            for t in due
        ]
        uow.timers.settle(due, {n.timer_id for n in notices}, later)
        uow.outbox.add_notices(notices, later)
        uow.commit()
    assert notices, "the fixture's definition has timers due after NOW"
    records = list(uow.audit.fact_rows("notice"))
    assert len(records) == 6 + len(notices) and _unit_chain_problems(uow) == []
    unit = notices[0].unit_id
    seqs = [r.seq for r in records if r.fields[NOTICE_UNIT_AT] == unit]
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) > 1


def _compose(uow: Any, max_addresses: int) -> list[Message]:
    with uow:
        pending = uow.outbox.claim_pending(max_addresses)
        messages = [
            Message(f"k-{address}", "log", address, "unit_secretary", "vi", "Nhắc", "…",
                    {"n": len(mine)}, tuple(p.notice_id for p in mine))
            for address in sorted({p.address for p in pending})
            for mine in [[p for p in pending if p.address == address]]
        ]
        uow.outbox.add_messages(messages, pending, NOW)
        uow.commit()
    return messages


@pytest.fixture
def queued(commune: CycleService, uow: Any) -> list[Notice]:
    notices = _queue(uow, commune)
    assert len({n.address for n in notices}) == 2 and len(notices) == 6
    return notices


def test_notices_are_chained_and_queued_per_address(queued: list[Notice], uow: Any) -> None:
    assert uow.outbox.next_wakeup() == datetime.min.replace(tzinfo=UTC)  # compose now
    records = list(uow.audit.fact_rows("notice"))
    assert len(records) == 6 and _unit_chain_problems(uow) == []
    # each unit's notices count from 1 in the order they were written, and its head row
    # holds the last one's hash
    by_unit: dict[int, list[Any]] = {}
    for record in records:
        by_unit.setdefault(record.fields[NOTICE_UNIT_AT], []).append(record)
    heads = uow.audit.notice_heads()
    assert set(heads) == set(by_unit)
    for unit_id, mine in by_unit.items():
        assert [r.seq for r in mine] == list(range(1, len(mine) + 1))
        assert heads[unit_id] == (len(mine), mine[-1].hash)
    assert [n.delivery for n in uow.outbox.notices(1)] == ["queued"]
    with uow:
        first = uow.outbox.claim_pending(1)
        uow.commit()
    assert {p.address for p in first} == {"a@thon1.vn"}  # addresses in text order
    (p,) = first
    assert (p.unit.code, p.state, p.milestone, p.deadline, p.kind) == (
        "CB-THON1", "not_registered", False, "register", "reminder"
    )
    assert p.fired_at == NOW and p.timer_key.startswith("c1:")


def test_a_claim_lists_its_notices_in_the_order_they_were_queued(
    queued: list[Notice], uow: Any
) -> None:
    with uow:
        pending = uow.outbox.claim_pending(2)
        uow.rollback()
    ids = [record.id for record in uow.audit.fact_rows("notice")]
    assert len(ids) == 6 and [p.notice_id for p in pending] == ids


def test_composing_takes_exactly_its_notices_off_the_queue(
    queued: list[Notice], uow: Any
) -> None:
    assert [m.address for m in _compose(uow, 1)] == ["a@thon1.vn"]
    assert [n.delivery for n in uow.outbox.notices(1)] == ["pending"]
    assert [n.delivery for n in uow.outbox.notices(2)] == ["queued"]
    assert [m.address for m in _compose(uow, 10)] == ["b@others.vn"]
    assert _compose(uow, 10) == []
    assert uow.outbox.next_wakeup() == NOW  # the messages are due at once
    assert [(m.key, m.data) for _, m in uow.outbox.messages()] == [
        ("k-a@thon1.vn", {"n": 1}), ("k-b@others.vn", {"n": 5})
    ]
    counts = uow.outbox.counts()
    assert (counts.pending, counts.sent, counts.parked, counts.parked_items) == (2, 0, 0, [])


def test_a_message_key_is_written_once(queued: list[Notice], uow: Any) -> None:
    _compose(uow, 10)
    again = Message("k-a@thon1.vn", "log", "a@thon1.vn", "r", "vi", "other", "other")
    write(uow, lambda: uow.outbox.add_messages([again], [], NOW + MINUTE))
    assert [m.subject for _, m in uow.outbox.messages()] == ["Nhắc", "Nhắc"]


def test_a_lease_holds_a_message_for_one_worker_until_it_runs_out(
    queued: list[Notice], uow: Any
) -> None:
    _compose(uow, 10)
    lease = NOW + 2 * MINUTE
    mine = write(uow, lambda: uow.outbox.claim(NOW, 1, lease, "w1"))
    assert [(i.message.key, i.attempts) for i in mine] == [("k-a@thon1.vn", 0)]
    theirs = write(uow, lambda: uow.outbox.claim(NOW, 10, lease, "w2"))
    assert [i.message.key for i in theirs] == ["k-b@others.vn"]
    assert write(uow, lambda: uow.outbox.claim(NOW + MINUTE, 10, lease, "w3")) == []
    assert write(uow, lambda: uow.outbox.renew_lease(mine[0], "w1", NOW + MINUTE, lease)) is True
    assert write(uow, lambda: uow.outbox.renew_lease(mine[0], "w2", NOW + MINUTE, lease)) is False
    # the lease ran out: w3 takes it over, and w1 can no longer renew it
    later = NOW + 3 * MINUTE
    taken = write(uow, lambda: uow.outbox.claim(later, 1, later + 2 * MINUTE, "w3"))
    assert [i.id for i in taken] == [mine[0].id]
    assert write(uow, lambda: uow.outbox.renew_lease(mine[0], "w1", later, later)) is False
    assert uow.outbox.next_wakeup() == NOW + 2 * MINUTE  # w2's lease ends first


def test_deliveries_retry_park_and_send(queued: list[Notice], uow: Any) -> None:
    _compose(uow, 10)
    lease = NOW + 2 * MINUTE
    a, b = write(uow, lambda: uow.outbox.claim(NOW, 10, lease, "w1"))
    retry_at = NOW + 5 * MINUTE
    write(uow, lambda: uow.outbox.record_delivery(a, NOW, "w1", "retry", "busy", retry_at))
    write(uow, lambda: uow.outbox.record_delivery(b, NOW, "w1", "parked", "no such address",
                                                  None))
    assert [n.delivery for n in uow.outbox.notices(2)] == ["parked"]
    assert uow.outbox.next_wakeup() == retry_at
    assert write(uow, lambda: uow.outbox.claim(NOW + MINUTE, 10, lease, "w1")) == []
    (again,) = write(uow, lambda: uow.outbox.claim(retry_at, 10, retry_at + MINUTE, "w2"))
    assert (again.id, again.attempts) == (a.id, 1)
    # w1's late failure is ignored; w2's success counts
    write(uow, lambda: uow.outbox.record_delivery(again, retry_at, "w1", "parked", "late",
                                                  None))
    write(uow, lambda: uow.outbox.record_delivery(again, retry_at, "w2", "sent", "", None))
    assert [n.delivery for n in uow.outbox.notices(1)] == ["sent"]
    counts = uow.outbox.counts()
    assert (counts.pending, counts.sent, counts.parked) == (0, 1, 1)
    assert counts.parked_items == [("k-b@others.vn", "log", "b@others.vn", "no such address")]
    # a sent message is never claimed again, and timers still wake the worker
    assert write(uow, lambda: uow.outbox.claim(retry_at + MINUTE, 10, lease, "w3")) == []
    assert uow.outbox.next_wakeup() == uow.timers.next_due()
