"""Reminders and escalations through the service on the twin: written with the cycle,
cancelled by the move that meets their deadline, fired once, composed one message per
recipient, delivered with retries and parking to a RecordingNotifier (ported from
tests/integration/test_timers.py; the notice queued while its address is composed, a
PostgreSQL concurrency case, stays there, as do the real receivers of test_delivery.py)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest

from adapters.holidays_vn import calendar_for
from adapters.notifications.templates import render_digest
from definitions import shipped_sources
from tests.conftest import FIXTURES, GOOD_EVALUATION, local
from tests.support.twin import import_units
from workflow.clock import VirtualClock
from workflow.service.cycles import CycleService
from workflow.service.ticks import Ticks
from workflow.spec.registry import Definition, DefinitionSet
from workflow.testing import InMemoryUnitOfWork, RecordingNotifier
from workflow.timefmt import LOCAL_TZ
from workflow.units import UnitImport

SECRETARY = ("bithu", "unit_secretary")
BOARD = ("btc.x01", "superior_org_board")

#: A commune of 6 village cells, each with its secretary; the commune's board and standing
#: committee have addresses, so escalations have somewhere to go.
VILLAGES = [
    UnitImport("T01", "Tỉnh ủy mẫu", "committee", "other", None, 0, {}),
    UnitImport(
        "X01",
        "Đảng ủy xã Tân Lập",
        "committee",
        "village",
        "T01",
        0,
        {
            "superior_org_board": "btc.x01@example.vn",
            "superior_standing_committee": "btv.x01@example.vn",
        },
    ),
    *[
        UnitImport(
            f"CB-THON{i}",
            f"Chi bộ thôn {i}",
            "grassroots_cell",
            "village",
            "X01",
            12,
            {"unit_secretary": f"bithu.thon{i}@example.vn"},
        )
        for i in range(1, 7)
    ],
]


@pytest.fixture
def villages(uow: InMemoryUnitOfWork, clock: VirtualClock) -> CycleService:
    """Six village cells with their secretaries, on the Vietnamese calendar."""
    import_units(uow, VILLAGES)
    return CycleService(uow, clock, calendar_for)


def ticks(service: CycleService) -> Ticks:
    return Ticks(service, render_digest, channels=("log",))


def notices_of(uow: InMemoryUnitOfWork, code: str, deadline: str | None = None) -> list[Any]:
    """(kind, step, at) of a unit's notices, by instant, kind and step."""
    unit_id = uow.tables.unit_ids[code]
    return sorted(
        (n["kind"], n["step"], n["at"])
        for n in uow.tables.notices.values()
        if n["unit_id"] == unit_id and (deadline is None or n["deadline"] == deadline)
    )


def test_opening_a_cycle_writes_each_ladders_first_timer_and_the_tick_the_rest(
    villages: CycleService, uow: InMemoryUnitOfWork, clock: VirtualClock, bon_tot: Definition
) -> None:
    villages.open_cycles(bon_tot, 2025)
    spec = bon_tot.spec
    opened = list(uow.tables.timers.values())
    # six cells, one row per deadline: its first reminder (every deadline has one)
    assert len(opened) == 6 * len(spec.deadlines)
    assert {(t["kind"], t["step"]) for t in opened} == {("reminder", 1)}
    # nobody acts all year: every reminder and escalation of every ladder goes out
    ticks(villages).run_out(clock)
    per_cycle = sum(len(d.reminders) + len(d.escalations) for d in spec.deadlines.values())
    timers = list(uow.tables.timers.values())
    assert len(timers) == 6 * per_cycle
    assert all(t["fired_at"] is not None for t in timers)
    assert len(uow.tables.notices) == 6 * per_cycle
    cal = calendar_for(spec.calendar)
    for timer in timers:
        day = date.fromisoformat(timer["due_at"][:10])  # 01:00 UTC: 08:00 in Vietnam
        assert cal.is_working(day), timer["due_at"]
        assert not date(2026, 2, 14) <= day <= date(2026, 2, 22)


def test_meeting_a_deadline_cancels_its_reminders_and_only_the_late_are_reminded(
    villages: CycleService, uow: InMemoryUnitOfWork, clock: VirtualClock, bon_tot: Definition
) -> None:
    villages.open_cycles(bon_tot, 2025)
    clock.set(local(2025, 2, 20))
    for i in (1, 2, 3, 4):  # four cells register on time; thôn 5 and 6 do not
        assert villages.fire(f"CB-THON{i}", "register", 2025, *SECRETARY, {"plan": "KH"}).applied
    ticks(villages).run_until(clock, local(2025, 4, 2, 9))
    reminded = [
        (uow.tables.units[n["unit_id"]]["code"], n["kind"], n["address"])
        for n in sorted(uow.tables.notices.values(), key=lambda n: n["at"])
        if n["deadline"] == "register"
    ]
    assert {code for code, _k, _a in reminded} == {"CB-THON5", "CB-THON6"}
    assert Counter(kind for _c, kind, _a in reminded) == {"reminder": 4, "escalation": 2}
    assert [a for _c, k, a in reminded if k == "escalation"] == ["btc.x01@example.vn"] * 2
    # the board got one message for both late cells, on 01/04/2025 (a Tuesday)
    board_mail = [(at, m) for at, m in uow.outbox.messages() if m.address == "btc.x01@example.vn"]
    assert len(board_mail) == 1
    at, message = board_mail[0]
    assert at.astimezone(LOCAL_TZ).date() == date(2025, 4, 1)
    assert sorted(i["unit_code"] for i in message.data["items"]) == ["CB-THON5", "CB-THON6"]


def test_a_tick_at_the_same_instant_twice_fires_nothing_the_second_time(
    villages: CycleService, uow: InMemoryUnitOfWork, clock: VirtualClock, bon_tot: Definition
) -> None:
    villages.open_cycles(bon_tot, 2025)
    clock.set(local(2025, 3, 20, 9))
    first = ticks(villages).fire_and_compose()
    second = ticks(villages).fire_and_compose()
    assert first.fired > 0 and first.composed > 0
    assert (second.fired, second.composed) == (0, 0)
    assert len(uow.tables.notices) == first.fired


def test_returned_for_revision_brings_back_the_reminders_still_ahead(
    villages: CycleService, uow: InMemoryUnitOfWork, clock: VirtualClock, bon_tot: Definition
) -> None:
    villages.open_cycles(bon_tot, 2025)
    ticker = ticks(villages)
    for when, event, actor, payload in [
        (local(2025, 2, 20), "register", SECRETARY, {"plan": "KH"}),
        (local(2025, 2, 21), "start", SECRETARY, {}),
        (local(2025, 11, 20), "self_evaluate", SECRETARY, GOOD_EVALUATION),
        (local(2025, 11, 21), "propose", SECRETARY, {}),
    ]:
        ticker.run_until(clock, when)
        assert villages.fire("CB-THON1", event, 2025, *actor, payload).applied
    ticker.run_until(clock, local(2025, 12, 15))
    assert notices_of(uow, "CB-THON1", "propose") == []  # proposed before any reminder
    assert villages.fire("CB-THON1", "return_for_revision", 2025, *BOARD,
                         {"reason": "thiếu"}).applied
    ticker.run_until(clock, local(2026, 1, 20))
    sent = notices_of(uow, "CB-THON1", "propose")
    # -20 working days passed while it was proposed: never sent; the -5 and -1 reminders
    # and the whole escalation ladder were still ahead: all sent
    spec = villages.spec("bon-tot", bon_tot.spec.version).deadlines["propose"]
    assert sorted((k, s) for k, s, _at in sent) == sorted([
        ("reminder", 2), ("reminder", 3),
        *[("escalation", i) for i in range(1, len(spec.escalations) + 1)],
    ])
    others = notices_of(uow, "CB-THON2", "propose")  # never proposed: every reminder
    assert [s for k, s, _at in others if k == "reminder"] == [1, 2, 3]


def test_a_lapsed_cycle_is_reminded_of_nothing_more(
    villages: CycleService, uow: InMemoryUnitOfWork, clock: VirtualClock, bon_tot: Definition
) -> None:
    villages.open_cycles(bon_tot, 2025)
    ticker = ticks(villages)
    ticker.run_until(clock, local(2025, 6, 1))
    before = notices_of(uow, "CB-THON6")
    assert before  # it missed registration: reminded and escalated
    assert villages.fire("CB-THON6", "lapse", 2025, *BOARD, {"reason": "không đăng ký"}).applied
    ticker.run_until(clock, local(2026, 4, 30))
    assert notices_of(uow, "CB-THON6") == before
    assert len(notices_of(uow, "CB-THON5")) > len(before)  # its neighbour goes on


def test_a_worker_down_from_1_to_20_december_catches_up_with_one_digest_per_recipient(
    villages: CycleService, uow: InMemoryUnitOfWork, clock: VirtualClock
) -> None:
    path = FIXTURES / "definitions" / "extra" / "december-report.yaml"
    catalog = DefinitionSet.from_texts(
        [*shipped_sources(), (str(path), path.read_text(encoding="utf-8"))]
    )
    villages.open_cycles(catalog.latest("test-december-report"), 2025)
    clock.set(local(2025, 2, 20))
    for i in range(1, 7):
        assert villages.fire(f"CB-THON{i}", "register", 2025, *SECRETARY, {"plan": "KH"}).applied
    ticker = ticks(villages)
    ticker.run_until(clock, local(2025, 11, 30, 23))  # the worker was up until 30/11
    before = {m.key for _at, m in uow.outbox.messages()}
    already = set(uow.tables.notices)
    clock.set(local(2025, 12, 20, 9))  # the worker starts again: one tick
    fired = ticker.fire_and_compose().fired
    caught_up = [n for key, n in uow.tables.notices.items() if key not in already]
    escalations = [n for n in caught_up if n["kind"] == "escalation"]
    assert len(escalations) == 6 * 3  # every cell, every step of the December ladder
    assert fired == len(caught_up)
    messages = [m for _at, m in uow.outbox.messages() if m.key not in before]
    recipients = [m.address for m in messages]
    assert len(recipients) == len(set(recipients))  # one message per recipient
    assert set(recipients) == {
        "btc.x01@example.vn", "btv.x01@example.vn",
        *(f"bithu.thon{i}@example.vn" for i in range(1, 7)),
    }
    listed = [i for m in messages for i in m.data["items"] if not i["collapsed"]]
    assert Counter(i["kind"] for i in listed)["escalation"] == len(escalations)
    for i in range(1, 7):  # the three December reminders collapse into the latest, late
        mine = next(m for m in messages if m.address == f"bithu.thon{i}@example.vn")
        shown = [x for x in mine.data["items"] if not x["collapsed"]]
        assert [x["step"] for x in shown if x["deadline"] == "december_report"] == [3]
        assert all(x["late"] for x in shown)
    fired = [n for n in uow.tables.notices.values() if n["at"] >= "2025-12-20"]
    assert len(fired) == len(caught_up)


def test_next_wakeup_is_the_earliest_pending_timer(
    villages: CycleService, uow: InMemoryUnitOfWork, clock: VirtualClock, bon_tot: Definition
) -> None:
    villages.open_cycles(bon_tot, 2025)
    wakeup = ticks(villages).next_wakeup()
    assert wakeup is not None and wakeup == uow.timers.next_due()
    clock.set(wakeup + timedelta(seconds=1))
    ticks(villages).fire_and_compose()
    later = ticks(villages).next_wakeup()
    assert later is not None and later > wakeup  # composed; the outbox waits for delivery


def test_an_escalation_due_while_the_worker_was_down_goes_out_though_the_unit_moved_since(
    villages: CycleService, uow: InMemoryUnitOfWork, clock: VirtualClock, bon_tot: Definition
) -> None:
    villages.open_cycles(bon_tot, 2025)
    ticker = ticks(villages)
    ticker.run_until(clock, local(2025, 3, 28, 12))  # the worker stops on 28/03
    clock.set(local(2025, 3, 30, 10))  # thôn 2 registers on time, while it is down
    assert villages.fire("CB-THON2", "register", 2025, *SECRETARY, {"plan": "KH"}).applied
    clock.set(local(2025, 4, 3, 10))  # thôn 1 late: the escalation of 01/04 fell due
    assert villages.fire("CB-THON1", "register", 2025, *SECRETARY, {"plan": "KH"}).applied
    clock.set(local(2025, 4, 7, 9))  # the worker is back
    ticker.fire_and_compose()
    kinds = {code: [(k, s) for k, s, _at in notices_of(uow, code, "register")]
             for code in ("CB-THON1", "CB-THON2", "CB-THON3")}
    assert ("escalation", 1) in kinds["CB-THON1"]  # it was late then: it goes out
    assert ("escalation", 1) in kinds["CB-THON3"]  # still late
    assert ("escalation", 1) not in kinds["CB-THON2"]  # met before it fell due
    assert ("reminder", 2) in kinds["CB-THON2"]  # sent before the stop


def test_delivery_retries_with_backoff_then_parks_and_the_board_shows_it(
    villages: CycleService, uow: InMemoryUnitOfWork, clock: VirtualClock, bon_tot: Definition
) -> None:
    villages.open_cycles(bon_tot, 2025)
    clock.set(local(2025, 3, 17, 9))  # the -10 working days reminders of registration
    ticker = ticks(villages)
    assert ticker.fire_and_compose().composed == 6
    notifier = RecordingNotifier()
    notifier.fail_for("bithu.thon1@example.vn", "503 busy", times=1)
    notifier.fail_for("bithu.thon2@example.vn", "550 no such user", temporary=False)
    first = ticker.deliver(notifier, "w1", backoff=(timedelta(minutes=1),))
    assert Counter(o.result for o in first.outcomes) == {"sent": 4, "retry": 1, "parked": 1}
    assert ticker.deliver(notifier, "w1").outcomes == []  # the retry waits its minute
    clock.set(local(2025, 3, 17, 9, 2))
    again = ticker.deliver(notifier, "w1", backoff=(timedelta(minutes=1),))
    assert [(o.address, o.result) for o in again.outcomes] == [
        ("bithu.thon1@example.vn", "sent")
    ]
    assert len(notifier.sent) == 5 and len(notifier.attempts) == 7
    assert notifier.sent_to("bithu.thon2@example.vn") == []
    counts = uow.outbox.counts()
    assert (counts.pending, counts.sent, counts.parked) == (0, 5, 1)
    assert counts.parked_items[0][2:] == ("bithu.thon2@example.vn", "550 no such user")
    thon2 = villages.history("CB-THON2", 2025)
    assert [n.delivery for n in thon2.notices] == ["parked"]
    # every attempt is recorded, each with its worker
    assert Counter(d["result"] for d in uow.tables.deliveries) == {
        "sent": 5, "retry": 1, "parked": 1
    }


def test_a_deadline_met_late_while_the_worker_was_down_still_escalates_what_fell_due(
    villages: CycleService, uow: InMemoryUnitOfWork, clock: VirtualClock, bon_tot: Definition
) -> None:
    """Registration is due 31/03/2025: reminders on 17/03 and 26/03, the board warned on
    01/04. The worker stops on 01/03; thôn 1 registers on 10/04. Its reminders are moot,
    but the warning fell due before it registered: it goes out when the worker is back,
    although only the first reminder was written when the worker stopped."""
    villages.open_cycles(bon_tot, 2025)
    ticker = ticks(villages)
    ticker.run_until(clock, local(2025, 3, 1))
    clock.set(local(2025, 4, 10, 9))
    assert villages.fire("CB-THON1", "register", 2025, *SECRETARY, {"plan": "KH"}).applied
    clock.set(local(2025, 4, 11, 9))
    ticker.fire_and_compose()
    assert [(kind, step) for kind, step, _at in notices_of(uow, "CB-THON1", "register")] == [
        ("escalation", 1)
    ]
    # its neighbour, still unregistered, got the whole ladder in the same tick
    assert [(k, s) for k, s, _at in notices_of(uow, "CB-THON2", "register")] == [
        ("escalation", 1), ("reminder", 1), ("reminder", 2)
    ]
