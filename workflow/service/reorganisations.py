"""Reorganising the unit tree: one decision (move, merge, split, rename, dissolve, or a
province's annex of them all) is one unit of work.

It loads the tree and the cycles the steps touch, lets the core plan the decision
(workflow.reorganise) and the records each moved cycle's trail gets
(workflow.reorganise_records), and writes them with one `reorganisation` fact holding
the changed units' new register values: what `audit verify` replays. A dry run reads
and plans the same way inside a unit of work it rolls back: on a database nobody
changed meanwhile, the real run does what its dry run said.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from workflow.clock import Clock
from workflow.reorganise import (
    REORGANISATION_FACT,
    Decision,
    HeldCycle,
    Node,
    Plan,
    Step,
    plan_reorganisation,
)
from workflow.reorganise_records import (
    ChainedCycle,
    CycleRecord,
    cycle_records,
    steps_from_rows,
)
from workflow.service.actors import Actors, Credential, no_token
from workflow.service.cycles import CycleService
from workflow.service.ports import UnitOfWork
from workflow.service.records import UnitRef
from workflow.service.registers import Table
from workflow.timefmt import LOCAL_TZ, to_db


class Tree(Protocol):
    def nodes(self) -> list[Node]:
        """Every unit, ended ones included, with the day its place began."""

    def held_cycles(self, codes: Sequence[str]) -> list[tuple[int, str, int, str, int, str]]:
        """(cycle id, unit code, year, definition id, version, state) of these units."""

    def chained_cycles(self, plan: Plan) -> list[ChainedCycle]:
        """The cycles the plan moves, renames or carries (locked for the write)."""

    def write(
        self, plan: Plan, records: Sequence[CycleRecord], at: str, actor: str, role: str
    ) -> None: ...
    def as_of(self, day: date) -> list[UnitRef]:
        """The tree as it stood on a day."""


class TreeUnitOfWork(UnitOfWork, Protocol):
    @property
    def tree(self) -> Tree: ...


@dataclass(frozen=True)
class Reorganised:
    plan: Plan
    dry_run: bool
    #: cycles whose trail gets (or, in a dry run, would get) a `reorganise` record
    cycles: int


def _speller(nodes: Sequence[Node], plan: Plan) -> Callable[[str, bool], str]:
    """A path ("/1/2/3/") as its units' codes ("T01 › H01 › CB-A1"), before or after."""
    before = {n.id: n.code for n in nodes}
    after = before | {c.id: c.code for c in plan.changes}

    def spell(path: str, later: bool) -> str:
        codes = after if later else before
        return " › ".join(codes.get(int(part), part) for part in path.strip("/").split("/"))

    return spell


class Reorganisations:
    def __init__(
        self, uow: TreeUnitOfWork, actors: Actors, cycles: CycleService, clock: Clock
    ) -> None:
        self.uow = uow
        self.actors = actors
        self.cycles = cycles
        self.clock = clock

    def reorganise(
        self,
        decision: Decision,
        steps: Sequence[Step],
        actor: str,
        token: Credential = no_token,
        *,
        dry_run: bool = False,
    ) -> Reorganised:
        """Check the whole decision, then do it all (or, `dry_run`, say what it would do).
        Raises ReorganisationRefused naming each bad step: nothing changes."""
        grant = self.actors.authenticate(actor, "units reorganise", token, administrator=True)
        role = grant.role if grant is not None else "system"
        uow = self.uow
        now = self.clock.now()
        at = to_db(now)
        with uow:
            nodes = uow.tree.nodes()
            plan = plan_reorganisation(
                decision, steps, nodes, self._held(steps), now.astimezone(LOCAL_TZ).date()
            )
            records = cycle_records(
                plan, uow.tree.chained_cycles(plan), at, actor, role, _speller(nodes, plan)
            )
            if not dry_run:
                uow.tree.write(plan, records, at, actor, role)
                uow.audit.append(
                    REORGANISATION_FACT,
                    at,
                    actor,
                    role=role,
                    code=decision.number,
                    detail={**plan.fact_detail(), "cycles": len(records)},
                )
                uow.commit()
        return Reorganised(plan, dry_run, len(records))

    def reorganise_annex(
        self,
        source: str,
        table: Table,
        decision: Decision,
        actor: str,
        token: Credential = no_token,
        *,
        dry_run: bool = False,
    ) -> Reorganised:
        """A decision's annex (old code, new code, new parent), read once the actor is
        known; a bad row is an ImportRefused naming its row and column."""
        self.actors.authenticate(actor, "units reorganise", token, administrator=True)
        header, rows = table()
        today = {n.code for n in self.uow.tree.nodes() if not n.ended}
        steps = steps_from_rows(source, header, rows, today)
        return self.reorganise(decision, steps, actor, token, dry_run=dry_run)

    def _held(self, steps: Sequence[Step]) -> list[HeldCycle]:
        """The cycles of the units a merge or dissolution names (running: not final)."""
        codes = sorted(
            {s.code for s in steps if s.action in ("merge", "dissolve")}
            | {s.target for s in steps if s.action == "merge" and s.target}
        )
        held = []
        for cycle_id, unit, year, definition_id, version, state in self.uow.tree.held_cycles(codes):
            spec = self.cycles.definition(definition_id, version).spec
            final = state in spec.states and spec.states[state].final
            held.append(HeldCycle(cycle_id, unit, year, definition_id, not final))
        return held

    def tree_on(self, day: date, under: str | None = None) -> list[UnitRef]:
        """The tree as it stood on `day` (under a node, by the code it had then)."""
        units = self.uow.tree.as_of(day)
        if under is None:
            return units
        root = next((u for u in units if u.code == under), None)
        if root is None:
            return []
        return [u for u in units if u.path.startswith(root.path)]
