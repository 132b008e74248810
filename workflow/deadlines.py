"""Where a definition's deadlines fall for a cycle year, as UTC instants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from workflow.spec.model import DeadlineSpec, DefinitionSpec


@dataclass(frozen=True)
class DueDeadline:
    key: str
    due_date: date
    due_at: datetime  # UTC


def due_date(deadline: DeadlineSpec, cycle_year: int) -> date:
    override = deadline.due.in_year.get(cycle_year)
    if override is not None:
        day, month, year = (int(part) for part in override.split("/"))
        return date(year, month, day)
    day, month = (int(part) for part in deadline.due.date.split("/"))
    year = cycle_year + (1 if deadline.due.year == "next" else 0)
    return date(year, month, day)


def resolve_deadlines(spec: DefinitionSpec, cycle_year: int) -> list[DueDeadline]:
    zone = ZoneInfo(spec.timezone)
    resolved = []
    for key, deadline in spec.deadlines.items():
        day = due_date(deadline, cycle_year)
        hours, minutes = (int(part) for part in deadline.due.time.split(":"))
        local = datetime.combine(day, time(hours, minutes), tzinfo=zone)
        resolved.append(DueDeadline(key, day, local.astimezone(UTC)))
    return sorted(resolved, key=lambda d: d.due_at)
