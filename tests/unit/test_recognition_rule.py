"""The recognition rule of seed 002 §II.2.2 at its boundaries, from the shipped definition."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.rules.checks import GuardContext
from workflow.runtime.machine import CompiledDefinition
from workflow.spec.registry import Definition, DefinitionSet


@pytest.fixture(scope="module")
def rule(bon_tot: Definition) -> Any:
    return CompiledDefinition(bon_tot).guard("recognition")


def facts(
    criteria: float = 96, rated: int = 12, completed: int = 12, good: int = 10
) -> dict[str, Any]:
    return {
        "criteria": {
            "political_task": criteria,
            "meetings": 97,
            "unity_discipline": 98,
            "cadres_members": 99,
        },
        "ratings": {"rated": rated, "completed_or_better": completed, "good_or_better": good},
    }


def failing(rule: Any, kind: str, given_facts: dict[str, Any]) -> list[str]:
    return [c.key for c in rule(GuardContext(kind, given_facts)) if not c.passed]


def test_a_cell_of_12_with_10_good_and_criteria_96_passes(rule: Any) -> None:
    assert failing(rule, "grassroots_cell", facts()) == []


def test_exactly_80_percent_good_passes_and_just_below_fails(rule: Any) -> None:
    assert failing(rule, "grassroots_cell", facts(rated=10, completed=10, good=8)) == []
    assert failing(rule, "grassroots_cell", facts(rated=10, completed=10, good=7)) == [
        "ratings.members.good_or_better"
    ]
    # 79.99 %: 7999 of 10000 members good
    assert failing(rule, "grassroots_cell", facts(rated=10000, completed=10000, good=7999)) == [
        "ratings.members.good_or_better"
    ]


def test_95_passes_and_94_9_fails(rule: Any) -> None:
    assert failing(rule, "grassroots_cell", facts(criteria=95)) == []
    assert failing(rule, "grassroots_cell", facts(criteria=94.9)) == ["criteria.political_task"]


def test_one_member_not_completed_fails(rule: Any) -> None:
    assert failing(rule, "grassroots_cell", facts(rated=12, completed=11, good=11)) == [
        "ratings.members.completed_or_better"
    ]


def test_a_grassroots_committee_is_judged_on_its_cells(rule: Any) -> None:
    checks = rule(GuardContext("grassroots_committee", facts(rated=5, completed=5, good=4)))
    assert {c.key for c in checks if c.key.startswith("ratings")} == {
        "ratings.cells.completed_or_better",
        "ratings.cells.good_or_better",
    }
    assert all(c.passed for c in checks)
    assert failing(rule, "grassroots_committee", facts(rated=5, completed=4, good=4)) == [
        "ratings.cells.completed_or_better"
    ]


def test_missing_figures_fail_rather_than_pass(rule: Any) -> None:
    assert set(failing(rule, "grassroots_cell", {})) == {
        "criteria.political_task",
        "criteria.meetings",
        "criteria.unity_discipline",
        "criteria.cadres_members",
        "ratings.members.completed_or_better",
        "ratings.members.good_or_better",
    }


def test_each_check_says_actual_and_required_in_both_languages(rule: Any) -> None:
    check = next(
        c for c in rule(GuardContext("grassroots_cell", facts(criteria=94.9))) if not c.passed
    )
    assert check.actual == "94.9 %" and check.required == "≥ 95 %"
    assert "Tiêu chí 1" in check.describe("vi") and "Criterion 1" in check.describe("en")


def test_the_model_cell_rule_wants_90_percent_good_and_a_good_unit(catalog: DefinitionSet) -> None:
    rule = CompiledDefinition(catalog.latest("chi-bo-kieu-mau")).guard("model_cell")
    base = {**facts(rated=10, completed=10, good=9), "unit_rating": "good"}
    assert failing(rule, "grassroots_cell", base) == []
    assert failing(rule, "grassroots_cell", {**base, "unit_rating": "completed"}) == ["unit_rating"]
    assert failing(
        rule,
        "grassroots_cell",
        facts(rated=10, completed=10, good=8) | {"unit_rating": "excellent"},
    ) == ["ratings.members.good_or_better"]


@given(
    rated=st.integers(min_value=1, max_value=500),
    data=st.data(),
)
def test_good_share_threshold_holds_for_any_cell_size(rule: Any, rated: int, data: Any) -> None:
    good = data.draw(st.integers(min_value=0, max_value=rated))
    passed = "ratings.members.good_or_better" not in failing(
        rule, "grassroots_cell", facts(rated=rated, completed=rated, good=good)
    )
    assert passed == (Fraction(good, rated) >= Fraction(80, 100))


@given(score=st.decimals(min_value=0, max_value=100, places=2))
def test_criterion_threshold_is_exact(rule: Any, score: Any) -> None:
    passed = "criteria.political_task" not in failing(
        rule, "grassroots_cell", facts(criteria=float(score))
    )
    assert passed == (score >= 95)
