"""The only module that imports `transitions`.

A definition (id, version) compiles into one shared Machine with no model of its own and
one cursor registered once. Deciding an event sets the cursor to the cycle's state and
fires: no Machine per unit and no add_model/remove_model per event (that costs tens of
µs and grows with the models attached). A lock makes the shared cursor safe in threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from transitions import EventData, Machine

from workflow.rules.checks import Check, GuardContext
from workflow.runtime.decision import Attempt, Decision, Refusal
from workflow.spec.model import DefinitionSpec, TransitionSpec
from workflow.spec.registry import Definition

Guard = Callable[[GuardContext], list[Check]]


class _Cursor:
    """The model the shared machine moves; holds nothing but the state being decided."""

    state: str
    trigger: Callable[..., bool]


class CompiledDefinition:
    def __init__(self, definition: Definition) -> None:
        self.definition = definition
        self.spec: DefinitionSpec = definition.spec
        # lazy: the rule kinds' models, only where a rule is compiled (start-up)
        from workflow.rules.kinds import RULE_KINDS

        self._guards: dict[str, Guard] = {
            name: _compile_rule(params) for name, params in self.spec.rules.items()
        }
        #: facts some rule reads: a transition the rule judges may not bring them itself
        self._evidence_keys = frozenset(
            key
            for params in self.spec.rules.values()
            for key in RULE_KINDS[params.get("kind", "recognition")].reads
        )
        register_rules = {
            name
            for name, params in self.spec.rules.items()
            if params.get("ratings_from") == "register"
        }
        #: the rule whose verdict decides recognition: the first transition guarded by one
        self.verdict_rule: str | None = next(
            (t.guard for t in self.spec.transitions if t.guard is not None), None
        )
        #: events whose rule reads the ratings register: the engine loads it only for these
        self.reads_register = frozenset(
            t.trigger
            for t in self.spec.transitions
            if t.guard in register_rules or t.unless in register_rules
        )
        #: unit kinds whose register rule tallies the ratings of their cells: only these
        #: need the rows below the unit (a cell's register is its own rows)
        self.tallies_cells = frozenset(
            kind
            for params in self.spec.rules.values()
            if params.get("ratings_from") == "register"
            for share in params.get("ratings", [])
            if share.get("over") == "cells"
            for kind in share.get("applies_to", [])
        )
        self._lock = threading.Lock()
        self._machine = Machine(
            model=None,
            states=list(self.spec.states),
            initial=None,
            auto_transitions=False,
            send_event=True,
        )
        self._from: dict[tuple[str, str], list[TransitionSpec]] = {}
        for transition in self.spec.transitions:
            self._machine.add_transition(
                transition.trigger,
                list(transition.source),
                transition.dest,
                conditions=[self._condition(transition)],
            )
            for source in transition.source:
                self._from.setdefault((transition.trigger, source), []).append(transition)
        self._triggers = {t.trigger for t in self.spec.transitions}
        self._events = self._machine.events
        self._cursor = _Cursor()
        self._machine.add_model(self._cursor, initial=self.spec.initial)
        self._deadline_effects: dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...]]] = {}
        self._barred: dict[tuple[str, str], frozenset[str]] = {}
        for transition in self.spec.transitions:
            for source in transition.source:
                key = (transition.trigger, source)
                self._barred[key] = self._barred.get(key, frozenset()) | frozenset(
                    transition.not_by_actor_of
                )

    def barred(self, event: str, state: str) -> frozenset[str]:
        """The events whose actor may not fire `event` from `state` on the same cycle."""
        return self._barred.get((event, state), frozenset())

    def guard(self, name: str) -> Guard:
        return self._guards[name]

    def roles_for(self, state: str, event: str) -> list[str]:
        """The roles that may fire `event` from `state` (empty if it cannot be fired there)."""
        return sorted({r for t in self._from.get((event, state), []) for r in t.roles})

    def triggers_from(self, state: str) -> list[str]:
        return sorted({trigger for trigger, source in self._from if source == state})

    def decide(
        self,
        state: str,
        event: str,
        role: str,
        payload: Mapping[str, Any],
        unit_kind: str,
        facts: Mapping[str, Any],
        evidence: Mapping[str, Any] | None = None,
    ) -> Decision:
        """Decide `event` from `state`. `evidence` (the ratings register) is merged last:
        a payload cannot stand in for the register."""
        if event not in self._triggers:
            return Decision(
                state,
                refusal=Refusal(
                    "unknown_event", f"unknown event {event!r}", params={"event": event}
                ),
            )
        candidates = self._from.get((event, state))
        if not candidates:
            sources = sorted({s for (t, s) in self._from if t == event})
            return Decision(
                state,
                refusal=Refusal(
                    "wrong_state",
                    f"event {event!r} cannot be fired from state {state!r} "
                    f"({self.spec.state_label(state)}); it is allowed from: {', '.join(sources)}",
                    params={"event": event, "state": state, "states": sources},
                ),
            )
        merged = {**facts, **payload, **evidence} if evidence else {**facts, **payload}
        attempt = Attempt(role, dict(payload), unit_kind, merged)
        with self._lock:
            # The cursor's state attribute is all set_state would write; the event is
            # fired on the machine directly, skipping the model's trigger partial.
            self._cursor.state = state
            moved = self._events[event].trigger(self._cursor, attempt=attempt)
            new_state = self._cursor.state
        if not moved:
            refusal = attempt.refusal or Refusal(
                "guard_failed",
                f"no transition for {event!r}",
                msgid="refusal.no_transition",
                params={"event": event},
            )
            return Decision(state, refusal=refusal, checks=tuple(attempt.checks))
        met, reopened = self._effects(state, new_state)
        return Decision(
            state,
            to_state=new_state,
            checks=tuple(attempt.checks),
            met=met,
            reopened=reopened,
            outcome=self.spec.states[new_state].outcome,
            overruled=attempt.overruled,
        )

    def _effects(self, source: str, dest: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        key = (source, dest)
        cached = self._deadline_effects.get(key)
        if cached is None:
            met = tuple(
                name
                for name, d in self.spec.deadlines.items()
                if dest in d.met_in and source not in d.met_in
            )
            reopened = tuple(
                name
                for name, d in self.spec.deadlines.items()
                if source in d.met_in and dest not in d.met_in
            )
            cached = self._deadline_effects[key] = (met, reopened)
        return cached

    def _condition(self, transition: TransitionSpec) -> Callable[[EventData], bool]:
        roles = frozenset(transition.roles)
        requires = tuple(transition.requires)
        guard = self._guards.get(transition.guard) if transition.guard else None
        unless = self._guards.get(transition.unless) if transition.unless else None
        trigger = transition.trigger
        overridable = transition.overridable
        # Whoever a rule's verdict binds (the appraiser) cannot restate the evidence it
        # judges: scores and ratings come from the unit's own steps and the register.
        judged = (
            self._evidence_keys - set(requires)
            if guard is not None or unless is not None
            else frozenset()
        )

        def condition(event: EventData) -> bool:
            attempt: Attempt = event.kwargs["attempt"]
            if attempt.role not in roles:
                attempt.refusal = attempt.refusal or Refusal(
                    "role_not_allowed",
                    f"role {attempt.role!r} may not fire {trigger!r}; "
                    f"allowed: {', '.join(sorted(roles))}",
                    params={"event": trigger, "role": attempt.role, "roles": sorted(roles)},
                )
                return False
            missing = [name for name in requires if _blank(attempt.payload.get(name))]
            if missing:
                attempt.refusal = attempt.refusal or Refusal(
                    "payload_missing",
                    f"{trigger!r} needs data: {', '.join(missing)}",
                    params={"event": trigger, "fields": missing},
                )
                return False
            brought = sorted(judged.intersection(attempt.payload))
            if brought:
                attempt.refusal = attempt.refusal or Refusal(
                    "payload_not_allowed",
                    f"{trigger!r} may not bring {', '.join(brought)}: the rule judges the "
                    "unit's own evidence; to overrule its verdict give a written override",
                    params={"event": trigger, "fields": brought},
                )
                return False
            context = GuardContext(attempt.unit_kind, attempt.facts)
            if guard is not None:
                checks = guard(context)
                attempt.checks.extend(checks)
                failed = tuple(c for c in checks if not c.passed)
                if failed and not overruled(attempt, failed):
                    attempt.refusal = attempt.refusal or Refusal(
                        "guard_failed",
                        f"{trigger!r} refused by rule {transition.guard!r}: "
                        + "; ".join(c.describe("en") for c in failed)
                        + _override_hint(overridable, failed),
                        failed,
                        params={
                            "event": trigger,
                            "rule": transition.guard,
                            "hint": bool(_override_hint(overridable, failed)),
                        },
                    )
                    return False
            if unless is not None:
                checks = unless(context)
                attempt.checks.extend(checks)
                if all(c.passed for c in checks) and not overruled(attempt, ()):
                    attempt.refusal = attempt.refusal or Refusal(
                        "guard_failed",
                        f"{trigger!r} refused: rule {transition.unless!r} holds"
                        + _override_hint(overridable, ()),
                        msgid="refusal.unless_holds",
                        params={
                            "event": trigger,
                            "rule": transition.unless,
                            "hint": bool(_override_hint(overridable, ())),
                        },
                    )
                    return False
            return True

        def overruled(attempt: Attempt, failed: tuple[Check, ...]) -> bool:
            """An appraiser's written reason overrules the verdict, if the transition
            allows it and the verdict does not rest on missing evidence."""
            given = attempt.payload.get("override")
            reason = given.get("reason") if isinstance(given, dict) else given
            if not overridable or not isinstance(reason, str) or not reason.strip():
                return False
            if not all(c.overridable for c in failed):
                return False
            attempt.overruled = tuple(c.key for c in failed) or (transition.unless or "",)
            return True

        return condition


def _override_hint(overridable: bool, failed: tuple[Check, ...]) -> str:
    if overridable and all(c.overridable for c in failed):
        return " (an appraiser may overrule this with a written reason: override)"
    return ""


def _blank(value: Any) -> bool:
    """Nothing given: None, empty, or text of spaces only (a blank plan is no plan)."""
    if isinstance(value, str):
        return not value.strip()
    return value is None or value == [] or value == {}


def _compile_rule(params: Mapping[str, Any]) -> Guard:
    # lazy: the rule kinds' models, only where a rule is compiled (start-up)
    from workflow.rules.kinds import RULE_KINDS

    kind = RULE_KINDS[params.get("kind", "recognition")]
    validated = kind.params.model_validate(params)

    def guard(context: GuardContext) -> list[Check]:
        return kind.evaluate(validated, context)

    return guard


class MachineCache:
    """Compiled machines by (id, version, content hash): each compiled once per process."""

    def __init__(self) -> None:
        self._compiled: dict[tuple[str, int, str], CompiledDefinition] = {}

    def get(self, definition: Definition) -> CompiledDefinition:
        key = (definition.spec.id, definition.spec.version, definition.content_hash)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = CompiledDefinition(definition)
        return compiled


def mermaid_diagram(definition: Definition, lang: str = "vi") -> str:
    """A Mermaid stateDiagram drawn by transitions' own diagram support."""
    from transitions.extensions.diagrams import GraphMachine

    spec = definition.spec
    machine = GraphMachine(
        model=None,
        states=list(spec.states),
        initial=None,
        auto_transitions=False,
        graph_engine="mermaid",
        title=spec.title.get(lang),
        show_state_attributes=False,
    )
    for transition in spec.transitions:
        machine.add_transition(transition.trigger, list(transition.source), transition.dest)

    class _Model:
        pass

    model = _Model()
    machine.add_model(model, initial=spec.initial)
    graph = model.get_graph()  # type: ignore[attr-defined]
    text = str(graph.draw(None))
    # transitions names each state by its id; show the definition's label instead.
    for name, state in spec.states.items():
        label = state.label.get(lang).replace('"', "'")
        text = text.replace(f'state "{name}" as {name}\n', f'state "{label}" as {name}\n')
    return text
