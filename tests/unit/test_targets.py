"""Seed 004's two targets as the shipped chi-bo-kieu-mau definition says them: strictly
above 20 % of a province's cells model cells, at least 90 % of cells rated good or
better, by 2025; each with its gap in units, in a superior's report summary."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.register import unit_rating
from workflow.evidence.ratings import Level
from workflow.service.records import ReportCycle
from workflow.service.reports import build_report
from workflow.spec.model import GoalSpec
from workflow.spec.registry import Definition, DefinitionSet
from workflow.targets import GoalProgress, units_needed


@pytest.fixture(scope="module")
def model_cells(catalog: DefinitionSet) -> Definition:
    return catalog.latest("chi-bo-kieu-mau")


def goals(definition: Definition) -> tuple[GoalSpec, GoalSpec]:
    assert definition.spec.targets is not None
    above, rated = definition.spec.targets.goals
    assert (above.measure, above.comparator, above.value, above.year) == (
        "recognized_share", ">", 20, 2025
    )
    assert (rated.measure, rated.comparator, rated.value, rated.year) == (
        "rated_good_share", ">=", 90, 2025
    )
    return above, rated


def test_model_cells_must_be_strictly_above_20_percent(model_cells: Definition) -> None:
    above, _ = goals(model_cells)
    four = GoalProgress(0, above, counted=20, meeting=4)  # exactly 20 %: not above it
    assert (four.met, four.needed, four.gap_units) == (False, 5, 1)
    five = GoalProgress(0, above, counted=20, meeting=5)
    assert (five.met, five.gap_units) == (True, 0)
    assert four.required_text() == "> 20 %"


def test_cells_rated_good_must_be_at_least_90_percent(model_cells: Definition) -> None:
    _, rated = goals(model_cells)
    assert GoalProgress(1, rated, 20, 18).met  # exactly 90 %: at least it
    seventeen = GoalProgress(1, rated, 20, 17)
    assert (seventeen.met, seventeen.gap_units) == (False, 1)


@given(counted=st.integers(1, 500), value=st.integers(0, 100))
def test_the_units_needed_match_the_comparator(counted: int, value: int) -> None:
    label = {"vi": "x", "en": "x"}
    at_least = GoalSpec.model_validate(
        {"label": label, "measure": "recognized_share", "over": ["grassroots_cell"],
         "comparator": ">=", "value": value})
    above = at_least.model_copy(update={"comparator": ">"})
    # the least n with n / counted >= value %, and the least with n / counted > value %
    assert units_needed(at_least, counted) == min(
        n for n in range(counted + 2) if n * 100 >= value * counted
    )
    assert units_needed(above, counted) == min(
        n for n in range(counted + 2) if n * 100 > value * counted
    )
    assert units_needed(at_least, counted) == math.ceil(value * counted / 100)


def _province(model: int, good: int) -> tuple[list[ReportCycle], list[object]]:
    """A province T of one district H with 20 cells: `model` recognised as model cells,
    `good` rated good or better (the rest completed)."""
    cycles = []
    ratings = []
    for i in range(1, 21):
        code = f"CB{i:02d}"
        recognized = i <= model
        cycles.append(ReportCycle(
            i, code, f"Chi bộ {i}", "grassroots_cell", "H", f"/1/2/{i + 2}/", "chi-bo-kieu-mau",
            3, "recognized" if recognized else "not_recognized",
            "recognized" if recognized else "not_recognized",
        ))
        level: Level = "good" if i <= good else "completed"
        ratings.append(unit_rating(code, level))
    return cycles, ratings


@pytest.mark.parametrize(
    ("model", "good", "model_met", "model_gap", "good_met", "good_gap"),
    [(4, 18, False, 1, True, 0), (5, 17, True, 0, False, 1)],
)
def test_a_superior_s_summary_shows_each_goal_with_its_gap(
    model_cells: Definition, model: int, good: int, model_met: bool, model_gap: int,
    good_met: bool, good_gap: int,
) -> None:
    cycles, ratings = _province(model, good)
    report = build_report(
        2025, None, cycles, [], ratings, [], {("chi-bo-kieu-mau", 3): model_cells},
        [("T", "Tỉnh ủy", "/1/"), ("H", "Huyện ủy", "/1/2/")], {},
    )
    for summary in report.superiors:
        shown = summary.as_dict()["goals"]["chi-bo-kieu-mau"]
        assert [(g["counted"], g["meeting"]) for g in shown] == [(20, model), (20, good)]
        assert [(g["met"], g["gap_units"]) for g in shown] == [
            (model_met, model_gap), (good_met, good_gap)
        ]
    # another year: the goals of 2025 are not in force
    other = build_report(
        2026, None, cycles, [], ratings, [], {("chi-bo-kieu-mau", 3): model_cells},
        [("T", "Tỉnh ủy", "/1/")], {},
    )
    assert other.superiors[0].as_dict()["goals"] == {}
