"""The service: the core's one entry point for opening cycles, firing events and reading.

It loads through the Store, lets the compiled definition decide, and hands the store
one CycleChange to commit. It never logs: it returns what happened and adapters log it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from workflow.access import Grant, authorize, separation
from workflow.audit import canonical_json, chain_hash, transition_text
from workflow.calendar import WorkingCalendar, no_holidays
from workflow.clock import Clock
from workflow.deadlines import (
    plan_cycle_timers,
    plan_milestone_timers,
    resolve_deadlines,
    resolve_milestones,
)
from workflow.errors import Ambiguous, NotFound
from workflow.rules import GuardContext
from workflow.runtime.decision import Decision, Refusal
from workflow.runtime.machine import CompiledDefinition, MachineCache
from workflow.service.ports import (
    AuditEntry,
    Cycle,
    CycleChange,
    MilestonePlan,
    OpenBatch,
    OverdueItem,
    Store,
    UnitRef,
)
from workflow.service.reports import Report, SuperiorSummary, build_report
from workflow.service.results import (
    Board,
    BoardRow,
    FireResult,
    History,
    OpenResult,
    Verdict,
)
from workflow.spec.model import CalendarSpec, DefinitionSpec
from workflow.spec.registry import Definition
from workflow.timefmt import to_db

Progress = Callable[[int], None]
CalendarFactory = Callable[[CalendarSpec], WorkingCalendar]


def weekends_only(spec: CalendarSpec) -> WorkingCalendar:
    """A calendar without public holidays: what the core knows without an adapter."""
    return WorkingCalendar.from_spec(spec, no_holidays)


class Engine:
    def __init__(
        self, store: Store, clock: Clock, calendars: CalendarFactory = weekends_only
    ) -> None:
        self.store = store
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
        """Record a definition version in the store (refused if that version's content changed)."""
        self.store.save_definition(definition, self.clock.now())
        self._definitions[definition.key] = definition

    def definition(self, definition_id: str, version: int) -> Definition:
        key = (definition_id, version)
        found = self._definitions.get(key)
        if found is None:
            found = self._definitions[key] = self.store.load_definition(definition_id, version)
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
        and has none yet, in batches. Running it again opens nothing more."""
        self.adopt(definition)
        spec = definition.spec
        node = self.store.find_unit(under) if under else None
        calendar = self.calendar(spec)
        due = [(d.key, d.due_at) for d in resolve_deadlines(spec, year, calendar)]
        timers = plan_cycle_timers(spec, year, calendar)
        milestones = [
            MilestonePlan(m, spec.milestones[m.key].depth, plan_milestone_timers(spec, m, calendar))
            for m in resolve_milestones(spec, year, calendar)
        ]
        milestones_opened = self.store.open_milestones(
            definition, year, node, milestones, self.clock.now()
        )
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
            done = self.store.open_next_batch(batch)
            opened += done.count
            if progress is not None and done.count:
                progress(done.count)
            if done.last_unit_id is None:
                break
            after = done.last_unit_id
        return OpenResult(spec.id, spec.version, year, opened, milestones_opened)

    def cycle(self, unit_code: str, year: int, definition_id: str | None = None) -> Cycle:
        cycles = self.store.find_cycles(unit_code, year)
        if definition_id is not None:
            cycles = [c for c in cycles if c.definition_id == definition_id]
        if not cycles:
            which = f" of {definition_id!r}" if definition_id else ""
            raise NotFound(f"unit {unit_code!r} has no {year} cycle{which}")
        if len(cycles) > 1:
            names = ", ".join(c.definition_id for c in cycles)
            raise Ambiguous(f"unit {unit_code!r} has several {year} cycles ({names}): name one")
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
            refusal = Refusal("not_found", str(exc))
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
        """Fire on a loaded cycle. With a `grant` (an installation with actors), the
        actor's role and scope are checked first, and separation of duties after the
        definition has decided. Every refusal is kept in the audit trail."""
        decision, change = self.prepare(cycle, event, actor, role, payload, expected_version, grant)
        if change is not None and not self.store.apply(change):
            decision, change = stale_decision(cycle, cycle.version), None
        return self._result(cycle, event, actor, role, decision, change)

    def _result(
        self,
        cycle: Cycle,
        event: str,
        actor: str,
        role: str,
        decision: Decision,
        change: CycleChange | None,
    ) -> FireResult:
        if decision.refusal is not None:
            self.record_refusal(cycle, event, actor, role, decision.refusal)
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
        definition = self.definition(cycle.definition_id, cycle.definition_version)
        if grant is not None:
            refused = authorize(grant, role, definition.spec, cycle.unit_code, cycle.unit_path)
            if refused is not None:
                return Decision(cycle.state, refusal=refused), None
        decision = self.decide(cycle, definition, event, role, payload)
        if not decision.applied:
            return decision, None
        payload = _with_override(payload, decision)
        barred = separation(
            actor,
            event,
            self.machine(definition).barred(event, cycle.state),
            # read only for the few events that have a separation rule
            lambda: ((e.event, e.actor) for e in self.store.history(cycle.id)),
        )
        if barred is not None:
            return Decision(cycle.state, refusal=barred), None
        assert decision.to_state is not None
        at = self.clock.now()
        outcome = decision.outcome if decision.outcome is not None else cycle.outcome
        checks = [c.as_dict() for c in decision.checks]
        payload_text = canonical_json(payload) if payload else "{}"
        checks_text = canonical_json(checks) if checks else "[]"
        seq = cycle.version + 1
        at_text = to_db(at)
        text = transition_text(
            cycle.id, seq, event, cycle.state, decision.to_state, actor, role, at_text,
            payload_text, checks_text, cycle.definition_id, cycle.definition_version,
        )
        change = CycleChange(
            cycle_id=cycle.id,
            expected_version=cycle.version,
            state=decision.to_state,
            outcome=outcome,
            facts=_facts(cycle, payload),
            entry=AuditEntry(
                seq=seq,
                event=event,
                from_state=cycle.state,
                to_state=decision.to_state,
                actor=actor,
                role=role,
                at=at,
                payload=payload,
                checks=checks,
                definition_id=cycle.definition_id,
                definition_version=cycle.definition_version,
            ),
            met=decision.met,
            reopened=decision.reopened,
            payload_text=payload_text,
            checks_text=checks_text,
            hash=chain_hash(cycle.head, text),
            at_text=at_text,
        )
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
        acting, and what a bulk dry run reports."""
        machine = self.machine(definition)
        evidence = None
        if event in machine.reads_register:
            evidence = {"register": self.store.rating_register(cycle.unit_code, cycle.year)}
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
            facts["register"] = self.store.rating_register(cycle.unit_code, cycle.year)
        checks = machine.guard(rule)(GuardContext(cycle.unit_kind, facts))
        return Verdict(cycle, rule, tuple(checks), facts.get("register"))

    def report(self, year: int, under: str | None = None) -> Report:
        """One row per unit of the subtree and a summary per superior (see reports.py)."""
        node = self.store.find_unit(under) if under else None
        cycles = self.store.report_cycles(node, year)
        definitions = {
            (c.definition_id, c.definition_version): self.definition(
                c.definition_id, c.definition_version
            )
            for c in cycles
        }
        for definition_id in {c.definition_id for c in cycles}:
            newest = self.store.load_definition(definition_id, None)
            definitions[newest.key] = newest
        return build_report(
            year,
            under,
            cycles,
            self.store.report_events(node, year),
            self.store.ratings_under(node, year),
            self.overdue(year, under),
            definitions,
            self.store.committees(node),
            {key: share for key, (share, _) in self.store.targets(year).items()},
        )

    def target_progress(self, year: int, under: str | None = None) -> list[SuperiorSummary]:
        return self.report(year, under).superiors

    def record_refusal(
        self, cycle: Cycle, event: str, actor: str, role: str, refusal: Refusal
    ) -> None:
        self.store.record_event(
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

    # -- reading -----------------------------------------------------------------------
    def history(self, unit_code: str, year: int, definition_id: str | None = None) -> History:
        cycle = self.cycle(unit_code, year, definition_id)
        definition = self.definition(cycle.definition_id, cycle.definition_version)
        return History(
            cycle,
            definition,
            self.store.history(cycle.id),
            self.store.deadlines(cycle.id),
            self.store.notices(cycle.id),
        )

    def overdue(self, year: int, under: str | None = None) -> list[OverdueItem]:
        """Deadlines past due and not met, of cycles not closed, and milestones not kept."""
        node = self.store.find_unit(under) if under else None
        closed = self._closed_states(year, node)
        return self.store.list_overdue(node, year, self.clock.now(), closed)

    def _closed_states(self, year: int, node: UnitRef | None) -> list[str]:
        ids = {item.definition_id for item in self.store.count_states(node, year)}
        return _final_states(self.store.load_definition(i, None) for i in ids)

    def board(self, year: int, under: str | None = None) -> Board:
        node = self.store.find_unit(under) if under else None
        counts = self.store.count_states(node, year)
        rows: dict[tuple[str, str, str | None], int] = {}
        counted: dict[str, list[int]] = {}
        for item in counts:
            key = (item.definition_id, item.state, item.outcome)
            rows[key] = rows.get(key, 0) + item.count
        # Labels and targets come from the newest stored version of each definition.
        latest = {
            definition_id: self.store.load_definition(definition_id, None)
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
        assigned = self.store.targets(year) if under else {}
        targets = {}
        for definition_id, (total, recognized) in counted.items():
            target = latest[definition_id].spec.targets
            share = target.recognized_share if target else None
            if under is not None and (under, definition_id) in assigned:
                share = assigned[(under, definition_id)][0]
            targets[definition_id] = (total, recognized, share)
        overdue = self.store.count_overdue(
            node, year, self.clock.now(), _final_states(latest.values())
        )
        return Board(year, under, board_rows, targets, overdue)


def _final_states(definitions: Iterable[Definition]) -> list[str]:
    """Every final state of these definitions: a cycle there is closed, never overdue."""
    return sorted({n for d in definitions for n, st in d.spec.states.items() if st.final})


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


def _facts(cycle: Cycle, payload: dict[str, Any]) -> dict[str, Any] | None:
    """The cycle's facts after this event (None: unchanged). An override belongs to its
    own decision, kept in that record: it does not become a fact of the cycle."""
    kept = {k: v for k, v in payload.items() if k != "override"}
    return {**cycle.facts, **kept} if kept else None


def _with_override(payload: dict[str, Any], decision: Decision) -> dict[str, Any]:
    """An override is kept with what it overruled; one that overruled nothing (the verdict
    passed) is dropped, so the audit trail lists only real overrides."""
    if "override" not in payload:
        return payload
    if not decision.overruled:
        return {k: v for k, v in payload.items() if k != "override"}
    given = payload["override"]
    reason = given.get("reason") if isinstance(given, dict) else given
    return {
        **payload,
        "override": {"reason": str(reason).strip(), "overruled": list(decision.overruled)},
    }


def stale_decision(cycle: Cycle, expected: int) -> Decision:
    return Decision(
        cycle.state,
        refusal=Refusal(
            "stale",
            f"the cycle changed meanwhile (expected version {expected}); reload and try again",
        ),
    )
