"""Working-day arithmetic on random dates from 2024 to 2035 and random province calendars
(Vietnam's public holidays, a weekend, some days off a province adds and some Saturdays
it works), checked against a day-by-day count written out here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import holidays
from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.calendar import WorkingCalendar
from workflow.spec.model import WEEKDAYS, CalendarSpec, Offset

FIRST, LAST = date(2024, 1, 1), date(2035, 12, 31)
AMOUNTS = st.integers(min_value=-40, max_value=40)
NONZERO = AMOUNTS.filter(lambda n: n != 0)
DAY_OFF = "Tỉnh cho nghỉ"


@cache
def vn_holidays(year: int) -> Mapping[date, str]:
    return dict(holidays.country_holidays("VN", years=year, language="vi"))


@dataclass(frozen=True)
class Province:
    """A calendar as a province declares it, and what a person would do with a wall
    calendar: a day is worked if declared worked, else not if declared off, else unless it
    is a weekend or a public holiday."""

    weekend: tuple[str, ...]
    days_off: frozenset[date]
    working_days: frozenset[date]

    def calendar(self) -> WorkingCalendar:
        spec = CalendarSpec(
            weekend=list(self.weekend),  # type: ignore[arg-type]
            days_off={d.strftime("%d/%m/%Y"): DAY_OFF for d in self.days_off},
            working_days={d.strftime("%d/%m/%Y"): "Làm bù" for d in self.working_days},
        )
        return WorkingCalendar.from_spec(spec, vn_holidays)

    def worked(self, day: date) -> bool:
        if day in self.working_days:
            return True
        if day in self.days_off:
            return False
        return WEEKDAYS[day.weekday()] not in self.weekend and day not in vn_holidays(day.year)

    def name_of(self, day: date) -> str | None:
        if day in self.days_off:
            return DAY_OFF
        return vn_holidays(day.year).get(day)

    def working_days_in(self, low: date, high: date) -> int:
        """Working days from low to high, both included, counted one by one."""
        count, day = 0, low
        while day <= high:
            count += self.worked(day)
            day += timedelta(days=1)
        return count


def near(anchor: date, spread: int = 70) -> st.SearchStrategy[date]:
    return st.integers(-spread, spread).map(lambda n: anchor + timedelta(days=n))


@st.composite
def province_and_anchor(draw: st.DrawFn) -> tuple[Province, date]:
    """An anchor date and a province calendar whose own days fall around it, where the
    arithmetic from that anchor will meet them."""
    anchor = draw(st.dates(FIRST, LAST))
    weekend = draw(st.sampled_from([("sat", "sun"), ("sun",), ("fri", "sat"), ()]))
    days_off = draw(st.frozensets(near(anchor), max_size=8))
    worked = draw(st.frozensets(near(anchor), max_size=4))
    # a day both off and worked is refused when a definition loads
    return Province(weekend, days_off, worked - days_off), anchor


NATIONAL = Province(("sat", "sun"), frozenset(), frozenset())
CALENDARS = st.one_of(
    st.dates(FIRST, LAST).map(lambda anchor: (NATIONAL, anchor)),
    province_and_anchor(),
)
OFFSETS = st.builds(Offset, NONZERO, st.booleans())


@settings(max_examples=300)
@given(CALENDARS, NONZERO)
def test_a_working_day_offset_always_lands_on_a_working_day(
    case: tuple[Province, date], amount: int
) -> None:
    province, start = case
    assert province.worked(province.calendar().add_working_days(start, amount))


@settings(max_examples=300)
@given(CALENDARS, AMOUNTS)
def test_exactly_n_working_days_lie_between_the_start_and_the_result(
    case: tuple[Province, date], amount: int
) -> None:
    province, start = case
    result = province.calendar().add_working_days(start, amount)
    if amount > 0:
        assert result > start
        # the days strictly after the start up to the result, the result itself included
        assert province.working_days_in(start + timedelta(days=1), result) == amount
    elif amount < 0:
        assert result < start
        assert province.working_days_in(result, start - timedelta(days=1)) == -amount
    else:
        assert result == start


@given(CALENDARS, AMOUNTS, AMOUNTS)
def test_more_working_days_land_strictly_later(
    case: tuple[Province, date], one: int, other: int
) -> None:
    province, start = case
    calendar = province.calendar()
    low, high = sorted((one, other))
    if low == high:
        assert calendar.add_working_days(start, low) == calendar.add_working_days(start, high)
    else:
        assert calendar.add_working_days(start, low) < calendar.add_working_days(start, high)


@settings(max_examples=300)
@given(CALENDARS, OFFSETS)
def test_an_offset_never_lands_on_a_non_working_day(
    case: tuple[Province, date], offset: Offset
) -> None:
    province, anchor = case
    assert province.worked(province.calendar().shift(anchor, offset).day)


@settings(max_examples=300)
@given(CALENDARS, OFFSETS)
def test_reminders_land_before_the_deadline_and_escalations_after(
    case: tuple[Province, date], offset: Offset
) -> None:
    province, anchor = case
    day = province.calendar().shift(anchor, offset).day
    if offset.amount < 0:
        assert day < anchor
    else:
        assert day > anchor


@settings(max_examples=300)
@given(CALENDARS, NONZERO)
def test_a_calendar_day_offset_rolls_to_the_nearest_working_day_in_its_direction(
    case: tuple[Province, date], amount: int
) -> None:
    province, anchor = case
    natural = anchor + timedelta(days=amount)
    day = province.calendar().shift(anchor, Offset(amount, working=False)).day
    if province.worked(natural):
        assert day == natural
    elif amount > 0:  # an escalation waits for the next working day
        assert day > natural
        assert province.working_days_in(natural, day - timedelta(days=1)) == 0
    else:  # a reminder goes out on the working day before
        assert day < natural
        assert province.working_days_in(day + timedelta(days=1), natural) == 0


@settings(max_examples=300)
@given(CALENDARS, OFFSETS)
def test_moved_by_names_only_weekday_days_off_the_offset_passed(
    case: tuple[Province, date], offset: Offset
) -> None:
    province, anchor = case
    calendar = province.calendar()
    shifted = calendar.shift(anchor, offset)
    if offset.working:
        low, high = sorted((anchor + timedelta(days=1 if offset.amount > 0 else -1), shifted.day))
    else:
        low, high = sorted((anchor + timedelta(days=offset.amount), shifted.day))
    passed = [low + timedelta(days=n) for n in range((high - low).days + 1)]
    named = {
        province.name_of(day)
        for day in passed
        if not province.worked(day) and WEEKDAYS[day.weekday()] not in province.weekend
    }
    assert set(shifted.moved_by) == named - {None}
    assert len(set(shifted.moved_by)) == len(shifted.moved_by)


@settings(max_examples=300)
@given(CALENDARS, NONZERO)
def test_forward_then_back_returns_to_the_working_day_it_started_from(
    case: tuple[Province, date], amount: int
) -> None:
    province, start = case
    calendar = province.calendar()
    start = calendar.roll(start, forward=True)
    assert province.worked(start)
    there = calendar.add_working_days(start, amount)
    assert calendar.add_working_days(there, -amount) == start
