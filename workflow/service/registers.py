"""The registers' use cases: imports of units, ratings and meetings, superiors' targets,
milestones kept, and the meeting check against the thresholds of each unit's version.

Each call authenticates its actor (`Actors`), checks its rows with the core, asks
`workflow.access` whether the actor may, and writes; a refusal is in the trail before it
is raised. The file itself is read by the entry point and handed in as a `Table` reader,
called once the actor is known, so that a stranger learns nothing about a file's faults.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from workflow.access import (
    ADMINISTRATOR,
    meeting_import_refusal,
    milestone_refusal,
    outside_scope,
    target_refusal,
)
from workflow.clock import Clock
from workflow.errors import BontotError, NotFound, Reason
from workflow.evidence.ratings import check_rating_rows
from workflow.import_columns import (
    MEETING_COLUMNS,
    RATING_COLUMNS,
    ColumnNote,
    Columns,
    fold,
    map_header,
)
from workflow.meeting_rows import check_meeting_rows
from workflow.service.actors import Actors, Credential, Refused, no_token
from workflow.service.ports import UnitOfWork
from workflow.service.records import Imported, MeetingImport, UnitRef
from workflow.spec.model import MilestoneSpec
from workflow.spec.registry import DefinitionSet
from workflow.timefmt import LOCAL_TZ
from workflow.units import check_units

#: a file's header and rows, read when called
Table = Callable[[], tuple[list[str], list[dict[str, str]]]]


def record_units(uow: UnitOfWork, codes: Iterable[str], at: datetime, actor: str) -> None:
    """Keep the imported units as they now stand (kind, parent, path) in the audit-event
    chain, in the import's unit of work: what `audit verify` holds the unit table to."""
    wanted = set(codes)
    units = {
        u.code: [u.kind, u.parent_code, u.path] for u in uow.units.under(None) if u.code in wanted
    }
    uow.audit.append("units_imported", at, actor, detail={"units": units})


def row_numbers(rows: Iterable[Mapping[str, str | None]]) -> list[int]:
    """The file's row number of each meeting (blank lines are skipped by the check)."""
    return [
        number
        for number, raw in enumerate(rows, start=2)
        if any((value or "").strip() for value in raw.values() if isinstance(value, str))
    ]


def contact_roles(catalog: DefinitionSet) -> dict[str, str]:
    """How a contact column may name a role (folded): its name, or its Vietnamese or
    English label, in any definition known."""
    spelled: dict[str, str] = {}
    for definition in catalog:
        for role, spec in definition.spec.roles.items():
            for text in (spec.label.vi, spec.label.en, role):
                spelled.setdefault(fold(text), role)
    return spelled


def kind_spellings(catalog: DefinitionSet) -> dict[str, str]:
    """How a units file may name a kind of unit (folded): its code, or its Vietnamese or
    English label, in any definition known."""
    spelled: dict[str, str] = {}
    for definition in catalog:
        for kind, label in definition.spec.documents.unit_kinds.items():
            for text in (kind, label.vi, label.en):
                spelled.setdefault(fold(text), kind)
    return spelled


def org_type_spellings(catalog: DefinitionSet) -> dict[str, str]:
    """How a units file may name an organisation type (folded): its code, or its
    Vietnamese or English label, in any definition known."""
    spelled: dict[str, str] = {}
    for definition in catalog:
        for org_type, label in definition.spec.documents.org_types.items():
            for text in (org_type, label.vi, label.en):
                spelled.setdefault(fold(text), org_type)
    return spelled


def unread_notes(header: list[str], columns: Columns) -> tuple[ColumnNote, ...]:
    return tuple(ColumnNote(c, "unread") for c in map_header(header, columns, ()).unread)


class Registers:
    def __init__(
        self,
        uow: UnitOfWork,
        actors: Actors,
        catalog: DefinitionSet,
        clock: Clock,
    ) -> None:
        self.uow = uow
        self.actors = actors
        self.catalog = catalog
        self.clock = clock

    def today(self) -> date:
        return self.clock.now().astimezone(LOCAL_TZ).date()

    def units(self, under: str | None = None) -> list[UnitRef]:
        """The unit tree, or the subtree under a node, in path order."""
        return self.uow.units.under(self.uow.units.find(under) if under else None)

    # -- imports -----------------------------------------------------------------------
    def import_units(
        self, source: str, table: Table, actor: str, token: Credential = no_token
    ) -> Imported:
        """Added and updated, and the columns nobody read (a contact of a role no
        definition has). Every row is checked first; one bad row imports nothing."""
        self.actors.authenticate(actor, "units import", token, administrator=True)
        header, rows = table()
        checked = check_units(
            source, header, rows, self.uow.units.parents(), contact_roles(self.catalog),
            kind_spellings(self.catalog), org_type_spellings(self.catalog),
        )
        with self.uow:
            added, updated = self.uow.units.import_rows(checked.units)
            record_units(self.uow, [row.code for row in checked.units], self.clock.now(), actor)
            self.uow.commit()
        return Imported(added, updated, tuple(checked.notes))

    def import_ratings(
        self,
        source: str,
        table: Table,
        year: int,
        detail: dict[str, Any],
        actor: str,
        token: Credential = no_token,
    ) -> Imported:
        """Added and corrected, and the columns nobody read. `detail`: the file's name and
        digest, for the trail."""
        self.actors.authenticate(actor, "ratings import", token, administrator=True)
        header, rows = table()
        kinds = {code: kind for code, (kind, _) in self.uow.units.parents().items()}
        # the year's scale (levels, or QĐ 366's 100 points) is the base definition's
        scale = self.catalog.latest().spec.rating_scale(year)
        records = check_rating_rows(source, header, rows, kinds, year, scale)
        units = self.uow.units.ids_and_paths(sorted({row.unit_code for row in records}))
        with self.uow:
            added, updated = self.uow.registers.import_ratings(
                year, records, units, self.clock.now(), actor, detail
            )
            self.uow.commit()
        return Imported(added, updated, unread_notes(header, RATING_COLUMNS))

    def import_meetings(
        self,
        source: str,
        name: str,
        sha256: str,
        table: Table,
        actor: str,
        token: Credential = no_token,
        backdated: str | None = None,
    ) -> MeetingImport:
        """Meetings keyed by (unit, date, kind): the same file again changes nothing."""
        grant = self.actors.authenticate(actor, "meetings import", token, backdated)
        header, rows = table()
        meetings = check_meeting_rows(source, header, rows, self.uow.units.parents())
        if not meetings:
            raise BontotError(f"{source}: no meetings in it; nothing imported")
        if grant is not None:
            spec = self.catalog.latest().spec
            lines = row_numbers(rows)
            codes = zip((m.unit_code for m in meetings), lines, strict=True)
            why = meeting_import_refusal(grant, spec, codes)
            if why is not None:
                raise self.actors.refuse(grant, "meetings import", why, f"{actor}: refused ({why})")
        named = sorted({m.unit_code for m in meetings})
        units = self.uow.units.ids_and_paths(named)
        missing = [code for code in named if code not in units]
        if missing:
            raise NotFound(
                f"no unit with code {missing[0]!r}",
                msgid="error.unknown_unit",
                params={"unit": missing[0]},
            )
        with self.uow:
            result = self.uow.meetings.import_meetings(
                meetings, units, source=name, sha256=sha256, actor=actor,
                role=grant.role if grant else None, at=self.clock.now(),
            )  # fmt: skip
            self.uow.commit()
        return replace(result, notes=unread_notes(header, MEETING_COLUMNS))

    # -- targets and milestones --------------------------------------------------------
    def set_target(
        self,
        unit: str,
        year: int,
        share: float,
        assigned_on: date | None,
        definition: str,
        actor: str,
        token: Credential = no_token,
        backdated: str | None = None,
    ) -> date:
        """Assign a superior its target for the year; the decision's date."""
        grant = self.actors.authenticate(actor, "targets set", token, backdated)
        if grant is not None and grant.role != ADMINISTRATOR:
            why = target_refusal(grant, self.catalog.latest(definition).spec)
            if why is not None:
                raise Refused(why)
        node = self.uow.units.find(unit)
        if grant is not None and (why := outside_scope(grant, unit, node.path)) is not None:
            raise Refused(why)
        if node.code not in {code for code, _, _ in self.uow.units.committees(node)}:
            raise BontotError(Reason(f"{unit} has no units under it: a target is a superior's",
                                     "reason.target_not_superior", unit=unit))  # fmt: skip
        on = assigned_on or self.today()
        with self.uow:
            self.uow.registers.set_target(
                year, node, definition, share, on, self.clock.now(), actor
            )
            self.uow.commit()
        return on

    def _milestone(self, definition: str, key: str) -> MilestoneSpec | None:
        try:
            return self.catalog.latest(definition).spec.milestones.get(key)
        except NotFound:
            return None

    def keep_milestone(
        self,
        unit: str,
        key: str,
        year: int,
        definition: str,
        actor: str,
        token: Credential = no_token,
        backdated: str | None = None,
    ) -> datetime:
        """Record that a committee kept a milestone (its reminders stop); when."""
        grant = self.actors.authenticate(actor, f"milestone done {key}", token, backdated)
        target = self.uow.units.find(unit)
        milestone = self._milestone(definition, key)
        owner = milestone.owner if milestone is not None else None
        if grant is not None and (why := milestone_refusal(grant, unit, target.path, owner)):
            raise self.actors.refuse(
                grant, "milestone done", why, why, log=None, unit_code=unit,
                unit_path=target.path, year=year, event=key,
                detail={"purpose": "milestone done", "scope": grant.scope_code},
            )  # fmt: skip
        at = self.clock.now()
        with self.uow:
            kept = self.uow.timers.meet_milestone(unit, year, definition, key, actor, at)
            self.uow.commit()
        if not kept:
            named = milestone.label if milestone is not None else key  # the adapters say it
            raise Refused(
                f"{unit} has no open milestone {key!r} of {definition} for {year}",
                "milestone.refused", unit=unit, key=key, year=year, actor=actor,
                msgid="reason.no_open_milestone",
                params={"unit": unit, "milestone": named, "year": year},
            )  # fmt: skip
        return at
