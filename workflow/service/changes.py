"""What an applied event writes, built from the decision (pure): the cycle's new state,
outcome and facts, the audit entry with its canonical texts and its hash in the cycle's
chain, the deadlines met or open again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from workflow.audit_hashing import canonical_json, link
from workflow.deadlines import PlannedTimer
from workflow.rules.stored_checks import compact
from workflow.runtime.decision import Decision, Refusal
from workflow.service.records import AuditEntry, Cycle, CycleChange
from workflow.timefmt import show_instant, to_db


def transition_change(
    cycle: Cycle,
    event: str,
    actor: str,
    role: str,
    payload: dict[str, Any],
    decision: Decision,
    at: datetime,
    closes: bool = False,
    replanned: tuple[PlannedTimer, ...] = (),
) -> CycleChange:
    """The change an applied decision commits (payload as `with_override` left it);
    `closes`: the new state is final; `replanned`: the timers of reopened deadlines."""
    assert decision.to_state is not None
    outcome = decision.outcome if decision.outcome is not None else cycle.outcome
    checks = [c.as_dict() for c in decision.checks]
    payload_text = canonical_json(payload) if payload else "{}"
    # stored compactly (record format 2): labels are rendered when the record is read
    checks_text = canonical_json(compact(decision.checks)) if checks else "[]"
    seq = cycle.version + 1
    at_text = to_db(at)
    fields = (
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
        hash=link(cycle.head, fields),
        at_text=at_text,
        closes=closes,
        replanned=replanned,
    )
    return change


def _facts(cycle: Cycle, payload: dict[str, Any]) -> dict[str, Any] | None:
    """The cycle's facts after this event (None: unchanged). An override belongs to its
    own decision, kept in that record: it does not become a fact of the cycle."""
    kept = {k: v for k, v in payload.items() if k != "override"}
    return {**cycle.facts, **kept} if kept else None


def with_override(payload: dict[str, Any], decision: Decision) -> dict[str, Any]:
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
            params={"expected": expected},
        ),
    )


def out_of_order(cycle: Cycle, at: datetime) -> Refusal | None:
    """An event dated before the cycle's last record (a `--now` in the past, while the
    installation has no actors) would rewrite the order of its history: refused."""
    if cycle.updated_at is None or at >= cycle.updated_at:
        return None
    dated, last = show_instant(at), show_instant(cycle.updated_at)
    return Refusal(
        "out_of_order",
        f"dated {dated}, before the cycle's last record ({last}): history is kept in order",
        params={"at": dated, "last": last},
    )
