"""The in-memory twin of the versions repository: cycles moved between versions of
their definition, checked against their row versions as the SQL repository does."""

from __future__ import annotations

from workflow.service.records import (
    Migrant,
    MigrationSelection,
    MoveBatch,
)
from workflow.testing.cycles import add_transition
from workflow.testing.tables import (
    Session,
    cycle_of,
    in_subtree,
    index_add,
    timer_rows,
    upsert_timer,
)
from workflow.testing.tables import change as _change
from workflow.timefmt import to_db


class StaleBatch(RuntimeError):
    """A cycle of a batch changed between its selection and its write."""


class MemoryVersions:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.tables = session.tables

    def select(
        self, selection: MigrationSelection, after_cycle_id: int, limit: int, lock: bool
    ) -> list[Migrant]:
        rows = [
            c
            for _, c in sorted(self.tables.cycles.items())
            if c["definition_id"] == selection.definition_id
            and c["definition_version"] == selection.from_version
            and c["id"] > after_cycle_id
            and in_subtree(selection.under, c["unit_path"])
            and (selection.year is None or c["year"] == selection.year)
        ][:limit]
        return [Migrant(cycle_of(self.tables, c), c["unit_id"]) for c in rows]

    def write_moves(self, batch: MoveBatch) -> None:
        tables = self.session.writing()
        spec, at = batch.target.spec, batch.at_text
        stale = [
            m for m in batch.moves
            if tables.cycles.get(m.cycle_id, {}).get("version") != m.expected_version
        ]
        if stale:
            raise StaleBatch(f"{len(stale)} cycles changed while being migrated")
        keys = set(spec.deadlines)
        planned = {
            year: timer_rows(timers, batch.at, batch.target)
            for year, timers in batch.timers.items()
        }
        for m in batch.moves:
            _change(
                tables.cycles, m.cycle_id, definition_version=spec.version,
                content_hash=batch.target.content_hash, state=m.state, outcome=m.outcome,
                version=tables.cycles[m.cycle_id]["version"] + 1, head_hash=m.hash,
                updated_at=at,
            )
            add_transition(tables, {
                "cycle_id": m.cycle_id, "seq": m.seq, "event": batch.event,
                "from_state": m.from_state, "to_state": m.state, "actor": batch.actor,
                "role": batch.role, "at": at, "payload": m.payload_text, "checks": "[]",
                "definition_id": spec.id, "definition_version": spec.version, "hash": m.hash,
            })
        for m in batch.moves:
            kept = tuple(k for k in tables.deadline_keys.get(m.cycle_id, ()) if k in keys)
            for key in set(tables.deadline_keys.get(m.cycle_id, ())) - set(kept):
                del tables.deadlines[(m.cycle_id, key)]
            tables.deadline_keys[m.cycle_id] = kept
        final = {name for name, state in spec.states.items() if state.final}
        for m in batch.moves:
            for key, due_at in batch.deadlines.get(m.year, ()):
                met = at if key in m.met else None
                closed = int(m.state in final and met is None)
                found = tables.deadlines.get((m.cycle_id, key))
                if found is None:
                    tables.deadlines[(m.cycle_id, key)] = {
                        "due_at": to_db(due_at), "met_at": met, "closed": closed,
                    }
                    index_add(tables.deadline_keys, m.cycle_id, key)
                else:
                    _change(
                        tables.deadlines, (m.cycle_id, key), due_at=to_db(due_at),
                        met_at=None if met is None else (found["met_at"] or met),
                        closed=closed,
                    )
        # as adapters.persistence.versions: none for a met deadline or a closed cycle
        for m in batch.moves:
            for timer_id, t in list(tables.timers.items()):
                if (
                    t["cycle_id"] == m.cycle_id and t["fired_at"] is None
                    and t["due_at"] >= at
                    and (m.state in final or t["deadline"] in m.met)
                ):
                    del tables.timer_ids[tables.timers.pop(timer_id)["key"]]
            for suffix, values in planned.get(m.year, ()):
                if (m.state in final or values["deadline"] in m.met) and (
                    values["kind"] == "reminder" or values["due_at"] >= at
                ):
                    continue
                upsert_timer(tables, {
                    "key": f"c{m.cycle_id}:{suffix}", "cycle_id": m.cycle_id,
                    "milestone_id": None, "unit_id": m.unit_id, "year": m.year, **values,
                })
        for m in batch.moves:
            for timer_id, t in list(tables.timers.items()):
                if (
                    t["cycle_id"] == m.cycle_id and t["fired_at"] is None
                    and t["cancelled_at"] is None
                    and (t["definition_id"] != spec.id or t["definition_version"] != spec.version)
                ):
                    _change(tables.timers, timer_id, cancelled_at=at)
