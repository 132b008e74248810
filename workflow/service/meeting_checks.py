"""The meeting register judged: every breach of a definition's thresholds, by the
version each unit's cycle opened with, and criterion 2's evidence beside a verdict."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from workflow.clock import Clock
from workflow.errors import BontotError
from workflow.rules.meeting_params import MeetingComplianceParams
from workflow.rules.meeting_record import Meeting
from workflow.rules.meetings import Breach, check_meetings
from workflow.service.ports import UnitOfWork
from workflow.service.records import Cycle, UnitRef
from workflow.service.results import Verdict
from workflow.spec.registry import Definition, DefinitionSet
from workflow.timefmt import LOCAL_TZ

RULE_KIND = "meeting_compliance"


class CycleReads(Protocol):
    """The cycle service's reads this module uses."""

    def cycle(self, unit_code: str, year: int, definition_id: str | None = None) -> Cycle: ...

    def verdict(self, cycle: Cycle) -> Verdict: ...

    def definition(self, definition_id: str, version: int) -> Definition: ...


@dataclass(frozen=True)
class UnitMeetings:
    """One unit's meeting register judged by its version's thresholds."""

    unit: UnitRef
    definition: Definition
    member_count: int
    meetings: list[Meeting]
    breaches: list[Breach]


@dataclass(frozen=True)
class MeetingCheck:
    year: int
    through: date
    units: list[UnitMeetings]


@dataclass(frozen=True)
class UnitVerdict:
    """The rule's verdict on a unit's cycle, with its meeting register beside it (None:
    the definition sets no thresholds for the unit's kind)."""

    cycle: Cycle
    definition: Definition
    verdict: Verdict
    meetings: tuple[int, list[Breach]] | None


def meeting_params(definition: Definition) -> tuple[str, MeetingComplianceParams]:
    for name, params in definition.spec.rules.items():
        if params.get("kind", name) == RULE_KIND:
            return name, MeetingComplianceParams.model_validate(params)
    raise BontotError(
        f"definition {definition.spec.id} v{definition.spec.version} sets no meeting thresholds "
        f"(no rule of kind {RULE_KIND!r})"
    )


class MeetingChecks:
    def __init__(
        self,
        uow: UnitOfWork,
        cycles: CycleReads,
        catalog: DefinitionSet,
        clock: Clock,
    ) -> None:
        self.uow = uow
        self.cycles = cycles
        self.catalog = catalog
        self.clock = clock

    def today(self) -> date:
        return self.clock.now().astimezone(LOCAL_TZ).date()

    def check_meetings(
        self,
        year: int,
        unit: str | None,
        under: str | None,
        through: date | None,
        definition: str | None = None,
    ) -> MeetingCheck:
        """Every breach of the thresholds in the year, by the definition version each
        unit's cycle opened with (the latest when it has none). `definition`: the
        catalogue's default when None."""
        definition = self.catalog.default if definition is None else definition
        end = through or min(self.today(), date(year, 12, 31))
        if end.year != year:
            raise BontotError(f"--through {end:%d/%m/%Y} is not in {year}")
        latest = self.catalog.latest(definition)
        _, latest_params = meeting_params(latest)
        if unit is not None:
            node = self.uow.units.find(unit)
            if node.kind not in latest_params.applies_to:
                raise BontotError(
                    f"{unit} is a {node.kind}; the meeting thresholds apply to "
                    f"{', '.join(latest_params.applies_to)}"
                )
            units = [node]
            registers = {unit: self.uow.meetings.meetings(unit, year)}
        else:
            assert under is not None
            node = self.uow.units.find(under)
            units = [u for u in self.uow.units.under(node) if u.kind in latest_params.applies_to]
            registers = self.uow.meetings.meetings_under(node, year)
        versions = self.uow.meetings.cycle_definitions(node, year, definition)
        reports = []
        for each in units:
            version = versions.get(each.code)
            used = latest if version is None else self.cycles.definition(definition, version)
            _, params = meeting_params(used)
            meetings = registers.get(each.code, [])
            size = each.member_count or max((m.roll for m in meetings), default=0)
            breaches = check_meetings(params, meetings, size, year, through=end)
            reports.append(UnitMeetings(each, used, size, meetings, breaches))
        return MeetingCheck(year, end, reports)

    def verdict(self, unit: str, year: int, definition: str | None = None) -> UnitVerdict:
        """The recognition rule's verdict on the unit's evidence, and criterion 2's
        evidence beside it: the meeting register through the end of the year (or today)."""
        return self.verdict_of(self.cycles.cycle(unit, year, definition))

    def verdict_of(self, cycle: Cycle) -> UnitVerdict:
        """The same, of a cycle already read (the unit page's)."""
        found = self.cycles.verdict(cycle)
        used = self.cycles.definition(cycle.definition_id, cycle.definition_version)
        return UnitVerdict(cycle, used, found, self._meeting_breaches(cycle, used, cycle.year))

    def _meeting_breaches(
        self, cycle: Cycle, definition: Definition, year: int
    ) -> tuple[int, list[Breach]] | None:
        try:
            _, params = meeting_params(definition)
        except BontotError:
            return None
        if cycle.unit_kind not in params.applies_to:
            return None
        meetings = self.uow.meetings.meetings(cycle.unit_code, year)
        size = self.uow.units.find(cycle.unit_code).member_count or max(
            (m.roll for m in meetings), default=0
        )
        through = min(self.today(), date(year, 12, 31))
        return len(meetings), check_meetings(params, meetings, size, year, through=through)
