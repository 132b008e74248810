"""The working calendar, on facts anyone can check against a wall calendar: Tết 2026 is
off from Saturday 14/02 to Sunday 22/02 (16–20/02 are public holidays), 31/12/2028 is a
Sunday, a province may add a day off or make a Saturday a working day; and the calendar
settings of a definition that cannot be right are refused naming their file and line."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import holidays
import pytest

from definitions import shipped_sources
from tests.conftest import FIXTURES
from workflow.calendar import WorkingCalendar
from workflow.deadlines import DueDeadline, resolve_deadlines
from workflow.errors import DefinitionError
from workflow.spec.model import CalendarSpec, DefinitionSpec, Offset
from workflow.spec.registry import Definition, DefinitionSet

BROKEN = FIXTURES / "definitions" / "broken"
SATURDAY, SUNDAY = 5, 6


@cache
def vn_holidays(year: int) -> Mapping[date, str]:
    """What the adapter will hand the calendar: Vietnam's public holidays, in Vietnamese."""
    return dict(holidays.country_holidays("VN", years=year, language="vi"))


def vn_calendar(spec: CalendarSpec | None = None) -> WorkingCalendar:
    return WorkingCalendar.from_spec(spec or CalendarSpec(), vn_holidays)


def days(first: date, last: date) -> list[date]:
    """Every day from first to last, both included."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


TET_2026_BREAK = days(date(2026, 2, 14), date(2026, 2, 22))
TET_2026_HOLIDAYS = days(date(2026, 2, 16), date(2026, 2, 20))


def tet_2026_names() -> tuple[str, ...]:
    return tuple(vn_holidays(2026)[day] for day in TET_2026_HOLIDAYS)


# -- Tết 2026 ----------------------------------------------------------------------------


def test_the_tet_2026_break_has_no_working_day() -> None:
    calendar = vn_calendar()
    assert [day for day in TET_2026_BREAK if calendar.is_working(day)] == []
    # and it is a break, not a hole: the Friday before and the Monday after are worked
    assert calendar.is_working(date(2026, 2, 13))
    assert calendar.is_working(date(2026, 2, 23))


def test_the_tet_2026_weekdays_are_public_holidays_named_in_vietnamese() -> None:
    calendar = vn_calendar()
    for day in TET_2026_HOLIDAYS:
        assert day.weekday() < SATURDAY
        name = calendar.holiday(day)
        assert name is not None and "Tết" in name, (day, name)
    # the weekends that frame the break are plain weekends, no holiday of their own
    assert calendar.holiday(date(2026, 2, 14)) is None
    assert calendar.holiday(date(2026, 2, 22)) is None


def test_the_third_working_day_before_15_02_2026_is_wednesday_11_02() -> None:
    calendar = vn_calendar()
    # Sunday 15/02 <- Friday 13 (1), Thursday 12 (2), Wednesday 11 (3); Tết starts after
    assert calendar.add_working_days(date(2026, 2, 15), -3) == date(2026, 2, 11)
    shifted = calendar.shift(date(2026, 2, 15), Offset.parse("-3 working_days"))
    assert shifted.day == date(2026, 2, 11)
    assert shifted.moved_by == ()  # only a weekend lay between


def test_one_working_day_after_15_02_2026_is_monday_23_02_and_names_tet() -> None:
    calendar = vn_calendar()
    assert calendar.add_working_days(date(2026, 2, 15), 1) == date(2026, 2, 23)
    shifted = calendar.shift(date(2026, 2, 15), Offset.parse("1 working_day"))
    assert shifted.day == date(2026, 2, 23)
    # the five public holidays of the break, in date order, each once
    assert shifted.moved_by == tet_2026_names()
    assert len(set(shifted.moved_by)) == len(TET_2026_HOLIDAYS)


def test_a_reminder_over_tet_names_it_too() -> None:
    calendar = vn_calendar()
    shifted = calendar.shift(date(2026, 2, 23), Offset.parse("-1 working_day"))
    assert shifted.day == date(2026, 2, 13)
    assert shifted.moved_by == tet_2026_names()


# -- a deadline on a weekend: 31/12 in 2028, 2033 and 2034 -----------------------------


@pytest.mark.parametrize("year", [2028, 2033, 2034])
def test_31_12_falls_on_a_weekend_in_the_years_design_names(year: int) -> None:
    assert date(year, 12, 31).weekday() in {SATURDAY, SUNDAY}
    assert not vn_calendar().is_working(date(year, 12, 31))


def _propose(spec: DefinitionSpec, year: int, policy: str) -> DueDeadline:
    calendar_spec = spec.calendar.model_copy(update={"non_working_deadline": policy})
    policy_spec = spec.model_copy(update={"calendar": calendar_spec})
    resolved = resolve_deadlines(policy_spec, year, vn_calendar(calendar_spec))
    return next(d for d in resolved if d.key == "propose")


def test_31_12_2028_is_a_sunday_and_the_propose_deadline_moves_to_friday_29_12(
    bon_tot: Definition,
) -> None:
    assert date(2028, 12, 31).weekday() == SUNDAY
    moved = _propose(bon_tot.spec, 2028, "last_working_day_before")
    assert moved.due_date == date(2028, 12, 29)
    assert moved.due_date.weekday() == 4
    assert moved.natural_date == date(2028, 12, 31)
    assert moved.moved_by == "weekend"


def test_with_keep_the_propose_deadline_stays_on_sunday_31_12_2028(bon_tot: Definition) -> None:
    kept = _propose(bon_tot.spec, 2028, "keep")
    assert kept.due_date == date(2028, 12, 31)
    assert kept.natural_date is None
    assert kept.moved_by is None


@pytest.mark.parametrize("year", [2033, 2034])
def test_the_propose_deadline_moves_to_the_friday_before_in_later_years(
    bon_tot: Definition, year: int
) -> None:
    natural = date(year, 12, 31)
    friday = natural - timedelta(days=natural.weekday() - 4)
    assert friday.weekday() == 4 and friday not in vn_holidays(year)
    assert _propose(bon_tot.spec, year, "last_working_day_before").due_date == friday
    assert _propose(bon_tot.spec, year, "keep").due_date == natural


# -- what a province declares ------------------------------------------------------------

PROVINCE_DAY_OFF = "Tỉnh cho nghỉ thêm sau Tết Dương lịch"
MAKE_UP_SATURDAY = "Làm bù cho ngày 02/01/2026"


def province_calendar() -> WorkingCalendar:
    return vn_calendar(
        CalendarSpec(
            days_off={"02/01/2026": PROVINCE_DAY_OFF},
            working_days={"10/01/2026": MAKE_UP_SATURDAY},
        )
    )


def test_a_day_off_a_province_adds_is_skipped_and_named() -> None:
    national, province = vn_calendar(), province_calendar()
    friday = date(2026, 1, 2)
    assert friday.weekday() == 4
    assert national.is_working(friday) and not province.is_working(friday)
    assert province.holiday(friday) == PROVINCE_DAY_OFF
    # Wednesday 31/12/2025 + 1 working day: Thursday 01/01 is Tết Dương lịch, so Friday
    # 02/01 nationally, Monday 05/01 where the province gave that Friday off too
    step = Offset.parse("1 working_day")
    assert national.shift(date(2025, 12, 31), step).day == friday
    shifted = province.shift(date(2025, 12, 31), step)
    assert shifted.day == date(2026, 1, 5)
    assert shifted.moved_by == (vn_holidays(2026)[date(2026, 1, 1)], PROVINCE_DAY_OFF)


def test_a_make_up_saturday_counts_as_a_working_day() -> None:
    national, province = vn_calendar(), province_calendar()
    saturday = date(2026, 1, 10)
    assert saturday.weekday() == SATURDAY
    assert not national.is_working(saturday) and province.is_working(saturday)
    # Friday 09/01 + 1 working day is that Saturday, not Monday 12/01
    assert province.add_working_days(date(2026, 1, 9), 1) == saturday
    assert national.add_working_days(date(2026, 1, 9), 1) == date(2026, 1, 12)
    # Monday 05/01 + 5: Tue 6, Wed 7, Thu 8, Fri 9, Sat 10
    assert province.add_working_days(date(2026, 1, 5), 5) == saturday
    # and backwards: Monday 12/01 - 1 working day is the Saturday
    assert province.add_working_days(date(2026, 1, 12), -1) == saturday
    # a worked Saturday is no holiday: nothing to name when a ladder passes over it
    assert province.shift(date(2026, 1, 9), Offset.parse("2 working_days")).moved_by == ()


def test_a_weekday_holiday_declared_worked_is_a_working_day() -> None:
    # 01/01/2026 is Tết Dương lịch; a province that works it (odd, but its call) counts it
    worked = vn_calendar(CalendarSpec(working_days={"01/01/2026": "Làm việc"}))
    assert worked.is_working(date(2026, 1, 1))
    assert worked.add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 1)


def test_another_weekend_is_honoured() -> None:
    sunday_only = vn_calendar(CalendarSpec(weekend=["sun"]))
    assert sunday_only.is_working(date(2026, 3, 7))  # a Saturday
    assert not sunday_only.is_working(date(2026, 3, 8))
    assert sunday_only.add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 7)


# -- calendar-day offsets ----------------------------------------------------------------


def test_an_escalation_in_calendar_days_landing_on_tet_rolls_forward() -> None:
    calendar = vn_calendar()
    anchor = date(2026, 2, 6)
    assert anchor + timedelta(days=10) == date(2026, 2, 16)  # Giao thừa: a holiday
    shifted = calendar.shift(anchor, Offset.parse("+10 days"))
    assert shifted.day == date(2026, 2, 23)
    assert shifted.moved_by == tet_2026_names()


def test_a_reminder_in_calendar_days_landing_on_tet_rolls_back() -> None:
    calendar = vn_calendar()
    anchor = date(2026, 3, 2)
    assert anchor - timedelta(days=10) == date(2026, 2, 20)  # Mùng bốn: a holiday
    shifted = calendar.shift(anchor, Offset.parse("-10 days"))
    assert shifted.day == date(2026, 2, 13)
    assert shifted.moved_by == tet_2026_names()


def test_a_calendar_day_offset_on_a_working_day_stays_even_across_holidays() -> None:
    calendar = vn_calendar()
    # 10/02 + 14 days = Tuesday 24/02: counted in calendar days, Tết does not push it
    shifted = calendar.shift(date(2026, 2, 10), Offset.parse("+14 days"))
    assert shifted.day == date(2026, 2, 24)
    assert shifted.moved_by == ()


def test_a_calendar_day_offset_onto_a_weekend_moves_but_names_nothing() -> None:
    calendar = vn_calendar()
    # Wednesday 04/03/2026 + 10 days = Saturday 14/03 -> Monday 16/03
    forward = calendar.shift(date(2026, 3, 4), Offset.parse("+10 days"))
    assert forward.day == date(2026, 3, 16)
    assert forward.moved_by == ()
    # Wednesday 18/03/2026 - 4 days = Saturday 14/03 -> Friday 13/03
    back = calendar.shift(date(2026, 3, 18), Offset.parse("-4 days"))
    assert back.day == date(2026, 3, 13)
    assert back.moved_by == ()


def test_moved_by_is_empty_when_only_weekends_were_skipped() -> None:
    calendar = vn_calendar()
    # Friday 06/03/2026 + 1 working day: Monday 09/03 over a plain weekend
    after = calendar.shift(date(2026, 3, 6), Offset.parse("1 working_day"))
    assert after.day == date(2026, 3, 9) and after.moved_by == ()
    # Friday 13/03/2026 - 5 working days: Friday 06/03
    before = calendar.shift(date(2026, 3, 13), Offset.parse("-5 working_days"))
    assert before.day == date(2026, 3, 6) and before.moved_by == ()


# -- calendar settings that cannot be right are refused, naming file and line -----------


def _line_of(path: Path, text: str) -> int:
    return next(
        n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line
    )


@pytest.mark.parametrize(
    ("fixture", "culprit", "message"),
    [
        ("calendar_impossible_day_off.yaml", '"30/02/2026"', "'30/02/2026' is not a date"),
        ("calendar_notify_at_25.yaml", "notify_at:", "'25:00' is not HH:MM"),
        ("milestone_reminder_after.yaml", '"+3 days"', "must come before the deadline"),
    ],
    ids=["day_off_30_02", "notify_at_25_00", "milestone_reminder_after"],
)
def test_a_broken_calendar_setting_is_refused_naming_file_and_line(
    fixture: str, culprit: str, message: str
) -> None:
    path = BROKEN / fixture
    line = _line_of(path, culprit)
    sources = [*shipped_sources(), (str(path), path.read_text(encoding="utf-8"))]
    with pytest.raises(DefinitionError) as caught:
        DefinitionSet.from_texts(sources)
    problems = [p for p in caught.value.problems if p.file == str(path)]
    assert [(p.line, message in p.message) for p in problems] == [(line, True)], caught.value
    assert f"{path}:{line}" in str(caught.value)
    # the shipped definitions, loaded alongside, are not blamed
    assert all(p.file == str(path) for p in caught.value.problems)


def test_a_saturday_the_government_made_a_working_day_counts() -> None:
    """26/04/2025 was worked so that 02/05/2025 could be off; `holidays` knows both."""
    from adapters.holidays_vn import calendar_for
    from workflow.spec.model import CalendarSpec

    calendar = calendar_for(CalendarSpec())
    assert calendar.is_working(date(2025, 4, 26))
    assert not calendar.is_working(date(2025, 5, 2))
    assert not calendar.is_working(date(2025, 4, 27))  # the Sunday stays off
    # one working day before Monday 28/04 is that Saturday, not Friday 25/04
    assert calendar.add_working_days(date(2025, 4, 28), -1) == date(2025, 4, 26)
