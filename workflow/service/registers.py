"""The registers' use cases: imports of units, ratings and meetings, superiors' targets,
milestones kept, and the meeting check against the thresholds of each unit's version.

Each call authenticates its actor (`Actors`), checks its rows with the core, asks
`workflow.access` whether the actor may, and writes; a refusal is in the trail before it
is raised. The file itself is read by the entry point and handed in as a `Table` reader,
called once the actor is known, so that a stranger learns nothing about a file's faults.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from workflow.access import (
    ADMINISTRATOR,
    meeting_import_refusal,
    milestone_refusal,
    outside_scope,
    target_refusal,
)
from workflow.clock import Clock
from workflow.errors import BontotError
from workflow.evidence.ratings import RatingRecord, check_rating_rows
from workflow.meeting_rows import check_meeting_rows
from workflow.service.actors import Actors, Refused, TokenSource, no_token
from workflow.service.meeting_checks import MeetingCounts, MeetingStore
from workflow.service.ports import UnitRef
from workflow.spec.registry import DefinitionSet
from workflow.timefmt import LOCAL_TZ
from workflow.units import UnitRow, check_unit_rows

DEFAULT_DEFINITION = "bon-tot"

#: a file's header and rows, read when called
Table = Callable[[], tuple[list[str], list[dict[str, str]]]]


class RegisterStore(Protocol):
    """What this module reads and writes (today's SqlStore method names)."""

    def unit_parents(self) -> dict[str, tuple[str, str | None]]: ...

    def import_units(self, rows: Sequence[UnitRow]) -> tuple[int, int]: ...

    def find_unit(self, code: str) -> UnitRef: ...

    def list_units(self, under: str | None) -> list[UnitRef]: ...

    def import_ratings(
        self,
        year: int,
        records: Sequence[RatingRecord],
        at: datetime,
        actor: str,
        detail: dict[str, Any],
    ) -> tuple[int, int]: ...

    def committees(self, under: UnitRef | None) -> list[tuple[str, str, str]]: ...

    def set_target(
        self,
        year: int,
        unit_code: str,
        definition_id: str,
        share: float,
        assigned_on: date,
        at: datetime,
        actor: str,
    ) -> None: ...

    def meet_milestone(
        self, unit_code: str, year: int, definition_id: str, key: str, actor: str, at: datetime
    ) -> bool: ...


def row_numbers(rows: Iterable[Mapping[str, str | None]]) -> list[int]:
    """The file's row number of each meeting (blank lines are skipped by the check)."""
    return [
        number
        for number, raw in enumerate(rows, start=2)
        if any((value or "").strip() for value in raw.values() if isinstance(value, str))
    ]


class Registers:
    def __init__(
        self,
        store: RegisterStore,
        meetings: MeetingStore,
        actors: Actors,
        catalog: DefinitionSet,
        clock: Clock,
    ) -> None:
        self.store = store
        self.meeting_store = meetings
        self.actors = actors
        self.catalog = catalog
        self.clock = clock

    def today(self) -> date:
        return self.clock.now().astimezone(LOCAL_TZ).date()

    def units(self, under: str | None = None) -> list[UnitRef]:
        """The unit tree, or the subtree under a node, in path order."""
        return self.store.list_units(under)

    # -- imports -----------------------------------------------------------------------
    def import_units(
        self, source: str, table: Table, actor: str, token: TokenSource = no_token
    ) -> tuple[int, int]:
        """(added, updated). Every row is checked first; one bad row imports nothing."""
        self.actors.authenticate(actor, "units import", token, administrator=True)
        header, rows = table()
        checked = check_unit_rows(source, header, rows, self.store.unit_parents())
        return self.store.import_units(checked)

    def import_ratings(
        self,
        source: str,
        table: Table,
        year: int,
        detail: dict[str, Any],
        actor: str,
        token: TokenSource = no_token,
    ) -> tuple[int, int]:
        """(added, corrected). `detail`: the file's name and digest, for the trail."""
        self.actors.authenticate(actor, "ratings import", token, administrator=True)
        header, rows = table()
        units = {code: kind for code, (kind, _) in self.store.unit_parents().items()}
        records = check_rating_rows(source, header, rows, units, year)
        return self.store.import_ratings(year, records, self.clock.now(), actor, detail)

    def import_meetings(
        self,
        source: str,
        name: str,
        sha256: str,
        table: Table,
        actor: str,
        token: TokenSource = no_token,
        backdated: str | None = None,
    ) -> MeetingCounts:
        """Meetings keyed by (unit, date, kind): the same file again changes nothing."""
        grant = self.actors.authenticate(actor, "meetings import", token, backdated)
        header, rows = table()
        meetings = check_meeting_rows(source, header, rows, self.store.unit_parents())
        if not meetings:
            raise BontotError(f"{source}: no meetings in it; nothing imported")
        if grant is not None:
            spec = self.catalog.latest(DEFAULT_DEFINITION).spec
            lines = row_numbers(rows)
            codes = zip((m.unit_code for m in meetings), lines, strict=True)
            why = meeting_import_refusal(grant, spec, codes)
            if why is not None:
                raise self.actors.refuse(grant, "meetings import", why, f"{actor}: refused ({why})")
        return self.meeting_store.import_meetings(
            meetings,
            source=name,
            sha256=sha256,
            actor=actor,
            role=grant.role if grant else None,
            at=self.clock.now(),
        )

    # -- targets and milestones --------------------------------------------------------
    def set_target(
        self,
        unit: str,
        year: int,
        share: float,
        assigned_on: date | None,
        definition: str,
        actor: str,
        token: TokenSource = no_token,
        backdated: str | None = None,
    ) -> date:
        """Assign a superior its target for the year; the decision's date."""
        grant = self.actors.authenticate(actor, "targets set", token, backdated)
        if grant is not None and grant.role != ADMINISTRATOR:
            why = target_refusal(grant, self.catalog.latest(definition).spec)
            if why is not None:
                raise Refused(why)
        node = self.store.find_unit(unit)
        if grant is not None and (why := outside_scope(grant, unit, node.path)) is not None:
            raise Refused(why)
        if node.code not in {code for code, _, _ in self.store.committees(node)}:
            raise BontotError(f"{unit} has no units under it: a target is a superior's")
        on = assigned_on or self.today()
        self.store.set_target(year, unit, definition, share, on, self.clock.now(), actor)
        return on

    def keep_milestone(
        self,
        unit: str,
        key: str,
        year: int,
        definition: str,
        actor: str,
        token: TokenSource = no_token,
        backdated: str | None = None,
    ) -> datetime:
        """Record that a committee kept a milestone (its reminders stop); when."""
        grant = self.actors.authenticate(actor, f"milestone done {key}", token, backdated)
        target = self.store.find_unit(unit)
        if grant is not None and (why := milestone_refusal(grant, unit, target.path)):
            raise self.actors.refuse(
                grant, "milestone done", why, why, log=None, unit_code=unit,
                unit_path=target.path, year=year, event=key,
                detail={"purpose": "milestone done", "scope": grant.scope_code},
            )  # fmt: skip
        at = self.clock.now()
        if not self.store.meet_milestone(unit, year, definition, key, actor, at):
            raise Refused(
                f"{unit} has no open milestone {key!r} of {definition} for {year}",
                "milestone.refused", unit=unit, key=key, year=year, actor=actor,
            )  # fmt: skip
        return at
