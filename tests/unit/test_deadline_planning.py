"""The reminders and escalations the shipped bốn tốt definition plans for its 2025 cycle,
with Vietnam's public holidays: all on working days (none during Tết 2026), reminders
before their deadline and escalations after it, at the definition's notification time."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

import holidays
import pytest

from workflow.calendar import WorkingCalendar
from workflow.deadlines import (
    PlannedTimer,
    plan_cycle_timers,
    plan_milestone_timers,
    resolve_deadlines,
    resolve_milestones,
)
from workflow.spec.model import DefinitionSpec, EscalationSpec
from workflow.spec.registry import DefinitionSet
from workflow.timefmt import LOCAL_TZ

CYCLE = 2025
TET_2026_BREAK = {date(2026, 2, 14) + timedelta(days=n) for n in range(9)}  # 14–22/02


@cache
def vn_holidays(year: int) -> Mapping[date, str]:
    return dict(holidays.country_holidays("VN", years=year, language="vi"))


def worked(day: date) -> bool:
    """Monday to Friday and no public holiday: the bốn tốt definition adds no days."""
    return day.weekday() < 5 and day not in vn_holidays(day.year)


def calendar_of(spec: DefinitionSpec) -> WorkingCalendar:
    return WorkingCalendar.from_spec(spec.calendar, vn_holidays)


def plan(spec: DefinitionSpec, year: int = CYCLE) -> list[PlannedTimer]:
    return plan_cycle_timers(spec, year, calendar_of(spec))


def with_calendar(spec: DefinitionSpec, **changes: str) -> DefinitionSpec:
    return spec.model_copy(update={"calendar": spec.calendar.model_copy(update=changes)})


def local_day(timer: PlannedTimer) -> date:
    return timer.due_at.astimezone(LOCAL_TZ).date()


def ladder(timers: list[PlannedTimer], deadline: str) -> dict[str, PlannedTimer]:
    return {t.suffix.split(":")[1]: t for t in timers if t.deadline == deadline}


def nth_working_day(start: date, amount: int) -> date:
    """Counted by hand, one day at a time."""
    step = timedelta(days=1 if amount > 0 else -1)
    day, left = start, abs(amount)
    while left:
        day += step
        left -= worked(day)
    return day


# `catalog` (tests/conftest.py) is adapters.catalog.load_catalog(): the shipped definitions
@pytest.fixture(scope="module")
def spec(catalog: DefinitionSet) -> DefinitionSpec:
    return catalog.latest("bon-tot").spec


@pytest.fixture(scope="module")
def timers(spec: DefinitionSpec) -> list[PlannedTimer]:
    return plan(spec)


def test_every_deadline_gets_its_whole_ladder(
    spec: DefinitionSpec, timers: list[PlannedTimer]
) -> None:
    for key, deadline in spec.deadlines.items():
        mine = [t for t in timers if t.deadline == key]
        assert len([t for t in mine if t.kind == "reminder"]) == len(deadline.reminders)
        assert len([t for t in mine if t.kind == "escalation"]) == len(deadline.escalations)
        assert {t.role for t in mine if t.kind == "reminder"} <= {deadline.remind}
    assert len(timers) > 10


def test_every_timer_goes_out_on_a_working_day(timers: list[PlannedTimer]) -> None:
    for timer in timers:
        assert local_day(timer) == timer.day
        assert worked(timer.day), (
            timer.suffix,
            timer.day,
            vn_holidays(timer.day.year).get(timer.day),
        )


def test_no_timer_goes_out_during_tet_2026(timers: list[PlannedTimer]) -> None:
    assert [t.suffix for t in timers if local_day(t) in TET_2026_BREAK] == []
    # though the appraisal (15/02/2026) has its ladder right around it
    around = [local_day(t) for t in timers if t.deadline == "appraise"]
    assert min(around) < min(TET_2026_BREAK) and max(around) > max(TET_2026_BREAK)


def test_propose_reminders_come_before_31_12_2025_and_escalations_after(
    timers: list[PlannedTimer],
) -> None:
    # the whole of 31/12 local time, to its last microsecond
    deadline = datetime(2025, 12, 31, 23, 59, 59, 999999, tzinfo=LOCAL_TZ)
    propose = [t for t in timers if t.deadline == "propose"]
    assert {t.deadline_at for t in propose} == {deadline}
    reminders = [t for t in propose if t.kind == "reminder"]
    escalations = [t for t in propose if t.kind == "escalation"]
    assert reminders and escalations
    assert all(t.due_at < deadline for t in reminders)
    assert all(t.due_at > deadline for t in escalations)


def test_every_reminder_comes_before_and_every_escalation_after_its_deadline(
    timers: list[PlannedTimer],
) -> None:
    for timer in timers:
        if timer.kind == "reminder":
            assert timer.due_at < timer.deadline_at, timer.suffix
        else:
            assert timer.due_at > timer.deadline_at, timer.suffix


def test_the_propose_ladder_lands_where_a_wall_calendar_says(timers: list[PlannedTimer]) -> None:
    propose = ladder(timers, "propose")
    # -1 working day from Wednesday 31/12/2025: Tuesday 30/12
    assert propose["r3"].day == date(2025, 12, 30)
    assert propose["r2"].day == nth_working_day(date(2025, 12, 31), -5)
    assert propose["r1"].day == nth_working_day(date(2025, 12, 31), -20)
    # +1 working day: Thursday 01/01/2026 is Tết Dương lịch, so Friday 02/01, naming it
    assert propose["e1"].day == date(2026, 1, 2)
    assert propose["e1"].moved_by == (vn_holidays(2026)[date(2026, 1, 1)],)
    assert propose["e1"].role == "superior_org_board"
    assert propose["e2"].day == nth_working_day(date(2025, 12, 31), 10)
    assert propose["e2"].role == "superior_standing_committee"


def test_the_appraisal_escalation_waits_for_the_monday_after_tet(
    timers: list[PlannedTimer],
) -> None:
    appraise = ladder(timers, "appraise")
    # due Sunday 15/02/2026, kept there; -3 working days is Wednesday 11/02
    assert appraise["r2"].day == date(2026, 2, 11)
    assert appraise["e1"].day == date(2026, 2, 23)
    tet = tuple(vn_holidays(2026)[date(2026, 2, 16) + timedelta(days=n)] for n in range(5))
    assert appraise["e1"].moved_by == tet


def test_timers_go_out_at_eight_in_the_morning_local_which_is_one_utc(
    timers: list[PlannedTimer],
) -> None:
    for timer in timers:
        assert timer.due_at.utcoffset() == timedelta(0)
        assert timer.due_at.time() == time(1, 0)
        assert timer.due_at.astimezone(LOCAL_TZ).time() == time(8, 0)


def test_each_timer_has_its_own_key_suffix(timers: list[PlannedTimer]) -> None:
    suffixes = [t.suffix for t in timers]
    assert len(set(suffixes)) == len(suffixes)
    assert len({(t.deadline, t.kind, t.step) for t in timers}) == len(timers)


def test_timers_come_in_time_order(timers: list[PlannedTimer]) -> None:
    instants = [t.due_at for t in timers]
    assert instants == sorted(instants)


def test_another_notification_time_moves_every_timer_on_the_same_days(
    spec: DefinitionSpec, timers: list[PlannedTimer]
) -> None:
    later = plan(with_calendar(spec, notify_at="14:30"))
    before = {t.suffix: t for t in timers}
    assert {t.suffix for t in later} == set(before)
    for timer in later:
        assert timer.day == before[timer.suffix].day
        assert timer.due_at.astimezone(LOCAL_TZ).time() == time(14, 30)
        assert timer.due_at.astimezone(UTC).time() == time(7, 30)


def test_moving_weekend_deadlines_re_anchors_their_ladders(
    spec: DefinitionSpec, timers: list[PlannedTimer]
) -> None:
    moved_spec = with_calendar(spec, non_working_deadline="last_working_day_before")
    kept = {d.key: d for d in resolve_deadlines(spec, CYCLE, calendar_of(spec))}
    moved = {d.key: d for d in resolve_deadlines(moved_spec, CYCLE, calendar_of(moved_spec))}
    # Sunday 15/02/2026 becomes Friday 13/02, the last working day before the Tết break
    assert kept["appraise"].due_date == date(2026, 2, 15)
    assert moved["appraise"].due_date == date(2026, 2, 13)
    assert moved["appraise"].natural_date == date(2026, 2, 15)
    assert moved["appraise"].due_at == datetime(2026, 2, 13, 23, 59, 59, 999999, tzinfo=LOCAL_TZ)
    # Sunday 15/03/2026 becomes Friday 13/03 for both deadlines due that day
    for key in ("recognize", "report"):
        assert kept[key].due_date == date(2026, 3, 15)
        assert moved[key].due_date == date(2026, 3, 13)
    # deadlines already on a working day do not move
    for key in ("register", "propose"):
        assert worked(kept[key].due_date)
        assert moved[key] == kept[key]

    ladder_kept, ladder_moved = ladder(timers, "appraise"), ladder(plan(moved_spec), "appraise")
    assert ladder_moved["r2"].day == nth_working_day(date(2026, 2, 13), -3) == date(2026, 2, 10)
    assert ladder_moved["r2"].day < ladder_kept["r2"].day
    # the next working day after Friday 13/02 is still Monday 23/02
    assert ladder_moved["e1"].day == ladder_kept["e1"].day == date(2026, 2, 23)
    assert ladder_moved["e1"].deadline_at < ladder_kept["e1"].deadline_at
    # the propose ladder (31/12/2025 is a Wednesday) is untouched
    assert ladder(plan(moved_spec), "propose") == ladder(timers, "propose")


def test_a_milestone_with_years_appears_only_in_those_years(catalog: DefinitionSet) -> None:
    district = catalog.latest("bon-tot-001-district-2024").spec
    assert district.milestones["launch"].years == [2024]
    for year in range(2023, 2028):
        keys = {d.key for d in resolve_milestones(district, year, calendar_of(district))}
        assert ("launch" in keys) == (year == 2024), year


def test_a_milestone_without_years_appears_every_year(catalog: DefinitionSet) -> None:
    province = catalog.latest("bon-tot-003-province-2023").spec
    for year in range(2023, 2036):
        keys = {d.key for d in resolve_milestones(province, year, calendar_of(province))}
        assert keys == set(province.milestones), year


def test_every_shipped_milestone_respects_its_years(catalog: DefinitionSet) -> None:
    for definition in catalog:
        spec = definition.spec
        for year in range(2023, 2036):
            for due in resolve_milestones(spec, year, calendar_of(spec)):
                years = spec.milestones[due.key].years
                assert years is None or year in years, (spec.id, due.key, year)


def test_a_milestone_ladder_goes_out_on_working_days_around_it(catalog: DefinitionSet) -> None:
    province = catalog.latest("bon-tot-003-province-2023").spec
    report = province.milestones["district_report"]
    laddered = report.model_copy(
        update={
            "reminders": ["-3 working_days", "-10 days"],
            "escalations": [EscalationSpec(after="+2 days", to=report.owner)],
        }
    )
    spec = province.model_copy(
        update={"milestones": {**province.milestones, "district_report": laddered}}
    )
    calendar = calendar_of(spec)
    # district report due 30/12/2026, a Wednesday
    due = next(d for d in resolve_milestones(spec, 2026, calendar) if d.key == "district_report")
    assert due.due_date == date(2026, 12, 30)
    planned = {t.suffix: t for t in plan_milestone_timers(spec, due, calendar)}
    assert planned["district_report:r1"].day == nth_working_day(date(2026, 12, 30), -3)
    # -10 days is Sunday 20/12/2026: back to Friday 18/12
    assert planned["district_report:r2"].day == date(2026, 12, 18)
    # +2 days is Friday 01/01/2027, Tết Dương lịch: forward to Monday 04/01
    assert planned["district_report:e1"].day == date(2027, 1, 4)
    assert vn_holidays(2027)[date(2027, 1, 1)] in planned["district_report:e1"].moved_by
    for timer in planned.values():
        assert worked(timer.day)
        assert timer.due_at.astimezone(LOCAL_TZ).time() == time(8, 0)
