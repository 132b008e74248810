"""The service's read side: boards, histories, overdue lists and reports. Reads run
outside any unit of work (each sees committed data) and change nothing."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from workflow.deadlines import DueDeadline, effective_due
from workflow.pilot import PilotCheck, pilot_rows
from workflow.rules.stored_checks import Labeller, expand
from workflow.service.records import Cycle, DeadlineStatus, OverdueItem, UnitRef
from workflow.service.reports import Report, build_report
from workflow.service.results import Board, BoardRow, History
from workflow.spec.registry import Definition
from workflow.targets import GoalProgress, goals_in_force

if TYPE_CHECKING:
    from workflow.service.cycles import CycleService


def report(service: CycleService, year: int, under: str | None = None) -> Report:
    """One row per unit of the subtree and a summary per superior (see reports.py)."""
    uow = service.uow
    node = uow.units.find(under) if under else None
    cycles = uow.cycles.report_cycles(node, year)
    definitions = {
        (c.definition_id, c.definition_version): service.definition(
            c.definition_id, c.definition_version
        )
        for c in cycles
    }
    for definition_id in {c.definition_id for c in cycles}:
        newest = uow.definitions.load(definition_id, None)
        definitions[newest.key] = newest
    return build_report(
        year,
        under,
        cycles,
        uow.cycles.report_events(node, year),
        uow.registers.ratings_under(node, year),
        overdue(service, year, under),
        definitions,
        uow.units.committees(node),
        {key: share for key, (share, _) in uow.registers.targets(year).items()},
    )


def history(
    service: CycleService, unit_code: str, year: int, definition_id: str | None = None
) -> History:
    cycle = service.cycle(unit_code, year, definition_id)
    definition = service.definition(cycle.definition_id, cycle.definition_version)
    uow = service.uow
    entries = [
        replace(e, checks=expand(e.checks, _labels(service, e.definition_id, e.definition_version)))
        if e.checks
        else e
        for e in uow.cycles.history(cycle.id)
    ]
    deadlines = uow.cycles.deadlines(cycle.id)
    return History(
        cycle,
        definition,
        entries,
        deadlines,
        uow.outbox.notices(cycle.id),
        _moves(service, cycle, definition, deadlines),
    )


def _moves(
    service: CycleService, cycle: Cycle, definition: Definition, deadlines: list[DeadlineStatus]
) -> dict[str, DueDeadline]:
    """The deadlines the calendar policy moved off the definition's date, computed again
    from the definition and the calendar (only the effective instant is stored); one
    stored on another day than the calculation gives (a calendar changed since) is left
    out rather than given a reason that is not its own."""
    spec = definition.spec
    calendar = service.calendar(spec)
    zone = ZoneInfo(spec.timezone)
    moves = {}
    for status in deadlines:
        defined = spec.deadlines.get(status.key)
        if defined is None:
            continue
        due = effective_due(spec, status.key, defined.due, cycle.year, calendar)
        if due.natural_date is not None and due.due_date == status.due_at.astimezone(zone).date():
            moves[status.key] = due
    return moves


def _labels(service: CycleService, definition_id: str, version: int) -> Labeller:
    """The labels of the checks a record written under this definition version holds."""
    # lazy: the rule kinds' models, only where a rule is compiled (start-up)
    from workflow.rules.kinds import check_labels

    return check_labels(service.definition(definition_id, version).spec.rules)


def overdue(service: CycleService, year: int, under: str | None = None) -> list[OverdueItem]:
    """Deadlines past due and not met, of cycles not closed, and milestones not kept."""
    uow = service.uow
    node = uow.units.find(under) if under else None
    return uow.cycles.list_overdue(node, year, service.clock.now())


def board(service: CycleService, year: int, under: str | None = None) -> Board:
    uow = service.uow
    node = uow.units.find(under) if under else None
    counts = uow.cycles.count_states(node, year)
    rows: dict[tuple[str, str, str | None], int] = {}
    counted: dict[str, list[int]] = {}
    for item in counts:
        key = (item.definition_id, item.state, item.outcome)
        rows[key] = rows.get(key, 0) + item.count
    # Labels and targets come from the newest stored version of each definition.
    latest = {
        definition_id: uow.definitions.load(definition_id, None)
        for definition_id in {item.definition_id for item in counts}
    }
    board_rows = [
        _board_row(latest[definition_id], state, outcome, count)
        for (definition_id, state, outcome), count in sorted(
            rows.items(), key=lambda kv: _order(latest[kv[0][0]], kv[0])
        )
    ]
    for item in counts:
        spec = latest[item.definition_id].spec
        tally = counted.setdefault(item.definition_id, [0, 0])
        if spec.targets is not None and item.unit_kind in spec.targets.over:
            tally[0] += item.count
            if item.outcome == "recognized":
                tally[1] += item.count
    # A target the superior was assigned for the year wins over the definition's.
    assigned = uow.registers.targets(year) if under else {}
    targets = {}
    for definition_id, (total, recognized) in counted.items():
        target = latest[definition_id].spec.targets
        share = target.recognized_share if target else None
        if under is not None and (under, definition_id) in assigned:
            share = assigned[(under, definition_id)][0]
        targets[definition_id] = (total, recognized, share)
    overdue = uow.cycles.count_overdue(node, year, service.clock.now())
    goals = _goals(service, year, under, latest)
    return Board(
        year, under, board_rows, targets, overdue, goals, _pilot(service, year, node, latest)
    )


def _pilot(
    service: CycleService, year: int, node: UnitRef | None, latest: dict[str, Definition]
) -> dict[str, PilotCheck]:
    """Each definition's pilot of this year (seed 004's 1-3 cells of each type per
    district), per committee and type. Only read in a pilot's year."""
    pilots = {
        d: spec.targets.pilot
        for d, spec in ((d, x.spec) for d, x in latest.items())
        if spec.targets is not None and spec.targets.pilot is not None
        and spec.targets.pilot.year == year
    }
    if not pilots:
        return {}
    units = service.uow.units.under(node)
    cycles = service.uow.cycles.report_cycles(node, year)
    return {
        d: PilotCheck(
            pilot,
            pilot_rows(
                pilot, units, {c.unit_code: c.state for c in cycles if c.definition_id == d}
            ),
        )
        for d, pilot in pilots.items()
    }


def _goals(
    service: CycleService, year: int, under: str | None, latest: dict[str, Definition]
) -> dict[str, list[GoalProgress]]:
    """The definitions' goals for the year over the board's subtree (the report's tally:
    a goal may count ratings, which the state counts do not hold). Only read when a
    definition declares goals for the year."""
    if not any(
        d.spec.targets is not None and goals_in_force(d.spec.targets.goals, year)
        for d in latest.values()
    ):
        return {}
    summaries = report(service, year, under).superiors
    if under is not None:
        tops = [s for s in summaries if s.unit_code == under]
    else:  # the roots of the tree: every unit is under one of them
        tops = [s for s in summaries if s.unit_path.count("/") == 2]
    merged: dict[tuple[str, int], GoalProgress] = {}
    for summary in tops:
        for definition_id, progress in summary.goals().items():
            for p in progress:
                held = merged.get((definition_id, p.key))
                merged[(definition_id, p.key)] = p if held is None else GoalProgress(
                    p.key, p.goal, held.counted + p.counted, held.meeting + p.meeting
                )
    found: dict[str, list[GoalProgress]] = {}
    for (definition_id, _), p in sorted(merged.items()):
        found.setdefault(definition_id, []).append(p)
    return found


def _order(definition: Definition, key: tuple[str, str, str | None]) -> tuple[str, int, str]:
    definition_id, state, outcome = key
    states = list(definition.spec.states)
    return (definition_id, states.index(state) if state in states else len(states), outcome or "")


def _board_row(definition: Definition, state: str, outcome: str | None, count: int) -> BoardRow:
    """A state's label, plus the outcome's where the state itself does not say it."""
    spec = definition.spec
    own = spec.states.get(state)
    vi = own.label.vi if own else state
    en = own.label.en if own else state
    if outcome is not None and (own is None or own.outcome != outcome):
        named = next((s for s in spec.states.values() if s.outcome == outcome), None)
        if named is not None:
            vi, en = f"{vi} — {named.label.vi}", f"{en} — {named.label.en}"
    return BoardRow(definition.spec.id, state, outcome, vi, en, count)
