"""Reminders and escalations as rows on a real database (each backend): written with the
cycle, cancelled by the move that meets their deadline, fired once, composed one message
per recipient."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from adapters.holidays_vn import calendar_for
from adapters.notifications.templates import render_digest
from adapters.persistence.db import create_schema, make_engine
from adapters.persistence.store import SqlStore
from definitions import shipped_sources
from tests.conftest import FIXTURES, GOOD_EVALUATION, local
from tests.support.backends import rows
from workflow.clock import VirtualClock
from workflow.notices import address_notices, compose
from workflow.service.cycles import CycleService
from workflow.service.ticks import Ticks
from workflow.spec.registry import Definition, DefinitionSet
from workflow.timefmt import LOCAL_TZ, to_db
from workflow.units import UnitRow

SECRETARY = ("bithu", "unit_secretary")
BOARD = ("btc.x01", "superior_org_board")

#: A commune of 6 village cells, each with its secretary; the commune's board and standing
#: committee have addresses, so escalations have somewhere to go.
VILLAGES = [
    UnitRow("T01", "Tỉnh ủy mẫu", "committee", "other", None, 0, {}),
    UnitRow(
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
        UnitRow(
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
def catalog_with_december() -> DefinitionSet:
    path = FIXTURES / "definitions" / "extra" / "december-report.yaml"
    return DefinitionSet.from_texts(
        [*shipped_sources(), (str(path), path.read_text(encoding="utf-8"))]
    )


@pytest.fixture
def villages(db_url: str) -> Iterator[tuple[CycleService, VirtualClock, SqlStore]]:
    engine = make_engine(db_url)
    create_schema(engine)
    store = SqlStore(engine)
    store.import_units(VILLAGES)
    clock = VirtualClock(local(2025, 1, 5, 8))
    yield CycleService(store, clock, calendar_for), clock, store
    store.close()
    engine.dispose()


def notifications(engine: CycleService) -> Ticks:
    return Ticks(engine, render_digest, channels=("log",))


def test_opening_a_cycle_writes_its_whole_ladder_on_working_days(
    villages: tuple[CycleService, VirtualClock, SqlStore], bon_tot: Definition, db_url: str
) -> None:
    engine, _clock, _store = villages
    engine.open_cycles(bon_tot, 2025)
    spec = bon_tot.spec
    per_cycle = sum(len(d.reminders) + len(d.escalations) for d in spec.deadlines.values())
    timers = rows(db_url, "SELECT cycle_id, due_at, kind, role FROM timer")
    assert len(timers) == 6 * per_cycle
    cal = calendar_for(spec.calendar)
    for _cycle, due_at, _kind, _role in timers:
        day = date.fromisoformat(due_at[:10])  # 01:00 UTC is 08:00 the same day in Vietnam
        assert cal.is_working(day), due_at
        assert not date(2026, 2, 14) <= day <= date(2026, 2, 22)


def test_meeting_a_deadline_cancels_its_reminders_and_only_the_late_are_reminded(
    villages: tuple[CycleService, VirtualClock, SqlStore], bon_tot: Definition, db_url: str
) -> None:
    engine, clock, store = villages
    engine.open_cycles(bon_tot, 2025)
    clock.set(local(2025, 2, 20))
    for i in (1, 2, 3, 4):  # four cells register on time; thôn 5 and 6 do not
        assert engine.fire(f"CB-THON{i}", "register", 2025, *SECRETARY, {"plan": "KH"}).applied
    notifications(engine).run_until(clock, local(2025, 4, 2, 9))
    reminded = rows(
        db_url,
        "SELECT u.code, n.kind, n.address FROM notice n JOIN unit u ON u.id = n.unit_id "
        "WHERE n.deadline = 'register' ORDER BY n.at, u.code",
    )
    assert {code for code, _k, _a in reminded} == {"CB-THON5", "CB-THON6"}
    assert Counter(kind for _c, kind, _a in reminded) == {"reminder": 4, "escalation": 2}
    escalations = [a for _c, k, a in reminded if k == "escalation"]
    assert escalations == ["btc.x01@example.vn", "btc.x01@example.vn"]
    # the board got one message for both late cells, on 01/04/2025 (a Tuesday)
    board_mail = [
        (at, m) for at, m in store.outbox_messages() if m.address == "btc.x01@example.vn"
    ]
    assert len(board_mail) == 1
    at, message = board_mail[0]
    assert at.astimezone(LOCAL_TZ).date() == date(2025, 4, 1)
    assert sorted(i["unit_code"] for i in message.data["items"]) == ["CB-THON5", "CB-THON6"]


def test_a_tick_at_the_same_instant_twice_fires_nothing_the_second_time(
    villages: tuple[CycleService, VirtualClock, SqlStore], bon_tot: Definition, db_url: str
) -> None:
    engine, clock, _store = villages
    engine.open_cycles(bon_tot, 2025)
    clock.set(local(2025, 3, 20, 9))
    first = notifications(engine).fire_and_compose()
    second = notifications(engine).fire_and_compose()
    assert first.fired > 0 and first.composed > 0
    assert (second.fired, second.composed) == (0, 0)
    assert rows(db_url, "SELECT COUNT(*) FROM notice")[0][0] == first.fired


def notices_of(db_url: str, code: str, deadline: str | None = None) -> list[tuple[Any, ...]]:
    # (no `? IS NULL` on a parameter: PostgreSQL cannot tell what type it would be)
    return rows(
        db_url,
        "SELECT n.kind, n.step, n.at FROM notice n JOIN unit u ON u.id = n.unit_id "
        f"WHERE u.code = ?{'' if deadline is None else ' AND n.deadline = ?'} "
        "ORDER BY n.at, n.kind, n.step",
        (code,) if deadline is None else (code, deadline),
    )


def test_returned_for_revision_brings_back_the_reminders_still_ahead(
    villages: tuple[CycleService, VirtualClock, SqlStore], bon_tot: Definition, db_url: str
) -> None:
    engine, clock, _store = villages
    engine.open_cycles(bon_tot, 2025)
    ticker = notifications(engine)
    for when, event, actor, payload in [
        (local(2025, 2, 20), "register", SECRETARY, {"plan": "KH"}),
        (local(2025, 2, 21), "start", SECRETARY, {}),
        (local(2025, 11, 20), "self_evaluate", SECRETARY, GOOD_EVALUATION),
        (local(2025, 11, 21), "propose", SECRETARY, {}),
    ]:
        ticker.run_until(clock, when)
        assert engine.fire("CB-THON1", event, 2025, *actor, payload).applied
    ticker.run_until(clock, local(2025, 12, 15))
    assert notices_of(db_url, "CB-THON1", "propose") == []  # proposed before any reminder
    assert engine.fire("CB-THON1", "return_for_revision", 2025, *BOARD, {"reason": "thiếu"}).applied
    ticker.run_until(clock, local(2026, 1, 20))
    sent = notices_of(db_url, "CB-THON1", "propose")
    # -20 working days (early December) passed while it was proposed: never sent; the
    # -5 and -1 reminders and the whole escalation ladder were still ahead: all sent
    spec = engine.spec("bon-tot", bon_tot.spec.version).deadlines["propose"]
    assert [(k, s) for k, s, _at in sent] == [
        ("reminder", 2),
        ("reminder", 3),
        *[("escalation", i) for i in range(1, len(spec.escalations) + 1)],
    ]
    others = notices_of(db_url, "CB-THON2", "propose")  # never proposed: every reminder
    assert [s for k, s, _at in others if k == "reminder"] == [1, 2, 3]


def test_a_lapsed_cycle_is_reminded_of_nothing_more(
    villages: tuple[CycleService, VirtualClock, SqlStore], bon_tot: Definition, db_url: str
) -> None:
    engine, clock, _store = villages
    engine.open_cycles(bon_tot, 2025)
    ticker = notifications(engine)
    ticker.run_until(clock, local(2025, 6, 1))
    before = notices_of(db_url, "CB-THON6")
    assert before  # it missed registration: reminded and escalated
    assert engine.fire("CB-THON6", "lapse", 2025, *BOARD, {"reason": "không đăng ký"}).applied
    ticker.run_until(clock, local(2026, 4, 30))
    assert notices_of(db_url, "CB-THON6") == before
    assert len(notices_of(db_url, "CB-THON5")) > len(before)  # its neighbour goes on


def test_a_worker_down_from_1_to_20_december_catches_up_with_one_digest_per_recipient(
    villages: tuple[CycleService, VirtualClock, SqlStore],
    catalog_with_december: DefinitionSet,
    db_url: str,
) -> None:
    engine, clock, store = villages
    definition = catalog_with_december.latest("test-december-report")
    engine.open_cycles(definition, 2025)
    clock.set(local(2025, 2, 20))
    for i in range(1, 7):
        assert engine.fire(f"CB-THON{i}", "register", 2025, *SECRETARY, {"plan": "KH"}).applied
    ticker = notifications(engine)
    ticker.run_until(clock, local(2025, 11, 30, 23))  # the worker was up until 30/11
    before = {m.key for _at, m in store.outbox_messages()}
    due_in_window = rows(
        db_url,
        "SELECT id, kind, deadline, role FROM timer WHERE fired_at IS NULL "
        "AND cancelled_at IS NULL AND due_at <= ?",
        ("2025-12-20T02:00:00.000000Z",),
    )
    escalations = [t for t in due_in_window if t[1] == "escalation"]
    assert len(escalations) == 6 * 3  # every cell, every step of the December ladder

    clock.set(local(2025, 12, 20, 9))  # the worker starts again: one tick
    result = ticker.fire_and_compose()
    assert result.fired == len(due_in_window)
    messages = [m for _at, m in store.outbox_messages() if m.key not in before]
    recipients = [m.address for m in messages]
    assert len(recipients) == len(set(recipients))  # one message per recipient
    assert set(recipients) == {
        "btc.x01@example.vn",
        "btv.x01@example.vn",
        *(f"bithu.thon{i}@example.vn" for i in range(1, 7)),
    }
    listed = [i for m in messages for i in m.data["items"] if not i["collapsed"]]
    assert Counter(i["kind"] for i in listed)["escalation"] == len(escalations)
    # each secretary: the three December reminders collapse into the latest, marked late
    for i in range(1, 7):
        mine = next(m for m in messages if m.address == f"bithu.thon{i}@example.vn")
        shown = [i for i in mine.data["items"] if not i["collapsed"]]
        december = [x for x in shown if x["deadline"] == "december_report"]
        assert [x["step"] for x in december] == [3]
        assert all(x["late"] for x in shown)
    # and every fired timer is in the audit trail, addressed
    noticed = rows(db_url, "SELECT COUNT(*) FROM notice WHERE at >= ?", ("2025-12-20",))
    assert noticed[0][0] == len(due_in_window)


def test_next_wakeup_is_the_earliest_pending_timer(
    villages: tuple[CycleService, VirtualClock, SqlStore], bon_tot: Definition, db_url: str
) -> None:
    engine, clock, store = villages
    engine.open_cycles(bon_tot, 2025)
    earliest = rows(
        db_url, "SELECT MIN(due_at) FROM timer WHERE fired_at IS NULL AND cancelled_at IS NULL"
    )[0][0]
    wakeup = store.next_wakeup()
    assert wakeup is not None
    assert wakeup.isoformat().replace("+00:00", "")[:19] == earliest[:19]
    clock.set(wakeup + timedelta(seconds=1))
    notifications(engine).fire_and_compose()
    later = store.next_wakeup()
    assert later is not None and later > wakeup  # composed; the outbox waits for delivery


def test_an_escalation_due_while_the_worker_was_down_goes_out_though_the_unit_moved_since(
    villages: tuple[CycleService, VirtualClock, SqlStore], bon_tot: Definition, db_url: str
) -> None:
    engine, clock, _store = villages
    engine.open_cycles(bon_tot, 2025)
    ticker = notifications(engine)
    ticker.run_until(clock, local(2025, 3, 28, 12))  # the worker stops on 28/03
    clock.set(local(2025, 3, 30, 10))  # thôn 2 registers on time, while it is down
    assert engine.fire("CB-THON2", "register", 2025, *SECRETARY, {"plan": "KH"}).applied
    # thôn 1 registers on 03/04, late: the escalation of 01/04 fell due meanwhile
    clock.set(local(2025, 4, 3, 10))
    assert engine.fire("CB-THON1", "register", 2025, *SECRETARY, {"plan": "KH"}).applied
    clock.set(local(2025, 4, 7, 9))  # the worker is back
    ticker.fire_and_compose()
    kinds = {
        code: [(k, s) for k, s, _at in notices_of(db_url, code, "register")]
        for code in ("CB-THON1", "CB-THON2", "CB-THON3")
    }
    assert ("escalation", 1) in kinds["CB-THON1"]  # it was late then: it goes out
    assert ("escalation", 1) in kinds["CB-THON3"]  # still late
    assert ("escalation", 1) not in kinds["CB-THON2"]  # met before it fell due
    # the -3 working days reminder (26/03) was sent before the stop, for all three
    assert ("reminder", 2) in kinds["CB-THON2"]


def test_a_notice_queued_while_its_address_is_being_composed_stays_queued(
    villages: tuple[CycleService, VirtualClock, SqlStore], bon_tot: Definition, db_url: str
) -> None:
    """Composition takes an address's queue and then removes it; a notice another worker
    queues for that address in between (it commits meanwhile on PostgreSQL) must stay
    queued for the next composition, not be removed unsent."""
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite has one writer at a time: no notice can be queued meanwhile")
    engine, _clock, store = villages
    engine.open_cycles(bon_tot, 2025)
    first, second = local(2025, 3, 17, 9), local(2025, 3, 31, 9)
    spec = engine.spec

    def address(at: Any) -> Any:
        return lambda due, units: address_notices(due, units, spec, at)

    assert store.fire_due_timers(first, 1000, address(first)) > 0
    other_engine = make_engine(db_url)
    other = SqlStore(other_engine)
    meanwhile: list[int] = []

    def compose_while_another_fires(pending: Any) -> Any:
        # another worker fires the next reminders, to the same secretaries, and commits
        meanwhile.append(other.fire_due_timers(second, 1000, address(second)))
        return compose(pending, first, "vi", ("log",), spec, render_digest, "test")

    try:
        composed = store.compose_pending(200, compose_while_another_fires, first)
    finally:
        other.close()
        other_engine.dispose()
    assert composed > 0 and meanwhile[0] > 0
    queued = rows(db_url, "SELECT q.notice_id, n.at FROM notice_queue q JOIN notice n "
                  "ON n.id = q.notice_id")
    assert len(queued) == meanwhile[0]  # every notice fired meanwhile, none composed
    assert {at for _id, at in queued} == {to_db(second)}
