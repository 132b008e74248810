"""The thresholds of criterion 2 (seed 002 §II.1.2) as a definition sets them: one
section per rule, size bands read like the seed (see workflow.rules.meetings)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from workflow.spec.model import Labels
from workflow.units import UNIT_KINDS

MeetingKind = Literal["regular", "thematic", "combined"]
MEETING_KINDS: tuple[MeetingKind, ...] = ("regular", "thematic", "combined")

#: the rule keys, in the order a report lists them
RULE_KEYS = (
    "attendance",
    "absent_unexcused",
    "absences_in_a_row",
    "speakers",
    "duration",
    "regular_per_month",
    "thematic_per_quarter",
)


# -- params -------------------------------------------------------------------------------
class _Strict(BaseModel):
    # defer_build: the schema is built at the first validation, not at import (start-up
    # speed: a command reading the cached definitions validates none)
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class SizeBand(_Strict):
    """A minimum that applies from a cell size up: ``over`` N members or ``at_least`` N."""

    over: int | None = Field(default=None, ge=0)
    at_least: int | None = Field(default=None, ge=0)
    min: int = Field(ge=0)

    @model_validator(mode="after")
    def _one_bound(self) -> SizeBand:
        if (self.over is None) == (self.at_least is None):
            raise ValueError("a size band needs exactly one of 'over' or 'at_least'")
        return self

    @property
    def lowest(self) -> int:
        """The smallest cell size the band applies to."""
        if self.over is not None:
            return self.over + 1
        assert self.at_least is not None
        return self.at_least


def _distinct_bands(bands: list[SizeBand]) -> list[SizeBand]:
    lows = Counter(band.lowest for band in bands)
    clashes = sorted(low for low, count in lows.items() if count > 1)
    if clashes:
        raise ValueError(f"two size bands start at the same size: {clashes}")
    return bands


def band_minimum(bands: Sequence[SizeBand], size: int) -> int | None:
    """The minimum of the band a cell of `size` members falls in, or None below them all."""
    reached = [band for band in bands if band.lowest <= size]
    return max(reached, key=lambda band: band.lowest).min if reached else None


class AttendanceParams(_Strict):
    label: Labels
    percent: float = Field(ge=0, le=100)
    #: "trên 85 %": strictly above; false for "at least"
    strictly_above: bool = True


class LimitParams(_Strict):
    label: Labels
    max: int = Field(ge=0)


class SpeakerParams(_Strict):
    label: Labels
    bands: list[SizeBand] = Field(min_length=1)

    _bands = field_validator("bands")(_distinct_bands)


class DurationParams(_Strict):
    """Minimum minutes per meeting kind, by size band; an empty list sets no minimum."""

    label: Labels
    regular: list[SizeBand] = Field(default_factory=list)
    thematic: list[SizeBand] = Field(default_factory=list)
    combined: list[SizeBand] = Field(default_factory=list)

    _bands = field_validator("regular", "thematic", "combined")(_distinct_bands)

    def bands(self, kind: MeetingKind) -> list[SizeBand]:
        bands: list[SizeBand] = getattr(self, kind)
        return bands


class PeriodParams(_Strict):
    label: Labels
    min: int = Field(ge=1)


def _default_kind_labels() -> dict[MeetingKind, Labels]:
    return {
        "regular": Labels(vi="thường kỳ", en="regular"),
        "thematic": Labels(vi="chuyên đề", en="thematic"),
        "combined": Labels(vi="thường kỳ kết hợp chuyên đề", en="regular and thematic"),
    }


class MeetingComplianceParams(_Strict):
    kind: Literal["meeting_compliance"] = "meeting_compliance"
    label: Labels | None = None
    #: unit kinds whose meetings are checked (cells; a committee's plenary is another rule)
    applies_to: list[str] = Field(min_length=1)
    #: how a meeting kind reads in a report
    kinds: dict[MeetingKind, Labels] = Field(default_factory=_default_kind_labels)
    attendance: AttendanceParams | None = None
    absent_unexcused: LimitParams | None = None
    absences_in_a_row: LimitParams | None = None
    speakers: SpeakerParams | None = None
    duration: DurationParams | None = None
    regular_per_month: PeriodParams | None = None
    thematic_per_quarter: PeriodParams | None = None

    @field_validator("applies_to")
    @classmethod
    def _known_kinds(cls, kinds: list[str]) -> list[str]:
        unknown = [kind for kind in kinds if kind not in UNIT_KINDS]
        if unknown:
            raise ValueError(f"unknown unit kind(s) {unknown} (known: {', '.join(UNIT_KINDS)})")
        return kinds

    def rule_label(self, key: str) -> Labels | None:
        section = getattr(self, key, None)
        return section.label if section is not None else None

    def configured(self) -> list[str]:
        return [key for key in RULE_KEYS if getattr(self, key) is not None]

    def kind_label(self, kind: MeetingKind, lang: str) -> str:
        labels = self.kinds.get(kind)
        return labels.get(lang) if labels is not None else kind
