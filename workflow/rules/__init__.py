"""Guards: named rules a definition configures and a transition names.

A rule kind is a params model plus an evaluator returning one Check per condition, so
a refusal (or a verdict) lists every check with its actual and required value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from workflow.rules.checks import Check, GuardContext
from workflow.rules.meeting_params import MeetingComplianceParams
from workflow.rules.meetings import evaluate_meeting_compliance
from workflow.rules.recognition import RecognitionParams, evaluate_recognition


@dataclass(frozen=True)
class RuleKind:
    params: type[BaseModel]
    evaluate: Callable[[Any, GuardContext], list[Check]]
    #: the facts the rule reads: evidence that only the unit's own steps may supply
    reads: frozenset[str] = frozenset()


RULE_KINDS: Mapping[str, RuleKind] = {
    "recognition": RuleKind(
        RecognitionParams,
        evaluate_recognition,
        frozenset({"criteria", "checklist", "ratings", "unit_rating", "register"}),
    ),
    "meeting_compliance": RuleKind(
        MeetingComplianceParams, evaluate_meeting_compliance, frozenset({"meetings"})
    ),
}

__all__ = ["RULE_KINDS", "Check", "GuardContext", "RuleKind"]
