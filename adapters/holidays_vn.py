"""Public holidays from the `holidays` package (Vietnam's include Tết), in Vietnamese."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cache

import holidays

from workflow.calendar import WorkingCalendar
from workflow.spec.model import CalendarSpec


@cache
def public_holidays(country: str, year: int) -> Mapping[date, str]:
    return dict(holidays.country_holidays(country, years=year, language="vi"))


def calendar_for(spec: CalendarSpec) -> WorkingCalendar:
    """The working calendar a definition declares: its country's public holidays, its
    weekend, and the days off and make-up working days it adds."""
    return WorkingCalendar.from_spec(spec, lambda year: public_holidays(spec.country, year))
