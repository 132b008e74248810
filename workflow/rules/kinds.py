"""The rule kinds a definition may name (`kind:` under `rules:`), each a params model,
an evaluator and the labels of its checks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel

from workflow.rules.checks import Check, GuardContext
from workflow.rules.meeting_params import MeetingComplianceParams
from workflow.rules.meetings import evaluate_meeting_compliance, meeting_labels
from workflow.rules.recognition import (
    RecognitionParams,
    evaluate_recognition,
    recognition_labels,
)


@dataclass(frozen=True)
class RuleKind:
    params: type[BaseModel]
    evaluate: Callable[[Any, GuardContext], list[Check]]
    #: the facts the rule reads: evidence that only the unit's own steps may supply
    reads: frozenset[str] = frozenset()
    #: a check's labels from its key (None: not this rule's), for stored verdicts
    labels: Callable[[Any, str], tuple[str, str] | None] = lambda _params, _key: None


RULE_KINDS: Mapping[str, RuleKind] = {
    "recognition": RuleKind(
        RecognitionParams,
        evaluate_recognition,
        frozenset({"criteria", "checklist", "ratings", "unit_rating", "register"}),
        recognition_labels,
    ),
    "meeting_compliance": RuleKind(
        MeetingComplianceParams,
        evaluate_meeting_compliance,
        frozenset({"meetings"}),
        meeting_labels,
    ),
}


def check_labels(rules: Mapping[str, Mapping[str, Any]]) -> Callable[[str], tuple[str, str]]:
    """A stored check's labels from its key, as the definition's rules (`spec.rules`)
    name it; a key no rule knows is shown as itself."""
    validated = [
        (kind, kind.params.model_validate(params))
        for kind, params in ((RULE_KINDS[p.get("kind", "recognition")], p) for p in rules.values())
    ]

    @cache
    def labels(key: str) -> tuple[str, str]:
        for kind, params in validated:
            found = kind.labels(params, key)
            if found is not None:
                return found
        return key, key

    return labels

