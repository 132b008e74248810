"""The recognition rule (seed 002 §II.2.2): four criteria at or above a threshold, and the
ratings of the unit's members (or, for a grassroots committee, its cells) at or above
shares of "completed" and "good". All thresholds come from the definition."""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from workflow.rules.checks import Check, GuardContext, exact, percent_text, threshold
from workflow.spec.model import Labels

RATING_LEVELS = ("excellent", "good", "completed", "not_completed")


class CriteriaParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    min_percent: float = Field(ge=0, le=100)
    keys: dict[str, Labels] = Field(min_length=1)


class RatingShareParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    applies_to: list[str] = Field(min_length=1)
    over: Literal["members", "cells"]
    completed_or_better: float = Field(ge=0, le=100)
    good_or_better: float = Field(ge=0, le=100)


class RecognitionParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["recognition"] = "recognition"
    label: Labels | None = None
    criteria: CriteriaParams
    ratings: list[RatingShareParams] = Field(default_factory=list)
    #: the unit's own annual rating must be at least this (the model-cell programme)
    unit_rating_at_least: Literal["excellent", "good", "completed"] | None = None


_OVER_LABEL = {"members": ("đảng viên", "members"), "cells": ("chi bộ trực thuộc", "cells")}
_LEVEL_LABEL = {
    "excellent": ("hoàn thành xuất sắc nhiệm vụ", "excellent"),
    "good": ("hoàn thành tốt nhiệm vụ", "good"),
    "completed": ("hoàn thành nhiệm vụ", "completed"),
    "not_completed": ("không hoàn thành nhiệm vụ", "not completed"),
}


def evaluate_recognition(params: RecognitionParams, context: GuardContext) -> list[Check]:
    checks = [
        _criterion_check(key, labels, params, context)
        for key, labels in params.criteria.keys.items()
    ]
    for share in params.ratings:
        if context.unit_kind in share.applies_to:
            checks.extend(_share_checks(share, context))
    if params.unit_rating_at_least is not None:
        checks.append(_unit_rating_check(params.unit_rating_at_least, context))
    return checks


def _criterion_check(
    key: str, labels: Labels, params: RecognitionParams, context: GuardContext
) -> Check:
    scores = context.facts.get("criteria")
    value = exact(scores.get(key)) if isinstance(scores, dict) else None
    required = threshold(str(params.criteria.min_percent))
    return Check(
        key=f"criteria.{key}",
        label_vi=labels.vi,
        label_en=labels.en,
        actual="—" if value is None else percent_text(value),
        required=f"≥ {percent_text(required)}",
        passed=value is not None and value >= required,
    )


def _share_checks(share: RatingShareParams, context: GuardContext) -> list[Check]:
    ratings = context.facts.get("ratings")
    ratings = ratings if isinstance(ratings, dict) else {}
    rated = exact(ratings.get("rated"))
    noun_vi, noun_en = _OVER_LABEL[share.over]
    checks = []
    for level, limit in (
        ("completed", share.completed_or_better),
        ("good", share.good_or_better),
    ):
        count = exact(ratings.get(f"{level}_or_better"))
        required = threshold(str(limit))
        share_value: Fraction | None = None
        if rated is not None and count is not None and rated > 0 and 0 <= count <= rated:
            share_value = count * 100 / rated
        level_vi, level_en = _LEVEL_LABEL[level]
        checks.append(
            Check(
                key=f"ratings.{share.over}.{level}_or_better",
                label_vi=f"Tỷ lệ {noun_vi} xếp loại {level_vi} trở lên",
                label_en=f"Share of {noun_en} rated {level_en} or better",
                actual="—" if share_value is None else percent_text(share_value),
                required=f"≥ {percent_text(required)}",
                passed=share_value is not None and share_value >= required,
            )
        )
    return checks


def _unit_rating_check(minimum: str, context: GuardContext) -> Check:
    rating = context.facts.get("unit_rating")
    rank = RATING_LEVELS.index(rating) if rating in RATING_LEVELS else None
    return Check(
        key="unit_rating",
        label_vi="Xếp loại chất lượng của chi bộ",
        label_en="The unit's own annual rating",
        actual=str(rating) if rating in RATING_LEVELS else "—",
        required=f"≥ {minimum}",
        passed=rank is not None and rank <= RATING_LEVELS.index(minimum),
    )
