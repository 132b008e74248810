"""`bontot simulate`: the year's schedule run on a virtual clock against a copy.

The copy is a scratch SQLite file holding the tree as it stood when the year opened, the
registers the rules read (the year's ratings and meetings, and the superiors' targets, as
they stand now), the definitions and the year's cycles, opened again at their first
opening instant. The events the real trail holds and the reorganisations decided since
are replayed at their own instants, with the worker's tick at every timer's due instant
in between: what a recipient received comes out as the outbox sent it, and what they
would receive if nobody acts from now on, day by day. Nothing is sent and the real
database is only read.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from adapters import bootstrap
from adapters.bootstrap import App
from adapters.i18n.said import refusal_text
from adapters.persistence.store import SqlStore
from workflow.clock import VirtualClock
from workflow.reorganise import REORGANISATION_FACT, REORGANISE_EVENT, Decision, Step
from workflow.spec.model import DefinitionSpec
from workflow.spec.registry import Definition
from workflow.timefmt import LOCAL_TZ
from workflow.units import UnitImport


@dataclass(frozen=True)
class SimulatedItem:
    kind: str  # reminder | escalation | digest
    at: datetime
    deadline: str | None
    deadline_label: str | None
    unit: str | None
    recipient: str
    recipient_role: str
    step: int | None = None
    moved: str = ""
    late: bool = False
    items: int = 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "at": self.at.astimezone(LOCAL_TZ).isoformat(),
            "deadline": self.deadline,
            "deadline_label": self.deadline_label,
            "unit": self.unit,
            "recipient": self.recipient,
            "recipient_role": self.recipient_role,
            "step": self.step,
            "moved_by_holidays": self.moved,
            "late": self.late,
            "items": self.items,
        }


@dataclass
class Simulation:
    items: list[SimulatedItem]
    #: events of the real trail that the copy refused (each with its reason)
    refused: list[str]


def simulate(
    app: App,
    year: int,
    under: str | None,
    until: datetime | None,
    default_definition: Definition,
    start: datetime,
    lang: str = "vi",
) -> Simulation:
    source = app.store
    units = source.list_units(None)
    node = source.find_unit(under) if under else None
    scope = [u for u in units if node is None or u.path.startswith(node.path)]
    histories: list[tuple[str, str, Any]] = []
    definitions: dict[tuple[str, int], Definition] = {}
    for unit in scope:
        for cycle in source.find_cycles(unit.code, year):
            key = (cycle.definition_id, cycle.definition_version)
            if key not in definitions:
                definitions[key] = source.load_definition(*key)
            for entry in source.history(cycle.id):
                histories.append((unit.code, cycle.definition_id, entry))
    kept = source.kept_milestones(year, node)
    openings = _openings(histories)
    if not definitions:
        definitions = {default_definition.key: default_definition}
        openings = {default_definition.key: start}
    clock = VirtualClock(min(openings.values()))
    # the tree as it stood when the year opened; the decisions since are replayed
    units = source.tree.as_of(clock.now().astimezone(LOCAL_TZ).date())
    with tempfile.TemporaryDirectory(prefix="bontot-simulate-") as scratch:
        url = f"sqlite:///{Path(scratch) / 'copy.db'}"
        with bootstrap.opened(url, clock, schema="create", catalog=app.catalog) as copy:
            return _run(
                copy, source, clock, units, histories, kept, definitions, openings, year, under,
                until, lang,
            )  # fmt: skip


def _openings(histories: list[tuple[str, str, Any]]) -> dict[tuple[str, int], datetime]:
    """Each definition version opens at its earliest real opening. (Units of the scope
    that had no cycle of it are opened too: the copy shows what they would receive.)"""
    openings: dict[tuple[str, int], datetime] = {}
    for _unit, _cycle_def, entry in histories:
        if entry.event == "open":
            key = (entry.definition_id, entry.definition_version)
            openings[key] = min(openings.get(key, entry.at), entry.at)
    return openings


def _copy_registers(source: SqlStore, copy: SqlStore, year: int, at: datetime) -> None:
    """The year's registers, whole: a rule reads a committee's cells and the units above,
    not only the subtree simulated. (A correction made after a decision is replayed with
    the corrected value: the registers keep the latest, their history is in the trail.)"""
    ratings = source.ratings_under(None, year)
    if ratings:
        copy.import_ratings(year, ratings, at, "simulate", {"source": "simulate"})
    meetings = [m for found in source.meetings.meetings_under(None, year).values() for m in found]
    if meetings:
        units = copy.units.ids_and_paths(sorted({m.unit_code for m in meetings}))
        with copy:
            copy.meetings.import_meetings(
                meetings, units, source="simulate", sha256="", actor="simulate", role=None,
                at=at,
            )
            copy.commit()
    for (unit_code, definition_id), (share, assigned_on) in source.targets(year).items():
        copy.set_target(year, unit_code, definition_id, share, assigned_on, at, "simulate")


def _run(
    app: App,
    source: SqlStore,
    clock: VirtualClock,
    units: list[Any],
    histories: list[tuple[str, str, Any]],
    kept: list[tuple[str, str, str, datetime, str]],
    definitions: dict[tuple[str, int], Definition],
    openings: dict[tuple[str, int], datetime],
    year: int,
    under: str | None,
    until: datetime | None,
    lang: str,
) -> Simulation:
    copy = app.store
    copy.import_units(
        [
            UnitImport(
                u.code, u.name, u.kind, u.org_type, u.parent_code, u.member_count, u.contacts
            )
            for u in units
        ]
    )
    _copy_registers(source, copy, year, clock.now())
    cycles = app.cycles
    notifications = app.ticks(channels=("log",), lang=lang)
    for key, opened_at in sorted(openings.items(), key=lambda kv: kv[1]):
        clock.set(max(opened_at, clock.now()))
        cycles.open_cycles(definitions[key], year, under, actor="simulate", role="system")
    # the trail's events and the milestones kept, in the order they happened
    steps: list[tuple[datetime, int, str, str, Any]] = [
        (entry.at, entry.seq, unit, cycle_def, entry)
        for unit, cycle_def, entry in histories
        if entry.event not in ("open", REORGANISE_EVENT)  # a move is no event to replay
    ]
    steps += [(at, 0, unit, definition_id, (key, by)) for unit, definition_id, key, at, by in kept]
    steps += [
        (at, 0, "", "", _decision(detail))
        for at, detail in source.audit.facts(REORGANISATION_FACT)
        if at > clock.now()
    ]
    steps.sort(key=lambda step: step[:4])
    end = until or datetime.max.replace(tzinfo=UTC)
    refused: list[str] = []
    for at, _seq, unit, definition_id, what in steps:
        if at > end:
            break
        notifications.run_until(clock, at)
        if isinstance(what, _Reorganisation):
            app.reorganisations.reorganise(what.decision, what.steps, "simulate")
            continue
        if isinstance(what, tuple):
            key, by = what
            copy.meet_milestone(unit, year, definition_id, key, by, at)
            continue
        result = cycles.fire(unit, what.event, year, what.actor, what.role, what.payload,
                             definition_id)
        if not result.applied and result.decision.refusal is not None:
            spec = _spec_of(definitions, definition_id, result.version)
            event = spec.event_label(what.event, lang) if spec is not None else what.event
            reason = refusal_text(result.decision.refusal, spec, lang)
            refused.append(f"{unit} «{event}»: {reason}")
    notifications.run_out(clock, end)
    return Simulation(_read_outbox(copy), refused)


@dataclass(frozen=True)
class _Reorganisation:
    decision: Decision
    steps: list[Step]


def _decision(detail: dict[str, Any]) -> _Reorganisation:
    """A reorganisation as its audit fact holds it (workflow.reorganise.Plan.fact_detail)."""
    return _Reorganisation(
        Decision(detail["decision"], date.fromisoformat(detail["effective"])),
        [Step(action, code, target) for action, code, target in detail["steps"]],
    )


def _spec_of(
    definitions: dict[tuple[str, int], Definition], definition_id: str, version: int | None
) -> DefinitionSpec | None:
    """The version a refused event was decided on (its cycle's, or the newest when the
    refusal came before a cycle was found), for the reason's labels."""
    versions = [v for (d, v) in definitions if d == definition_id]
    if not versions:
        return None
    return definitions[(definition_id, version if version in versions else max(versions))].spec


def _read_outbox(store: SqlStore) -> list[SimulatedItem]:
    items: list[SimulatedItem] = []
    for at, message in store.outbox_messages():
        content = message.data
        address, role = message.address, message.recipient_role
        shown = [i for i in content["items"] if not i["collapsed"]]
        if len(shown) > 1:
            items.append(
                SimulatedItem("digest", at, None, None, None, address, role, items=len(shown))
            )
        for item in shown:
            items.append(
                SimulatedItem(
                    item["kind"],
                    at,
                    item["deadline"],
                    item["deadline_label"],
                    item["unit_code"],
                    address,
                    item.get("role", role),
                    item["step"],
                    item["moved"],
                    item["late"],
                )
            )
    return items
