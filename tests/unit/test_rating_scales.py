"""Ratings on the scale in force for their year (issue 17): QĐ 132/2018 and QĐ 124/2023
rate by level, QĐ 366-QĐ/TW (30/8/2025) on 100 points, ≥ 90 excellent, 70–89 good,
50–69 completed, < 50 not completed, as the shipped bon-tot definition declares them."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.i18n.said import message_text
from workflow.errors import DefinitionError, ImportRefused
from workflow.evidence.ratings import check_rating_rows, level_for_score
from workflow.spec.model import RatingScaleSpec
from workflow.spec.registry import Definition, DefinitionSet

HEADER = ["ma_to_chuc", "ma_dang_vien", "xep_loai", "diem", "giai_doan", "ngay_xep_loai"]
UNITS = {"CB-THON1": "grassroots_cell"}


@pytest.fixture(scope="module")
def qd366(bon_tot: Definition) -> RatingScaleSpec:
    scale = bon_tot.spec.rating_scale(2025)
    assert scale is not None and scale.kind == "score" and scale.bands is not None
    return scale


def row(level: str, score: str, member: str = "DV001", day: str = "10/01/2026") -> dict[str, str]:
    return {"ma_to_chuc": "CB-THON1", "ma_dang_vien": member, "xep_loai": level,
            "diem": score, "giai_doan": "chinh_thuc", "ngay_xep_loai": day}


def test_the_years_before_2025_are_rated_by_level(bon_tot: Definition) -> None:
    for year, source in ((2019, "QĐ 132"), (2023, "QĐ 124"), (2024, "QĐ 124")):
        scale = bon_tot.spec.rating_scale(year)
        assert scale is not None and scale.kind == "levels" and source in scale.source
    assert bon_tot.spec.rating_scale(2030) == bon_tot.spec.rating_scale(2025)
    assert bon_tot.spec.rating_scale(2017) is None


@pytest.mark.parametrize(
    ("score", "level"),
    [
        ("100", "excellent"), ("90", "excellent"), ("89", "good"), ("89,99", "good"),
        ("70", "good"), ("69", "completed"), ("50", "completed"), ("49", "not_completed"),
        ("49.5", "not_completed"), ("0", "not_completed"),
    ],
)
def test_qd_366_bands_at_their_boundaries(qd366: RatingScaleSpec, score: str, level: str) -> None:
    (record,) = check_rating_rows("r.csv", HEADER, [row("", score)], UNITS, 2025, qd366)
    assert (record.level, record.score) == (level, score.replace(",", "."))


@given(score=st.decimals(min_value=0, max_value=100, places=2))
def test_every_score_falls_in_one_band(qd366: RatingScaleSpec, score: Decimal) -> None:
    assert qd366.bands is not None
    expected = (
        "excellent" if score >= 90 else "good" if score >= 70
        else "completed" if score >= 50 else "not_completed"
    )
    assert level_for_score(Fraction(score), qd366.bands) == expected


def test_a_level_that_agrees_with_its_score_is_kept(qd366: RatingScaleSpec) -> None:
    (record,) = check_rating_rows(
        "r.csv", HEADER, [row("Hoàn thành tốt nhiệm vụ", "85")], UNITS, 2025, qd366
    )
    assert (record.level, record.score) == ("good", "85")
    # a level without a score stays accepted (a provisional rating made before the score)
    (alone,) = check_rating_rows("r.csv", HEADER, [row("tot", "")], UNITS, 2025, qd366)
    assert (alone.level, alone.score) == ("good", None)


def test_a_level_and_a_score_that_disagree_are_a_row_error(qd366: RatingScaleSpec) -> None:
    rows = [row("xuat_sac", "92"), row("Hoàn thành tốt nhiệm vụ", "92", "DV002")]
    with pytest.raises(ImportRefused) as refused:
        check_rating_rows("r.csv", HEADER, rows, UNITS, 2025, qd366)
    (problem,) = refused.value.problems
    assert (problem.row, problem.column) == (3, "xep_loai")
    said = message_text(problem.message, "vi")  # as the secretariat reads it
    assert "«Hoàn thành tốt nhiệm vụ» không khớp với điểm 92" in said
    assert "92 điểm là hoàn thành xuất sắc nhiệm vụ" in said and "QĐ 366" in said
    assert "92 points is excellent" in message_text(problem.message, "en")


def test_a_score_outside_0_100_or_on_a_level_year_is_refused(bon_tot: Definition) -> None:
    levels = bon_tot.spec.rating_scale(2024)
    with pytest.raises(ImportRefused) as refused:
        check_rating_rows("r.csv", HEADER, [row("tot", "85", day="10/01/2025")], UNITS, 2024,
                          levels)
    (problem,) = refused.value.problems
    assert (problem.row, problem.column) == (2, "diem")
    said = message_text(problem.message, "vi")
    assert "năm 2024 xếp loại theo mức (QĐ 124-QĐ/TW (2023))" in said
    with pytest.raises(ImportRefused) as refused:
        check_rating_rows("r.csv", HEADER, [row("", "101"), row("", "tám", "DV002")], UNITS,
                          2025, bon_tot.spec.rating_scale(2025))
    assert [(p.row, p.column) for p in refused.value.problems] == [(2, "diem"), (3, "diem")]


def test_a_scale_whose_bands_do_not_fall_is_refused_at_its_line() -> None:
    text = (
        "id: s\nversion: 1\ntitle: {vi: s, en: s}\napplies_to: [grassroots_cell]\n"
        "initial: a\nroles: {r: {label: {vi: r, en: r}}}\n"
        "states: {a: {label: {vi: a, en: a}}, b: {label: {vi: b, en: b}, final: true}}\n"
        "transitions: [{trigger: t, source: a, dest: b, roles: [r]}]\n"
        "rating_scales:\n"
        "  - {first_year: 2025, kind: score, source: X, bands: {excellent: 70, good: 90, "
        "completed: 50}}\n"
        "  - {first_year: 2026, kind: levels, source: Y}\n"
    )
    with pytest.raises(DefinitionError) as error:
        DefinitionSet.from_texts([("s.yaml", text)])
    found = [str(p) for p in error.value.problems]
    assert any(p.startswith("s.yaml:10") and "bands must fall" in p for p in found), found
    assert any(p.startswith("s.yaml:11") and "overlap" in p for p in found), found


def test_the_demo_s_2025_members_are_scored_in_their_level_s_band(
    bon_tot: Definition, qd366: RatingScaleSpec
) -> None:
    import random

    from adapters.demo_plan import RuleWords, plan_year, sample_province

    rng = random.Random(7)
    units, members = sample_province(rng)
    _, register = plan_year(rng, units, members, 2025, RuleWords.of(bon_tot))
    scored = [r for r in register if r.member and r.level is not None]
    assert scored and all(r.score is not None for r in scored)
    assert qd366.bands is not None
    for r in scored:
        assert r.score is not None
        assert level_for_score(Fraction(r.score), qd366.bands) == r.level
    _, before = plan_year(random.Random(7), *sample_province(random.Random(7)), 2024,
                          RuleWords.of(bon_tot))
    assert all(r.score is None for r in before)  # QĐ 124: levels only
