"""The service's write side: adopting definitions, opening cycles, firing events.

A use case loads what the decision needs, lets the compiled definition decide (pure),
and writes the effects in one unit of work: `with uow: ... uow.commit()`. A refusal and
its audit fact commit in the unit of work of the decision that produced it. It never
logs: it returns what happened and adapters log it. The read side is board.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workflow.access import Grant, authorize, separation
from workflow.bounds import year_problem
from workflow.calendar import WorkingCalendar, no_holidays
from workflow.clock import Clock
from workflow.deadlines import (
    PlannedTimer,
    plan_cycle_timers,
    plan_milestone_timers,
    resolve_deadlines,
    resolve_milestones,
)
from workflow.errors import Ambiguous, DefinitionError, NotFound, Problem
from workflow.rules.checks import GuardContext
from workflow.runtime.decision import Decision, Refusal
from workflow.runtime.machine import CompiledDefinition, MachineCache
from workflow.service import board
from workflow.service.adoption import save_definition
from workflow.service.changes import (
    out_of_order,
    stale_decision,
    transition_change,
    with_override,
)
from workflow.service.ports import UnitOfWork
from workflow.service.records import (
    Cycle,
    CycleChange,
    MilestonePlan,
    OpenBatch,
    OverdueItem,
)
from workflow.service.reports import Report, SuperiorSummary
from workflow.service.results import Board, FireResult, History, OpenResult, Verdict
from workflow.spec.model import CalendarSpec, DefinitionSpec
from workflow.spec.registry import Definition
from workflow.timefmt import to_db

Progress = Callable[[int], None]
CalendarFactory = Callable[[CalendarSpec], WorkingCalendar]


def weekends_only(spec: CalendarSpec) -> WorkingCalendar:
    """A calendar without public holidays: what the core knows without an adapter (for
    tests of the core; a deployment passes adapters.holidays_vn.calendar_for)."""
    return WorkingCalendar.from_spec(spec, no_holidays)


class CycleService:
    def __init__(self, uow: UnitOfWork, clock: Clock, calendars: CalendarFactory) -> None:
        self.uow = uow
        self.clock = clock
        self.calendars = calendars
        self._machines = MachineCache()
        self._definitions: dict[tuple[str, int], Definition] = {}
        self._calendars: dict[str, WorkingCalendar] = {}

    def calendar(self, spec: DefinitionSpec) -> WorkingCalendar:
        key = spec.calendar.model_dump_json()
        found = self._calendars.get(key)
        if found is None:
            found = self._calendars[key] = self.calendars(spec.calendar)
        return found

    def spec(self, definition_id: str, version: int) -> DefinitionSpec:
        return self.definition(definition_id, version).spec

    # -- definitions ---------------------------------------------------------------
    def adopt(self, definition: Definition) -> None:
        """Record a definition version (refused if that version's content changed)."""
        save_definition(self.uow, definition, self.clock.now())
        self._definitions[definition.key] = definition

    def definition(self, definition_id: str, version: int) -> Definition:
        key = (definition_id, version)
        found = self._definitions.get(key)
        if found is None:
            found = self._definitions[key] = self.uow.definitions.load(definition_id, version)
        return found

    def machine(self, definition: Definition) -> CompiledDefinition:
        return self._machines.get(definition)

    # -- cycles ----------------------------------------------------------------------
    def open_cycles(
        self,
        definition: Definition,
        year: int,
        under: str | None = None,
        actor: str = "system",
        role: str = "system",
        batch_size: int = 5000,
        progress: Progress | None = None,
    ) -> OpenResult:
        """Open `year`'s cycle for every unit under `under` that the definition applies to
        and has none yet, in batches (one unit of work each). Running it again opens
        nothing more."""
        spec = definition.spec
        uow = self.uow
        node = uow.units.find(under) if under else None
        # Planned before the definition is stored: a year it cannot plan stores nothing.
        problem = year_problem(year)
        if problem:
            raise DefinitionError([Problem(definition.filename, None, problem)])
        try:
            calendar = self.calendar(spec)
            due = [(d.key, d.due_at) for d in resolve_deadlines(spec, year, calendar)]
            timers = plan_cycle_timers(spec, year, calendar)
            milestones = [
                MilestonePlan(
                    m, spec.milestones[m.key].depth, plan_milestone_timers(spec, m, calendar)
                )
                for m in resolve_milestones(spec, year, calendar)
            ]
        except (ValueError, OverflowError, KeyError, NotImplementedError) as exc:
            message = f"cannot plan the year {year}'s deadlines: {exc}"
            raise DefinitionError([Problem(definition.filename, None, message)]) from exc
        self.adopt(definition)
        milestones_opened = 0
        if milestones:
            with uow:
                milestones_opened = uow.timers.open_milestones(
                    definition, year, node, milestones, self.clock.now()
                )
                uow.commit()
        opened, after = 0, 0
        while True:
            batch = OpenBatch(
                definition=definition,
                year=year,
                under=node,
                state=spec.initial,
                outcome=spec.states[spec.initial].outcome,
                deadlines=due,
                timers=timers,
                at=self.clock.now(),
                actor=actor,
                role=role,
                after_unit_id=after,
                limit=batch_size,
            )
            with uow:
                done = uow.cycles.open_batch(batch)
                if done.count and not opened:
                    # the due dates its deadlines are held to (workflow.audit_cycles),
                    # chained with the first cycles they were given to
                    uow.audit.append(
                        "deadlines_planned", batch.at, actor, role=role, year=year,
                        detail={
                            "definition": spec.id, "version": spec.version, "year": year,
                            "deadlines": {key: to_db(at) for key, at in due},
                        },
                    )  # fmt: skip
                uow.commit()
            opened += done.count
            if progress is not None and done.count:
                progress(done.count)
            if done.last_unit_id is None:
                break
            after = done.last_unit_id
        return OpenResult(spec.id, spec.version, year, opened, milestones_opened)

    def cycle(self, unit_code: str, year: int, definition_id: str | None = None) -> Cycle:
        cycles = self.uow.cycles.find(unit_code, year)
        if definition_id is not None:
            cycles = [c for c in cycles if c.definition_id == definition_id]
        if not cycles:
            self.uow.units.find(unit_code)  # an unknown unit is said as such (NotFound)
            which = f" of {definition_id!r}" if definition_id else ""
            raise NotFound(
                f"unit {unit_code!r} has no {year} cycle{which}",
                msgid="error.no_cycle_of" if definition_id else "error.no_cycle",
                params={"unit": unit_code, "year": year, "definition": definition_id or ""},
            )
        if len(cycles) > 1:
            names = ", ".join(c.definition_id for c in cycles)
            raise Ambiguous(
                f"unit {unit_code!r} has several {year} cycles ({names}): name one",
                msgid="error.several_cycles",
                params={"unit": unit_code, "year": year, "names": names},
            )
        return cycles[0]

    def fire(
        self,
        unit_code: str,
        event: str,
        year: int,
        actor: str,
        role: str,
        payload: dict[str, Any] | None = None,
        definition_id: str | None = None,
        expected_version: int | None = None,
        grant: Grant | None = None,
    ) -> FireResult:
        payload = payload or {}
        try:
            cycle = self.cycle(unit_code, year, definition_id)
        except (NotFound, Ambiguous) as exc:
            refusal = Refusal(
                "not_found", str(exc), msgid=exc.msgid or "", params=dict(exc.params)
            )
            return FireResult(
                unit_code, year, event, actor, role, None, Decision("", refusal=refusal)
            )
        return self.fire_on(cycle, event, actor, role, payload, expected_version, grant)

    def fire_on(
        self,
        cycle: Cycle,
        event: str,
        actor: str,
        role: str,
        payload: dict[str, Any],
        expected_version: int | None = None,
        grant: Grant | None = None,
    ) -> FireResult:
        """Fire on a loaded cycle: load what the decision reads, decide, then write the
        change (or the refusal's audit fact) in one unit of work. With a `grant` (an
        installation with actors), the actor's role and scope are checked first, and
        separation of duties after the definition has decided."""
        decision, change = self.prepare(cycle, event, actor, role, payload, expected_version, grant)
        with self.uow:
            if change is not None and not self.uow.cycles.apply(change):
                decision, change = stale_decision(cycle, cycle.version), None
            if decision.refusal is not None:
                self.append_refusal(cycle, event, actor, role, decision.refusal)
            self.uow.commit()
        version = cycle.version + 1 if change is not None else None
        return FireResult(
            cycle.unit_code, cycle.year, event, actor, role, cycle.id, decision, version
        )

    def prepare(
        self,
        cycle: Cycle,
        event: str,
        actor: str,
        role: str,
        payload: dict[str, Any],
        expected_version: int | None = None,
        grant: Grant | None = None,
    ) -> tuple[Decision, CycleChange | None]:
        """Everything firing decides, changing nothing: the decision, and the change to
        commit if it applies (None if refused). A dry run stops here."""
        if expected_version is not None and expected_version != cycle.version:
            return stale_decision(cycle, expected_version), None
        backdated = out_of_order(cycle, self.clock.now())
        if backdated is not None:
            return Decision(cycle.state, refusal=backdated), None
        definition = self.definition(cycle.definition_id, cycle.definition_version)
        if grant is not None:
            refused = authorize(grant, role, definition.spec, cycle.unit_code, cycle.unit_path)
            if refused is not None:
                return Decision(cycle.state, refusal=refused), None
        machine = self.machine(definition)
        # loaded before deciding, and only for the few events that have such a rule
        barred = machine.barred(event, cycle.state)
        earlier = self.uow.cycles.actors(cycle.id) if barred else []
        decision = self.decide(cycle, definition, event, role, payload)
        if not decision.applied:
            return decision, None
        payload = with_override(payload, decision)
        separated = separation(actor, event, barred, lambda: earlier)
        if separated is not None:
            return Decision(cycle.state, refusal=separated), None
        spec = definition.spec
        assert decision.to_state is not None
        replanned: tuple[PlannedTimer, ...] = ()
        now = self.clock.now()
        if decision.reopened:  # rare: a deadline met before is open again
            # only those still ahead: one that came due while it was met had been moot
            planned = plan_cycle_timers(spec, cycle.year, self.calendar(spec))
            replanned = tuple(
                t for t in planned if t.deadline in decision.reopened and t.due_at > now
            )
        change = transition_change(
            cycle, event, actor, role, payload, decision, now,
            closes=spec.states[decision.to_state].final, replanned=replanned,
        )  # fmt: skip
        return decision, change

    def decide(
        self,
        cycle: Cycle,
        definition: Definition,
        event: str,
        role: str,
        payload: dict[str, Any],
    ) -> Decision:
        """What firing would decide, changing nothing: the verdict an appraiser sees before
        acting, and what a bulk dry run reports. The ratings register is loaded first
        when the machine says the event reads it; the decision itself is pure."""
        machine = self.machine(definition)
        evidence = None
        if event in machine.reads_register:
            register = self.uow.registers.rating_register(
                cycle.unit_code, cycle.year, cells=cycle.unit_kind in machine.tallies_cells
            )
            evidence = {"register": register}
        return machine.decide(
            cycle.state, event, role, payload, cycle.unit_kind, cycle.facts, evidence
        )

    def verdict(self, cycle: Cycle) -> Verdict:
        """The recognition rule's verdict on a cycle as its evidence stands now, whatever
        its state: each check with its actual and required value."""
        definition = self.definition(cycle.definition_id, cycle.definition_version)
        machine = self.machine(definition)
        rule = machine.verdict_rule
        if rule is None:
            return Verdict(cycle, None, ())
        facts = dict(cycle.facts)
        if machine.reads_register:
            facts["register"] = self.uow.registers.rating_register(
                cycle.unit_code, cycle.year, cells=cycle.unit_kind in machine.tallies_cells
            )
        checks = machine.guard(rule)(GuardContext(cycle.unit_kind, facts))
        return Verdict(cycle, rule, tuple(checks), facts.get("register"))

    def append_refusal(
        self, cycle: Cycle, event: str, actor: str, role: str, refusal: Refusal
    ) -> None:
        """The refusal's audit fact, in the caller's unit of work."""
        self.uow.audit.append(
            "refusal",
            self.clock.now(),
            actor,
            role=role,
            unit_code=cycle.unit_code,
            unit_path=cycle.unit_path,
            cycle_id=cycle.id,
            year=cycle.year,
            event=event,
            code=refusal.code,
            detail={"message": refusal.message, "state": cycle.state, "version": cycle.version},
        )

    def record_refusal(
        self, cycle: Cycle, event: str, actor: str, role: str, refusal: Refusal
    ) -> None:
        """The refusal's audit fact, in a unit of work of its own."""
        with self.uow:
            self.append_refusal(cycle, event, actor, role, refusal)
            self.uow.commit()

    # -- reading (board.py) ----------------------------------------------------------
    def report(self, year: int, under: str | None = None) -> Report:
        return board.report(self, year, under)

    def target_progress(self, year: int, under: str | None = None) -> list[SuperiorSummary]:
        return self.report(year, under).superiors

    def history(self, unit_code: str, year: int, definition_id: str | None = None) -> History:
        return board.history(self, unit_code, year, definition_id)

    def overdue(self, year: int, under: str | None = None) -> list[OverdueItem]:
        return board.overdue(self, year, under)

    def board(self, year: int, under: str | None = None) -> Board:
        return board.board(self, year, under)
