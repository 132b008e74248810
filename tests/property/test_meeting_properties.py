"""A compliant year for a cell of N members, with a random set of breaches planted in it:
`check_meetings` finds exactly the planted ones. The expectations come from the seed's
text (seed 002 §II.1.2), not from the code under test."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.catalog import load_catalog
from workflow.rules.meeting_params import MeetingComplianceParams
from workflow.rules.meeting_record import Meeting
from workflow.rules.meetings import check_meetings

YEAR = 2026
PARAMS = MeetingComplianceParams.model_validate(
    load_catalog().latest("bon-tot").spec.rules["meetings"]
)


def seed_speakers(size: int) -> int:
    """From 7 with more than 20 members, 5 with more than 10, 3 with 3 to 10."""
    return 7 if size > 20 else 5 if size > 10 else 3


def seed_minutes(kind: str, size: int) -> int:
    if kind == "combined":
        return 120
    return 90 if size >= 10 else 60


@dataclass
class Slot:
    """A planned meeting: whether it serves as the month's regular one and/or the
    quarter's thematic one (both: a combined session)."""

    held_on: date
    regular: bool
    thematic: bool
    excused: list[str] = field(default_factory=list)
    unexcused: list[str] = field(default_factory=list)
    speakers_short: bool = False
    duration_short: bool = False

    @property
    def kind(self) -> str:
        if self.regular and self.thematic:
            return "combined"
        return "regular" if self.regular else "thematic"


@st.composite
def planted_years(draw: st.DrawFn) -> tuple[int, list[Meeting], set[tuple[object, ...]]]:
    # At least 14 members: two absences (a run and an unexcused one) keep attendance above
    # 85 %, so a planted absence never breaches attendance by accident.
    size = draw(st.integers(min_value=14, max_value=60))
    members = [f"DV-{n:03d}" for n in range(size)]
    combined_quarters = draw(st.sets(st.integers(1, 4)))
    slots: list[Slot] = []
    for month in range(1, 13):
        quarter = (month - 1) // 3 + 1
        middle = month % 3 == 2
        if middle and quarter in combined_quarters:
            slots.append(Slot(date(YEAR, month, 5), True, True))
            continue
        slots.append(Slot(date(YEAR, month, 5), True, False))
        if middle:
            slots.append(Slot(date(YEAR, month, 19), False, True))
    expected: set[tuple[object, ...]] = set()

    for month in draw(st.sets(st.integers(1, 12), max_size=3)):
        slot = next(s for s in slots if s.held_on.month == month and s.regular)
        slot.regular = False
        expected.add(("regular_per_month", f"{YEAR}-{month:02d}", ()))
    for quarter in draw(st.sets(st.integers(1, 4), max_size=2)):
        slot = next(s for s in slots if s.held_on.month == 3 * quarter - 1 and s.thematic)
        slot.thematic = False
        expected.add(("thematic_per_quarter", f"{YEAR}-Q{quarter}", ()))
    slots = [s for s in slots if s.regular or s.thematic]
    count = len(slots)

    # A run of absences of DV-000 (with reason); more than 3 in a row is a breach.
    if draw(st.booleans()):
        length = draw(st.integers(1, min(6, count)))
        start = draw(st.integers(0, count - length))
        for slot in slots[start : start + length]:
            slot.excused.append(members[0])
        if length > 3:
            expected.add(("absences_in_a_row", slots[start + 3].held_on, (members[0],)))
    # Absent without reason: DV-001 and DV-002 in turn, so neither is away twice in a row.
    for index in draw(st.sets(st.integers(0, count - 1), max_size=4)):
        member = members[1 + index % 2]
        slots[index].unexcused.append(member)
        expected.add(("absent_unexcused", slots[index].held_on, (member,)))
    # Low attendance: at least 15 % away, from a pool that rotates so nobody in it is
    # away at two meetings in a row.
    pool = members[3:]
    away = math.ceil(size * 15 / 100)
    for index in draw(st.sets(st.integers(0, count - 1), max_size=4)):
        slots[index].excused += [pool[(index * away + j) % len(pool)] for j in range(away)]
        expected.add(("attendance", slots[index].held_on, ()))
    for index in draw(st.sets(st.integers(0, count - 1), max_size=3)):
        slots[index].speakers_short = True
        expected.add(("speakers", slots[index].held_on, ()))
    for index in draw(st.sets(st.integers(0, count - 1), max_size=3)):
        slots[index].duration_short = True
        expected.add(("duration", slots[index].held_on, ()))

    meetings = []
    for slot in slots:
        speakers = seed_speakers(size) - (1 if slot.speakers_short else 0)
        minutes = seed_minutes(slot.kind, size) - (1 if slot.duration_short else 0)
        meetings.append(
            Meeting(
                unit_code="CB-KP3",
                held_on=slot.held_on,
                kind=slot.kind,  # type: ignore[arg-type]
                duration_min=minutes,
                present=size - len(slot.excused) - len(slot.unexcused),
                absent_excused=len(slot.excused),
                absent_unexcused=len(slot.unexcused),
                speakers=speakers,
                absent_excused_ids=tuple(slot.excused),
                absent_unexcused_ids=tuple(slot.unexcused),
            )
        )
    shuffled = draw(st.permutations(meetings))
    return size, list(shuffled), expected


@settings(max_examples=200, deadline=None)
@given(planted_years())
def test_check_meetings_finds_exactly_the_planted_breaches(
    planted: tuple[int, list[Meeting], set[tuple[object, ...]]],
) -> None:
    size, meetings, expected = planted
    found = check_meetings(PARAMS, meetings, size, YEAR)
    as_set = {(b.key, b.held_on or b.period, b.members) for b in found}
    assert len(as_set) == len(found), "a breach is reported twice"
    assert as_set == expected


@settings(max_examples=100, deadline=None)
@given(planted_years())
def test_breaches_come_in_date_order(
    planted: tuple[int, list[Meeting], set[tuple[object, ...]]],
) -> None:
    size, meetings, _ = planted
    found = check_meetings(PARAMS, meetings, size, YEAR)
    meeting_dates = [b.held_on for b in found if b.held_on is not None]
    assert meeting_dates == sorted(meeting_dates)
