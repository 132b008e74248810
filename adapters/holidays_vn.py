"""Public holidays from the `holidays` package (Vietnam's include Tết), in Vietnamese."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cache
from typing import TYPE_CHECKING

from workflow.calendar import WorkingCalendar
from workflow.spec.model import CalendarSpec

if TYPE_CHECKING:
    import holidays


@cache
def _country(country: str, year: int) -> holidays.HolidayBase:
    # lazy: the package is large, and a command that counts no working days needs none
    import holidays

    return holidays.country_holidays(country, years=year, language="vi")


def public_holidays(country: str, year: int) -> Mapping[date, str]:
    return dict(_country(country, year))


def weekend_workdays(country: str, year: int) -> frozenset[date]:
    """Saturdays the government made working days to lengthen a holiday, where the
    package knows them (26/04/2025 for the 02/05/2025 bridge, for instance)."""
    found: set[date] = getattr(_country(country, year), "weekend_workdays", set())
    return frozenset(day for day in found if day.year == year)


def calendar_for(spec: CalendarSpec) -> WorkingCalendar:
    """The working calendar a definition declares: its country's public holidays and
    swapped working days, its weekend, and the days off and make-up days it adds."""
    return WorkingCalendar.from_spec(
        spec,
        lambda year: public_holidays(spec.country, year),
        lambda year: weekend_workdays(spec.country, year),
    )
