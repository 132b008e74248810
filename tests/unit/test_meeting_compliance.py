"""Meeting quality (criterion 2) against the thresholds bon-tot.yaml takes from seed 002
§II.1.2: each rule at its boundary, on one side and the other."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from workflow.rules.checks import GuardContext
from workflow.rules.kinds import RULE_KINDS
from workflow.rules.meeting_params import MeetingComplianceParams, band_minimum
from workflow.rules.meeting_record import Meeting
from workflow.rules.meetings import Breach, check_meetings
from workflow.spec.registry import Definition

YEAR = 2025


@pytest.fixture(scope="module")
def params(bon_tot: Definition) -> MeetingComplianceParams:
    return MeetingComplianceParams.model_validate(bon_tot.spec.rules["meetings"])


def meeting(
    on: date,
    kind: str = "regular",
    *,
    duration: int = 120,
    present: int = 20,
    excused: tuple[str, ...] = (),
    unexcused: tuple[str, ...] = (),
    speakers: int = 7,
) -> Meeting:
    return Meeting(
        unit_code="CB-KP3",
        held_on=on,
        kind=kind,  # type: ignore[arg-type]
        duration_min=duration,
        present=present,
        absent_excused=len(excused),
        absent_unexcused=len(unexcused),
        speakers=speakers,
        absent_excused_ids=excused,
        absent_unexcused_ids=unexcused,
    )


def full_year(**overrides: Any) -> list[Meeting]:
    """A regular meeting on the 5th of every month and a thematic one each quarter."""
    meetings = [meeting(date(YEAR, month, 5), **overrides) for month in range(1, 13)]
    meetings += [meeting(date(YEAR, month, 20), "thematic", **overrides) for month in (2, 5, 8, 11)]
    return meetings


def keys(breaches: list[Breach]) -> list[tuple[str, date | str | None]]:
    return [(b.key, b.held_on or b.period) for b in breaches]


def test_a_compliant_year_has_no_breach(params: MeetingComplianceParams) -> None:
    assert check_meetings(params, full_year(), 20, YEAR) == []


# -- attendance: "trên 85%" ----------------------------------------------------------------
def test_attendance_of_exactly_85_percent_is_a_breach(params: MeetingComplianceParams) -> None:
    on = date(YEAR, 3, 5)
    at_85 = meeting(on, present=17, excused=("DV-01", "DV-02", "DV-03"))  # 17 of 20
    breaches = check_meetings(params, [at_85], 20, YEAR, through=date(YEAR, 1, 1))
    assert keys(breaches) == [("attendance", on)]
    assert breaches[0].actual == "85 %"
    assert breaches[0].required == "> 85 %"


def test_attendance_just_above_85_percent_passes(params: MeetingComplianceParams) -> None:
    above = meeting(date(YEAR, 3, 5), present=6, excused=("DV-01",), speakers=3)  # 6/7 = 85.7 %
    assert check_meetings(params, [above], 7, YEAR, through=date(YEAR, 1, 1)) == []


# -- absences --------------------------------------------------------------------------------
def test_one_member_absent_without_reason_is_named(params: MeetingComplianceParams) -> None:
    on = date(YEAR, 4, 5)
    breaches = check_meetings(
        params, [meeting(on, present=19, unexcused=("DV-07",))], 20, YEAR, date(YEAR, 1, 1)
    )
    assert [(b.key, b.held_on, b.members) for b in breaches] == [
        ("absent_unexcused", on, ("DV-07",))
    ]


def _absent_at(meetings: list[Meeting], member: str, indexes: range) -> list[Meeting]:
    out = []
    for index, m in enumerate(sorted(meetings, key=lambda m: m.held_on)):
        if index in indexes:
            m = meeting(
                m.held_on, m.kind, present=m.present - 1, excused=(member,), speakers=m.speakers
            )
        out.append(m)
    return out


def test_three_absences_in_a_row_pass_four_do_not(params: MeetingComplianceParams) -> None:
    three = _absent_at(full_year(present=21), "DV-09", range(2, 5))
    assert check_meetings(params, three, 21, YEAR) == []
    four = _absent_at(full_year(present=21), "DV-09", range(2, 6))
    breaches = check_meetings(params, four, 21, YEAR)
    fourth = sorted(m.held_on for m in four)[5]
    assert [(b.key, b.held_on, b.members, b.actual) for b in breaches] == [
        ("absences_in_a_row", fourth, ("DV-09",), "4")
    ]


def test_a_run_broken_by_one_meeting_starts_again(params: MeetingComplianceParams) -> None:
    year = _absent_at(full_year(present=21), "DV-09", range(0, 3))
    year = _absent_at(year, "DV-09", range(4, 7))
    assert check_meetings(params, year, 21, YEAR) == []


def test_a_long_run_is_one_breach_with_its_length(params: MeetingComplianceParams) -> None:
    year = _absent_at(full_year(present=21), "DV-09", range(10, 16))  # to the year's end
    breaches = check_meetings(params, year, 21, YEAR)
    assert [(b.key, b.actual) for b in breaches] == [("absences_in_a_row", "6")]


# -- speakers by cell size --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("size", "required"),
    [(21, 7), (20, 5), (11, 5), (10, 3), (3, 3)],
)
def test_speakers_at_each_band_edge(
    params: MeetingComplianceParams, size: int, required: int
) -> None:
    on = date(YEAR, 6, 5)
    enough = meeting(on, present=size, speakers=required)
    short = meeting(on, present=size, speakers=required - 1)
    assert check_meetings(params, [enough], size, YEAR, date(YEAR, 1, 1)) == []
    breaches = check_meetings(params, [short], size, YEAR, date(YEAR, 1, 1))
    assert [(b.key, b.actual, b.required) for b in breaches] == [
        ("speakers", str(required - 1), f"≥ {required}")
    ]


def test_a_cell_below_every_speaker_band_has_no_minimum(
    params: MeetingComplianceParams,
) -> None:
    assert band_minimum(params.speakers.bands, 2) is None  # type: ignore[union-attr]
    quiet = meeting(date(YEAR, 6, 5), present=2, speakers=0)
    assert check_meetings(params, [quiet], 2, YEAR, date(YEAR, 1, 1)) == []


# -- durations ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "size", "minimum"),
    [
        ("regular", 10, 90),
        ("thematic", 25, 90),
        ("regular", 9, 60),
        ("thematic", 3, 60),
        ("combined", 30, 120),
        ("combined", 5, 120),
    ],
)
def test_duration_at_the_minimum(
    params: MeetingComplianceParams, kind: str, size: int, minimum: int
) -> None:
    on = date(YEAR, 7, 5)
    at_minimum = meeting(on, kind, duration=minimum, present=size, speakers=min(size, 7))
    below = meeting(on, kind, duration=minimum - 1, present=size, speakers=min(size, 7))
    assert check_meetings(params, [at_minimum], size, YEAR, date(YEAR, 1, 1)) == []
    breaches = check_meetings(params, [below], size, YEAR, date(YEAR, 1, 1))
    assert [(b.key, b.actual, b.required) for b in breaches] == [
        ("duration", str(minimum - 1), f"≥ {minimum}")
    ]


# -- months and quarters ------------------------------------------------------------------------
def test_a_quarter_without_a_thematic_meeting(params: MeetingComplianceParams) -> None:
    year = [m for m in full_year() if m.held_on != date(YEAR, 5, 20)]
    breaches = check_meetings(params, year, 20, YEAR)
    assert keys(breaches) == [("thematic_per_quarter", f"{YEAR}-Q2")]
    assert breaches[0].held_on is None
    assert breaches[0].describe("vi").startswith("quý 2/2025 — ")
    assert breaches[0].describe("en").startswith("Q2 2025 — ")


def test_a_month_with_only_a_thematic_meeting_misses_its_regular_one(
    params: MeetingComplianceParams,
) -> None:
    year = [m for m in full_year() if m.held_on != date(YEAR, 8, 5)]
    assert keys(check_meetings(params, year, 20, YEAR)) == [("regular_per_month", f"{YEAR}-08")]


def test_a_combined_session_counts_as_regular_and_thematic(
    params: MeetingComplianceParams,
) -> None:
    year = [m for m in full_year() if m.held_on not in (date(YEAR, 8, 5), date(YEAR, 8, 20))]
    year.append(meeting(date(YEAR, 8, 12), "combined", duration=120))
    assert check_meetings(params, year, 20, YEAR) == []


def test_months_after_through_are_not_judged_yet(params: MeetingComplianceParams) -> None:
    first_half = [m for m in full_year() if m.held_on.month <= 6]
    assert check_meetings(params, first_half, 20, YEAR, through=date(YEAR, 7, 15)) == []
    breaches = check_meetings(params, first_half, 20, YEAR)
    assert {b.period for b in breaches} == {
        *(f"{YEAR}-{month:02d}" for month in range(7, 13)),
        f"{YEAR}-Q3",
        f"{YEAR}-Q4",
    }


def test_meetings_of_another_year_are_ignored(params: MeetingComplianceParams) -> None:
    late = meeting(date(YEAR - 1, 12, 30), duration=10, speakers=0)
    assert check_meetings(params, [*full_year(), late], 20, YEAR) == []


def test_breaches_describe_the_meeting_in_both_languages(
    params: MeetingComplianceParams,
) -> None:
    short = meeting(date(YEAR, 9, 5), duration=75)
    (breach,) = check_meetings(params, [short], 20, YEAR, date(YEAR, 1, 1))
    assert breach.describe("vi") == (
        "05/09/2025 (thường kỳ) — Thời gian sinh hoạt (phút): 75 (yêu cầu ≥ 90)"
    )
    assert breach.describe("en") == (
        "05/09/2025 (regular) — Duration (minutes): 75 (required ≥ 90)"
    )


# -- as a rule kind ------------------------------------------------------------------------------
def test_the_rule_kind_gives_one_check_per_rule(bon_tot: Definition) -> None:
    kind = RULE_KINDS["meeting_compliance"]
    rule = kind.params.model_validate(bon_tot.spec.rules["meetings"])
    register = [m.as_dict() for m in full_year()]
    register[0]["duration_min"] = 30
    facts = {"meetings": register, "member_count": 20, "year": YEAR}
    checks = kind.evaluate(rule, GuardContext("grassroots_cell", facts))
    assert [c.key for c in checks if not c.passed] == ["meetings.duration"]
    assert len(checks) == 7
    duration = next(c for c in checks if c.key == "meetings.duration")
    assert (duration.actual, duration.required) == ("1", "0")


def test_the_rule_kind_fails_without_a_register(bon_tot: Definition) -> None:
    kind = RULE_KINDS["meeting_compliance"]
    rule = kind.params.model_validate(bon_tot.spec.rules["meetings"])
    checks = kind.evaluate(rule, GuardContext("grassroots_cell", {}))
    assert [(c.key, c.passed) for c in checks] == [("meetings.register", False)]


@pytest.mark.parametrize(
    "bands",
    [
        [{"over": 10, "at_least": 3, "min": 5}],
        [{"min": 5}],
        [{"over": 9, "min": 5}, {"at_least": 10, "min": 3}],
        [{"over": 9, "min": -1}],
    ],
)
def test_bad_size_bands_are_refused(
    params: MeetingComplianceParams, bands: list[dict[str, int]]
) -> None:
    data = params.model_dump()
    data["speakers"]["bands"] = bands
    with pytest.raises(ValueError):
        MeetingComplianceParams.model_validate(data)
