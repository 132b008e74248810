"""The twins of the cycles and versions repositories (adapters/persistence/cycles.py and
versions.py): the same rows written, the same orderings read."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from workflow.audit_hashing import cycle_genesis, link
from workflow.service.records import (
    AuditEntry,
    ChildCount,
    Cycle,
    CycleChange,
    DeadlineStatus,
    OpenBatch,
    Opened,
    OverdueItem,
    ReportCycle,
    ReportEvent,
    StateCount,
    UnitRef,
)
from workflow.testing.tables import (
    IntegrityError,
    Row,
    Session,
    Tables,
    cycle_of,
    dumps,
    in_subtree,
    index_add,
    insert_timer,
    parent_code,
    parent_name,
    planned_rows,
    timer_rows,
    unit_ref,
)
from workflow.testing.tables import change as _change
from workflow.timefmt import from_db, to_db


def add_transition(tables: Tables, row: Row) -> None:
    mine = tables.transitions_of.get(row["cycle_id"], ())
    if any(t["seq"] == row["seq"] for t in mine):
        raise IntegrityError(
            f"UNIQUE constraint failed: transition ({row['cycle_id']}, {row['seq']})"
        )
    stored = {**row, "id": tables.next_id("transition")}
    tables.transitions.append(stored)
    tables.transitions_of[row["cycle_id"]] = tuple(
        sorted((*mine, stored), key=lambda t: int(t["seq"]))
    )


def _settle_timers(tables: Tables, change: CycleChange, cycle: Row, at: str) -> None:
    """As adapters.persistence.cycles: a closed cycle's and a met deadline's moot timers
    deleted (those not yet due), a reopened deadline's next one planned again (a key
    still kept is left as it is)."""
    moot = [
        timer_id
        for timer_id, t in tables.timers.items()
        if t["cycle_id"] == change.cycle_id
        and t["fired_at"] is None
        and t["due_at"] >= at
        and (change.closes or t["deadline"] in change.met)
    ]
    for timer_id in moot:
        del tables.timer_ids[tables.timers.pop(timer_id)["key"]]
    if change.closes or not change.replanned:
        return
    entry = change.entry
    planned = planned_rows(
        change.replanned, from_db(at), entry.definition_id, entry.definition_version
    )
    for suffix, values in planned:
        key = f"c{change.cycle_id}:{suffix}"
        if key not in tables.timer_ids:
            insert_timer(
                tables,
                {"key": key, "cycle_id": change.cycle_id, "milestone_id": None,
                 "unit_id": cycle["unit_id"], "year": cycle["year"], **values},
            )  # fmt: skip


def deadline_rows(tables: Tables, cycle_id: int) -> list[tuple[str, Row]]:
    """A cycle's deadlines, by key."""
    keys = tables.deadline_keys.get(cycle_id, ())
    return sorted((key, tables.deadlines[(cycle_id, key)]) for key in keys)


def _without_cycle(
    tables: Tables, under: UnitRef | None, kinds: Sequence[str], year: int, definition_id: str
) -> list[Row]:
    """Units of `kinds` in the subtree with no cycle of (year, definition), by id."""
    taken = {
        c["unit_id"]
        for c in tables.cycles.values()
        if c["year"] == year and c["definition_id"] == definition_id
    }
    return [
        u
        for _, u in sorted(tables.units.items())
        if u["kind"] in kinds and in_subtree(under, u["path"]) and u["id"] not in taken
    ]


class MemoryCycles:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.tables = session.tables

    def count_units_without_cycle(
        self, under: UnitRef | None, kinds: Sequence[str], year: int, definition_id: str
    ) -> int:
        return len(_without_cycle(self.tables, under, kinds, year, definition_id))

    def latest_year(self) -> int | None:
        return max((row["year"] for row in self.tables.cycles.values()), default=None)

    def open_batch(self, batch: OpenBatch) -> Opened:
        tables = self.session.writing()
        spec = batch.definition.spec
        units = [
            u
            for u in _without_cycle(tables, batch.under, spec.applies_to, batch.year, spec.id)
            if u["id"] > batch.after_unit_id
        ][: batch.limit]
        if not units:
            return Opened(0, None)
        at = to_db(batch.at)
        next_id = max(tables.cycles, default=0) + 1
        timers = timer_rows(batch.timers, batch.at, batch.definition) if batch.timers else []
        for cycle_id, unit in enumerate(units, start=next_id):
            head = link(
                cycle_genesis(cycle_id, unit["id"], batch.year, spec.id, spec.version),
                (
                    cycle_id, 1, "open", None, batch.state, batch.actor, batch.role, at,
                    "{}", "[]", spec.id, spec.version,
                ),
            )
            tables.cycles[cycle_id] = {
                "id": cycle_id, "unit_id": unit["id"], "unit_path": unit["path"],
                "unit_kind": unit["kind"], "year": batch.year, "definition_id": spec.id,
                "definition_version": spec.version,
                "content_hash": batch.definition.content_hash, "state": batch.state,
                "outcome": batch.outcome, "facts": "{}", "version": 1, "head_hash": head,
                "opened_at": at, "updated_at": at,
            }
            add_transition(
                tables,
                {
                    "cycle_id": cycle_id, "seq": 1, "event": "open", "from_state": None,
                    "to_state": batch.state, "actor": batch.actor, "role": batch.role,
                    "at": at, "payload": "{}", "checks": "[]", "definition_id": spec.id,
                    "definition_version": spec.version, "hash": head,
                },
            )
            index_add(tables.cycles_of_unit, unit["id"], cycle_id)
            for key, instant in batch.deadlines:
                tables.deadlines[(cycle_id, key)] = {
                    "due_at": to_db(instant), "met_at": None, "closed": 0,
                }
                index_add(tables.deadline_keys, cycle_id, key)
            for suffix, values in timers:
                insert_timer(
                    tables,
                    {
                        "key": f"c{cycle_id}:{suffix}", "cycle_id": cycle_id,
                        "milestone_id": None, "unit_id": unit["id"], "year": batch.year,
                        **values,
                    },
                )
        return Opened(len(units), units[-1]["id"])

    def find(self, unit_code: str, year: int) -> list[Cycle]:
        unit_id = self.tables.unit_ids.get(unit_code, 0)
        found = [
            c
            for c in (self.tables.cycles[i] for i in self.tables.cycles_of_unit.get(unit_id, ()))
            if c["year"] == year
        ]
        return [cycle_of(self.tables, c) for c in sorted(found, key=lambda c: c["definition_id"])]

    def apply(self, change: CycleChange) -> bool:
        tables = self.session.writing()
        entry = change.entry
        at = change.at_text or to_db(entry.at)
        cycle = tables.cycles.get(change.cycle_id)
        if cycle is None or cycle["version"] != change.expected_version:
            return False
        facts = cycle["facts"] if change.facts is None else dumps(change.facts)
        _change(
            tables.cycles, change.cycle_id, state=change.state, outcome=change.outcome,
            version=cycle["version"] + 1, updated_at=at, head_hash=change.hash, facts=facts,
        )
        add_transition(
            tables,
            {
                "cycle_id": change.cycle_id, "seq": entry.seq, "event": entry.event,
                "from_state": entry.from_state, "to_state": entry.to_state,
                "actor": entry.actor, "role": entry.role, "at": at,
                "payload": change.payload_text, "checks": change.checks_text,
                "definition_id": entry.definition_id,
                "definition_version": entry.definition_version, "hash": change.hash,
            },
        )
        for key in change.met:
            deadline = tables.deadlines.get((change.cycle_id, key))
            if deadline is not None and deadline["met_at"] is None:
                _change(tables.deadlines, (change.cycle_id, key), met_at=at)
        for key in change.reopened:
            if (change.cycle_id, key) in tables.deadlines:
                _change(tables.deadlines, (change.cycle_id, key), met_at=None)
        if change.closes:  # as the SQL store: its unmet deadlines are late no more
            for key, d in deadline_rows(tables, change.cycle_id):
                if d["met_at"] is None:
                    _change(tables.deadlines, (change.cycle_id, key), closed=1)
        _settle_timers(tables, change, cycle, at)
        return True

    def history(self, cycle_id: int) -> list[AuditEntry]:
        rows = self.tables.transitions_of.get(cycle_id, ())
        return [
            AuditEntry(
                t["seq"], t["event"], t["from_state"], t["to_state"], t["actor"], t["role"],
                from_db(t["at"]), json.loads(t["payload"]), json.loads(t["checks"]),
                t["definition_id"], t["definition_version"],
            )
            for t in rows
        ]

    def actors(self, cycle_id: int) -> list[tuple[str, str]]:
        return [(t["event"], t["actor"]) for t in self.tables.transitions_of.get(cycle_id, ())]

    def deadlines(self, cycle_id: int) -> list[DeadlineStatus]:
        rows = sorted(
            (d["due_at"], key, d["met_at"]) for key, d in deadline_rows(self.tables, cycle_id)
        )
        return [
            DeadlineStatus(key, from_db(due), from_db(met) if met else None)
            for due, key, met in rows
        ]

    def _of_year(self, under: UnitRef | None, year: int | None) -> list[Row]:
        """The cycles of a year (None: every year) in a subtree, by id."""
        return [
            c
            for _, c in sorted(self.tables.cycles.items())
            if (year is None or c["year"] == year) and in_subtree(under, c["unit_path"])
        ]

    def count_states(self, under: UnitRef | None, year: int) -> list[StateCount]:
        counts: dict[tuple[str, str, str, str | None], int] = {}
        for c in self._of_year(under, year):
            key = (c["definition_id"], c["unit_kind"], c["state"], c["outcome"])
            counts[key] = counts.get(key, 0) + 1
        return [
            StateCount(*key, counts[key])
            for key in sorted(counts, key=lambda k: (*k[:3], k[3] is not None, k[3] or ""))
        ]

    def _children(self, under: UnitRef | None) -> list[Row]:
        parent = None if under is None else under.id
        return [u for u in self.tables.units.values() if u["parent_id"] == parent]

    def _of_type(self, cycle: Row, org_type: str | None) -> bool:
        """As the SQL store's `board_sql.of_org_type`: every cycle when no type is asked."""
        return org_type is None or self.tables.units[cycle["unit_id"]]["org_type"] == org_type

    def count_by_child(
        self, under: UnitRef | None, year: int, org_type: str | None = None
    ) -> list[ChildCount]:
        counts: dict[tuple[str, str, str, str, str, str, str | None], int] = {}
        for child in self._children(under):
            node = unit_ref(self.tables, child)
            for c in self._of_year(node, year):
                if not self._of_type(c, org_type):
                    continue
                key = (
                    child["code"], child["name"], child["kind"], c["definition_id"],
                    c["unit_kind"], c["state"], c["outcome"],
                )  # fmt: skip
                counts[key] = counts.get(key, 0) + 1
        return [ChildCount(*key, count) for key, count in counts.items()]

    def overdue_by_child(
        self, under: UnitRef | None, year: int, at: datetime, org_type: str | None = None
    ) -> dict[str, int]:
        found: dict[str, int] = {}
        for child in self._children(under):
            node = unit_ref(self.tables, child)
            late = {
                c["id"] for c, _, _ in self._overdue_deadlines(node, year, at)
                if self._of_type(c, org_type)
            }
            if late:
                found[child["code"]] = len(late)
        return found

    def _overdue_deadlines(
        self, under: UnitRef | None, year: int, at: datetime
    ) -> list[tuple[Row, str, str]]:
        stamp = to_db(at)
        return [
            (cycle, key, d["due_at"])
            for cycle in self._of_year(under, year)
            for key, d in deadline_rows(self.tables, cycle["id"])
            if d["met_at"] is None and not d["closed"] and d["due_at"] < stamp
        ]

    def count_overdue(self, under: UnitRef | None, year: int, at: datetime) -> dict[str, int]:
        counts: dict[str, int] = {}
        for _, key, _ in self._overdue_deadlines(under, year, at):
            counts[key] = counts.get(key, 0) + 1
        return counts

    def list_overdue(self, under: UnitRef | None, year: int, at: datetime) -> list[OverdueItem]:
        tables, stamp = self.tables, to_db(at)
        found: list[tuple[str, str, OverdueItem]] = []
        for c, key, due_at in self._overdue_deadlines(under, year, at):
            unit = tables.units[c["unit_id"]]
            found.append((due_at, unit["code"], OverdueItem(
                unit["code"], unit["name"], parent_code(tables, unit), c["definition_id"],
                c["definition_version"], c["state"], key, from_db(due_at), False,
                parent_name(tables, unit),
            )))
        for _, m in sorted(tables.milestones.items()):
            if (
                m["year"] == year and in_subtree(under, m["unit_path"])
                and m["met_at"] is None and m["due_at"] < stamp
            ):
                unit = tables.units[m["unit_id"]]
                found.append((m["due_at"], unit["code"], OverdueItem(
                    unit["code"], unit["name"], parent_code(tables, unit), m["definition_id"],
                    m["definition_version"], None, m["key"], from_db(m["due_at"]), True,
                    parent_name(tables, unit),
                )))
        found.sort(key=lambda item: (item[0], item[1], item[2].deadline))
        return [item for _, _, item in found]

    def under(self, under: UnitRef | None, year: int, after_id: int, limit: int) -> list[Cycle]:
        page = [c for c in self._of_year(under, year) if c["id"] > after_id][:limit]
        return [cycle_of(self.tables, c) for c in page]

    def report_cycles(self, under: UnitRef | None, year: int) -> list[ReportCycle]:
        tables = self.tables
        rows = sorted(
            self._of_year(under, year), key=lambda c: (c["unit_path"], c["definition_id"])
        )
        found = []
        for c in rows:
            unit = tables.units[c["unit_id"]]
            found.append(ReportCycle(
                c["id"], unit["code"], unit["name"], unit["kind"], parent_code(tables, unit),
                c["unit_path"], c["definition_id"], c["definition_version"], c["state"],
                c["outcome"], unit["org_type"],
            ))
        return found

    def report_events(self, under: UnitRef | None, year: int) -> list[ReportEvent]:
        of = self.tables.transitions_of
        rows = [t for c in self._of_year(under, year) for t in of.get(c["id"], ())]
        return [
            ReportEvent(
                t["cycle_id"], t["event"], from_db(t["at"]), json.loads(t["checks"]),
                json.loads(t["payload"]),
            )
            for t in rows
        ]
