"""Timers on a real database where only a real one will do: a notice queued by another
worker while its address is being composed (PostgreSQL) stays queued. The reminders'
behaviour runs on the twin (tests/service/test_ticks.py); the claims, chains and queues
are held to both databases by tests/contract."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from adapters.holidays_vn import calendar_for
from adapters.notifications.templates import render_digest
from adapters.persistence.db import create_schema, make_engine
from adapters.persistence.rows import INSERT_TIMER, timer_columns
from adapters.persistence.store import SqlStore
from tests.conftest import local
from tests.support.backends import rows
from workflow.clock import VirtualClock
from workflow.deadlines import plan_cycle_timers
from workflow.digests import compose
from workflow.notices import address_notices
from workflow.service.cycles import CycleService
from workflow.service.ticks import Ladders, Ticks
from workflow.spec.registry import Definition
from workflow.timefmt import to_db
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

    follow = Ladders(spec, engine.calendar).follow
    assert store.fire_due_timers(first, 1000, address(first), follow) > 0
    other_engine = make_engine(db_url)
    other = SqlStore(other_engine)
    meanwhile: list[int] = []

    def compose_while_another_fires(pending: Any) -> Any:
        # another worker fires the next reminders, to the same secretaries, and commits
        meanwhile.append(other.fire_due_timers(second, 1000, address(second), follow))
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


def test_a_database_that_wrote_whole_ladders_at_opening_sends_each_timer_once(
    villages: tuple[CycleService, VirtualClock, SqlStore], bon_tot: Definition, db_url: str
) -> None:
    """Before ladders were lazy a cycle opened with every timer of its year written. Such a
    database keeps working: the tick's successor of a timer is a row already there,
    rewritten with the same values, so nothing goes out twice; a met deadline's rows still
    ahead go with the move that meets it."""
    engine, clock, store = villages
    engine.open_cycles(bon_tot, 2025)
    opened_at = clock.now()
    planned = [
        t
        for t in plan_cycle_timers(bon_tot.spec, 2025, calendar_for(bon_tot.spec.calendar))
        if not (t.kind == "reminder" and t.due_at <= opened_at)  # as the eager store did
    ]
    cycles = rows(db_url, "SELECT id, unit_id FROM cycle")
    with store:
        store.sql.executemany(
            INSERT_TIMER + " ON CONFLICT (key) DO NOTHING",
            [
                (f"c{cycle_id}:{t.suffix}", cycle_id, None, unit_id, 2025,
                 *timer_columns(t, bon_tot.spec.id, bon_tot.spec.version))
                for cycle_id, unit_id in cycles
                for t in planned
            ],
        )
        store.commit()
    assert rows(db_url, "SELECT COUNT(*) FROM timer") == [(6 * len(planned),)]
    clock.set(local(2025, 2, 20))
    assert engine.fire("CB-THON1", "register", 2025, *SECRETARY, {"plan": "KH"}).applied
    registering = [t for t in planned if t.deadline == "register"]
    assert registering  # the cell's rows still ahead of its registration are gone
    notifications(engine).run_out(clock)
    sent = rows(
        db_url,
        "SELECT u.code, t.key FROM notice n JOIN timer t ON t.id = n.timer_id "
        "JOIN unit u ON u.id = n.unit_id",
    )
    keys = [key for _code, key in sent]
    assert len(keys) == len(set(keys))  # no timer sent twice
    for i in range(2, 7):  # nobody else acts all year: every timer of theirs goes out once
        assert sum(code == f"CB-THON{i}" for code, _k in sent) == len(planned)
    thon1 = {key.split(":", 1)[1] for code, key in sent if code == "CB-THON1"}
    later = {t.suffix for t in registering if t.due_at > local(2025, 2, 20)}
    assert later and not thon1 & later
    assert rows(db_url, "SELECT COUNT(*) FROM timer WHERE fired_at IS NULL AND "
                "cancelled_at IS NULL") == [(0,)]
