"""What a rule returns: checks, each with its actual and required value."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

#: a share with a decimal point ("80.56 %", "95.5%"): rules write values the English way
_DECIMAL_SHARE = re.compile(r"(\d)\.(\d+)(?=\s?%)")


def in_language(value: str, lang: str) -> str:
    """A check's value as the language writes it: Vietnamese puts a decimal comma in a
    share (80,56 %); document references and other text are left as they are."""
    return value if lang == "en" else _DECIMAL_SHARE.sub(r"\1,\2", value)


@dataclass(frozen=True)
class GuardContext:
    """What a guard may look at: the unit's kind and the cycle's facts merged with the payload."""

    unit_kind: str
    facts: Mapping[str, Any]


@dataclass(frozen=True)
class Check:
    key: str
    label_vi: str
    label_en: str
    actual: str
    required: str
    passed: bool
    #: a failing check an appraiser may overrule with a written reason (missing evidence
    #: is never overruled: there is nothing to judge yet)
    overridable: bool = True
    #: an advisory check that does not hold: reported in the verdict, never blocking
    #: (`passed` stays True, so the verdict is the rule's alone)
    warning: bool = False
    #: the label says something of this outcome (the checklist's missing items), so a
    #: stored verdict keeps it instead of rendering it again from the key
    own_label: bool = False

    def label(self, lang: str = "vi") -> str:
        return self.label_en if lang == "en" else self.label_vi

    def actual_in(self, lang: str = "vi") -> str:
        return in_language(self.actual, lang)

    def required_in(self, lang: str = "vi") -> str:
        return in_language(self.required, lang)

    def describe(self, lang: str = "vi") -> str:
        if lang == "en":
            mark = "WARNING" if self.warning else "pass" if self.passed else "FAIL"
            return f"{self.label_en}: {self.actual} (required {self.required}) {mark}"
        mark = "cảnh báo" if self.warning else "đạt" if self.passed else "không đạt"
        actual, required = self.actual_in(lang), self.required_in(lang)
        return f"{self.label_vi}: {actual} (yêu cầu {required}) {mark}"

    def as_dict(self) -> dict[str, Any]:
        d = {
            "key": self.key,
            "label": {"vi": self.label_vi, "en": self.label_en},
            "actual": self.actual,
            "required": self.required,
            "passed": self.passed,
        }
        if not self.overridable:
            d["overridable"] = False
        if self.warning:
            d["warning"] = True
        return d


def exact(value: Any) -> Fraction | None:
    """A number as an exact fraction (95 and 94.9 compare exactly), or None if not a number.

    A float is taken as the decimal it prints as (94.9, not its binary neighbour)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return Fraction(value)
    try:
        return threshold(str(value))
    except (ValueError, ZeroDivisionError):
        return None


@lru_cache(maxsize=4096)
def threshold(text: str) -> Fraction:
    """Parsing a decimal into a Fraction is slow; thresholds and scores repeat, so cache it."""
    return Fraction(text)


@lru_cache(maxsize=4096)
def percent_text(value: Fraction) -> str:
    """A share as shown (cached: the same scores and shares recur across units)."""
    rounded = round(float(value), 2)
    return f"{rounded:g} %"


@lru_cache(maxsize=256)
def at_least(limit: float) -> tuple[Fraction, str]:
    """A rule's threshold, exact, and its "≥ x %" text: constants of a definition,
    computed once rather than at every check."""
    required = threshold(str(limit))
    return required, f"≥ {percent_text(required)}"
