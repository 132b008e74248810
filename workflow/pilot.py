"""A programme's pilot, checked as its seed says it (pure): seed 004 has each district
choose, from early 2022, 1 to 3 cells of each organisation type to pilot the model
cell. For every committee directly above the cells' grassroots level (a district then,
a commune since 1/7/2025) and every type it has cells of: the cells that took part in
the pilot year, against the bounds."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from workflow.spec.model import PilotSpec


class Unit(Protocol):
    """A unit of the tree as the pilot check reads it (workflow.service.records.UnitRef)."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def parent_code(self) -> str | None: ...
    @property
    def org_type(self) -> str: ...


@dataclass(frozen=True)
class PilotRow:
    committee: str
    committee_name: str
    org_type: str
    #: cells of the type under the committee, and those that took part
    cells: int
    joined: int
    minimum: int
    maximum: int

    @property
    def ok(self) -> bool:
        return self.minimum <= self.joined <= self.maximum


def pilot_rows(spec: PilotSpec, units: Iterable[Unit], states: Mapping[str, str]) -> list[PilotRow]:
    """`units`: a subtree (ancestors first, as a path order gives); `states`: unit code ->
    state of its cycle of the pilot year. A cell is counted under its nearest committee
    ancestor; a committee with no cell of the programme's kinds has no row."""
    by_code = {u.code: u for u in units}
    tally: dict[tuple[str, str], list[int]] = {}
    for unit in by_code.values():
        if unit.kind not in spec.over:
            continue
        above = by_code.get(unit.parent_code or "")
        while above is not None and above.kind != "committee":
            above = by_code.get(above.parent_code or "")
        if above is None:
            continue  # its committee is outside the subtree asked for
        counts = tally.setdefault((above.code, unit.org_type), [0, 0])
        counts[0] += 1
        if states.get(unit.code) in spec.joined:
            counts[1] += 1
    return [
        PilotRow(code, by_code[code].name, org_type, cells, joined, spec.minimum, spec.maximum)
        for (code, org_type), (cells, joined) in sorted(
            tally.items(), key=lambda kv: (by_code[kv[0][0]].path, kv[0][1])
        )
    ]


@dataclass(frozen=True)
class PilotCheck:
    """A definition's pilot over a subtree: its words (label, types' labels) and rows."""

    spec: PilotSpec
    rows: list[PilotRow]
