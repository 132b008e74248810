"""What the service returns: results of opening and firing, the board, a history."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workflow.deadlines import DueDeadline
from workflow.pilot import PilotCheck
from workflow.rules.checks import Check
from workflow.runtime.decision import Decision
from workflow.service.records import AuditEntry, Cycle, DeadlineStatus, NoticeRecord
from workflow.spec.registry import Definition
from workflow.targets import GoalProgress


@dataclass(frozen=True)
class OpenResult:
    definition_id: str
    definition_version: int
    year: int
    opened: int
    milestones: int = 0


@dataclass(frozen=True)
class FireResult:
    unit_code: str
    year: int
    event: str
    actor: str
    role: str
    cycle_id: int | None
    decision: Decision
    version: int | None = None

    @property
    def applied(self) -> bool:
        return self.decision.applied

    def as_dict(self) -> dict[str, Any]:
        d = self.decision
        return {
            "unit": self.unit_code,
            "year": self.year,
            "event": self.event,
            "actor": self.actor,
            "role": self.role,
            "applied": d.applied,
            "from": d.from_state,
            "to": d.to_state,
            "version": self.version,
            "met_deadlines": list(d.met),
            "reopened_deadlines": list(d.reopened),
            "checks": [c.as_dict() for c in d.checks],
            "refusal": d.refusal.as_dict() if d.refusal else None,
        }


@dataclass(frozen=True)
class BoardRow:
    definition_id: str
    state: str
    #: the recognition outcome the cycles in this row carry (kept after they move on)
    outcome: str | None
    label_vi: str
    label_en: str
    count: int


@dataclass(frozen=True)
class Board:
    year: int
    under: str | None
    rows: list[BoardRow]
    #: per definition: (units counted, recognised, target percent or None)
    targets: dict[str, tuple[int, int, float | None]]
    overdue: dict[str, int] = field(default_factory=dict)
    #: per definition, each goal of the year with its gap in units (workflow.targets)
    goals: dict[str, list[GoalProgress]] = field(default_factory=dict)
    #: per definition, its pilot in the pilot's year, per committee and type (workflow.pilot)
    pilot: dict[str, PilotCheck] = field(default_factory=dict)

    def total(self) -> int:
        return sum(row.count for row in self.rows)


@dataclass(frozen=True)
class History:
    cycle: Cycle
    definition: Definition
    entries: list[AuditEntry]
    deadlines: list[DeadlineStatus]
    #: reminders and escalations sent about this cycle, from the audit trail
    notices: list[NoticeRecord] = field(default_factory=list)
    #: the deadlines the definition's calendar policy moved off their date, by key: each
    #: with its natural date and why (a holiday's name, or deadlines.WEEKEND)
    moves: dict[str, DueDeadline] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    """The recognition rule on one cycle's evidence: every check, actual against required."""

    cycle: Cycle
    rule: str | None
    checks: tuple[Check, ...]
    #: the ratings register the rule read, if it reads one
    register: dict[str, Any] | None = None

    @property
    def passed(self) -> bool:
        return self.rule is not None and all(c.passed for c in self.checks)

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.passed)

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit": self.cycle.unit_code,
            "year": self.cycle.year,
            "definition": self.cycle.definition_id,
            "state": self.cycle.state,
            "rule": self.rule,
            "passed": self.passed,
            "checks": [c.as_dict() for c in self.checks],
        }
