"""The schema of a definition (pydantic). Structure only; cross-references are checked in
:mod:`workflow.spec.check` so that every problem can be named with its file and line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

_OFFSET = re.compile(r"^([+-]?\d+)\s+(working_days?|days?)$")


class Strict(BaseModel):
    # defer_build: the schema is built at the first validation, not at import (start-up
    # speed: a command reading the cached definitions validates none)
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Labels(Strict):
    vi: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.vi


class RoleSpec(Strict):
    label: Labels
    #: whose role it is relative to the cycle's unit: the unit itself, or its superiors
    acts_for: Literal["unit", "superior", "system"] = "unit"


class StateSpec(Strict):
    label: Labels
    final: bool = False
    #: the recognition outcome a cycle keeps once it passes through this state
    outcome: Literal["recognized", "not_recognized"] | None = None


class TransitionSpec(Strict):
    trigger: str
    source: list[str]
    dest: str
    roles: list[str] = Field(min_length=1)
    guard: str | None = None
    unless: str | None = None
    requires: list[str] = Field(default_factory=list)
    #: separation of duties: whoever fired one of these events on the cycle may not fire
    #: this one (the actor who proposed does not appraise)
    not_by_actor_of: list[str] = Field(default_factory=list)
    #: the rule's verdict (guard or unless) may be overruled by a written reason in the
    #: payload's `override`; missing evidence never can
    overridable: bool = False
    label: Labels | None = None

    @field_validator("source", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


@dataclass(frozen=True)
class Offset:
    """A signed distance from a deadline, in calendar days or working days."""

    amount: int
    working: bool

    @classmethod
    def parse(cls, text: str) -> Offset:
        match = _OFFSET.match(text.strip())
        if not match:
            raise ValueError(f"{text!r} is not an offset like '-5 working_days' or '+10 days'")
        return cls(int(match.group(1)), match.group(2).startswith("working"))

    def __str__(self) -> str:
        unit = "working_day" if self.working else "day"
        plural = "" if abs(self.amount) == 1 else "s"
        return f"{self.amount:+d} {unit}{plural}"


class DueSpec(Strict):
    #: "dd/mm", in the cycle's year or the next one
    date: str
    year: Literal["cycle", "next"] = "cycle"
    #: local time of day by which it is due, "HH:MM"; absent: the whole day ("on or
    #: before D" is met by anything up to the end of D)
    time: str | None = None
    #: dates that differ in a given cycle year, "dd/mm/yyyy" (a programme's first year)
    in_year: dict[int, str] = Field(default_factory=dict)


class EscalationSpec(Strict):
    after: str
    to: str


class DeadlineSpec(Strict):
    label: Labels
    due: DueSpec
    #: the states that satisfy the deadline; reaching one of them meets it
    met_in: list[str] = Field(min_length=1)
    #: who is reminded before it
    remind: str
    reminders: list[str] = Field(default_factory=list)
    escalations: list[EscalationSpec] = Field(default_factory=list)


class MilestoneSpec(Strict):
    """A programme date for a committee above the units (a review, a report, a launch).

    It is kept by the committee itself (`bontot milestone done`), reminded to the
    committee's own contact for `owner`, and escalated to the superiors above it."""

    label: Labels
    due: DueSpec
    owner: str
    #: only in these years (a one-off review); every year when absent
    years: list[int] | None = None
    #: which committees keep it, by how many committees stand above them (0: the top,
    #: a province; 1: the level below it). Every committee when absent.
    depth: list[int] | None = None
    reminders: list[str] = Field(default_factory=list)
    escalations: list[EscalationSpec] = Field(default_factory=list)


class GoalSpec(Strict):
    """One target as a seed says it: a measure over a population, a comparator and a
    value, by a year (seed 004: "trên 20 %" of cells model cells, "từ 90 % trở lên"
    rated good, by 2025)."""

    label: Labels
    #: recognized_share: % of the population recognised; rated_good_share: % whose own
    #: annual rating is good or better; recognized_count: units recognised
    measure: Literal["recognized_share", "rated_good_share", "recognized_count"]
    #: the unit kinds counted (cells, grassroots organisations...)
    over: list[str] = Field(min_length=1)
    comparator: Literal[">=", ">"] = ">="
    value: float = Field(ge=0)
    #: the year it is to be reached by (a programme's horizon); None: every year
    year: int | None = None


class PilotSpec(Strict):
    """A programme's pilot (seed 004: from early 2022 each district chooses 1 to 3 cells
    of each organisation type): for each committee directly above the cells' grassroots
    level and each type it has cells of, how many took part in the pilot year."""

    label: Labels
    year: int
    #: the unit kinds that may be chosen (cells)
    over: list[str] = Field(min_length=1)
    minimum: int = Field(default=1, ge=0)
    maximum: int = Field(default=3, ge=1)
    #: the states of the year's cycle that mean a cell took part
    joined: list[str] = Field(min_length=1)
    #: the organisation types' labels, as the board says them
    types: dict[str, Labels] = Field(default_factory=dict)


class TargetSpec(Strict):
    #: percent of the units counted that should reach the "recognized" outcome ("at
    #: least"); None where the definition says its targets as `goals` only
    recognized_share: float | None = Field(default=None, ge=0, le=100)
    #: which unit kinds count towards the share
    over: list[str]
    label: Labels | None = None
    #: the targets as the seed words them, each shown with its gap in units
    goals: list[GoalSpec] = Field(default_factory=list)
    #: a pilot the programme starts with, checked per committee and organisation type
    pilot: PilotSpec | None = None


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _sat_sun() -> list[Weekday]:
    return ["sat", "sun"]


class CalendarSpec(Strict):
    country: str = "VN"
    weekend: list[Weekday] = Field(default_factory=_sat_sun)
    #: a deadline on a non-working day: kept there, or moved to the last working day before
    non_working_deadline: Literal["keep", "last_working_day_before"] = "keep"
    #: days off a province adds ("dd/mm/yyyy": why): the government's yearly swaps
    days_off: dict[str, str] = Field(default_factory=dict)
    #: make-up working days ("dd/mm/yyyy": why), e.g. a Saturday worked to lengthen Tết
    working_days: dict[str, str] = Field(default_factory=dict)
    #: local time of day at which reminders and escalations go out
    notify_at: str = "08:00"


def _labels(vi: str, en: str) -> Labels:
    return Labels(vi=vi, en=en)


def _unit_kind_labels() -> dict[str, Labels]:
    return {
        "committee": _labels("Cấp ủy cấp trên cơ sở", "Committee above grassroots"),
        "grassroots_committee": _labels("Đảng bộ cơ sở", "Grassroots party committee"),
        "grassroots_cell": _labels("Chi bộ cơ sở", "Grassroots party cell"),
        "subordinate_cell": _labels("Chi bộ trực thuộc", "Subordinate party cell"),
    }


def _org_type_labels() -> dict[str, Labels]:
    """Seed 002 §II.1.1.b's names of the organisation types ("Đối với tổ chức đảng trong
    ..."); the seeds name no fifth type, so "other" is ours."""
    return {
        "administrative": _labels("Cơ quan hành chính, đơn vị sự nghiệp",
                                  "Administrative agency, public service unit"),
        "armed_forces": _labels("Đơn vị lực lượng vũ trang", "Armed forces unit"),
        "village": _labels("Thôn, khu phố, phường, xã", "Village, neighbourhood, ward, commune"),
        "enterprise": _labels("Doanh nghiệp", "Enterprise"),
        "other": _labels("Loại hình khác", "Other type"),
    }  # fmt: skip


def _rating_labels() -> dict[str, Labels]:
    return {
        "excellent": _labels("Hoàn thành xuất sắc nhiệm vụ", "Excellent"),
        "good": _labels("Hoàn thành tốt nhiệm vụ", "Good"),
        "completed": _labels("Hoàn thành nhiệm vụ", "Completed"),
        "not_completed": _labels("Không hoàn thành nhiệm vụ", "Not completed"),
    }


class SignatureSpec(Strict):
    #: "T/M BAN THƯỜNG VỤ": on whose behalf the document is signed
    on_behalf: Labels = Field(
        default_factory=lambda: _labels("T/M BAN THƯỜNG VỤ", "ON BEHALF OF THE STANDING COMMITTEE")
    )
    title: Labels = Field(default_factory=lambda: _labels("BÍ THƯ", "SECRETARY"))
    #: the signer's name; empty leaves a line to fill in by hand
    name: str = ""


class DocumentsSpec(Strict):
    """What the printed documents say (Hướng dẫn 36-HD/VPTW layout). Every text may hold
    {year}, {body} (the issuing committee's name) and {place}. The defaults are left out of
    the content hash, so a definition that sets none keeps its hash."""

    #: the issuing body printed top left; default: the committee the report is under
    issuing_body: Labels | None = None
    #: the body above it (first header line), e.g. "ĐẢNG BỘ TỈNH …"; none by default
    parent_body: Labels | None = None
    #: the place in the "…, ngày … tháng … năm …" line; dots to fill in when absent
    place: str | None = None
    decision_number: str = "Số        -QĐ/ĐU"
    report_number: str = "Số        -BC/ĐU"
    decision_title: Labels = Field(
        default_factory=lambda: _labels(
            "công nhận chi bộ, đảng bộ cơ sở đạt “bốn tốt” năm {year}",
            "recognising the “four-good” party cells and grassroots committees of {year}",
        )
    )
    report_title: Labels = Field(
        default_factory=lambda: _labels(
            "Báo cáo kết quả xây dựng chi bộ, đảng bộ cơ sở “bốn tốt” năm {year}",
            "Report on building “four-good” party cells and grassroots committees, {year}",
        )
    )
    #: the Word report's subject line, under "BÁO CÁO"
    report_subject: Labels = Field(
        default_factory=lambda: _labels(
            "kết quả xây dựng chi bộ, đảng bộ cơ sở “bốn tốt” năm {year}",
            "on building “four-good” party cells and grassroots committees, {year}",
        )
    )
    #: who decides, centred above the decision's grounds
    authority: Labels = Field(
        default_factory=lambda: _labels("BAN THƯỜNG VỤ {body}", "THE STANDING COMMITTEE OF {body}")
    )
    signature: SignatureSpec = Field(default_factory=SignatureSpec)
    #: "Nơi nhận" of the decision
    recipients: list[Labels] = Field(
        default_factory=lambda: [
            _labels("Ban Thường vụ cấp trên (để báo cáo)", "The superior's standing committee"),
            _labels("Các chi bộ, đảng bộ cơ sở (để thực hiện)", "The cells and committees"),
            _labels("Lưu Văn phòng", "Office archive"),
        ]
    )
    unit_kinds: dict[str, Labels] = Field(default_factory=_unit_kind_labels)
    #: the organisation types' (loại hình) labels, by workflow.units.ORG_TYPES code
    org_types: dict[str, Labels] = Field(default_factory=_org_type_labels)
    rating_levels: dict[str, Labels] = Field(default_factory=_rating_labels)

    def unit_kind(self, kind: str, lang: str = "vi") -> str:
        label = self.unit_kinds.get(kind)
        return label.get(lang) if label else kind

    def org_type(self, org_type: str, lang: str = "vi") -> str:
        label = self.org_types.get(org_type)
        return label.get(lang) if label else org_type

    def rating(self, level: str | None, lang: str = "vi") -> str:
        label = self.rating_levels.get(level or "")
        return label.get(lang) if label else (level or "")


class ScoreBands(Strict):
    """The lowest score of each level on a 100-point scale (QĐ 366-QĐ/TW: 90, 70, 50);
    below `completed` is "not completed"."""

    excellent: float = Field(ge=0, le=100)
    good: float = Field(ge=0, le=100)
    completed: float = Field(ge=0, le=100)


class RatingScaleSpec(Strict):
    """The rating scale in force for a span of rating years: levels only (QĐ 132/2018,
    QĐ 124/2023), or a 100-point score from which the level follows (QĐ 366/2025)."""

    #: the first and last rating year it governs (None: still in force)
    first_year: int = Field(ge=2000, le=2100)
    last_year: int | None = Field(default=None, ge=2000, le=2100)
    kind: Literal["levels", "score"]
    source: str
    bands: ScoreBands | None = None


class DefinitionSpec(Strict):
    id: str
    version: int = Field(ge=1)
    title: Labels
    description: str | None = None
    source: str | None = None
    extends: str | None = None
    timezone: str = "Asia/Ho_Chi_Minh"
    calendar: CalendarSpec = Field(default_factory=CalendarSpec)
    #: unit kinds that get a cycle of this definition
    applies_to: list[str] = Field(min_length=1)
    initial: str
    roles: dict[str, RoleSpec] = Field(min_length=1)
    states: dict[str, StateSpec] = Field(min_length=1)
    transitions: list[TransitionSpec] = Field(min_length=1)
    deadlines: dict[str, DeadlineSpec] = Field(default_factory=dict)
    milestones: dict[str, MilestoneSpec] = Field(default_factory=dict)
    rules: dict[str, dict[str, Any]] = Field(default_factory=dict)
    targets: TargetSpec | None = None
    documents: DocumentsSpec = Field(default_factory=DocumentsSpec)
    #: the rating scales in force, by rating year (the ratings register reads them)
    rating_scales: list[RatingScaleSpec] = Field(default_factory=list)

    def rating_scale(self, year: int) -> RatingScaleSpec | None:
        """The scale of rating year `year`, None when the definition declares none."""
        return next(
            (
                s for s in self.rating_scales
                if s.first_year <= year and (s.last_year is None or year <= s.last_year)
            ),
            None,
        )

    def state_label(self, state: str, lang: str = "vi") -> str:
        spec = self.states.get(state)
        return spec.label.get(lang) if spec else state

    def event_label(self, event: str, lang: str = "vi") -> str:
        """The first label the definition gives the event (the code if it gives none)."""
        for t in self.transitions:
            if t.trigger == event and t.label is not None:
                return t.label.get(lang)
        return event

    def role_label(self, role: str, lang: str = "vi") -> str:
        spec = self.roles.get(role)
        return spec.label.get(lang) if spec else role

    def rule_label(self, rule: str, lang: str = "vi") -> str:
        label = self.rules.get(rule, {}).get("label")
        if isinstance(label, dict) and isinstance(label.get(lang), str):
            return str(label[lang])
        return rule
