"""Progress against a definition's goals (issue 17): a measure over a population, "at
least" or "strictly above" a value, and the gap in units. Pure arithmetic, exact."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from workflow.spec.model import GoalSpec

_SHARES = ("recognized_share", "rated_good_share")


def share_units_needed(share: float, counted: int, comparator: str = ">=") -> int:
    """How many of `counted` units make a share of at least (or above) `share` percent,
    in exact arithmetic: ≥ 90 % of 20 is 18; > 20 % of 20 is 5 (4 is exactly 20 %)."""
    exact = Fraction(str(share)) * counted / 100
    return math.floor(exact) + 1 if comparator == ">" else math.ceil(exact)


def target_figures(counted: int, recognized: int, target: float | None) -> dict[str, Any]:
    """Progress against a target: the share recognised and the gap in units."""
    return {
        "counted": counted,
        "recognized": recognized,
        "share": round(recognized * 100 / counted, 2) if counted else None,
        "target": target,
        "gap_units": max(0, share_units_needed(target or 0, counted) - recognized),
    }


def units_needed(goal: GoalSpec, counted: int) -> int:
    """How many units of `counted` must meet the measure for the goal to hold."""
    if goal.measure in _SHARES:
        return share_units_needed(goal.value, counted, goal.comparator)
    value = Fraction(str(goal.value))
    return math.floor(value) + 1 if goal.comparator == ">" else math.ceil(value)


@dataclass(frozen=True)
class GoalProgress:
    key: int
    goal: GoalSpec
    counted: int
    meeting: int

    @property
    def needed(self) -> int:
        return units_needed(self.goal, self.counted)

    @property
    def met(self) -> bool:
        # a share of nobody is no progress, whatever the comparator
        empty = self.counted == 0 and self.goal.measure in _SHARES
        return not empty and self.meeting >= self.needed

    @property
    def gap_units(self) -> int:
        return max(0, self.needed - self.meeting)

    def required_text(self) -> str:
        unit = " %" if self.goal.measure in _SHARES else ""
        return f"{'≥' if self.goal.comparator == '>=' else '>'} {self.goal.value:g}{unit}"

    def as_dict(self) -> dict[str, Any]:
        share = round(self.meeting * 100 / self.counted, 2) if self.counted else None
        return {
            "label": {"vi": self.goal.label.vi, "en": self.goal.label.en},
            "measure": self.goal.measure,
            "over": list(self.goal.over),
            "comparator": self.goal.comparator,
            "value": self.goal.value,
            "year": self.goal.year,
            "counted": self.counted,
            "meeting": self.meeting,
            "share": share,
            "needed": self.needed,
            "met": self.met,
            "gap_units": self.gap_units,
        }


def goals_in_force(goals: list[GoalSpec], year: int) -> list[tuple[int, GoalSpec]]:
    """A programme's goals for a year: every goal without a year, and those of that year."""
    return [(i, g) for i, g in enumerate(goals) if g.year is None or g.year == year]


def counts_towards(goal: GoalSpec, unit_kind: str, outcome: str | None,
                   rating: str | None) -> tuple[bool, bool]:
    """(is the unit in the goal's population, does it meet the measure)."""
    if unit_kind not in goal.over:
        return False, False
    if goal.measure == "rated_good_share":
        return True, rating in ("excellent", "good")
    return True, outcome == "recognized"
