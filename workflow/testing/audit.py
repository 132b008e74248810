"""The twin of the audit repository (adapters/persistence/audit.py): the same global
chain append, anchors, verification streams and auditors' log, with the same hashes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from workflow.audit import CycleHead, FactRow, cycle_head
from workflow.audit_hashing import GENESIS, canonical_json, heads_digest, link
from workflow.service.records import UnitRef
from workflow.testing.tables import Row, Session, Tables, in_subtree
from workflow.timefmt import to_db

#: the columns each global chain hashes, in the order the SQL adapter reads them
FACT_COLUMNS = {
    "notice": (
        "timer_id", "cycle_id", "milestone_id", "unit_id", "kind", "deadline", "step",
        "role", "address", "due_at", "at",
    ),
    "audit_event": (
        "at", "kind", "unit_code", "unit_path", "cycle_id", "year", "event", "actor", "role",
        "code", "detail",
    ),
}


def chain_rows(tables: Tables, table: str) -> list[Row]:
    """A global chain's rows in id order."""
    if table == "notice":
        return [row for _, row in sorted(tables.notices.items())]
    assert table == "audit_event", table
    return tables.audit_events


def chain_head(tables: Tables, table: str) -> str:
    rows = chain_rows(tables, table)
    return str(rows[-1]["hash"]) if rows else GENESIS


class MemoryAudit:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.tables = session.tables

    def append(
        self,
        kind: str,
        at: datetime | str,
        actor: str,
        *,
        role: str | None = None,
        unit_code: str | None = None,
        unit_path: str | None = None,
        cycle_id: int | None = None,
        year: int | None = None,
        event: str | None = None,
        code: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        tables = self.session.writing()
        values = (
            at if isinstance(at, str) else to_db(at), kind, unit_code, unit_path, cycle_id,
            year, event, actor, role, code, canonical_json(detail or {}),
        )
        digest = link(chain_head(tables, "audit_event"), values)
        row = dict(zip(FACT_COLUMNS["audit_event"], values, strict=True))
        tables.audit_events.append({**row, "id": tables.next_id("audit_event"), "hash": digest})

    def anchor(
        self,
        at: datetime,
        actor: str,
        seal: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        tables = self.session.writing()
        last = tables.transitions[-1]["id"] if tables.transitions else 0
        heads = {
            cycle_id: c["head_hash"]
            for cycle_id, c in sorted(tables.cycles.items())
            if c["head_hash"] != ""
        }
        legacy = [r for r in chain_rows(tables, "notice") if r.get("chain_seq") is None]
        detail = {
            "transition_id": last,
            "cycles": len(heads),
            "digest": heads_digest(heads),
            "notice_id": max(tables.notices, default=0),
            "notice_digest": heads_digest(
                {u: head for u, (_, head) in tables.notice_chains.items()}
            ),
            "notice_head": str(legacy[-1]["hash"]) if legacy else GENESIS,
            "event_head": chain_head(tables, "audit_event"),
        }
        if seal is not None:
            detail = seal(detail)
        self.append("anchor", at, actor, detail=detail)
        return detail

    def last_signed_anchor(self) -> dict[str, Any] | None:
        for event in reversed(self.tables.audit_events):
            if event["kind"] == "anchor":
                detail = json.loads(event["detail"])
                if "signature" in detail:
                    return dict(detail)
        return None

    def heads_at(self, last_id: int) -> dict[int, str]:
        heads: dict[int, str] = {}
        for t in self.tables.transitions:
            if t["id"] <= last_id:
                heads[t["cycle_id"]] = t["hash"]
        return heads

    def tail_after(self, last_id: int) -> tuple[int, str | None]:
        later = [t["at"] for t in self.tables.transitions if t["id"] > last_id]
        return len(later), min(later) if later else None

    def _cycles(self, under: UnitRef | None, year: int | None) -> dict[int, Row]:
        return {
            cycle_id: c
            for cycle_id, c in sorted(self.tables.cycles.items())
            if in_subtree(under, c["unit_path"]) and (year is None or c["year"] == year)
        }

    def transition_rows(
        self,
        under: UnitRef | None,
        year: int | None = None,
        shard: tuple[int, int] | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        cycles = self._cycles(under, year) if under is not None or year is not None else None
        for t in list(self.tables.transitions):  # in id order
            if cycles is not None and t["cycle_id"] not in cycles:
                continue
            if shard is not None and t["cycle_id"] % shard[1] != shard[0]:
                continue
            yield (
                t["cycle_id"], t["seq"], t["event"], t["from_state"], t["to_state"],
                t["actor"], t["role"], t["at"], t["payload"], t["checks"],
                t["definition_id"], t["definition_version"], t["hash"], t["id"],
            )

    def cycle_heads(
        self,
        under: UnitRef | None,
        year: int | None = None,
        shard: tuple[int, int] | None = None,
    ) -> dict[int, CycleHead]:
        return {
            c["cycle_id"]: cycle_head(c)
            for c in self.chain_heads(under, year)
            if shard is None or c["cycle_id"] % shard[1] == shard[0]
        }

    def chain_heads(
        self,
        under: UnitRef | None,
        year: int | None = None,
        shard: tuple[int, int] | None = None,
    ) -> list[dict[str, Any]]:
        return [
            {
                "cycle_id": c["id"], "unit": self.tables.units[c["unit_id"]]["code"],
                "year": c["year"], "definition_id": c["definition_id"],
                "definition_version": c["definition_version"], "version": c["version"],
                "head": c["head_hash"], "unit_id": c["unit_id"], "state": c["state"],
                "outcome": c["outcome"], "facts": c["facts"], "unit_path": c["unit_path"],
            }
            for c in self._cycles(under, year).values()
            if shard is None or c["id"] % shard[1] == shard[0]
        ]

    def deadline_rows(self, shard: tuple[int, int] | None = None) -> list[tuple[Any, ...]]:
        return [
            (cycle_id, key, d["due_at"], d["met_at"], self.tables.cycles[cycle_id]["year"],
             d["closed"])
            for (cycle_id, key), d in sorted(self.tables.deadlines.items())
            if shard is None or cycle_id % shard[1] == shard[0]
        ]

    def _late_for(self, t: Row) -> str | None:
        keys = [
            key
            for key in self.tables.deadline_keys.get(t["cycle_id"], ())
            for d in (self.tables.deadlines[(t["cycle_id"], key)],)
            if d["met_at"] == t["at"] and d["due_at"] < t["at"]
        ]
        return min(keys) if keys else None

    def log(
        self,
        under: UnitRef | None,
        actor: str | None,
        event: str | None,
        since: datetime | None,
        until: datetime | None,
        only: str | None,
    ) -> list[dict[str, Any]]:
        tables = self.tables
        keys = (
            "kind", "at", "unit", "year", "event", "actor", "role", "from", "to", "code",
            "detail", "late_for",
        )
        transitions: list[tuple[Any, ...]] = []
        if only != "refusals":
            cycles = self._cycles(under, None)
            for t in tables.transitions:
                c = cycles.get(t["cycle_id"])
                if c is None:
                    continue
                transitions.append((
                    "transition", t["at"], tables.units[c["unit_id"]]["code"], c["year"],
                    t["event"], t["actor"], t["role"], t["from_state"], t["to_state"], None,
                    t["payload"], self._late_for(t),
                ))
        facts: list[tuple[Any, ...]] = []
        if only in (None, "refusals"):
            for e in tables.audit_events:
                if e["kind"] == "anchor" or not in_subtree(under, e["unit_path"]):
                    continue
                if only == "refusals" and e["kind"] != "refusal":
                    continue
                facts.append((
                    e["kind"], e["at"], e["unit_code"], e["year"], e["event"], e["actor"],
                    e["role"], None, None, e["code"], e["detail"], None,
                ))
        if only == "late":
            transitions = [r for r in transitions if r[11] is not None]
        elif only == "overrides":
            transitions = [r for r in transitions if '"override"' in (r[10] or "")]
        rows = [
            r
            for r in transitions + facts
            if (actor is None or r[5] == actor)
            and (event is None or r[4] == event)
            and (since is None or r[1] >= to_db(since))
            and (until is None or r[1] <= to_db(until))
        ]
        rows.sort(key=lambda r: r[1])
        return [
            {**dict(zip(keys, r, strict=True)), "detail": json.loads(r[10] or "{}")}
            for r in rows
        ]

    def register_rows(self) -> dict[str, list[tuple[Any, ...]]]:
        t = self.tables
        code = {unit_id: u["code"] for unit_id, u in t.units.items()}
        parent = {
            unit_id: code.get(u["parent_id"]) if u.get("parent_id") is not None else None
            for unit_id, u in t.units.items()
        }
        return {
            "actor": [
                (a["id"], a["name"], a["role"], code.get(a["scope_unit_id"]), a["revoked_at"],
                 a["token_hash"], a.get("password_hash"))
                for _, a in sorted(t.actors.items())
            ],
            "unit": sorted(
                (u["code"], u["kind"], parent[unit_id], u["path"])
                for unit_id, u in t.units.items()
            ),
            "definition": [
                (d_id, version, d["content_hash"], d["resolved"])
                for (d_id, version), d in sorted(t.definitions.items())
            ],
            "rating": [
                (year, code[unit_id], member, stage, r["name"], r["status"],
                 r["admitted_on"], r["level"], r["rated_on"], r.get("score"))
                for (year, unit_id, member, stage), r in t.ratings.items()
            ],
            "target": [
                (year, code[unit_id], definition_id, r["share"], r["assigned_on"])
                for (year, unit_id, definition_id), r in t.targets.items()
            ],
            "key": [
                (k["name"], k["fingerprint"], k["revoked_at"])
                for _, k in sorted(t.inspector_keys.items())
            ],
        }

    def fact_rows(self, table: str) -> Iterator[FactRow]:
        columns = FACT_COLUMNS[table]
        for row in list(chain_rows(self.tables, table)):
            yield FactRow(
                row["id"], tuple(row[c] for c in columns), row["hash"], row.get("chain_seq")
            )

    def notice_heads(self) -> dict[int, tuple[int, str]]:
        return dict(self.tables.notice_chains)

    def last_anchor_detail(self) -> dict[str, Any] | None:
        anchors = [e for e in self.tables.audit_events if e["kind"] == "anchor"]
        return dict(json.loads(anchors[-1]["detail"])) if anchors else None
