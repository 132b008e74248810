"""Cross-reference checks on a definition, each problem located by file and line."""

from __future__ import annotations

from collections import deque
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from workflow.bounds import (
    MAX_LADDER_STEPS,
    MAX_MILESTONE_DEPTH,
    MAX_OFFSET_DAYS,
    MAX_OFFSET_WORKING_DAYS,
    year_problem,
)
from workflow.errors import Problem
from workflow.spec.located import Located, Path
from workflow.spec.model import DefinitionSpec, EscalationSpec, Offset
from workflow.units import ORG_TYPES, UNIT_KINDS

_LEAP_YEAR = 2024  # a yearly "dd/mm" must exist in every year, so 29/02 is refused below


def structural_problems(error: ValidationError, located: Located) -> list[Problem]:
    problems = []
    for item in error.errors():
        path: Path = tuple(item["loc"])
        file, line = located.where(path)
        dotted = ".".join(str(part) for part in path) or "(top)"
        problems.append(Problem(file, line, f"{dotted}: {item['msg']}"))
    return problems


def semantic_problems(spec: DefinitionSpec, located: Located) -> list[Problem]:
    problems: list[Problem] = []

    def add(path: Path, message: str) -> None:
        file, line = located.where(path)
        problems.append(Problem(file, line, message))

    states = spec.states
    if spec.initial not in states:
        add(("initial",), f"initial state {spec.initial!r} is not a declared state")
    for kind in spec.applies_to:
        if kind not in UNIT_KINDS:
            add(("applies_to",), f"unknown unit kind {kind!r}")
    _check_rules(spec, add)
    _check_transitions(spec, add)
    _check_graph(spec, add)
    _check_deadlines(spec, add)
    _check_milestones(spec, add)
    _check_calendar(spec, add)
    _check_place(spec, add)
    _check_rating_scales(spec, add)
    for field, known, what in (("unit_kinds", UNIT_KINDS, "unit kind"),
                               ("org_types", ORG_TYPES, "organisation type")):
        for code in getattr(spec.documents, field):
            if code not in known:
                add(("documents", field, code),
                    f"unknown {what} {code!r} (known: {', '.join(known)})")
    if spec.targets is not None:
        for kind in spec.targets.over:
            if kind not in UNIT_KINDS:
                add(("targets", "over"), f"unknown unit kind {kind!r}")
        for i, goal in enumerate(spec.targets.goals):
            for kind in goal.over:
                if kind not in UNIT_KINDS:
                    add(("targets", "goals", i, "over"), f"unknown unit kind {kind!r}")
            if goal.measure != "recognized_count" and goal.value > 100:
                add(("targets", "goals", i, "value"), f"a share of {goal.value:g} % is over 100")
    return problems


def _check_rules(spec: DefinitionSpec, add: Any) -> None:
    # lazy: the rule kinds' models, needed only when a definition text is compiled
    from workflow.rules.kinds import RULE_KINDS

    for name, params in spec.rules.items():
        kind = params.get("kind", name)
        if kind not in RULE_KINDS:
            where = ("rules", name, "kind") if "kind" in params else ("rules", name)
            add(where, f"unknown rule kind {kind!r} (known: {', '.join(RULE_KINDS)})")
            continue
        try:
            RULE_KINDS[kind].params.model_validate(params)
        except ValidationError as exc:
            for item in exc.errors():
                add(("rules", name, *item["loc"]), f"rule {name!r}: {item['msg']}")


def _check_transitions(spec: DefinitionSpec, add: Any) -> None:
    seen: dict[tuple[str, str], list[tuple[str | None, str | None, int]]] = {}
    for index, transition in enumerate(spec.transitions):
        here: Path = ("transitions", index)
        for source in transition.source:
            if source not in spec.states:
                add(
                    (*here, "source"),
                    f"transition {transition.trigger!r} from unknown state {source!r}",
                )
        if transition.dest not in spec.states:
            add(
                (*here, "dest"),
                f"transition {transition.trigger!r} to unknown state {transition.dest!r}",
            )
        for role in transition.roles:
            if role not in spec.roles:
                add((*here, "roles"), f"transition {transition.trigger!r}: unknown role {role!r}")
        triggers = {t.trigger for t in spec.transitions}
        for barred in transition.not_by_actor_of:
            if barred not in triggers:
                add(
                    (*here, "not_by_actor_of"),
                    f"transition {transition.trigger!r}: unknown event {barred!r}",
                )
        for field in ("guard", "unless"):
            rule = getattr(transition, field)
            if rule is not None and rule not in spec.rules:
                add((*here, field), f"transition {transition.trigger!r}: unknown rule {rule!r}")
        for source in transition.source:
            guards = (transition.guard, transition.unless, index)
            earlier = seen.setdefault((transition.trigger, source), [])
            for guard, unless, other in earlier:
                if (guard, unless) == guards[:2]:
                    add(
                        here,
                        f"trigger {transition.trigger!r} from {source!r} is declared twice "
                        f"(also transition #{other + 1}) without distinct guards",
                    )
            earlier.append(guards)


def _check_graph(spec: DefinitionSpec, add: Any) -> None:
    outgoing: dict[str, set[str]] = {state: set() for state in spec.states}
    for transition in spec.transitions:
        for source in transition.source:
            if source in outgoing and transition.dest in spec.states:
                outgoing[source].add(transition.dest)
    if spec.initial in spec.states:
        reached = {spec.initial}
        queue = deque([spec.initial])
        while queue:
            for nxt in outgoing[queue.popleft()]:
                if nxt not in reached:
                    reached.add(nxt)
                    queue.append(nxt)
        for state in spec.states:
            if state not in reached:
                add(("states", state), f"state {state!r} cannot be reached from {spec.initial!r}")
    for state, state_spec in spec.states.items():
        if not state_spec.final and not outgoing[state]:
            add(("states", state), f"state {state!r} is not final and has no way out")
        if state_spec.final and outgoing[state]:
            add(("states", state), f"state {state!r} is final but has transitions out")


def _check_deadlines(spec: DefinitionSpec, add: Any) -> None:
    for name, deadline in spec.deadlines.items():
        here: Path = ("deadlines", name)
        for state in deadline.met_in:
            if state not in spec.states:
                add((*here, "met_in"), f"deadline {name!r}: unknown state {state!r}")
        if deadline.remind not in spec.roles:
            add((*here, "remind"), f"deadline {name!r}: unknown role {deadline.remind!r}")
        problem = yearly_date_problem(deadline.due.date)
        if problem:
            add((*here, "due", "date"), f"deadline {name!r}: {problem}")
        if not _valid_time(deadline.due.time):
            add((*here, "due", "time"), f"deadline {name!r}: {deadline.due.time!r} is not HH:MM")
        for year, text in deadline.due.in_year.items():
            problem = in_year_problem(year, text)
            if problem:
                add((*here, "due", "in_year", year), f"deadline {name!r}: {problem}")
        _check_ladder(spec, here, deadline.reminders, deadline.escalations, add)


def _check_ladder(
    spec: DefinitionSpec,
    here: Path,
    reminders: list[str],
    escalations: list[EscalationSpec],
    add: Any,
) -> None:
    for field, steps in (("reminders", reminders), ("escalations", escalations)):
        if len(steps) > MAX_LADDER_STEPS:
            add((*here, field), f"{len(steps)} {field}: at most {MAX_LADDER_STEPS}")
    for index, text in enumerate(reminders):
        try:
            offset = Offset.parse(text)
        except ValueError as exc:
            add((*here, "reminders", index), str(exc))
            continue
        if offset.amount >= 0:
            add((*here, "reminders", index), f"reminder {text!r} must come before the deadline")
        elif problem := _offset_problem(offset, text):
            add((*here, "reminders", index), f"reminder {problem}")
    for index, step in enumerate(escalations):
        try:
            offset = Offset.parse(step.after)
        except ValueError as exc:
            add((*here, "escalations", index), str(exc))
        else:
            if offset.amount <= 0:
                add((*here, "escalations", index), f"escalation {step.after!r} must come after it")
            elif problem := _offset_problem(offset, step.after):
                add((*here, "escalations", index), f"escalation {problem}")
        if step.to not in spec.roles:
            add((*here, "escalations", index, "to"), f"escalation to unknown role {step.to!r}")


def _offset_problem(offset: Offset, text: str) -> str | None:
    bound = MAX_OFFSET_WORKING_DAYS if offset.working else MAX_OFFSET_DAYS
    if abs(offset.amount) <= bound:
        return None
    unit = "working days" if offset.working else "days"
    return f"{text!r} is over {bound} {unit} from the deadline"


def _check_milestones(spec: DefinitionSpec, add: Any) -> None:
    for name, milestone in spec.milestones.items():
        here: Path = ("milestones", name)
        if milestone.owner not in spec.roles:
            add((*here, "owner"), f"milestone {name!r}: unknown role {milestone.owner!r}")
        problem = yearly_date_problem(milestone.due.date)
        if problem:
            add((*here, "due", "date"), f"milestone {name!r}: {problem}")
        for year, text in milestone.due.in_year.items():
            problem = in_year_problem(year, text)
            if problem:
                add((*here, "due", "in_year", year), f"milestone {name!r}: {problem}")
        for index, year in enumerate(milestone.years or []):
            problem = year_problem(year)
            if problem:
                add((*here, "years", index), f"milestone {name!r}: {problem}")
        if not _valid_time(milestone.due.time):
            add((*here, "due", "time"), f"milestone {name!r}: {milestone.due.time!r} is not HH:MM")
        for depth in milestone.depth or []:
            if not 0 <= depth <= MAX_MILESTONE_DEPTH:
                add(
                    (*here, "depth"),
                    f"milestone {name!r}: depth {depth} is outside 0–{MAX_MILESTONE_DEPTH}",
                )
        _check_ladder(spec, here, milestone.reminders, milestone.escalations, add)


def _check_calendar(spec: DefinitionSpec, add: Any) -> None:
    calendar = spec.calendar
    for field in ("days_off", "working_days"):
        for text in getattr(calendar, field):
            problem = full_date_problem(text)
            if problem:
                add(("calendar", field, text), f"calendar {field}: {problem}")
    for text in set(calendar.days_off) & set(calendar.working_days):
        add(("calendar", "working_days", text), f"{text} is declared both a day off and worked")
    if not _valid_time(calendar.notify_at):
        add(("calendar", "notify_at"), f"{calendar.notify_at!r} is not HH:MM")
    if len(set(calendar.weekend)) >= 7:
        add(("calendar", "weekend"), "a week with no working day")


def _check_place(spec: DefinitionSpec, add: Any) -> None:
    """The time zone and the country `cycle open` will look up exist."""
    try:
        ZoneInfo(spec.timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        add(("timezone",), f"{spec.timezone!r} is not a known time zone (e.g. Asia/Ho_Chi_Minh)")
    # imported here: the package is large and only validation and calendars need it
    import holidays

    country = spec.calendar.country
    if country not in holidays.list_supported_countries():
        add(
            ("calendar", "country"),
            f"{country!r} is not a country code the holiday calendar knows (e.g. VN)",
        )


def in_year_problem(year: int, text: str) -> str | None:
    """A date that replaces a deadline's in one cycle year: a real date, near that year."""
    problem = year_problem(year) or full_date_problem(text)
    if problem:
        return problem
    found = int(str(text).strip().split("/")[2])
    if not year - 1 <= found <= year + 2:
        return f"{text!r} is too far from the cycle year {year}"
    return None


def yearly_date_problem(text: str) -> str | None:
    try:
        day_text, month_text = text.strip().split("/")
        day, month = int(day_text), int(month_text)
        date(_LEAP_YEAR, month, day)
    except ValueError:
        return f"{text!r} is not a date that exists (expected dd/mm)"
    if (day, month) == (29, 2):
        return "29/02 does not exist every year"
    return None


def full_date_problem(text: str) -> str | None:
    try:
        parts = str(text).strip().split("/")
        day, month, year = (int(part) for part in parts)
        if len(parts[2]) != 4:
            raise ValueError("a four-digit year")
        date(year, month, day)
    except ValueError:
        return f"{text!r} is not a date that exists (expected dd/mm/yyyy)"
    return year_problem(year)


def _valid_time(text: str | None) -> bool:
    if text is None:  # the end of the day
        return True
    try:
        hours, minutes = (int(part) for part in text.split(":"))
    except ValueError:
        return False
    return 0 <= hours < 24 and 0 <= minutes < 60


def _check_rating_scales(spec: DefinitionSpec, add: Any) -> None:
    """Each scale's years in order and apart from the others'; a score scale has bands
    that fall (excellent > good > completed), a level scale none."""
    spans: list[tuple[int, int, int]] = []
    for i, scale in enumerate(spec.rating_scales):
        here = ("rating_scales", i)
        last = scale.last_year if scale.last_year is not None else 9999
        if last < scale.first_year:
            add(
                (*here, "last_year"),
                f"rating scale {scale.source!r}: last_year {last} is "
                f"before first_year {scale.first_year}",
            )
        for j, first, end in spans:
            if scale.first_year <= end and first <= last:
                add(
                    (*here, "first_year"),
                    f"rating scale {scale.source!r}: its years overlap those of rating_scales[{j}]",
                )
        spans.append((i, scale.first_year, last))
        bands = scale.bands
        if scale.kind == "score" and bands is None:
            add(here, f"rating scale {scale.source!r}: a score scale needs its bands")
        if scale.kind == "levels" and bands is not None:
            add((*here, "bands"), f"rating scale {scale.source!r}: a level scale has no bands")
        if bands is not None and not bands.excellent > bands.good > bands.completed:
            add(
                (*here, "bands"),
                f"rating scale {scale.source!r}: bands must fall "
                f"(excellent {bands.excellent:g} > good {bands.good:g} > completed "
                f"{bands.completed:g})",
            )
