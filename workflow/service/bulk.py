"""Bulk decisions: an appraiser or a standing committee decides many cycles at once.

A dry run goes through exactly what a real run decides (role, scope, state, rule and its
evidence, separation of duties) and writes nothing. A real run commits in batches, each
cycle its own record in its own chain; every refusal is kept as its own audit fact."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from workflow.access import Grant
from workflow.rules.checks import Check
from workflow.runtime.decision import Refusal
from workflow.service.changes import stale_decision
from workflow.service.cycles import CycleService
from workflow.service.records import Cycle, CycleChange
from workflow.tree import covers

Select = Literal["all", "passing", "failing"]
Outcome = Literal["applied", "would_apply", "refused", "skipped"]


@dataclass(frozen=True)
class BulkItem:
    unit_code: str
    cycle_id: int
    from_state: str
    outcome: Outcome
    to_state: str | None = None
    code: str | None = None
    reason: str | None = None
    failing: tuple[Check, ...] = ()
    overruled: tuple[str, ...] = ()
    #: the refusal itself, for an entry point to say in the user's language
    refusal: Refusal | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit_code,
            "cycle": self.cycle_id,
            "from": self.from_state,
            "result": self.outcome,
            "to": self.to_state,
            "code": self.code,
            "reason": self.reason,
            "failing_checks": [c.as_dict() for c in self.failing],
            "overruled": list(self.overruled),
        }


@dataclass(frozen=True)
class BulkRequest:
    event: str
    year: int
    under: str | None
    actor: str
    role: str
    payload: dict[str, Any]
    grant: Grant | None = None
    select: Select = "all"
    #: only cycles in these states (default: every state the event may be fired from)
    states: frozenset[str] | None = None
    dry_run: bool = True
    batch_size: int = 500


def bulk_fire(
    engine: CycleService,
    request: BulkRequest,
    progress: Callable[[list[BulkItem]], None] | None = None,
) -> list[BulkItem]:
    """Decide `request.event` on every selected cycle of the subtree; see the module doc."""
    items: list[BulkItem] = []
    for batch in _pages(engine, request):
        done = _decide_batch(engine, request, batch)
        items.extend(done)
        if progress is not None:
            progress(done)
    return items


def _pages(engine: CycleService, request: BulkRequest) -> Iterator[list[Cycle]]:
    node = engine.uow.units.find(request.under) if request.under else None
    after = 0
    while True:
        page = engine.uow.cycles.under(node, request.year, after, request.batch_size)
        if not page:
            return
        after = page[-1].id
        selected = [c for c in page if _fireable(engine, request, c)]
        if selected:
            yield selected


def _fireable(engine: CycleService, request: BulkRequest, cycle: Cycle) -> bool:
    # A selection never reaches past the actor's scope: what lies outside it is neither
    # decided nor refused nor shown.
    if request.grant is not None and not covers(request.grant.scope_path, cycle.unit_path):
        return False
    if request.states is not None:
        return cycle.state in request.states
    machine = engine.machine(engine.definition(cycle.definition_id, cycle.definition_version))
    return request.event in machine.triggers_from(cycle.state)


def _decide_batch(
    engine: CycleService, request: BulkRequest, cycles: list[Cycle]
) -> list[BulkItem]:
    items: list[BulkItem | None] = []
    pending: list[tuple[int, Cycle, CycleChange, tuple[str, ...]]] = []
    for cycle in cycles:
        if request.select != "all":
            verdict = engine.verdict(cycle)
            if verdict.passed != (request.select == "passing"):
                items.append(
                    BulkItem(
                        cycle.unit_code, cycle.id, cycle.state, "skipped",
                        code="verdict_" + ("failed" if not verdict.passed else "passed"),
                        reason="not selected: the rule's verdict "
                        + ("fails" if not verdict.passed else "passes"),
                        failing=verdict.failed,
                    )
                )
                continue
        decision, change = engine.prepare(
            cycle, request.event, request.actor, request.role, dict(request.payload),
            None, request.grant,
        )
        if change is None:
            refusal = decision.refusal
            assert refusal is not None
            if not request.dry_run:
                engine.record_refusal(cycle, request.event, request.actor, request.role, refusal)
            items.append(
                BulkItem(
                    cycle.unit_code, cycle.id, cycle.state, "refused", code=refusal.code,
                    reason=refusal.message,
                    failing=tuple(c for c in refusal.checks if not c.passed),
                    refusal=refusal,
                )
            )
            continue
        if request.dry_run:
            items.append(
                BulkItem(
                    cycle.unit_code, cycle.id, cycle.state, "would_apply", decision.to_state,
                    overruled=decision.overruled,
                )
            )
            continue
        pending.append((len(items), cycle, change, decision.overruled))
        items.append(None)
    if pending:
        # one unit of work for the batch: its changes, and the audit fact of each one
        # whose cycle moved meanwhile (left out, the others commit)
        with engine.uow:
            for (index, cycle, change, overruled) in pending:
                if engine.uow.cycles.apply(change):
                    items[index] = BulkItem(
                        cycle.unit_code, cycle.id, cycle.state, "applied", change.state,
                        overruled=overruled,
                    )
                    continue
                stale = stale_decision(cycle, cycle.version).refusal
                assert stale is not None
                engine.append_refusal(cycle, request.event, request.actor, request.role, stale)
                items[index] = BulkItem(
                    cycle.unit_code, cycle.id, cycle.state, "refused", code=stale.code,
                    reason=stale.message, refusal=stale,
                )
            engine.uow.commit()
    return [item for item in items if item is not None]


def outcome_counts(items: list[BulkItem]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item.outcome] = counts.get(item.outcome, 0) + 1
    return counts
