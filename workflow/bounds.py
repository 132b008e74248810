"""The ranges a number from a user or a definition must fall in, written once.

Each bound is far beyond any real use and close enough that nothing downstream (a
working-day walk, a date, a sleep) can overflow or run away on a value inside it."""

from __future__ import annotations

#: the cycle years a command, a page or a definition may name
FIRST_YEAR, LAST_YEAR = 2000, 2100
#: a reminder or escalation at most this far from its deadline
MAX_OFFSET_DAYS = 366
MAX_OFFSET_WORKING_DAYS = 260
#: reminders or escalations on one deadline or milestone
MAX_LADDER_STEPS = 20
#: how many committees may stand above one that keeps a milestone
MAX_MILESTONE_DEPTH = 30


def year_problem(year: int) -> str | None:
    if FIRST_YEAR <= year <= LAST_YEAR:
        return None
    return f"the year {year} is outside {FIRST_YEAR}–{LAST_YEAR}"
