"""What the service returns: results of opening and firing, the board, a history."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workflow.runtime.decision import Decision
from workflow.service.ports import AuditEntry, Cycle, DeadlineStatus, NoticeRecord
from workflow.spec.registry import Definition


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
