"""Migrating running cycles to another version of their definition, in batches.

Each batch is one unit of work: the cycles it selects are read (locked), judged by the
core (workflow.versions), and every move written in it: the cycle row goes to the target
version and state, one `migrate` record is chained onto the cycle's audit trail, its
deadlines take the target's dates, and its timers are re-planned (see
adapters/persistence/versions.py). A dry run selects and judges the same way and writes
nothing; so a real run, on a database nobody changed meanwhile, does what its dry run said.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from workflow.audit_hashing import canonical_json, link
from workflow.deadlines import PlannedTimer, plan_cycle_timers, resolve_deadlines
from workflow.service.cycles import CycleService
from workflow.service.records import CycleMove, Migrant, MigrationSelection, MoveBatch
from workflow.spec.registry import Definition
from workflow.timefmt import to_db
from workflow.versions import MIGRATE_EVENT, MoveVerdict, StateMap, judge, met_deadlines, state_map

__all__ = [
    "CycleMove",
    "Migrant",
    "MigrationReport",
    "MigrationSelection",
    "MoveBatch",
    "move_cycles",
]


@dataclass
class MigrationReport:
    mapping: StateMap
    dry_run: bool
    verdicts: list[MoveVerdict] = field(default_factory=list)

    @property
    def moved(self) -> list[MoveVerdict]:
        return [v for v in self.verdicts if v.moved]

    @property
    def refused(self) -> list[MoveVerdict]:
        return [v for v in self.verdicts if not v.moved]

    def totals(self) -> dict[str, Any]:
        reasons: dict[str, int] = {}
        for verdict in self.refused:
            assert verdict.reason is not None
            reasons[verdict.reason] = reasons.get(verdict.reason, 0) + 1
        return {
            "selected": len(self.verdicts),
            "moved": len(self.moved),
            "refused": len(self.refused),
            "refused_by_reason": dict(sorted(reasons.items())),
        }


def move_cycles(
    engine: CycleService,
    selection: MigrationSelection,
    target: Definition,
    pairs: Sequence[tuple[str, str]] = (),
    *,
    actor: str = "system",
    role: str = "system",
    dry_run: bool = False,
    batch_size: int = 1000,
) -> MigrationReport:
    """Move the selected cycles to `target` by the map (same names plus `pairs`), in
    batches of `batch_size` cycles per transaction. The map is checked before anything
    is read; a dry run writes nothing. A real run records the target version first, so
    that cycles opened afterwards with it and cycles moved to it share one stored copy."""
    source = engine.definition(selection.definition_id, selection.from_version)
    mapping = state_map(source.spec, target.spec, pairs)
    report = MigrationReport(mapping, dry_run)
    if not dry_run:
        engine.adopt(target)
    spec = target.spec
    calendar = engine.calendar(spec)
    # per cycle year: the target's deadlines and timers (the same for every cycle)
    deadlines: dict[int, list[tuple[str, datetime]]] = {}
    timers: dict[int, list[PlannedTimer]] = {}

    def plan(migrants: Sequence[Migrant]) -> MoveBatch:
        at = engine.clock.now()
        at_text = to_db(at)
        moves = []
        for migrant in migrants:
            cycle = migrant.cycle
            verdict = judge(
                cycle.id, cycle.unit_code, cycle.year, cycle.state, source.spec, mapping,
                cycle.unit_kind, spec,
            )
            report.verdicts.append(verdict)
            if not verdict.moved:
                continue
            assert verdict.to_state is not None
            if cycle.year not in deadlines:
                deadlines[cycle.year] = [
                    (d.key, d.due_at) for d in resolve_deadlines(spec, cycle.year, calendar)
                ]
                timers[cycle.year] = plan_cycle_timers(spec, cycle.year, calendar)
            payload = {
                "from_version": mapping.source,
                "to_version": mapping.target,
                "mapped": "explicit" if cycle.state in mapping.explicit else "same_name",
            }
            payload_text = canonical_json(payload)
            seq = cycle.version + 1
            fields = (
                cycle.id, seq, MIGRATE_EVENT, cycle.state, verdict.to_state, actor, role,
                at_text, payload_text, "[]", spec.id, spec.version,
            )
            declared = spec.states[verdict.to_state].outcome
            moves.append(
                CycleMove(
                    cycle_id=cycle.id,
                    unit_id=migrant.unit_id,
                    year=cycle.year,
                    expected_version=cycle.version,
                    from_state=cycle.state,
                    state=verdict.to_state,
                    outcome=declared if declared is not None else cycle.outcome,
                    seq=seq,
                    payload_text=payload_text,
                    hash=link(cycle.head, fields),
                    met=met_deadlines(spec, verdict.to_state),
                )
            )
        return MoveBatch(target, moves, deadlines, timers, at, at_text, actor, role)

    uow = engine.uow
    after = 0
    while True:
        if dry_run:
            page = uow.versions.select(selection, after, batch_size, lock=False)
            if page:
                plan(page)
        else:
            with uow:
                page = uow.versions.select(selection, after, batch_size, lock=True)
                if page:
                    batch = plan(page)
                    if batch.moves:
                        uow.versions.write_moves(batch)
                uow.commit()
        if not page:
            break
        after = page[-1].cycle.id
    if not dry_run:
        # one fact for the migration as a whole, beside the record in each moved cycle
        with uow:
            uow.audit.append(
                "migration",
                engine.clock.now(),
                actor,
                role=role,
                unit_code=selection.under.code if selection.under else None,
                unit_path=selection.under.path if selection.under else None,
                year=selection.year,
                event=MIGRATE_EVENT,
                detail={
                    "definition_id": mapping.definition_id,
                    "from_version": mapping.source,
                    "to_version": mapping.target,
                    "mapping": mapping.as_dict(),
                    **report.totals(),
                },
            )
            uow.commit()
    return report
