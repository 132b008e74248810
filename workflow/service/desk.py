"""What the web board's pages read that no other use case gives: the board's row per
child node, the unit page (its history, verdict and the events this actor may fire
there) and "my work" (the cycles awaiting this actor). Reads only; every read checks
the actor's sight first (`Actors.sight`), so a refusal is in the trail."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from workflow.access import SYSTEM_ROLES, Grant, authorize
from workflow.calendar import WorkingCalendar
from workflow.service.actors import Actors
from workflow.service.cycles import CycleService
from workflow.service.records import Cycle, OverdueItem, UnitRef
from workflow.service.results import History, Verdict
from workflow.spec.registry import Definition
from workflow.targets import share_units_needed
from workflow.timefmt import LOCAL_TZ

if TYPE_CHECKING:
    from workflow.rules.meetings import Breach
    from workflow.service.meeting_checks import MeetingChecks

#: days left at or under which a cycle's next deadline is "due soon"
DUE_SOON_DAYS = 5


@dataclass(frozen=True)
class BoardFilter:
    """The board's filter, as the URL carries it."""

    definition: str | None = None
    state: str | None = None
    overdue_only: bool = False
    #: "yes": children with a recognised unit; "no": those with none
    recognized: str | None = None
    #: count only the units of this organisation type (loại hình: workflow.units.ORG_TYPES)
    org_type: str | None = None
    search: str = ""
    page: int = 1
    per_page: int = 50


@dataclass
class ChildRow:
    code: str
    name: str
    kind: str
    by_state: dict[str, int] = field(default_factory=dict)
    overdue: int = 0
    #: units the target counts, and those of them recognised
    counted: int = 0
    recognized: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_state.values())

    def share(self) -> float | None:
        return None if not self.counted else 100 * self.recognized / self.counted

    def gap(self, target: float | None) -> int | None:
        """Units still to recognise to reach the target share (0: reached)."""
        if target is None or not self.counted:
            return None
        return max(0, share_units_needed(target, self.counted) - self.recognized)


@dataclass(frozen=True)
class Unreachable:
    """Notices parked because nobody up the tree holds their role's contact: for the
    board to name, so that someone adds it (and an administrator retries)."""

    unit_code: str
    role: str
    definition_id: str
    notices: int


@dataclass(frozen=True)
class BoardView:
    year: int
    node: UnitRef | None
    definition: Definition | None
    #: the definition's states in its order (the board's columns)
    states: list[str]
    target: float | None
    rows: list[ChildRow]
    matching: int
    page: int
    pages: int
    #: the definitions with cycles here, to choose among
    offered: list[Definition] = field(default_factory=list)
    #: the subtree's notices parked with no recipient, by unit and role
    unreachable: list[Unreachable] = field(default_factory=list)


@dataclass(frozen=True)
class UnitView:
    unit: UnitRef
    history: History
    verdict: Verdict
    #: the events this actor may fire on the cycle now, as the role it fires them
    events: list[tuple[str, str]]
    #: the meeting register beside the verdict: meetings held and the thresholds' breaches
    #: (None: the definition sets no thresholds for the unit's kind)
    meetings: tuple[int, list[Breach]] | None = None


@dataclass(frozen=True)
class WorkItem:
    cycle: Cycle
    definition: Definition
    events: list[str]
    deadline: str | None
    due: date | None
    #: working days from today to the due date (negative: late)
    days_left: int | None

    @property
    def status(self) -> str:
        if self.days_left is None:
            return "none"
        if self.days_left < 0:
            return "late"
        return "soon" if self.days_left <= DUE_SOON_DAYS else "ok"


@dataclass(frozen=True)
class LateItem:
    item: OverdueItem
    #: working days since the due date, on the definition's calendar
    days_late: int


@dataclass(frozen=True)
class OverdueGroup:
    """The overdue items of one deadline under one superior."""

    definition: Definition
    deadline: str
    superior: str | None
    items: list[LateItem]
    superior_name: str | None = None


class Desk:
    def __init__(
        self, actors: Actors, cycles: CycleService, evidence: MeetingChecks | None = None
    ) -> None:
        self.actors = actors
        self.cycles = cycles
        self.uow = cycles.uow
        #: the verdict's evidence, as the API's verdict reads it (None: the verdict alone)
        self.evidence = evidence

    def year(self, asked: int | None) -> int:
        """The year a reader sees unless they ask for another: the newest year any cycle
        is of (the 2025 cycle is still decided in March 2026), else the clock's own."""
        if asked is not None:
            return asked
        newest = self.uow.cycles.latest_year()
        return newest if newest is not None else self.cycles.clock.now().astimezone(LOCAL_TZ).year

    def board(
        self, grant: Grant | None, year: int, under: str | None, wanted: BoardFilter
    ) -> BoardView:
        """A row per child node of `under` (default: the actor's scope), filtered and
        paged; two grouped reads whatever the size of the tree."""
        code = self.actors.scope(grant, under, "board")
        node = self.uow.units.find(code) if code else None
        counts = self.uow.cycles.count_by_child(node, year, wanted.org_type)
        late_under: UnitRef | None = node
        if not counts and node is not None and node.parent_code is not None:
            # a unit without units below it (a cell): its own row, as its superior sees it
            parent = self.uow.units.find(node.parent_code)
            counts = [
                c for c in self.uow.cycles.count_by_child(parent, year, wanted.org_type)
                if c.child_code == node.code
            ]  # fmt: skip
            late_under = parent
        ids = sorted({c.definition_id for c in counts})
        chosen = wanted.definition if wanted.definition in ids else (ids[0] if ids else None)
        definition = self.uow.definitions.load(chosen, None) if chosen else None
        spec = definition.spec if definition else None
        rows: dict[str, ChildRow] = {}
        for c in counts:
            if c.definition_id != chosen:
                continue
            row = rows.setdefault(c.child_code, ChildRow(c.child_code, c.child_name, c.child_kind))
            row.by_state[c.state] = row.by_state.get(c.state, 0) + c.count
            if spec and spec.targets and c.unit_kind in spec.targets.over:
                row.counted += c.count
                if c.outcome == "recognized":
                    row.recognized += c.count
        if definition is not None:
            late = self.uow.cycles.overdue_by_child(
                late_under, year, self.cycles.clock.now(), wanted.org_type
            )
            for child, n in late.items():
                if child in rows:
                    rows[child].overdue = n
        target = spec.targets.recognized_share if spec and spec.targets else None
        if code is not None and chosen is not None:
            assigned = self.uow.registers.targets(year).get((code, chosen))
            target = assigned[0] if assigned else target
        shown = [r for r in sorted(rows.values(), key=lambda r: r.code) if _keeps(r, wanted)]
        pages = max(1, -(-len(shown) // wanted.per_page))
        page = min(max(1, wanted.page), pages)
        start = (page - 1) * wanted.per_page
        return BoardView(
            year, node, definition, list(spec.states) if spec else [], target,
            shown[start : start + wanted.per_page], len(shown), page, pages,
            [self.uow.definitions.load(i, None) for i in ids], self._unreachable(node),
        )  # fmt: skip

    def _unreachable(self, node: UnitRef | None) -> list[Unreachable]:
        tally: dict[tuple[str, str, str], int] = {}
        for n in self.uow.outbox.unaddressed(None, node):
            key = (n.unit_code, n.role, n.definition_id)
            tally[key] = tally.get(key, 0) + 1
        return [Unreachable(u, r, d, count) for (u, r, d), count in sorted(tally.items())]

    def overdue(self, grant: Grant | None, year: int, under: str | None) -> list[OverdueGroup]:
        """What is past due in the actor's subtree, grouped by deadline and superior,
        each with its working days late."""
        code = self.actors.scope(grant, under, "overdue")
        today = self.cycles.clock.now().astimezone(LOCAL_TZ).date()
        groups: dict[tuple[str, str, str | None], OverdueGroup] = {}
        for item in self.cycles.overdue(year, code):
            definition = self.cycles.definition(item.definition_id, item.definition_version)
            calendar = self.cycles.calendar(definition.spec)
            due = item.due_at.astimezone(LOCAL_TZ).date()
            key = (item.definition_id, item.deadline, item.parent_code)
            group = groups.setdefault(
                key, OverdueGroup(definition, item.deadline, item.parent_code, [], item.parent_name)
            )
            group.items.append(LateItem(item, -working_days(calendar, today, due)))
        return sorted(groups.values(), key=lambda g: (g.deadline, g.superior or ""))

    def unit(self, grant: Grant | None, unit_code: str, year: int) -> UnitView:
        """The unit page: what happened, the verdict as the evidence stands (with the
        meeting register beside it, as the API's verdict), and what this actor may do
        there now."""
        unit = self.actors.sight(grant, unit_code, "unit page")
        history = self.cycles.history(unit.code, year)
        events = self.fireable(grant, history.cycle)
        if self.evidence is None:
            return UnitView(unit, history, self.cycles.verdict(history.cycle), events)
        found = self.evidence.verdict_of(history.cycle)
        return UnitView(unit, history, found.verdict, events, found.meetings)

    def fireable(self, grant: Grant | None, cycle: Cycle) -> list[tuple[str, str]]:
        """(event, role) pairs the actor may fire on the cycle in its state: the role's
        own, within its scope (open mode: every event, by its first role)."""
        definition = self.cycles.definition(cycle.definition_id, cycle.definition_version)
        machine = self.cycles.machine(definition)
        found = []
        for event in machine.triggers_from(cycle.state):
            roles = machine.roles_for(cycle.state, event)
            if grant is None:
                found.append((event, roles[0]))
            elif grant.role not in SYSTEM_ROLES and grant.role in roles:
                refused = authorize(
                    grant, grant.role, definition.spec, cycle.unit_code, cycle.unit_path
                )
                if refused is None:
                    found.append((event, grant.role))
        return found

    def my_work(self, grant: Grant | None, year: int, limit: int = 500) -> list[WorkItem]:
        """The cycles in the actor's scope awaiting an event it may fire, soonest due
        first, with working days left on each definition's calendar."""
        node = self.uow.units.find(grant.scope_code) if grant and grant.scope_code else None
        today = self.cycles.clock.now().astimezone(LOCAL_TZ).date()
        items: list[WorkItem] = []
        after = 0
        while len(items) < limit:
            page = self.uow.cycles.under(node, year, after, 1000)
            if not page:
                break
            after = page[-1].id
            for cycle in page:
                events = [e for e, _ in self.fireable(grant, cycle)]
                if events:
                    items.append(self._work_item(cycle, events, today))
        items.sort(key=lambda w: (w.due or date.max, w.cycle.unit_code))
        return items[:limit]

    def _work_item(self, cycle: Cycle, events: list[str], today: date) -> WorkItem:
        definition = self.cycles.definition(cycle.definition_id, cycle.definition_version)
        pending = [d for d in self.uow.cycles.deadlines(cycle.id) if d.met_at is None]
        if not pending:
            return WorkItem(cycle, definition, events, None, None, None)
        nearest = min(pending, key=lambda d: d.due_at)
        due = nearest.due_at.astimezone(LOCAL_TZ).date()
        calendar = self.cycles.calendar(definition.spec)
        return WorkItem(
            cycle, definition, events, nearest.key, due, working_days(calendar, today, due)
        )


def working_days(calendar: WorkingCalendar, start: date, end: date) -> int:
    """Working days from `start` to `end` (negative when `end` is past)."""
    is_working = calendar.is_working
    step = 1 if end >= start else -1
    count, day = 0, start
    while day != end:
        day += timedelta(days=step)
        if is_working(day):
            count += step
    return count


def _keeps(row: ChildRow, wanted: BoardFilter) -> bool:
    if wanted.state and not row.by_state.get(wanted.state):
        return False
    if wanted.overdue_only and not row.overdue:
        return False
    if wanted.recognized == "yes" and not row.recognized:
        return False
    if wanted.recognized == "no" and row.recognized:
        return False
    needle = wanted.search.strip().casefold()
    return not needle or needle in row.code.casefold() or needle in row.name.casefold()
