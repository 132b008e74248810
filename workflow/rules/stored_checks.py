"""A verdict's checks as an audit record stores them, and as a reader sees them again.

Since the compact form (record format 2) a stored check is a list of four strings,
`[key, actual, required, outcome]` (six, with its labels, when they say something of the
outcome that the key cannot give back: a checklist's missing items): its labels are the
definition's, rendered when the record is read (the rule's `labels` give them back from
the key), so an appraisal keeps a few hundred bytes instead of 1.9 KB, and the chain
hashes what was written. Records
written before it hold dicts (`{"key", "label": {"vi", "en"}, "actual", ...}`): they are
read as they are, and verify unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from workflow.rules.checks import Check

#: outcome -> (passed, overridable, warning), as Check.as_dict reads them
OUTCOMES: dict[str, tuple[bool, bool, bool]] = {
    "pass": (True, True, False),
    "fail": (False, True, False),
    # ":final": a check no override may overrule (missing evidence)
    "pass:final": (True, False, False),
    "fail:final": (False, False, False),
    # an advisory check that does not hold: reported, never blocking
    "warning": (True, True, True),
}

Labeller = Callable[[str], tuple[str, str]]


def outcome(check: Check) -> str:
    found = "warning" if check.warning else "pass" if check.passed else "fail"
    return found if check.overridable or check.warning else f"{found}:final"


def compact(checks: Iterable[Check]) -> list[list[str]]:
    """The stored form of a verdict's checks (record format 2)."""
    return [
        [c.key, c.actual, c.required, outcome(c)]
        + ([c.label_vi, c.label_en] if c.own_label else [])
        for c in checks
    ]


def expand(stored: Sequence[Any], labels: Labeller) -> list[dict[str, Any]]:
    """A stored verdict as Check.as_dict gives it, whatever the format it was written in:
    a dict (format 1) is returned as it is, a list (format 2) gets its labels back."""
    found: list[dict[str, Any]] = []
    for item in stored:
        if not isinstance(item, list):
            found.append(item)
            continue
        key, actual, required, result = item[:4]
        passed, overridable, warning = OUTCOMES[result]
        vi, en = (item[4], item[5]) if len(item) == 6 else labels(key)
        check: dict[str, Any] = {
            "key": key,
            "label": {"vi": vi, "en": en},
            "actual": actual,
            "required": required,
            "passed": passed,
        }
        if not overridable:
            check["overridable"] = False
        if warning:
            check["warning"] = True
        found.append(check)
    return found
