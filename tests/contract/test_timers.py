"""The timers repository's contract: milestones opened once for the committees at their
depth, kept once; due timers claimed oldest first, settled fired or cancelled."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import COMMUNE, local
from tests.support.units_of_work import write
from workflow.service.cycles import CycleService
from workflow.spec.registry import Definition, DefinitionSet

SECRETARY = ("bithu.thon1", "unit_secretary")


@pytest.fixture
def province(catalog: DefinitionSet) -> Definition:
    """Milestones for the committees at depth 1 (X01, X02): a half-year review and a report."""
    return catalog.latest("bon-tot-003-province-2023")


@pytest.fixture
def opened(service: CycleService, uow: Any, province: Definition) -> CycleService:
    write(uow, lambda: uow.units.import_rows(COMMUNE))
    result = service.open_cycles(province, 2025)
    assert (result.opened, result.milestones) == (6, 4)
    return service


def test_milestones_open_once_and_are_kept_once(
    opened: CycleService, uow: Any, province: Definition
) -> None:
    assert opened.open_cycles(province, 2025).milestones == 0
    assert uow.timers.kept_milestones(2025, None) == []
    at = local(2025, 6, 20)
    kept = write(uow, lambda: uow.timers.meet_milestone(
        "X01", 2025, province.spec.id, "interim_review_h1", "btv.x01", at
    ))
    assert kept is True
    again = write(uow, lambda: uow.timers.meet_milestone(
        "X01", 2025, province.spec.id, "interim_review_h1", "btv.x01", at
    ))
    assert again is False
    assert write(uow, lambda: uow.timers.meet_milestone(
        "CB-THON1", 2025, province.spec.id, "interim_review_h1", "x", at
    )) is False
    assert uow.timers.kept_milestones(2025, None) == [
        ("X01", province.spec.id, "interim_review_h1", at, "btv.x01")
    ]
    assert uow.timers.kept_milestones(2025, uow.units.find("X02")) == []
    facts = [e for e in uow.audit.log(None, None, None, None, None, None)
             if e["kind"] == "milestone_met"]
    assert [(f["unit"], f["event"], f["actor"], f["detail"]) for f in facts] == [
        ("X01", "interim_review_h1", "btv.x01", {"definition": province.spec.id})
    ]
    # its timers are cancelled: X02's review reminders are due, X01's never again
    due = uow.timers.claim_due(local(2025, 7, 2), 100)
    milestone_units = {t.unit_path for t in due if t.milestone_id is not None}
    assert milestone_units == {"/1/8/"}


def test_overdue_milestones_are_listed_after_the_deadlines_they_follow(
    opened: CycleService, uow: Any
) -> None:
    items = uow.cycles.list_overdue(None, 2025, local(2025, 7, 2))
    milestones = [(i.unit_code, i.deadline, i.state) for i in items if i.milestone]
    assert milestones == [("X01", "interim_review_h1", None), ("X02", "interim_review_h1", None)]
    assert [i.deadline for i in items][:6] == ["register"] * 6  # due 31/03, before 30/06
    assert [i.unit_code for i in uow.cycles.list_overdue(
        uow.units.find("X02"), 2025, local(2025, 7, 2)) if i.milestone] == ["X02"]


def test_due_timers_are_claimed_oldest_first_up_to_the_limit(
    opened: CycleService, uow: Any
) -> None:
    first = uow.timers.next_due()
    assert first is not None
    with uow:
        assert uow.timers.claim_due(first - timedelta(microseconds=1), 100) == []
        uow.commit()
    with uow:
        due = uow.timers.claim_due(local(2025, 7, 2), 100)
        uow.commit()
    assert due == sorted(due, key=lambda t: (t.due_at, t.id))
    assert due[0].due_at == first
    with uow:
        assert uow.timers.claim_due(local(2025, 7, 2), 3) == due[:3]
        uow.commit()
    cycle_timer = next(t for t in due if t.cycle_id == 1)
    assert (cycle_timer.unit_path, cycle_timer.state, cycle_timer.met_at) == (
        "/1/2/3/", "not_registered", None
    )
    assert cycle_timer.state_since == local(2025, 1, 5, 8)
    review = next(t for t in due if t.milestone_id is not None)
    assert (review.cycle_id, review.state, review.met_at, review.state_since) == (
        None, None, None, None
    )


def pending(uow: Any, cycle_id: int) -> list[tuple[str, str]]:
    """(deadline, kind) of a cycle's timers still to claim, in a year's time."""
    with uow:
        due = uow.timers.claim_due(local(2026, 12, 31), 10_000)
        uow.commit()
    return sorted({(t.deadline, t.kind) for t in due if t.cycle_id == cycle_id})


def test_the_move_that_meets_a_deadline_takes_its_timers_with_it(
    opened: CycleService, uow: Any
) -> None:
    before = pending(uow, 1)
    assert ("register", "reminder") in before  # each ladder's next timer, not yet due
    opened.clock.set(local(2025, 3, 1))  # before its first reminder (one due is the tick's)
    cycle = opened.cycle("CB-THON1", 2025)
    _, change = opened.prepare(cycle, "register", *SECRETARY, {"plan": "KH-1"})
    assert change is not None
    assert change.met == ("register",)
    write(uow, lambda: uow.cycles.apply(change))
    # the other deadlines' reminders still go out; the met one's never could
    assert pending(uow, 1) == [t for t in before if t[0] != "register"]


def test_a_deadline_reopened_gets_its_timers_still_ahead_again(
    opened: CycleService, uow: Any
) -> None:
    before = [t for t in pending(uow, 1) if t[0] == "propose"]
    assert before
    opened.clock.set(local(2025, 3, 20))
    # proposed (the cycle taken as self-evaluated: the repository applies what it is given)
    evaluated = replace(opened.cycle("CB-THON1", 2025), state="self_evaluated")
    _, proposal = opened.prepare(evaluated, "propose", *SECRETARY, {})
    assert proposal is not None and proposal.met == ("propose",)
    write(uow, lambda: uow.cycles.apply(proposal))
    assert [t for t in pending(uow, 1) if t[0] == "propose"] == []
    # returned for revision: the proposal is due again, its reminders with it
    proposed = opened.cycle("CB-THON1", 2025)
    board = ("ubkt.x", "superior_org_board")
    _, returned = opened.prepare(proposed, "return_for_revision", *board, {"reason": "thiếu"})
    assert returned is not None and returned.reopened == ("propose",)
    assert returned.replanned and all(t.due_at > local(2025, 3, 20) for t in returned.replanned)
    write(uow, lambda: uow.cycles.apply(returned))
    assert [t for t in pending(uow, 1) if t[0] == "propose"] == before


def test_a_closed_cycle_keeps_no_timer_that_could_fire(opened: CycleService, uow: Any) -> None:
    assert pending(uow, 1)
    cycle = opened.cycle("CB-THON1", 2025)
    _, change = opened.prepare(cycle, "register", *SECRETARY, {"plan": "KH-1"})
    assert change is not None
    write(uow, lambda: uow.cycles.apply(replace(change, closes=True)))
    assert pending(uow, 1) == []
    assert pending(uow, 2)  # another cycle's are untouched


def test_settled_timers_are_not_claimed_again_and_a_rollback_keeps_them(
    opened: CycleService, uow: Any
) -> None:
    now = local(2025, 3, 20)
    with uow:
        due = uow.timers.claim_due(now, 100)
        uow.timers.settle(due, {t.id for t in due}, now)
    with uow:
        assert uow.timers.claim_due(now, 100) == due  # rolled back: still due
        uow.timers.settle(due, {due[0].id}, now)
        uow.commit()
    with uow:
        assert uow.timers.claim_due(now, 100) == []
        uow.commit()
    later = uow.timers.next_due()
    assert later is not None and later > max(t.due_at for t in due)
