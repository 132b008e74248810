"""A deadline's ladder is written lazily: what opening writes (each ladder's next timer
and the escalations already owed) and what the tick writes after each one it claims."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.catalog import load_catalog
from adapters.holidays_vn import calendar_for
from tests.conftest import local
from workflow.deadlines import (
    PlannedTimer,
    ladder_heads,
    ladder_order,
    next_on_ladder,
    plan_cycle_timers,
)
from workflow.spec.model import DefinitionSpec
from workflow.spec.registry import DefinitionSet


# `catalog` (tests/conftest.py) is adapters.catalog.load_catalog(): the shipped definitions
@pytest.fixture(scope="module")
def spec(catalog: DefinitionSet) -> DefinitionSpec:
    return catalog.latest("bon-tot").spec


@pytest.fixture(scope="module")
def year(spec: DefinitionSpec) -> list[PlannedTimer]:
    return plan_cycle_timers(spec, 2025, calendar_for(spec.calendar))


def _ladders(timers: list[PlannedTimer]) -> dict[str, list[PlannedTimer]]:
    found: dict[str, list[PlannedTimer]] = {}
    for timer in sorted(timers, key=ladder_order):
        found.setdefault(timer.deadline, []).append(timer)
    return found


def test_a_cycle_opened_in_january_gets_each_deadlines_first_reminder_only(
    spec: DefinitionSpec, year: list[PlannedTimer]
) -> None:
    heads = ladder_heads(year, local(2025, 1, 5))
    assert sorted(t.deadline for t in heads) == sorted(spec.deadlines)
    assert all((t.kind, t.step) == ("reminder", 1) for t in heads)


def test_a_cycle_opened_after_the_registration_deadline_is_owed_its_escalations(
    year: list[PlannedTimer],
) -> None:
    at = local(2025, 4, 20)  # registration was due 31/03; its escalations are past
    register = _ladders(year)["register"]
    past = [t for t in register if t.due_at <= at]
    assert any(t.kind == "escalation" for t in past)
    written = [t for t in ladder_heads(year, at) if t.deadline == "register"]
    ahead = [t for t in register if t.due_at > at]
    assert written == [t for t in past if t.kind == "escalation"] + ahead[:1]


def test_walking_a_ladder_by_its_successors_visits_every_step_once(
    year: list[PlannedTimer],
) -> None:
    for ladder in _ladders(year).values():
        walked = [ladder[0]]
        while (after := next_on_ladder(ladder, walked[-1].kind, walked[-1].step)) is not None:
            walked.append(after)
        assert walked == ladder


def test_a_step_the_ladder_does_not_have_has_no_successor(year: list[PlannedTimer]) -> None:
    assert next_on_ladder(_ladders(year)["propose"], "reminder", 99) is None


@given(days=st.integers(min_value=0, max_value=560), hours=st.integers(0, 23))
def test_heads_at_any_instant_are_the_owed_escalations_and_one_timer_ahead_per_ladder(
    days: int, hours: int
) -> None:
    year = _plan()
    at = local(2025, 1, 1) + timedelta(days=days, hours=hours)
    heads = ladder_heads(year, at)
    for key, ladder in _ladders(year).items():
        mine = [t for t in heads if t.deadline == key]
        ahead = [t for t in mine if t.due_at > at]
        assert len(ahead) == (1 if ladder[-1].due_at > at else 0)
        if ahead:  # the earliest still ahead
            assert ahead[0] == next(t for t in ladder if t.due_at > at)
        assert all(t.kind == "escalation" for t in mine if t.due_at <= at)
        assert len([t for t in mine if t.due_at <= at]) == len(
            [t for t in ladder if t.due_at <= at and t.kind == "escalation"]
        )


@cache
def _plan() -> list[PlannedTimer]:
    spec = load_catalog().latest("bon-tot").spec
    return plan_cycle_timers(spec, 2025, calendar_for(spec.calendar))
