"""What firing an event decides: applied, or refused with the reason."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from workflow.rules.checks import Check

RefusalCode = Literal[
    "unknown_event",
    "wrong_state",
    "role_not_allowed",
    "payload_missing",
    "payload_not_allowed",
    "guard_failed",
    "stale",
    "not_found",
    "not_authorized",
    "separation_of_duties",
    "out_of_order",
]


@dataclass(frozen=True)
class Refusal:
    """Why an event was refused: `message` in English (logs, the audit trail); `msgid`
    and `params` for the user's language (default msgid: `refusal.<code>`). Parameters
    named event/done, state/states, role/roles, fields and rule hold the definition's
    code names; the adapters show their labels."""

    code: RefusalCode
    message: str
    checks: tuple[Check, ...] = ()
    msgid: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def message_id(self) -> str:
        return self.msgid or f"refusal.{self.code}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "failed_checks": [c.as_dict() for c in self.checks if not c.passed],
        }


@dataclass(frozen=True)
class Decision:
    from_state: str
    to_state: str | None = None
    refusal: Refusal | None = None
    checks: tuple[Check, ...] = ()
    #: deadlines this move meets, and deadlines it opens again (a proposal sent back)
    met: tuple[str, ...] = ()
    reopened: tuple[str, ...] = ()
    outcome: str | None = None
    #: the keys of the failing checks an override overruled (empty: the rule's verdict stood)
    overruled: tuple[str, ...] = ()

    @property
    def applied(self) -> bool:
        return self.refusal is None


@dataclass
class Attempt:
    """Scratch for one firing: what the conditions saw, kept on the event's kwargs."""

    role: str
    payload: dict[str, Any]
    unit_kind: str
    facts: dict[str, Any]
    checks: list[Check] = field(default_factory=list)
    refusal: Refusal | None = None
    overruled: tuple[str, ...] = ()
