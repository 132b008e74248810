"""Tallies of the ratings register for the recognition rule: members by level with the
exempt, the suspended and the newly admitted left out, a committee's cells by their own
rows, a unit's own level (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from workflow.evidence.ratings import LEVELS, STAGES, Level, RatingRecord, Stage


@dataclass(frozen=True)
class Tally:
    """Ratings of one unit's members (or a committee's cells) at one stage."""

    stage: Stage
    rated: int = 0
    excellent: int = 0
    good_or_better: int = 0
    completed_or_better: int = 0
    #: members left out of the denominators, by reason (exempt, suspended, new)
    excluded: Mapping[str, int] = field(default_factory=dict)
    #: who has no rating at this stage: member ids, or cell codes for a committee
    missing: tuple[str, ...] = ()

    def as_facts(self) -> dict[str, Any]:
        return {
            "source": "register",
            "stage": self.stage,
            "rated": self.rated,
            "excellent": self.excellent,
            "good_or_better": self.good_or_better,
            "completed_or_better": self.completed_or_better,
            "excluded": dict(self.excluded),
            "missing": list(self.missing),
        }


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31/08 + 6 -> 28/02)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    for last in (31, 30, 29, 28):
        try:
            return date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def exclusion(
    person: RatingRecord,
    new_member_months: int,
    rating: RatingRecord | None = None,
    season: date | None = None,
) -> str | None:
    """Why a member leaves the denominators, or None if they count. Newness is judged on
    the date of the rating in question, else the person's own row's, else the date the
    unit's other members were rated (`season`)."""
    if person.status != "active":
        return person.status
    rated_on = rating.rated_on if rating is not None and rating.rated_on else person.rated_on
    rated_on = rated_on or season
    if (
        person.admitted_on is not None
        and rated_on is not None
        and add_months(person.admitted_on, new_member_months) > rated_on
    ):
        return "new"
    return None


def pick(records: Iterable[RatingRecord], stage: Stage) -> dict[str, RatingRecord]:
    """Per subject, its record at `stage`; with "provisional", a final one wins if present
    (the latest known rating)."""
    chosen: dict[str, RatingRecord] = {}
    for record in records:
        if record.stage == stage or (stage == "provisional" and record.stage == "final"):
            held = chosen.get(record.member)
            if held is None or (held.stage == "provisional" and record.stage == "final"):
                chosen[record.member] = record
    return chosen


def tally_members(
    records: Iterable[RatingRecord], stage: Stage, new_member_months: int
) -> Tally:
    """Tally a cell's members. Every member the register lists for the cell (at any
    stage) is a subject, so one without a rating at `stage` shows as missing, not absent.
    Status and admission date are the member's, whichever stage's row carries them."""
    records = [r for r in records if r.member]
    chosen = pick(records, stage)
    # A member not yet rated (too new) has no rating date: judge them on the cell's.
    season = max((r.rated_on for r in chosen.values() if r.rated_on), default=None)
    person = {r.member: r for r in sorted(records, key=lambda r: STAGES.index(r.stage))}
    excluded: dict[str, int] = {}
    counts = [0, 0, 0, 0]
    missing = []
    for member in sorted(person):
        reason = exclusion(person[member], new_member_months, chosen.get(member), season)
        record = chosen.get(member)
        if reason is not None:
            excluded[reason] = excluded.get(reason, 0) + 1
        elif record is None or record.level is None:
            missing.append(member)
        else:
            counts[LEVELS.index(record.level)] += 1
    return _tally(stage, counts, excluded, missing)


def tally_cells(
    cells: Iterable[str], records: Iterable[RatingRecord], stage: Stage
) -> Tally:
    """Tally a grassroots committee's cells from each cell's own rating (member "")."""
    chosen: dict[str, RatingRecord] = {}
    for record in records:
        if record.member == "" and (
            record.stage == stage or (stage == "provisional" and record.stage == "final")
        ):
            held = chosen.get(record.unit_code)
            if held is None or held.stage == "provisional":
                chosen[record.unit_code] = record
    counts = [0, 0, 0, 0]
    missing = []
    for cell in sorted(set(cells)):
        rating = chosen.get(cell)
        if rating is None or rating.level is None:
            missing.append(cell)
        else:
            counts[LEVELS.index(rating.level)] += 1
    return _tally(stage, counts, {}, missing)


def _tally(
    stage: Stage, counts: list[int], excluded: dict[str, int], missing: list[str]
) -> Tally:
    excellent, good, completed, not_completed = counts
    return Tally(
        stage=stage,
        rated=excellent + good + completed + not_completed,
        excellent=excellent,
        good_or_better=excellent + good,
        completed_or_better=excellent + good + completed,
        excluded=excluded,
        missing=tuple(missing),
    )


def own_level(records: Iterable[RatingRecord], stage: Stage) -> Level | None:
    """The unit's own rating at `stage` (the latest known with "provisional")."""
    record = pick((r for r in records if r.member == ""), stage).get("")
    return None if record is None else record.level
