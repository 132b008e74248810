"""Where a definition's deadlines and milestones fall for a cycle year, and the reminders
and escalations each implies: dates from the definition, working days from the calendar,
instants in UTC."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from workflow.calendar import WorkingCalendar, no_holidays
from workflow.spec.model import DefinitionSpec, DueSpec, EscalationSpec, Offset

TimerKind = Literal["reminder", "escalation"]
WEEKEND = "weekend"


@dataclass(frozen=True)
class DueDeadline:
    key: str
    due_date: date
    due_at: datetime  # UTC
    #: the date the definition gives, when the calendar policy moved the deadline off it
    natural_date: date | None = None
    #: why: the holiday's name, or WEEKEND
    moved_by: str | None = None


@dataclass(frozen=True)
class PlannedTimer:
    """One reminder or escalation a deadline implies, before it is written as a row."""

    deadline: str
    kind: TimerKind
    step: int
    role: str
    offset: str
    day: date
    due_at: datetime  # UTC
    #: the deadline it reminds of or escalates, UTC
    deadline_at: datetime
    #: holidays that pushed it off the day weekends alone would give
    moved_by: tuple[str, ...] = ()

    @property
    def suffix(self) -> str:
        """Its part of the idempotency key: unique within one cycle or milestone."""
        return f"{self.deadline}:{self.kind[0]}{self.step}"


def due_date(due: DueSpec, cycle_year: int) -> date:
    override = due.in_year.get(cycle_year)
    if override is not None:
        day, month, year = (int(part) for part in override.split("/"))
        return date(year, month, day)
    day, month = (int(part) for part in due.date.split("/"))
    year = cycle_year + (1 if due.year == "next" else 0)
    return date(year, month, day)


def end_of_day(day: date, zone: ZoneInfo) -> datetime:
    """The last instant of a local day, UTC: a deadline "on or before D" is met by
    anything up to it (stored to the microsecond, so `due_at < at` means late)."""
    midnight = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=zone)
    return midnight.astimezone(UTC) - timedelta(microseconds=1)


def _at(day: date, hhmm: str | None, zone: ZoneInfo) -> datetime:
    if hhmm is None:
        return end_of_day(day, zone)
    hours, minutes = (int(part) for part in hhmm.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=zone).astimezone(UTC)


def effective_due(
    spec: DefinitionSpec, key: str, due: DueSpec, cycle_year: int, calendar: WorkingCalendar
) -> DueDeadline:
    """A due date with the definition's policy for one on a non-working day applied."""
    natural = due_date(due, cycle_year)
    day, moved = natural, None
    if spec.calendar.non_working_deadline == "last_working_day_before" and not (
        calendar.is_working(natural)
    ):
        day = calendar.last_working_day_on_or_before(natural)
        # the holiday's own name, else WEEKEND (the renderer says it in the user's language)
        moved = calendar.holiday(natural) or WEEKEND
    zone = ZoneInfo(spec.timezone)
    return DueDeadline(
        key, day, _at(day, due.time, zone), natural if day != natural else None, moved
    )


def resolve_deadlines(
    spec: DefinitionSpec, cycle_year: int, calendar: WorkingCalendar | None = None
) -> list[DueDeadline]:
    cal = calendar or WorkingCalendar.from_spec(spec.calendar, no_holidays)
    resolved = [
        effective_due(spec, key, deadline.due, cycle_year, cal)
        for key, deadline in spec.deadlines.items()
    ]
    return sorted(resolved, key=lambda d: d.due_at)


def plan_ladder(
    spec: DefinitionSpec,
    due: DueDeadline,
    remind: str,
    reminders: list[str],
    escalations: list[EscalationSpec],
    calendar: WorkingCalendar,
) -> list[PlannedTimer]:
    """Reminders before a deadline and the escalation ladder after it, each on a working
    day at the definition's notification time."""
    zone = ZoneInfo(spec.timezone)
    notify_at = spec.calendar.notify_at
    planned = []
    for step, text in enumerate(reminders, start=1):
        shifted = calendar.shift(due.due_date, Offset.parse(text))
        planned.append(
            PlannedTimer(
                due.key, "reminder", step, remind, text, shifted.day,
                _at(shifted.day, notify_at, zone), due.due_at, shifted.moved_by,
            )
        )
    for step, escalation in enumerate(escalations, start=1):
        shifted = calendar.shift(due.due_date, Offset.parse(escalation.after))
        planned.append(
            PlannedTimer(
                due.key, "escalation", step, escalation.to, escalation.after, shifted.day,
                _at(shifted.day, notify_at, zone), due.due_at, shifted.moved_by,
            )
        )
    return sorted(planned, key=lambda t: (t.due_at, t.kind, t.step))


def ladder_order(timer: PlannedTimer) -> tuple[datetime, str, int]:
    """A ladder's order: by instant, then reminders before escalations, by step."""
    return (timer.due_at, timer.kind, timer.step)


def ladder_heads(timers: Sequence[PlannedTimer], at: datetime) -> list[PlannedTimer]:
    """The timers to write at `at` of the ladders in `timers` (one per deadline key).

    A ladder is written lazily: only its next timer exists, and the tick writes each
    one's successor when it comes due (`next_on_ladder`), so a deadline met on time
    leaves one row to delete, not the whole ladder. Kept: the first timer still ahead,
    and every escalation already due (owed, however late the cycle was opened or moved);
    a reminder already past is never sent. In the order given."""
    ahead: dict[str, PlannedTimer] = {}
    for timer in timers:
        if timer.due_at > at:
            first = ahead.get(timer.deadline)
            if first is None or ladder_order(timer) < ladder_order(first):
                ahead[timer.deadline] = timer
    heads = set(ahead.values())
    return [
        t for t in timers if t in heads or (t.kind == "escalation" and t.due_at <= at)
    ]


def next_on_ladder(ladder: Sequence[PlannedTimer], kind: str, step: int) -> PlannedTimer | None:
    """The timer after (kind, step) on its ladder (in `ladder_order`), None after the last
    or for a step the ladder does not have (a definition version that dropped it)."""
    ordered = sorted(ladder, key=ladder_order)
    for index, timer in enumerate(ordered):
        if timer.kind == kind and timer.step == step:
            return ordered[index + 1] if index + 1 < len(ordered) else None
    return None


def plan_cycle_timers(
    spec: DefinitionSpec, cycle_year: int, calendar: WorkingCalendar
) -> list[PlannedTimer]:
    """Every reminder and escalation of a cycle's deadlines, in time order."""
    planned: list[PlannedTimer] = []
    for due in resolve_deadlines(spec, cycle_year, calendar):
        deadline = spec.deadlines[due.key]
        planned += plan_ladder(
            spec, due, deadline.remind, deadline.reminders, deadline.escalations, calendar
        )
    return sorted(planned, key=lambda t: (t.due_at, t.deadline, t.kind, t.step))


def resolve_milestones(
    spec: DefinitionSpec, cycle_year: int, calendar: WorkingCalendar
) -> list[DueDeadline]:
    """The milestones that fall in a cycle year (a one-off review only in its years)."""
    return sorted(
        (
            effective_due(spec, key, milestone.due, cycle_year, calendar)
            for key, milestone in spec.milestones.items()
            if milestone.years is None or cycle_year in milestone.years
        ),
        key=lambda d: d.due_at,
    )


def plan_milestone_timers(
    spec: DefinitionSpec, due: DueDeadline, calendar: WorkingCalendar
) -> list[PlannedTimer]:
    milestone = spec.milestones[due.key]
    return plan_ladder(
        spec, due, milestone.owner, milestone.reminders, milestone.escalations, calendar
    )


@dataclass(frozen=True)
class YearPlan:
    """A definition's year as the calendar makes it: every deadline, every cycle's
    reminders and escalations, each milestone with its own."""

    deadlines: list[DueDeadline]
    timers: list[PlannedTimer]
    milestones: list[tuple[DueDeadline, list[PlannedTimer]]]


def plan_year(spec: DefinitionSpec, year: int, calendar: WorkingCalendar) -> YearPlan:
    return YearPlan(
        resolve_deadlines(spec, year, calendar),
        plan_cycle_timers(spec, year, calendar),
        [
            (m, plan_milestone_timers(spec, m, calendar))
            for m in resolve_milestones(spec, year, calendar)
        ],
    )
