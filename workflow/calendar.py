"""Working days: weekends, public holidays, and the days a province adds or swaps.

Pure: holidays come in through a lookup (year -> {date: name}) that an adapter builds
from the `holidays` package, so the core never imports data sources. A definition's own
`days_off` and `working_days` win over both, because the government's yearly swaps (a
Saturday worked to lengthen Tết) are announced late and entered by the province.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from workflow.spec.model import WEEKDAYS, CalendarSpec, Offset
from workflow.timefmt import parse_user_date

HolidayLookup = Callable[[int], Mapping[date, str]]
#: the weekend days a country's own calendar makes working days (the swaps it knows)
WorkdayLookup = Callable[[int], frozenset[date]]


def no_holidays(_year: int) -> Mapping[date, str]:
    return {}


def no_workdays(_year: int) -> frozenset[date]:
    return frozenset()


@dataclass(frozen=True)
class Shifted:
    """Where an offset lands, and the holidays (not weekends) that moved it there."""

    day: date
    moved_by: tuple[str, ...] = ()


class WorkingCalendar:
    def __init__(
        self,
        weekend: frozenset[int] = frozenset({5, 6}),
        holidays: HolidayLookup = no_holidays,
        days_off: Mapping[date, str] | None = None,
        working_days: Mapping[date, str] | None = None,
        workdays: WorkdayLookup = no_workdays,
    ) -> None:
        self.weekend = weekend
        self._lookup = holidays
        self._workdays = workdays
        self._workday_years: dict[int, frozenset[date]] = {}
        self._days_off = dict(days_off or {})
        self._working = dict(working_days or {})
        self._years: dict[int, Mapping[date, str]] = {}

    @classmethod
    def from_spec(
        cls, spec: CalendarSpec, holidays: HolidayLookup, workdays: WorkdayLookup = no_workdays
    ) -> WorkingCalendar:
        return cls(
            weekend=frozenset(WEEKDAYS.index(day) for day in spec.weekend),
            holidays=holidays,
            days_off={parse_user_date(k): v for k, v in spec.days_off.items()},
            working_days={parse_user_date(k): v for k, v in spec.working_days.items()},
            workdays=workdays,
        )

    def holiday(self, day: date) -> str | None:
        """The name of the day off that falls on `day` (a public holiday or an added day)."""
        if day in self._days_off:
            return self._days_off[day]
        year = self._years.get(day.year)
        if year is None:
            year = self._years[day.year] = self._lookup(day.year)
        return year.get(day)

    def is_working(self, day: date) -> bool:
        if day in self._working:
            return True
        if day in self._days_off:
            return False
        if self.holiday(day) is not None:
            return False
        if day.weekday() not in self.weekend:
            return True
        swapped = self._workday_years.get(day.year)
        if swapped is None:
            swapped = self._workday_years[day.year] = self._workdays(day.year)
        return day in swapped

    def _weekend_only(self, day: date) -> bool:
        return day.weekday() not in self.weekend

    def add_working_days(self, start: date, amount: int) -> date:
        """`amount` working days after `start` (before it when negative); 0 is `start`."""
        step = 1 if amount > 0 else -1
        day, left = start, abs(amount)
        while left:
            day += timedelta(days=step)
            if self.is_working(day):
                left -= 1
        return day

    def roll(self, day: date, forward: bool) -> date:
        """`day` itself if it is a working day, else the nearest one after (or before)."""
        step = timedelta(days=1 if forward else -1)
        while not self.is_working(day):
            day += step
        return day

    def shift(self, anchor: date, offset: Offset) -> Shifted:
        """Where an offset from a deadline lands, always on a working day: a reminder rolls
        back to the working day before, an escalation forward to the one after."""
        forward = offset.amount > 0
        if offset.working:
            day = self.add_working_days(anchor, offset.amount)
            return Shifted(day, self._moved_between(anchor, day))
        natural = anchor + timedelta(days=offset.amount)
        day = self.roll(natural, forward)
        if day == natural:
            return Shifted(day)
        # only the days it rolled over count, `natural` itself among them
        return Shifted(day, self._holidays_in(min(day, natural), max(day, natural)))

    def last_working_day_on_or_before(self, day: date) -> date:
        return self.roll(day, forward=False)

    def _moved_between(self, anchor: date, day: date) -> tuple[str, ...]:
        """The holidays between anchor (excluded) and day: what pushed a working-day
        offset off the date weekends alone would give."""
        low, high = (day, anchor - timedelta(days=1)) if day < anchor else (
            anchor + timedelta(days=1),
            day,
        )
        return self._holidays_in(low, high)

    def _holidays_in(self, low: date, high: date) -> tuple[str, ...]:
        """Names of the weekday days off from low to high, both included, in date order."""
        names: list[str] = []
        cursor = low
        while cursor <= high:
            if self._weekend_only(cursor) and not self.is_working(cursor):
                name = self.holiday(cursor)
                if name and name not in names:
                    names.append(name)
            cursor += timedelta(days=1)
        return tuple(names)
