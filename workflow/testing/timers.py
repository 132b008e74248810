"""The twin of the timers repository (adapters/persistence/timers.py): milestones, due
timers and their claims."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from workflow.deadlines import PlannedTimer
from workflow.notices import DueTimer
from workflow.service.records import MilestonePlan, UnitRef
from workflow.spec.registry import Definition
from workflow.testing.audit import MemoryAudit
from workflow.testing.tables import (
    Row,
    Session,
    change,
    in_subtree,
    insert_timer,
    timer_row,
    timer_rows,
    upsert_timer,
)
from workflow.timefmt import from_db, to_db


def pending_timer(t: Row) -> bool:
    """Neither fired nor cancelled."""
    return t["fired_at"] is None and t["cancelled_at"] is None


class MemoryTimers:
    def __init__(self, session: Session, audit: MemoryAudit) -> None:
        self.session = session
        self.tables = session.tables
        self.audit = audit

    def open_milestones(
        self,
        definition: Definition,
        year: int,
        under: UnitRef | None,
        plans: Sequence[MilestonePlan],
        at: datetime,
    ) -> int:
        tables = self.session.writing()
        spec = definition.spec
        committees = [
            u for _, u in sorted(tables.units.items())
            if u["kind"] == "committee" and in_subtree(under, u["path"])
        ]
        existing = {
            (m["unit_id"], m["key"])
            for m in tables.milestones.values()
            if m["year"] == year and m["definition_id"] == spec.id
        }
        opened = 0
        for unit in committees:
            depth = unit["path"].count("/") - 2
            for plan in plans:
                if plan.depth is not None and depth not in plan.depth:
                    continue
                if (unit["id"], plan.due.key) in existing:
                    continue
                milestone_id = tables.next_id("milestone")
                tables.milestones[milestone_id] = {
                    "id": milestone_id, "unit_id": unit["id"], "unit_path": unit["path"],
                    "year": year, "definition_id": spec.id, "definition_version": spec.version,
                    "key": plan.due.key, "due_at": to_db(plan.due.due_at), "met_at": None,
                    "met_by": None,
                }
                for suffix, values in timer_rows(plan.timers, at, definition):
                    insert_timer(tables, {
                        "key": f"m{milestone_id}:{suffix}", "cycle_id": None,
                        "milestone_id": milestone_id, "unit_id": unit["id"], "year": year,
                        **values,
                    })
                opened += 1
        return opened

    def kept_milestones(
        self, year: int, under: UnitRef | None
    ) -> list[tuple[str, str, str, datetime, str]]:
        kept = sorted(
            (
                m for m in self.tables.milestones.values()
                if m["year"] == year and m["met_at"] is not None
                and in_subtree(under, m["unit_path"])
            ),
            key=lambda m: m["met_at"],
        )
        return [
            (self.tables.units[m["unit_id"]]["code"], m["definition_id"], m["key"],
             from_db(m["met_at"]), m["met_by"] or "")
            for m in kept
        ]

    def meet_milestone(
        self, unit_code: str, year: int, definition_id: str, key: str, actor: str, at: datetime
    ) -> bool:
        tables = self.session.writing()
        stamp = to_db(at)
        unit_id = tables.unit_ids.get(unit_code)
        found = [
            m for m in tables.milestones.values()
            if m["unit_id"] == unit_id and m["year"] == year
            and m["definition_id"] == definition_id and m["key"] == key and m["met_at"] is None
        ]
        if not found:
            return False
        milestone = found[0]
        change(tables.milestones, milestone["id"], met_at=stamp, met_by=actor)
        self.audit.append(
            "milestone_met", stamp, actor, unit_code=unit_code,
            unit_path=milestone["unit_path"], year=year, event=key,
            detail={"definition": definition_id},
        )
        for timer_id, t in list(tables.timers.items()):
            if t["milestone_id"] == milestone["id"] and pending_timer(t):
                change(tables.timers, timer_id, cancelled_at=stamp)
        return True

    def claim_due(self, now: datetime, limit: int) -> list[DueTimer]:
        tables, stamp = self.tables, to_db(now)
        due = sorted(
            (t for t in tables.timers.values() if pending_timer(t) and t["due_at"] <= stamp),
            key=lambda t: (t["due_at"], t["id"]),
        )[:limit]
        claimed = []
        for t in due:
            cycle = tables.cycles.get(t["cycle_id"]) if t["cycle_id"] is not None else None
            deadline = (
                tables.deadlines.get((t["cycle_id"], t["deadline"]))
                if t["cycle_id"] is not None else None
            )
            met_at = deadline["met_at"] if deadline else None
            claimed.append(DueTimer(
                t["id"], t["key"], t["cycle_id"], t["milestone_id"], t["unit_id"],
                tables.units[t["unit_id"]]["path"], t["year"], t["definition_id"],
                t["definition_version"], t["deadline"], t["kind"], t["step"], t["role"],
                t["offset"], from_db(t["deadline_at"]), from_db(t["due_at"]), t["moved_by"],
                cycle["state"] if cycle else None,
                from_db(met_at) if met_at else None,
                from_db(cycle["updated_at"]) if cycle else None,
            ))
        return claimed

    def settle(self, due: Sequence[DueTimer], fired: Collection[int], now: datetime) -> None:
        tables, stamp = self.session.writing(), to_db(now)
        for timer in due:
            column = "fired_at" if timer.id in fired else "cancelled_at"
            change(tables.timers, timer.id, **{column: stamp})

    def add_following(self, following: Sequence[tuple[DueTimer, PlannedTimer]]) -> None:
        tables = self.session.writing()
        for due, timer in following:
            upsert_timer(tables, {
                "key": f"{due.key.partition(':')[0]}:{timer.suffix}",
                "cycle_id": due.cycle_id, "milestone_id": due.milestone_id,
                "unit_id": due.unit_id, "year": due.year,
                **timer_row(timer, due.definition_id, due.definition_version),
            })

    def next_due(self) -> datetime | None:
        found = [t["due_at"] for t in self.tables.timers.values() if pending_timer(t)]
        return from_db(min(found)) if found else None
