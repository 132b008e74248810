"""Reorganising the unit tree: moves, renames, merges, splits and dissolutions (pure).

A province's decision (its number, the day it takes effect) is a list of steps; each
step is checked against the tree as the steps before it left it, so that one decision
can move a district's grassroots organisations under three communes and then dissolve
the district. The plan says every unit whose parent, path, code or existence changes
(descendants of a moved unit included: paths are ids from the root), and every running
cycle a merged unit hands to the unit that absorbs it. A dry run is this plan; a real
run writes exactly it. Nothing here reads or writes: the tree and the cycles come in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

from workflow.errors import BontotError
from workflow.units import ALLOWED_PARENTS

#: the event a cycle's chain records when its unit moves, is renamed or is absorbed
REORGANISE_EVENT = "reorganise"
#: the audit-event fact of a whole decision
REORGANISATION_FACT = "reorganisation"

Action = Literal["move", "rename", "merge", "dissolve"]
ACTIONS: tuple[str, ...] = ("move", "rename", "merge", "dissolve")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class ReorganisationRefused(BontotError):
    """One or more steps cannot be done: each problem names its step; nothing changes."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class Node:
    """A unit as the tree holds it now. `since`: the day its current place began (None:
    as long as the tree remembers)."""

    id: int
    code: str
    kind: str
    parent: str | None
    path: str
    ended: bool = False
    since: date | None = None


@dataclass(frozen=True)
class HeldCycle:
    """A cycle of a unit a step may absorb: running ones go with the unit that absorbs it."""

    id: int
    unit: str
    year: int
    definition_id: str
    running: bool


@dataclass(frozen=True)
class Step:
    """One change asked for. `target`: the new parent (move), the new code (rename), the
    unit that absorbs this one (merge); `where` names the step in messages ("row 3")."""

    action: Action
    code: str
    target: str | None = None
    where: str = ""


@dataclass(frozen=True)
class Decision:
    number: str
    effective: date


@dataclass(frozen=True)
class UnitChange:
    """A unit before and after the decision (codes of parents; `ended`: it is no more)."""

    id: int
    code: str
    kind: str
    old_code: str
    old_parent: str | None
    old_path: str
    parent: str | None
    path: str
    ended: bool
    #: who absorbed it (merge), else None
    absorbed_by: str | None = None
    #: its parent changed (not only its path, as its ancestors moved)
    reparented: bool = False

    @property
    def moved(self) -> bool:
        return self.path != self.old_path


@dataclass(frozen=True)
class Carry:
    """A running cycle handed from a merged unit to the one that absorbs it."""

    cycle_id: int
    from_unit: str
    to_unit: str
    to_unit_id: int
    #: the absorbing unit's path once the decision is done
    to_path: str = ""


@dataclass(frozen=True)
class Plan:
    decision: Decision
    steps: tuple[Step, ...]
    changes: tuple[UnitChange, ...]
    carries: tuple[Carry, ...] = ()

    @property
    def renamed(self) -> dict[str, str]:
        return {c.old_code: c.code for c in self.changes if c.old_code != c.code}

    @property
    def ended(self) -> list[str]:
        return [c.code for c in self.changes if c.ended]

    @property
    def moved_roots(self) -> list[UnitChange]:
        """The moved units whose parent changed (their subtrees moved with them)."""
        return [c for c in self.changes if c.reparented]

    def totals(self) -> dict[str, int]:
        return {
            "steps": len(self.steps),
            "units_changed": len(self.changes),
            "moved": len(self.moved_roots),
            "paths_changed": sum(1 for c in self.changes if c.moved),
            "renamed": len(self.renamed),
            "ended": len(self.ended),
            "cycles_carried": len(self.carries),
        }

    def fact_detail(self) -> dict[str, Any]:
        """The audit-event fact: the decision, its steps, and every changed unit's new
        register values (kind, parent, path, ended), by its new code: what `audit verify`
        replays the unit table from."""
        return {
            "decision": self.decision.number,
            "effective": self.decision.effective.isoformat(),
            "steps": [[s.action, s.code, s.target] for s in self.steps],
            "renamed": self.renamed,
            "units": {
                c.code: [
                    c.kind,
                    c.parent,
                    c.path,
                    self.decision.effective.isoformat() if c.ended else None,
                ]
                for c in self.changes
            },
            "carried": {str(k.cycle_id): [k.from_unit, k.to_unit] for k in self.carries},
        }


@dataclass
class _Unit:
    node: Node
    code: str
    parent: str | None
    ended: bool = False
    absorbed_by: str | None = None
    children: list[str] = field(default_factory=list)


def plan_reorganisation(
    decision: Decision,
    steps: Sequence[Step],
    tree: Iterable[Node],
    cycles: Iterable[HeldCycle],
    today: date,
) -> Plan:
    """Check every step in order on the tree as the ones before left it; raise
    ReorganisationRefused naming each bad step, or return the plan."""
    problems: list[str] = []
    if not decision.number.strip():
        problems.append("the decision number is empty")
    if decision.effective > today:
        problems.append(
            f"it takes effect on {decision.effective:%d/%m/%Y}: record it on or after that day"
        )
    if not steps:
        problems.append("no step to do")
    units: dict[str, _Unit] = {}
    by_old: dict[str, _Unit] = {}
    for node in tree:
        unit = _Unit(node, node.code, node.parent, node.ended)
        units[node.code] = unit
        by_old[node.code] = unit
    for unit in units.values():
        if unit.parent in units:
            units[unit.parent].children.append(unit.code)
    held: dict[str, list[HeldCycle]] = {}
    for cycle in cycles:
        held.setdefault(cycle.unit, []).append(cycle)
    carries: list[Carry] = []

    def say(step: Step, message: str) -> None:
        problems.append(f"{step.where or step.action + ' ' + step.code}: {message}")

    def live(step: Step, code: str | None, what: str) -> _Unit | None:
        unit = units.get(code or "")
        if unit is None:
            say(step, f"unknown unit {code!r} ({what})")
        elif unit.ended:
            say(step, f"{code} ({what}) no longer exists")
            return None
        return unit

    def detach(unit: _Unit) -> None:
        if unit.parent is not None:
            units[unit.parent].children.remove(unit.code)

    def attach(unit: _Unit, parent: _Unit) -> None:
        unit.parent = parent.code
        parent.children.append(unit.code)

    def may_sit(step: Step, unit: _Unit, parent: _Unit) -> bool:
        if parent.node.kind not in ALLOWED_PARENTS[unit.node.kind]:
            allowed = ", ".join(k or "(none: a root)" for k in ALLOWED_PARENTS[unit.node.kind])
            say(
                step,
                f"a {unit.node.kind} cannot sit under a {parent.node.kind} "
                f"({parent.code}); allowed: {allowed}",
            )
            return False
        above: str | None = parent.code
        while above is not None:
            if above == unit.code:
                say(step, f"{parent.code} is inside {unit.code}: the tree would loop")
                return False
            above = units[above].parent
        return True

    for step in steps:
        named = live(step, step.code, "the unit")
        if named is None:
            continue
        unit = named
        if unit.node.since is not None and decision.effective < unit.node.since:
            say(
                step,
                f"{unit.code} took its place on {unit.node.since:%d/%m/%Y}, after "
                f"{decision.effective:%d/%m/%Y}",
            )
            continue
        if step.action == "move":
            parent = live(step, step.target, "the new parent")
            if parent is None:
                continue
            if parent.code == unit.parent:
                say(step, f"{unit.code} is already under {parent.code}")
            elif may_sit(step, unit, parent):
                detach(unit)
                attach(unit, parent)
        elif step.action == "rename":
            new = step.target or ""
            if not _CODE.match(new):
                say(step, f"{new!r} is not a unit code")
            elif new in units:
                say(step, f"{new} is already a unit's code")
            else:
                del units[unit.code]
                for child in unit.children:
                    units[child].parent = new
                if unit.parent is not None:
                    siblings = units[unit.parent].children
                    siblings[siblings.index(unit.code)] = new
                unit.code = new
                units[new] = unit
        elif step.action == "merge":
            into = live(step, step.target, "the unit it merges into")
            if into is None:
                continue
            if into is unit:
                say(step, f"{unit.code} cannot merge into itself")
                continue
            if into.node.kind != unit.node.kind:
                say(
                    step,
                    f"{unit.code} is a {unit.node.kind} and {into.code} a "
                    f"{into.node.kind}: only units of one kind merge",
                )
                continue
            ok = True
            for child in list(unit.children):
                if not may_sit(step, units[child], into):
                    ok = False
            if not ok:
                continue
            taken = {(c.year, c.definition_id): c for c in held.get(into.node.code, [])}
            carried = []
            for cycle in held.get(unit.node.code, []):
                if not cycle.running:
                    continue  # a finished year stays with the unit that lived it
                other = taken.get((cycle.year, cycle.definition_id))
                if other is not None:
                    say(
                        step,
                        f"{unit.code}'s {cycle.year} cycle of {cycle.definition_id} "
                        f"cannot go to {into.code}, which has its own (cycle {other.id}); "
                        "closing it instead is not supported",
                    )
                    ok = False
                    continue
                carried.append(cycle)
                taken[(cycle.year, cycle.definition_id)] = cycle
            if not ok:
                continue
            for child in list(unit.children):
                detach(units[child])
                attach(units[child], into)
            for cycle in carried:
                carries.append(Carry(cycle.id, unit.code, into.code, into.node.id))
            held.setdefault(into.node.code, []).extend(carried)
            held[unit.node.code] = [c for c in held.get(unit.node.code, []) if not c.running]
            unit.ended, unit.absorbed_by = True, into.code
            detach(unit)
        elif step.action == "dissolve":
            if unit.children:
                say(
                    step,
                    f"{unit.code} still has units under it "
                    f"({', '.join(sorted(unit.children)[:5])}): move or merge them first",
                )
            elif any(c.running for c in held.get(unit.node.code, [])):
                say(step, f"{unit.code} has a running cycle: merge it into another unit instead")
            else:
                unit.ended = True
                detach(unit)
        else:  # pragma: no cover - parsing refuses other actions
            say(step, f"{step.action!r} is not one of {', '.join(ACTIONS)}")
    if problems:
        raise ReorganisationRefused(problems)
    paths: dict[str, str] = {}
    changes = _changes(units, by_old, paths)
    placed = {c.code: c.path for c in changes}
    carries = [
        replace(k, to_path=placed.get(k.to_unit) or units[k.to_unit].node.path) for k in carries
    ]
    return Plan(decision, tuple(steps), tuple(changes), tuple(carries))


def _changes(
    units: Mapping[str, _Unit], by_old: Mapping[str, _Unit], paths: dict[str, str]
) -> list[UnitChange]:
    """Every unit whose path, parent, code or existence changes, parents first."""

    def path_of(unit: _Unit) -> str:
        if unit.code not in paths:
            above = "/" if unit.parent is None else path_of(units[unit.parent])
            paths[unit.code] = f"{above}{unit.node.id}/"
        return paths[unit.code]

    found = []
    for unit in by_old.values():
        node = unit.node
        path = node.path if unit.ended else path_of(unit)  # an ended unit keeps its place
        above = by_old.get(node.parent) if node.parent is not None else None
        was_under = above.code if above is not None else node.parent
        reparented = unit.parent != was_under
        if (path, unit.code, unit.ended, reparented) == (node.path, node.code, node.ended, False):
            continue
        found.append(
            UnitChange(
                node.id,
                unit.code,
                node.kind,
                node.code,
                node.parent,
                node.path,
                unit.parent,
                path,
                unit.ended,
                unit.absorbed_by,
                reparented,
            )
        )
    return sorted(found, key=lambda c: (c.path.count("/"), c.path))
