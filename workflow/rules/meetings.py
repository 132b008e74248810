"""Meeting quality, criterion 2 (seed 002 §II.1.2): a unit's meeting register for a year
checked against the thresholds its definition sets, every breach named with its meeting.

Each section of the params is one rule and may be left out (a definition that does not
set it does not check it):

- ``attendance``: per meeting, members present over the meeting's roll (present plus
  absent with and without reason; exempted members are on neither list) above a share;
- ``absent_unexcused``: per meeting, members absent without reason at most ``max``;
- ``absences_in_a_row``: per member, absences (with or without reason) in a row over
  the year's meetings at most ``max``; one breach per run, at the meeting that
  exceeded it, with the run's full length;
- ``speakers``: per meeting, members who spoke at least the minimum of the cell's size band;
- ``duration``: per meeting, minutes at least the minimum of its kind and the size band;
- ``thematic_per_quarter`` / ``regular_per_month``: per quarter / month of the year, at
  least ``min`` thematic / regular meetings; a combined session counts as both.

Size bands read like the seed: ``{over: 20, min: 7}`` (more than 20 members) or
``{at_least: 3, min: 3}``; the band with the highest lower bound the cell reaches
applies, and a cell below every band has no minimum.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any, Literal

from workflow.rules.checks import Check, GuardContext, percent_text, threshold
from workflow.rules.meeting_params import (
    MEETING_KINDS,
    RULE_KEYS,
    LimitParams,
    MeetingComplianceParams,
    MeetingKind,
    PeriodParams,
    band_minimum,
)
from workflow.rules.meeting_record import Meeting, meeting_from_dict


# -- breaches -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Breach:
    """One breach: the rule, the meeting (or the month/quarter nothing was held in), the
    members concerned, what was found and what the definition requires."""

    key: str
    label_vi: str
    label_en: str
    actual: str
    required: str
    held_on: date | None = None
    meeting_kind: MeetingKind | None = None
    kind_vi: str | None = None
    kind_en: str | None = None
    #: "2025-03" for a month, "2025-Q2" for a quarter; None for a meeting's breach
    period: str | None = None
    members: tuple[str, ...] = field(default_factory=tuple)

    def label(self, lang: str = "vi") -> str:
        return self.label_en if lang == "en" else self.label_vi

    def where(self, lang: str = "vi") -> str:
        if self.held_on is not None:
            kind = self.kind_en if lang == "en" else self.kind_vi
            return f"{self.held_on:%d/%m/%Y}" + (f" ({kind})" if kind else "")
        return period_text(self.period or "", lang)

    def describe(self, lang: str = "vi") -> str:
        required = "required" if lang == "en" else "yêu cầu"
        text = f"{self.where(lang)} — {self.label(lang)}: {self.actual}"
        text += f" ({required} {self.required})"
        if self.members:
            noun = "members" if lang == "en" else "đảng viên"
            text += f" — {noun} {', '.join(self.members)}"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": {"vi": self.label_vi, "en": self.label_en},
            "held_on": None if self.held_on is None else f"{self.held_on:%d/%m/%Y}",
            "meeting_kind": self.meeting_kind,
            "period": self.period,
            "members": list(self.members),
            "actual": self.actual,
            "required": self.required,
        }


def period_text(period: str, lang: str) -> str:
    year, _, part = period.partition("-")
    if part.startswith("Q"):
        return f"Q{part[1:]} {year}" if lang == "en" else f"quý {part[1:]}/{year}"
    return f"{part}/{year}" if lang == "en" else f"tháng {part}/{year}"


def check_meetings(
    params: MeetingComplianceParams,
    meetings: Iterable[Meeting],
    unit_size: int,
    year: int,
    through: date | None = None,
) -> list[Breach]:
    """Every breach of the year's meetings, in date order (a month's or quarter's breach
    after the meetings of that period). Meetings of other years are ignored; months and
    quarters that end after `through` (default: 31/12 of the year) are not judged yet."""
    held = sorted(
        (m for m in meetings if m.held_on.year == year),
        key=lambda m: (m.held_on, MEETING_KINDS.index(m.kind)),
    )
    end = through if through is not None else date(year, 12, 31)
    found: list[tuple[tuple[date, int, tuple[str, ...]], Breach]] = []

    def add(on: date, breach: Breach) -> None:
        found.append(((on, RULE_KEYS.index(breach.key), breach.members), breach))

    for meeting in held:
        for breach in _meeting_breaches(params, meeting, unit_size):
            add(meeting.held_on, breach)
    if params.absences_in_a_row is not None:
        for meeting, breach in _runs_of_absence(params, params.absences_in_a_row, held):
            add(meeting.held_on, breach)
    if params.regular_per_month is not None:
        for last_day, breach in _period_breaches(
            params, "regular_per_month", params.regular_per_month, held, year, end
        ):
            add(last_day, breach)
    if params.thematic_per_quarter is not None:
        for last_day, breach in _period_breaches(
            params, "thematic_per_quarter", params.thematic_per_quarter, held, year, end
        ):
            add(last_day, breach)
    found.sort(key=lambda item: item[0])
    return [breach for _, breach in found]


def _at_meeting(
    params: MeetingComplianceParams,
    key: str,
    meeting: Meeting,
    actual: str,
    required: str,
    members: tuple[str, ...] = (),
) -> Breach:
    labels = params.rule_label(key)
    assert labels is not None
    kind = params.kinds.get(meeting.kind)
    return Breach(
        key=key,
        label_vi=labels.vi,
        label_en=labels.en,
        actual=actual,
        required=required,
        held_on=meeting.held_on,
        meeting_kind=meeting.kind,
        kind_vi=kind.vi if kind else meeting.kind,
        kind_en=kind.en if kind else meeting.kind,
        members=members,
    )


def attendance_share(meeting: Meeting) -> Fraction | None:
    """Present over the roll, in percent; None for a meeting with an empty roll."""
    if meeting.roll == 0:
        return None
    return Fraction(meeting.present * 100, meeting.roll)


def _meeting_breaches(
    params: MeetingComplianceParams, meeting: Meeting, unit_size: int
) -> list[Breach]:
    breaches = []
    if params.attendance is not None:
        rule = params.attendance
        share = attendance_share(meeting)
        limit = threshold(str(rule.percent))
        ok = share is not None and (share > limit if rule.strictly_above else share >= limit)
        if not ok:
            breaches.append(
                _at_meeting(
                    params,
                    "attendance",
                    meeting,
                    "—" if share is None else percent_text(share),
                    f"{'>' if rule.strictly_above else '≥'} {percent_text(limit)}",
                )
            )
    if params.absent_unexcused is not None:
        allowed = params.absent_unexcused.max
        if meeting.absent_unexcused > allowed:
            breaches.append(
                _at_meeting(
                    params,
                    "absent_unexcused",
                    meeting,
                    str(meeting.absent_unexcused),
                    f"≤ {allowed}",
                    tuple(sorted(meeting.absent_unexcused_ids)),
                )
            )
    if params.speakers is not None:
        minimum = band_minimum(params.speakers.bands, unit_size)
        if minimum is not None and meeting.speakers < minimum:
            breaches.append(
                _at_meeting(params, "speakers", meeting, str(meeting.speakers), f"≥ {minimum}")
            )
    if params.duration is not None:
        minimum = band_minimum(params.duration.bands(meeting.kind), unit_size)
        if minimum is not None and meeting.duration_min < minimum:
            breaches.append(
                _at_meeting(
                    params, "duration", meeting, str(meeting.duration_min), f"≥ {minimum}"
                )
            )
    return breaches


def _runs_of_absence(
    params: MeetingComplianceParams, rule: LimitParams, held: Sequence[Meeting]
) -> list[tuple[Meeting, Breach]]:
    """One breach per run of absences longer than allowed, at the meeting that went over."""
    run: dict[str, int] = {}
    went_over: dict[str, Meeting] = {}
    breaches: list[tuple[Meeting, Breach]] = []

    def close(member: str) -> None:
        length = run.pop(member)
        meeting = went_over.pop(member, None)
        if meeting is not None:
            breach = _at_meeting(
                params, "absences_in_a_row", meeting, str(length), f"≤ {rule.max}", (member,)
            )
            breaches.append((meeting, breach))

    for meeting in held:
        absent = set(meeting.absent_excused_ids) | set(meeting.absent_unexcused_ids)
        for member in [m for m in run if m not in absent]:
            close(member)
        for member in absent:
            run[member] = run.get(member, 0) + 1
            if run[member] == rule.max + 1:
                went_over[member] = meeting
    for member in list(run):
        close(member)
    return breaches


def _period_breaches(
    params: MeetingComplianceParams,
    key: Literal["regular_per_month", "thematic_per_quarter"],
    rule: PeriodParams,
    held: Sequence[Meeting],
    year: int,
    end: date,
) -> list[tuple[date, Breach]]:
    labels = rule.label
    breaches = []
    monthly = key == "regular_per_month"
    for index in range(1, 13 if monthly else 5):
        first_month, last_month = (index, index) if monthly else (3 * index - 2, 3 * index)
        last_day = _last_day(year, last_month)
        if last_day > end:
            break
        count = sum(
            1
            for m in held
            if first_month <= m.held_on.month <= last_month
            and (m.is_regular if monthly else m.is_thematic)
        )
        if count < rule.min:
            breaches.append(
                (
                    last_day,
                    Breach(
                        key=key,
                        label_vi=labels.vi,
                        label_en=labels.en,
                        actual=str(count),
                        required=f"≥ {rule.min}",
                        period=f"{year}-{index:02d}" if monthly else f"{year}-Q{index}",
                    ),
                )
            )
    return breaches


def _last_day(year: int, month: int) -> date:
    if month == 12:
        return date(year, 12, 31)
    return date.fromordinal(date(year, month + 1, 1).toordinal() - 1)


# -- as a guard ---------------------------------------------------------------------------
def evaluate_meeting_compliance(
    params: MeetingComplianceParams, context: GuardContext
) -> list[Check]:
    """One check per configured rule: its breaches over ``facts["meetings"]`` (the register
    as :meth:`Meeting.as_dict` lists), none allowed. The cell's size is
    ``facts["member_count"]`` (else the largest roll), the year ``facts["year"]`` (else the
    year most meetings were held in)."""
    raw = context.facts.get("meetings")
    meetings: list[Meeting] = []
    problem = None
    if not isinstance(raw, list):
        problem = "no meeting register"
    else:
        try:
            meetings = [meeting_from_dict(item) for item in raw if isinstance(item, dict)]
        except ValueError as exc:
            problem = str(exc)
        if problem is None and len(meetings) != len(raw):
            problem = "a meeting is not an object"
    if problem is not None or not meetings:
        return [
            Check(
                key="meetings.register",
                label_vi="Sổ sinh hoạt chi bộ",
                label_en="Meeting register",
                actual=problem or "0",
                required="≥ 1",
                passed=False,
            )
        ]
    size = context.facts.get("member_count")
    unit_size = size if isinstance(size, int) else max(m.roll for m in meetings)
    year_fact = context.facts.get("year")
    year = (
        year_fact
        if isinstance(year_fact, int)
        else Counter(m.held_on.year for m in meetings).most_common(1)[0][0]
    )
    by_key = Counter(b.key for b in check_meetings(params, meetings, unit_size, year))
    checks = []
    for key in params.configured():
        labels = params.rule_label(key)
        assert labels is not None
        checks.append(
            Check(
                key=f"meetings.{key}",
                label_vi=labels.vi,
                label_en=labels.en,
                actual=str(by_key.get(key, 0)),
                required="0",
                passed=by_key.get(key, 0) == 0,
            )
        )
    return checks
