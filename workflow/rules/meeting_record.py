"""A meeting as the register (the e-handbook's attendance) records it, and how it is read
back from its stored form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from workflow.rules.meeting_params import MEETING_KINDS, MeetingKind


@dataclass(frozen=True)
class Meeting:
    """One meeting of a unit, as the register (the e-handbook's attendance) records it."""

    unit_code: str
    held_on: date
    kind: MeetingKind
    duration_min: int
    present: int
    absent_excused: int
    absent_unexcused: int
    speakers: int
    absent_excused_ids: tuple[str, ...] = ()
    absent_unexcused_ids: tuple[str, ...] = ()

    @property
    def roll(self) -> int:
        """Members expected: present plus absent with and without reason."""
        return self.present + self.absent_excused + self.absent_unexcused

    @property
    def is_regular(self) -> bool:
        return self.kind in ("regular", "combined")

    @property
    def is_thematic(self) -> bool:
        return self.kind in ("thematic", "combined")

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit_code,
            "held_on": self.held_on.isoformat(),
            "kind": self.kind,
            "duration_min": self.duration_min,
            "present": self.present,
            "absent_excused": self.absent_excused,
            "absent_unexcused": self.absent_unexcused,
            "speakers": self.speakers,
            "absent_excused_ids": list(self.absent_excused_ids),
            "absent_unexcused_ids": list(self.absent_unexcused_ids),
        }


def meeting_from_dict(data: Mapping[str, Any]) -> Meeting:
    """A meeting from its JSON form (:meth:`Meeting.as_dict`); ValueError if malformed."""

    def count(name: str) -> int:
        value = data.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name}: {value!r} is not a whole number ≥ 0")
        return value

    def ids(name: str) -> tuple[str, ...]:
        value = data.get(name) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{name}: {value!r} is not a list of member ids")
        return tuple(value)

    kind = data.get("kind")
    if kind not in MEETING_KINDS:
        raise ValueError(f"kind: {kind!r} is not one of {', '.join(MEETING_KINDS)}")
    return Meeting(
        unit_code=str(data.get("unit", "")),
        held_on=date.fromisoformat(str(data.get("held_on"))),
        kind=kind,
        duration_min=count("duration_min"),
        present=count("present"),
        absent_excused=count("absent_excused"),
        absent_unexcused=count("absent_unexcused"),
        speakers=count("speakers"),
        absent_excused_ids=ids("absent_excused_ids"),
        absent_unexcused_ids=ids("absent_unexcused_ids"),
    )
