"""The web board's reads on the twin: the board's row per child node (counts, overdue,
recognised share and the gap to the target), the unit page's events for each actor, and
"my work" with working days left on the definition's calendar (weekends only here)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import GOOD_EVALUATION, local
from workflow.access import Grant
from workflow.calendar import WorkingCalendar, no_holidays
from workflow.clock import VirtualClock
from workflow.service.actors import Actors, Refused
from workflow.service.cycles import CycleService
from workflow.service.desk import BoardFilter, ChildRow, Desk, working_days
from workflow.spec.model import CalendarSpec
from workflow.testing import InMemoryUnitOfWork

SECRETARY = ("bithu.thon1", "unit_secretary")


def plain(token: str, stored: str) -> bool:
    return stored == f"hash:{token}"


@pytest.fixture
def desk(commune: CycleService, uow: InMemoryUnitOfWork, clock: VirtualClock) -> Desk:
    issued = iter(["t-admin", "t-thon1", "t-board", "t-audit"])

    def issue() -> tuple[str, str]:
        token = next(issued)
        return token, f"hash:{token}"

    actors = Actors(uow, clock, plain, issue)
    actors.add("quantri", "administrator", None)
    for actor, role, scope in (("bithu.thon1", "unit_secretary", "CB-THON1"),
                               ("btc.x01", "superior_org_board", "X01"),
                               ("kiemtra.t01", "auditor", "T01")):  # fmt: skip
        actors.add(actor, role, scope, by="quantri", token=lambda: "t-admin")
    return Desk(actors, commune)


def grant(desk: Desk, actor: str) -> Grant:
    found = desk.uow.actors.find(actor)
    assert found is not None
    return found[0]


def test_the_gap_is_the_units_still_to_recognise_rounded_up() -> None:
    row = ChildRow("X01", "Đảng ủy xã Tân Lập", "committee", counted=7, recognized=2)
    # 50 % of 7 units is 3.5: four must be recognised, two are, two to go
    assert row.gap(50) == 2
    assert row.gap(20) == 0 and row.gap(None) is None
    assert ChildRow("X02", "", "committee").gap(50) is None


def test_the_board_has_a_row_per_child_with_its_subtree(desk: Desk) -> None:
    commune = desk.cycles
    commune.fire("CB-THON1", "register", 2025, *SECRETARY, {"plan": "KH-1"})
    view = desk.board(None, 2025, "T01", BoardFilter())
    rows = {r.code: r for r in view.rows}
    assert list(rows) == ["X01", "X02"]
    assert rows["X01"].by_state == {"registered": 1, "not_registered": 4}
    # the target counts grassroots organisations: CB-THON1 and DB-TRUONG (not the cells)
    assert (rows["X01"].counted, rows["X01"].recognized, rows["X01"].gap(50)) == (2, 0, 1)
    assert view.target == 50
    only = desk.board(None, 2025, "T01", BoardFilter(state="registered"))
    assert [r.code for r in only.rows] == ["X01"]
    assert [r.code for r in desk.board(None, 2025, "T01", BoardFilter(search="hòa")).rows] == [
        "X02"
    ]


def test_the_board_filtered_by_organisation_type(desk: Desk) -> None:
    desk.cycles.clock.set(local(2025, 4, 2))  # type: ignore[attr-defined]
    # the school (administrative) is a committee of four cycles under X01; the village
    # cells are CB-THON1 under X01 and CB-KP3 under X02
    schools = desk.board(None, 2025, "T01", BoardFilter(org_type="administrative"))
    assert {r.code: (r.total, r.overdue, r.counted) for r in schools.rows} == {"X01": (4, 4, 1)}
    villages = desk.board(None, 2025, "T01", BoardFilter(org_type="village", overdue_only=True))
    assert {r.code: (r.total, r.overdue) for r in villages.rows} == {"X01": (1, 1), "X02": (1, 1)}
    assert desk.board(None, 2025, "T01", BoardFilter(org_type="armed_forces")).rows == []


def test_the_board_keeps_children_with_a_recognised_unit_or_those_with_none(desk: Desk) -> None:
    clock = desk.cycles.clock
    for when, event, actor, role, payload in (
        (local(2025, 2, 20), "register", *SECRETARY, {"plan": "KH-05"}),
        (local(2025, 2, 21), "start", *SECRETARY, {}),
        (local(2025, 12, 10), "self_evaluate", *SECRETARY, GOOD_EVALUATION),
        (local(2025, 12, 28), "propose", *SECRETARY, {}),
        (local(2026, 1, 20), "appraise", "btc.x01", "superior_org_board", {}),
        (local(2026, 3, 2), "recognize", "btv.x01", "superior_standing_committee",
         {"decision": "125-QĐ/ĐU"}),
    ):  # fmt: skip
        clock.set(when)  # type: ignore[attr-defined]
        assert desk.cycles.fire("CB-THON1", event, 2025, actor, role, payload).applied
    # Xã Tân Lập has thôn 1 recognised; Phường Hòa Bình none
    yes = desk.board(None, 2025, "T01", BoardFilter(recognized="yes"))
    assert [(r.code, r.recognized) for r in yes.rows] == [("X01", 1)]
    no = desk.board(None, 2025, "T01", BoardFilter(recognized="no"))
    assert [(r.code, r.recognized) for r in no.rows] == [("X02", 0)]
    assert [r.code for r in desk.board(None, 2025, "T01", BoardFilter()).rows] == ["X01", "X02"]


def test_the_board_pages_its_rows_and_says_how_many_there_are(desk: Desk) -> None:
    # Xã Tân Lập's children: CB-THON1 and DB-TRUONG, one a page
    first = desk.board(None, 2025, "X01", BoardFilter(per_page=1))
    second = desk.board(None, 2025, "X01", BoardFilter(per_page=1, page=2))
    assert [r.code for r in first.rows] == ["CB-THON1"]
    assert [r.code for r in second.rows] == ["DB-TRUONG"]
    assert (first.matching, first.page, first.pages) == (2, 1, 2)
    # a page past the last shows the last
    past = desk.board(None, 2025, "X01", BoardFilter(per_page=1, page=9))
    assert ([r.code for r in past.rows], past.page) == (["DB-TRUONG"], 2)


def test_overdue_children_after_the_registration_deadline(desk: Desk) -> None:
    desk.cycles.clock.set(local(2025, 4, 2))  # type: ignore[attr-defined]
    view = desk.board(None, 2025, "T01", BoardFilter(overdue_only=True))
    assert {r.code: r.overdue for r in view.rows} == {"X01": 5, "X02": 1}


def test_a_secretary_sees_only_their_own_row_and_no_other_node(desk: Desk) -> None:
    thon1 = grant(desk, "bithu.thon1")
    view = desk.board(thon1, 2025, None, BoardFilter())
    assert [r.code for r in view.rows] == ["CB-THON1"]
    with pytest.raises(Refused):
        desk.board(thon1, 2025, "X02", BoardFilter())
    with pytest.raises(Refused):
        desk.unit(thon1, "CB-KP3", 2025)


def test_each_actor_is_offered_only_its_own_events(desk: Desk) -> None:
    commune = desk.cycles
    for event, payload in (("register", {"plan": "KH-1"}), ("start", {}),
                           ("self_evaluate", GOOD_EVALUATION), ("propose", {})):  # fmt: skip
        assert commune.fire("CB-THON1", event, 2025, *SECRETARY, payload).applied
    board, secretary, auditor = (grant(desk, a) for a in ("btc.x01", "bithu.thon1", "kiemtra.t01"))
    offered = desk.unit(board, "CB-THON1", 2025).events
    assert sorted(offered) == [("appraise", "superior_org_board"),
                               ("reject", "superior_org_board"),
                               ("return_for_revision", "superior_org_board")]  # fmt: skip
    assert desk.unit(secretary, "CB-THON1", 2025).events == []
    assert desk.unit(auditor, "CB-THON1", 2025).events == []
    work = {w.cycle.unit_code: sorted(w.events) for w in desk.my_work(board, 2025)}
    # the proposal to appraise, and the cycles it may close as lapsed (never registered)
    assert work == {
        "CB-THON1": ["appraise", "reject", "return_for_revision"],
        "DB-TRUONG": ["lapse"], "DB-TRUONG-1": ["lapse"], "DB-TRUONG-2": ["lapse"],
        "DB-TRUONG-3": ["lapse"],
    }  # fmt: skip


def test_my_work_counts_working_days_to_the_next_deadline(desk: Desk) -> None:
    desk.cycles.clock.set(local(2025, 3, 24))  # type: ignore[attr-defined]
    (item,) = desk.my_work(grant(desk, "bithu.thon1"), 2025)
    # Monday 24/03 to Monday 31/03: five working days (the weekend skipped), due soon
    assert (item.deadline, item.days_left, item.status) == ("register", 5, "soon")
    desk.cycles.clock.set(local(2025, 4, 2))  # type: ignore[attr-defined]
    (late,) = desk.my_work(grant(desk, "bithu.thon1"), 2025)
    assert (late.days_left, late.status) == (-2, "late")


def test_working_days_skip_weekends_both_ways() -> None:
    weekdays = WorkingCalendar.from_spec(CalendarSpec(country="VN"), no_holidays)
    assert working_days(weekdays, date(2025, 3, 28), date(2025, 3, 31)) == 1  # Fri → Mon
    assert working_days(weekdays, date(2025, 3, 31), date(2025, 3, 28)) == -1
    assert working_days(weekdays, date(2025, 3, 31), date(2025, 3, 31)) == 0


def test_a_page_shows_the_newest_cycle_year_until_another_is_asked(
    desk: Desk, clock: VirtualClock
) -> None:
    # December 2026, the 2025 cycles the last ones opened: pages still show 2025
    clock.set(local(2026, 12, 2, 9))
    assert desk.year(None) == 2025
    assert desk.year(2024) == 2024


def test_with_no_cycle_yet_a_page_shows_the_clock_s_year(
    service: CycleService, uow: InMemoryUnitOfWork, clock: VirtualClock
) -> None:
    clock.set(local(2026, 1, 2, 9))
    actors = Actors(uow, clock, lambda token, stored: False, lambda: ("t", "h"))
    assert Desk(actors, service).year(None) == 2026
