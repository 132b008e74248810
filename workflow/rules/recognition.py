"""The recognition rule (seed 002 §II.2.2): four criteria at or above a threshold, and the
ratings of the unit's members (or, for a grassroots committee, its cells) at or above
shares of "completed" and "good". All thresholds come from the definition."""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from workflow.evidence.rating_tallies import own_level, tally_cells, tally_members
from workflow.evidence.ratings import RatingRecord
from workflow.rules.checks import (
    Check,
    GuardContext,
    at_least,
    exact,
    percent_text,
    threshold,
)
from workflow.spec.model import Labels

RATING_LEVELS = ("excellent", "good", "completed", "not_completed")


class ChecklistParams(BaseModel):
    """Sub-criteria a type of organisation adds under one criterion (seed 002 §II.1.1.b):
    the self-evaluation ticks each; the verdict wants them all."""

    # defer_build: the schema is built at the first validation, not at import (start-up
    # speed: a command reading the cached definitions validates none)
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    criterion: str
    #: organisation type (loại hình) -> item key -> label
    by_type: dict[str, dict[str, Labels]] = Field(min_length=1)


class CriteriaParams(BaseModel):
    # defer_build: the schema is built at the first validation, not at import (start-up
    # speed: a command reading the cached definitions validates none)
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    min_percent: float = Field(ge=0, le=100)
    keys: dict[str, Labels] = Field(min_length=1)
    checklist: ChecklistParams | None = None


class RatingShareParams(BaseModel):
    # defer_build: the schema is built at the first validation, not at import (start-up
    # speed: a command reading the cached definitions validates none)
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    applies_to: list[str] = Field(min_length=1)
    over: Literal["members", "cells"]
    completed_or_better: float = Field(ge=0, le=100)
    good_or_better: float = Field(ge=0, le=100)
    #: "excellent" may be at most this share of those rated good or better (the 2019
    #: guidance's 20 %); None: no cap
    excellent_max_share_of_good: float | None = Field(default=None, ge=0, le=100)
    #: what the cap is: part of the rule (a cell above it is refused), or a check of the
    #: register's consistency reported as a warning. The cap comes from rating guidance
    #: (who may be rated excellent), not from seed 002 §II.2.2's recognition rule.
    excellent_cap: Literal["rule", "warning"] = "rule"


class RecognitionParams(BaseModel):
    # defer_build: the schema is built at the first validation, not at import (start-up
    # speed: a command reading the cached definitions validates none)
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    kind: Literal["recognition"] = "recognition"
    label: Labels | None = None
    criteria: CriteriaParams
    ratings: list[RatingShareParams] = Field(default_factory=list)
    #: the unit's own annual rating must be at least this (the model-cell programme)
    unit_rating_at_least: Literal["excellent", "good", "completed"] | None = None
    #: where ratings come from: figures in the self-evaluation's payload, or the ratings
    #: register (imported from the member registry), tallied here at `stage`
    ratings_from: Literal["payload", "register"] = "payload"
    stage: Literal["provisional", "final"] = "final"
    #: members admitted fewer months than this before the rating are not rated
    new_member_months: int = Field(default=6, ge=0, le=24)


_OVER_LABEL = {"members": ("đảng viên", "members"), "cells": ("chi bộ trực thuộc", "cells")}
_LEVEL_LABEL = {
    "excellent": ("hoàn thành xuất sắc nhiệm vụ", "excellent"),
    "good": ("hoàn thành tốt nhiệm vụ", "good"),
    "completed": ("hoàn thành nhiệm vụ", "completed"),
    "not_completed": ("không hoàn thành nhiệm vụ", "not completed"),
}


def evaluate_recognition(params: RecognitionParams, context: GuardContext) -> list[Check]:
    if params.ratings_from == "register":
        facts = {**context.facts, **register_facts(params, context)}
        context = GuardContext(context.unit_kind, facts)
    checks = [
        _criterion_check(key, labels, params, context)
        for key, labels in params.criteria.keys.items()
    ]
    if params.criteria.checklist is not None:
        found = _checklist_check(params.criteria.checklist, params.criteria.keys, context)
        if found is not None:
            checks.append(found)
    for share in params.ratings:
        if context.unit_kind in share.applies_to:
            if params.ratings_from == "register":
                checks.append(_complete_check(share, params.stage, context))
            checks.extend(_share_checks(share, context))
            if share.excellent_max_share_of_good is not None:
                checks.append(_excellent_cap_check(share, context))
    if params.unit_rating_at_least is not None:
        checks.append(_unit_rating_check(params.unit_rating_at_least, context))
    return checks


def register_facts(params: RecognitionParams, context: GuardContext) -> dict[str, Any]:
    """`ratings` and `unit_rating` tallied from the register the engine loaded into
    `facts["register"]`; whatever a payload claimed about ratings is not used."""
    register = context.facts.get("register")
    register = register if isinstance(register, dict) else {}
    records = [
        r if isinstance(r, RatingRecord) else RatingRecord.from_dict(r)
        for r in register.get("records", [])
    ]
    unit = register.get("unit", "")
    own = [r for r in records if r.unit_code == unit]
    over = next(
        (s.over for s in params.ratings if context.unit_kind in s.applies_to), "members"
    )
    if over == "cells":
        cells = register.get("cells", [])
        tally = tally_cells(cells, [r for r in records if r.unit_code != unit], params.stage)
    else:
        tally = tally_members(own, params.stage, params.new_member_months)
    return {"ratings": tally.as_facts(), "unit_rating": own_level(own, params.stage)}


_STAGE_LABEL = {"final": ("chính thức", "final"), "provisional": ("tạm thời", "provisional")}


def _complete_check(share: RatingShareParams, stage: str, context: GuardContext) -> Check:
    """Every member (or cell) has a rating at the stage the rule reads. Not overridable:
    with ratings missing there is no verdict to overrule."""
    ratings = context.facts["ratings"]
    missing = list(ratings.get("missing", []))
    subjects = int(ratings.get("rated", 0)) + len(missing)
    noun_vi, noun_en = _OVER_LABEL[share.over]
    stage_vi, stage_en = _STAGE_LABEL[stage]
    shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
    if subjects == 0:
        actual = "—"
    else:
        actual = f"{subjects - len(missing)}/{subjects}" + (f" (thiếu: {shown})" if missing else "")
    return Check(
        key=f"ratings.{share.over}.{stage}_complete",
        label_vi=f"Đủ kết quả xếp loại {stage_vi} của {noun_vi}",
        label_en=f"Every one of the {noun_en} has a {stage_en} rating",
        actual=actual,
        required=f"{subjects}/{subjects}" if subjects else "≥ 1",
        passed=subjects > 0 and not missing,
        overridable=False,
    )


def _excellent_cap_check(share: RatingShareParams, context: GuardContext) -> Check:
    ratings = context.facts.get("ratings")
    ratings = ratings if isinstance(ratings, dict) else {}
    excellent = exact(ratings.get("excellent"))
    good = exact(ratings.get("good_or_better"))
    cap = threshold(str(share.excellent_max_share_of_good))
    value: Fraction | None = None
    if excellent is not None and good is not None and good > 0:
        value = excellent * 100 / good
    elif excellent == 0:
        value = Fraction(0)
    noun_vi, noun_en = _OVER_LABEL[share.over]
    holds = value is not None and value <= cap
    advisory = share.excellent_cap == "warning"
    return Check(
        key=f"ratings.{share.over}.excellent_cap",
        label_vi=f"Số {noun_vi} hoàn thành xuất sắc trên số hoàn thành tốt trở lên",
        label_en=f"{noun_en.capitalize()} rated excellent, as a share of good or better",
        actual="—" if value is None else percent_text(value),
        required=f"≤ {percent_text(cap)}",
        passed=holds or advisory,
        warning=advisory and not holds,
    )


def _criterion_check(
    key: str, labels: Labels, params: RecognitionParams, context: GuardContext
) -> Check:
    scores = context.facts.get("criteria")
    given = scores.get(key) if isinstance(scores, dict) else None
    # a score alone, or {score, evidence: [document numbers, file names]}
    evidence = given.get("evidence", []) if isinstance(given, dict) else []
    value = exact(given.get("score") if isinstance(given, dict) else given)
    required, required_text = at_least(params.criteria.min_percent)
    actual = "—" if value is None else percent_text(value)
    if evidence and isinstance(evidence, list):
        actual += f" ({', '.join(str(e) for e in evidence)})"
    return Check(
        key=f"criteria.{key}",
        label_vi=labels.vi,
        label_en=labels.en,
        actual=actual,
        required=required_text,
        passed=value is not None and value >= required,
    )


def _checklist_check(
    checklist: ChecklistParams, keys: dict[str, Labels], context: GuardContext
) -> Check | None:
    """The type's sub-criteria all ticked in the self-evaluation; None for a unit whose
    type adds none (its type comes with the register the engine loads)."""
    register = context.facts.get("register")
    org_type = register.get("org_type") if isinstance(register, dict) else None
    items = checklist.by_type.get(str(org_type))
    if not items:
        return None
    ticked = context.facts.get("checklist")
    ticked = ticked if isinstance(ticked, dict) else {}
    missing = [k for k in items if ticked.get(k) is not True]
    labels = keys.get(checklist.criterion)
    name_vi = labels.vi if labels else checklist.criterion
    name_en = labels.en if labels else checklist.criterion
    # the items missing, by their labels (a verdict never shows a definition's code name)
    missing_vi = "" if not missing else f" (thiếu: {'; '.join(items[k].vi for k in missing)})"
    missing_en = "" if not missing else f" (missing: {'; '.join(items[k].en for k in missing)})"
    return Check(
        key=f"criteria.{checklist.criterion}.checklist",
        label_vi=f"{name_vi} — tiêu chí theo loại hình tổ chức{missing_vi}",
        label_en=f"{name_en}: the sub-criteria of the organisation's type{missing_en}",
        actual=f"{len(items) - len(missing)}/{len(items)}",
        required=f"{len(items)}/{len(items)}",
        passed=not missing,
        # the missing items are in the label, which the key alone cannot give back
        own_label=bool(missing),
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
        required, required_text = at_least(limit)
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
                required=required_text,
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


def recognition_labels(params: RecognitionParams, key: str) -> tuple[str, str] | None:
    """The labels of a check this rule makes, from its key (None: not one of this rule's):
    what a stored verdict (workflow.rules.stored_checks) is shown with."""
    parts = key.split(".")
    if parts[0] == "criteria":
        keys = params.criteria.keys
        if len(parts) == 2 and parts[1] in keys:
            return keys[parts[1]].vi, keys[parts[1]].en
        if len(parts) == 3 and parts[2] == "checklist":
            labels = keys.get(parts[1])
            name_vi = labels.vi if labels else parts[1]
            name_en = labels.en if labels else parts[1]
            return (
                f"{name_vi} — tiêu chí theo loại hình tổ chức",
                f"{name_en}: the sub-criteria of the organisation's type",
            )
        return None
    if key == "unit_rating":
        return "Xếp loại chất lượng của chi bộ", "The unit's own annual rating"
    if parts[0] != "ratings" or len(parts) != 3 or parts[1] not in _OVER_LABEL:
        return None
    noun_vi, noun_en = _OVER_LABEL[parts[1]]
    what = parts[2]
    if what == "excellent_cap":
        return (
            f"Số {noun_vi} hoàn thành xuất sắc trên số hoàn thành tốt trở lên",
            f"{noun_en.capitalize()} rated excellent, as a share of good or better",
        )
    if what.endswith("_complete") and what.removesuffix("_complete") in _STAGE_LABEL:
        stage_vi, stage_en = _STAGE_LABEL[what.removesuffix("_complete")]
        return (
            f"Đủ kết quả xếp loại {stage_vi} của {noun_vi}",
            f"Every one of the {noun_en} has a {stage_en} rating",
        )
    level = what.removesuffix("_or_better")
    if what.endswith("_or_better") and level in _LEVEL_LABEL:
        level_vi, level_en = _LEVEL_LABEL[level]
        return (
            f"Tỷ lệ {noun_vi} xếp loại {level_vi} trở lên",
            f"Share of {noun_en} rated {level_en} or better",
        )
    return None
