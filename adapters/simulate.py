"""`bontot simulate`: the year's schedule run on a virtual clock against a copy.

The copy is a scratch SQLite file holding the units, the definitions and the year's
cycles, opened again at their first opening instant; the events the real trail holds are
replayed at their own instants, with the worker's tick at every timer's due instant in
between. What a recipient would have received, and would receive if nobody acts from
now on, comes out day by day. Nothing is sent and the real database is only read.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapters import bootstrap
from adapters.bootstrap import App
from adapters.i18n.said import refusal_text
from adapters.persistence.store import SqlStore
from workflow.clock import VirtualClock
from workflow.reorganise import REORGANISE_EVENT
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
    with tempfile.TemporaryDirectory(prefix="bontot-simulate-") as scratch:
        url = f"sqlite:///{Path(scratch) / 'copy.db'}"
        with bootstrap.opened(url, clock, schema="create", catalog=app.catalog) as copy:
            return _run(
                copy, clock, units, histories, kept, definitions, openings, year, under,
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


def _run(
    app: App,
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
    steps.sort(key=lambda step: step[:4])
    end = until or datetime.max.replace(tzinfo=UTC)
    refused: list[str] = []
    for at, _seq, unit, definition_id, what in steps:
        if at > end:
            break
        notifications.run_until(clock, at)
        if isinstance(what, tuple):
            key, by = what
            copy.meet_milestone(unit, year, definition_id, key, by, at)
            continue
        result = cycles.fire(unit, what.event, year, what.actor, what.role, what.payload,
                             definition_id)
        if not result.applied and result.decision.refusal is not None:
            found = definitions.get((definition_id, result.version or 0))
            spec = found.spec if found is not None else None
            event = spec.event_label(what.event, lang) if spec is not None else what.event
            reason = refusal_text(result.decision.refusal, spec, lang)
            refused.append(f"{unit} «{event}»: {reason}")
    latest = copy.last_timer_due()
    if latest is not None:
        notifications.run_until(clock, min(end, latest))
    return Simulation(_read_outbox(copy), refused)


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
