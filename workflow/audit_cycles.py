"""A cycle row and its deadlines, checked against the cycle's own chain (pure).

The chain's records say every event, its payload and the states it moved between; the
stored definition (itself checked against the trail, workflow.audit_registers) says
which outcome a state gives and which states meet each deadline; the `deadlines_planned`
fact of each opening says the due dates. From them follow what the cycle row must hold
(outcome, facts, the unit's path) and when each deadline was met. A row that says
otherwise was edited behind the chain's back, and is named with what it should say.

Not covered: the deadlines of a cycle moved to another definition version (its migrate
record re-plans them), and the due dates of cycles opened before the plans were chained.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from workflow.audit import ChainProblem, FactRow, cycle_chain
from workflow.audit_hashing import canonical_json
from workflow.errors import Reason

MIGRATE_EVENT = "migrate"  # workflow.versions.MIGRATE_EVENT, without importing the rules
REORGANISE_EVENT = "reorganise"  # workflow.reorganise.REORGANISE_EVENT
Row = TypeVar("Row", bound=Sequence[Any])
#: where a cycle row's own problem is
ITS_ROW = Reason("its row", "audit.at.row")


@dataclass(frozen=True)
class Rules:
    """What a stored definition version says that a cycle row follows from."""

    outcomes: dict[str, str | None]
    met_in: dict[str, frozenset[str]]
    #: a cycle there is closed: its unmet deadlines are late no more
    finals: frozenset[str] = frozenset()


def definition_rules(resolved: str) -> Rules:
    """Outcomes and deadlines' met_in of a stored definition (its resolved JSON text)."""
    value = json.loads(resolved)
    states = value.get("states", {})
    return Rules(
        {name: state.get("outcome") for name, state in states.items()},
        {key: frozenset(d.get("met_in", ())) for key, d in value.get("deadlines", {}).items()},
        frozenset(name for name, state in states.items() if state.get("final")),
    )


def planned_deadlines(facts: Iterable[FactRow]) -> dict[tuple[str, int, int], dict[str, str]]:
    """(definition, version, year) -> deadline key -> due instant, from the chain."""
    plans: dict[tuple[str, int, int], dict[str, str]] = {}
    for fact in facts:
        if fact.fields[1] != "deadlines_planned":
            continue
        try:
            d = json.loads(fact.fields[10])
            plans[(str(d["definition"]), int(d["version"]), int(d["year"]))] = {
                str(k): str(v) for k, v in d["deadlines"].items()
            }
        except (ValueError, KeyError, TypeError):
            continue
    return plans


@dataclass
class _Replay:
    facts: dict[str, Any] = field(default_factory=dict)
    outcome: str | None = None
    met: dict[str, str | None] = field(default_factory=dict)
    migrated: bool = False
    #: the state its last record moved it to
    state: str | None = None
    #: where the last `reorganise` record put the cycle (None: where it opened)
    path: str | None = None


@dataclass(frozen=True)
class RowContext:
    """What a cycle row is checked against besides its own records: its definition
    version's rules, each unit's path now (unit code -> path) and the openings' plans."""

    rules: Mapping[tuple[str, int], Rules]
    unit_paths: Mapping[str, str | None]
    plans: Mapping[tuple[str, int, int], Mapping[str, str]]


def row_context(
    definitions: Iterable[Sequence[Any]], units: Iterable[Sequence[Any]], facts: Iterable[FactRow]
) -> RowContext:
    """From the registers' definition rows (id, version, hash, resolved) and unit rows
    (code, kind, parent, path, ended) and the audit-event chain's facts."""
    return RowContext(
        {(str(d[0]), int(d[1])): definition_rules(d[3]) for d in definitions},
        {str(u[0]): u[3] for u in units},
        planned_deadlines(facts),
    )


# The cycle row's facts are written in the order its records add them, so the text the
# replay gives as written is most often the stored text itself: one encoding, no parse.
_AS_WRITTEN = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class CycleReplay:
    """What each cycle's records say its row must hold, gathered as the records stream
    past: `through` lets the chain check read the same rows in the same pass."""

    def __init__(self, rules: Mapping[tuple[str, int], Rules]) -> None:
        self.rules = rules
        self.replays: dict[int, _Replay] = {}

    def through(self, records: Iterable[Row]) -> Iterator[Row]:
        for row in records:
            self.replay(row)
            yield row

    def replay(self, row: Sequence[Any]) -> None:
        """One transition row, as `transition_rows` reads it."""
        cycle_id, event, source, dest, at = row[0], row[2], row[3], row[4], row[7]
        replay = self.replays.get(cycle_id)
        if replay is None:
            replay = self.replays[cycle_id] = _Replay()
        replay.state = dest
        if event == MIGRATE_EVENT:
            replay.migrated = True
        elif event == REORGANISE_EVENT:
            replay.path = _moved_to(row[8])
        elif event != "open":
            try:
                payload = json.loads(row[8] or "{}")
            except ValueError:
                payload = {}
            if isinstance(payload, dict):
                payload.pop("override", None)
                replay.facts.update(payload)
        spec = self.rules.get((str(row[10]), int(row[11])))
        if spec is None:
            return
        declared = spec.outcomes.get(dest)
        if declared is not None or event == "open":
            replay.outcome = declared
        if event == "open" or event == MIGRATE_EVENT:
            return
        for key, states in spec.met_in.items():
            if dest in states and (source is None or source not in states):
                if replay.met.get(key) is None:
                    replay.met[key] = at
            elif source in states and dest not in states:
                replay.met[key] = None

    def problems(
        self,
        cycles: Sequence[Mapping[str, Any]],
        deadlines: Iterable[Sequence[Any]],
        unit_paths: Mapping[str, str | None],
        plans: Mapping[tuple[str, int, int], Mapping[str, str]],
    ) -> list[ChainProblem]:
        """`cycles`: chain_heads lines (cycle_id, unit, year, definition_id,
        definition_version, outcome, facts, unit_path); `deadlines`: (cycle_id, key,
        due_at, met_at, year, closed) of those cycles."""
        replays, rules = self.replays, self.rules
        found: dict[int, dict[str, Sequence[Any]]] = {}
        for row in deadlines:
            have = found.get(row[0])
            if have is None:
                have = found[row[0]] = {}
            have[row[1]] = row
        in_rows: list[ChainProblem] = []
        in_deadlines: list[ChainProblem] = []
        for cycle in sorted(cycles, key=lambda c: int(c["cycle_id"])):
            cycle_id = int(cycle["cycle_id"])
            seen = replays.get(cycle_id)
            if seen is None:
                continue  # the chain check names a cycle without records
            in_rows += _row_problems(cycle_id, cycle, seen, rules, unit_paths)
            key = _spec_key(cycle)
            spec = rules.get(key)
            if seen.migrated or spec is None:
                continue
            plan = plans.get((*key, int(cycle["year"])))
            in_deadlines += _deadline_problems(
                cycle_id, cycle, seen, spec, found.get(cycle_id, {}), plan
            )
        return in_rows + in_deadlines


def _row_problems(
    cycle_id: int,
    cycle: Mapping[str, Any],
    replay: _Replay,
    rules: Mapping[tuple[str, int], Rules],
    unit_paths: Mapping[str, str | None],
) -> list[ChainProblem]:
    problems = []
    facts = cycle.get("facts")
    written = _AS_WRITTEN(replay.facts) if replay.facts else "{}"
    if facts is not None and facts != written and (
        canonical_json(_json(facts)) != canonical_json(replay.facts)
    ):
        problems.append(ChainProblem(cycle_chain(cycle_id), ITS_ROW, Reason(
            "its facts are not what its records' payloads add up to: the cycle row was "
            "edited",
            "audit.cycle_facts",
        )))
    if "outcome" in cycle and (rules.get(_spec_key(cycle)) is not None) and (
        cycle["outcome"] != replay.outcome
    ):
        problems.append(ChainProblem(cycle_chain(cycle_id), ITS_ROW, Reason(
            f"it says outcome {cycle['outcome']!r} but its records give "
            f"{replay.outcome!r}: the cycle row was edited",
            "audit.cycle_outcome", cycle_outcome=cycle["outcome"],
            chain_outcome=replay.outcome, definition=cycle["definition_id"],
        )))
    path = unit_paths.get(str(cycle.get("unit")))
    if cycle.get("unit_path") is not None and path is not None and cycle["unit_path"] != path:
        problems.append(ChainProblem(cycle_chain(cycle_id), ITS_ROW, Reason(
            f"it says unit path {cycle['unit_path']!r} but its unit "
            f"{cycle.get('unit')} is at {path!r}: the cycle row was moved",
            "audit.cycle_path", path=cycle["unit_path"], unit=cycle.get("unit"),
            unit_path=path,
        )))
    elif replay.path is not None and cycle.get("unit_path") not in (None, replay.path):
        problems.append(ChainProblem(cycle_chain(cycle_id), ITS_ROW, Reason(
            f"it says unit path {cycle['unit_path']!r} but its last "
            f"reorganisation record put it at {replay.path!r}: the cycle row was moved",
            "audit.cycle_moved", path=cycle["unit_path"], replayed=replay.path,
        )))
    return problems


def _deadline_problems(
    cycle_id: int,
    cycle: Mapping[str, Any],
    replay: _Replay,
    spec: Rules,
    have: Mapping[str, Sequence[Any]],
    plan: Mapping[str, str] | None,
) -> list[ChainProblem]:
    if _deadlines_hold(cycle, replay, spec, have, plan):
        return []
    problems: list[ChainProblem] = []

    def named(key: str, reason: Reason) -> None:
        # where it is, built only for a problem: most cycles have none
        where = Reason(f"deadline {key}", "audit.at.deadline", deadline=key,
                       definition=cycle["definition_id"])  # fmt: skip
        problems.append(ChainProblem(cycle_chain(cycle_id), where, reason))

    # the keys the opening planned (a deadline with no date in the year has no row)
    same = plan is None or plan.keys() == have.keys()
    for key in sorted(have if same else set(plan or ()) | set(have)):
        if key not in have:
            named(key, Reason("planned when it opened but the row is gone", "audit.deadline_gone"))
            continue
        if key not in spec.met_in:
            named(key, Reason("no deadline of its definition: inserted", "audit.deadline_inserted"))
            continue
        _, _, due_at, met_at, year, closed = have[key]
        if plan is not None and plan.get(key) != due_at:
            named(key, Reason(
                f"due {due_at} but planned {plan.get(key)} when the cycle was opened: the "
                "deadline was moved",
                "audit.deadline_moved", due=due_at, planned=plan.get(key),
            ))
        if met_at != replay.met.get(key):
            named(key, Reason(
                f"met {met_at} but its records meet it {replay.met.get(key)}: the "
                "deadline was edited",
                "audit.deadline_met", met=met_at, chain_met=replay.met.get(key),
            ))
        # what the boards count late by: a wrong one hides a late unit or shows one
        should_close = int(met_at is None and replay.state in spec.finals)
        if year is not None and int(year) != int(cycle["year"]):
            named(key, Reason(
                f"of year {year} but its cycle is of {cycle['year']}: the deadline was "
                "edited",
                "audit.deadline_year", year=year, cycle_year=cycle["year"],
            ))
        if int(closed) != should_close:
            named(key, Reason(
                "marked closed but its records leave it open (unmet, the cycle still "
                "running): the deadline was edited", "audit.deadline_closed",
            ) if closed else Reason(
                "marked open but its records close it (unmet when the cycle ended): the "
                "deadline was edited", "audit.deadline_open",
            ))
    return problems


def _deadlines_hold(
    cycle: Mapping[str, Any],
    replay: _Replay,
    spec: Rules,
    have: Mapping[str, Sequence[Any]],
    plan: Mapping[str, str] | None,
) -> bool:
    """Whether every deadline row is what the records and the plan say, in one tight
    loop: true only where `_deadline_problems`' own checks would find nothing, which
    then names what is wrong."""
    if plan is not None and plan.keys() != have.keys():
        return False
    met, met_in, year = replay.met, spec.met_in, cycle["year"]
    closing = replay.state in spec.finals
    for key, row in have.items():
        if (
            key not in met_in
            or (plan is not None and plan[key] != row[2])
            or row[3] != met.get(key)
            or (row[4] is not None and row[4] != year)
            or row[5] != (1 if row[3] is None and closing else 0)
        ):
            return False
    return True


def _moved_to(payload: Any) -> str | None:
    try:
        value = json.loads(payload or "{}")
    except ValueError:
        return None
    moved = value.get("to_path") if isinstance(value, dict) else None
    return str(moved) if moved is not None else None


def _spec_key(cycle: Mapping[str, Any]) -> tuple[str, int]:
    return str(cycle["definition_id"]), int(cycle["definition_version"])


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
