"""The audit trail: the one append to the global audit-event chain, anchors, the
streams verification reads, and the auditors' log."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from adapters.persistence.rows import subtree
from adapters.persistence.sql import Sql
from workflow.audit import CycleHead, FactRow, cycle_head
from workflow.audit_hashing import GENESIS, canonical_json, heads_digest, link
from workflow.service.records import UnitRef
from workflow.timefmt import from_db, to_db

_FACT_COLUMNS = {
    "notice": "timer_id, cycle_id, milestone_id, unit_id, kind, deadline, step, role, "
    "address, due_at, at",
    "audit_event": "at, kind, unit_code, unit_path, cycle_id, year, event, actor, role, "
    "code, detail",
}


#: the registers' rows as workflow.audit_registers.current_state reads them (no
#: parameters: the schema migration that writes the baseline runs them too)
REGISTER_QUERIES = {
    "actor": "SELECT a.id, a.name, a.role, u.code, a.revoked_at, a.token_hash, "
    "a.password_hash FROM actor a LEFT JOIN unit u ON u.id = a.scope_unit_id ORDER BY a.id",
    "unit": "SELECT u.code, u.kind, p.code, u.path, u.ended_on FROM unit u "
    "LEFT JOIN unit p ON p.id = u.parent_id ORDER BY u.code",
    "definition": "SELECT definition_id, version, content_hash, resolved FROM definition "
    "ORDER BY definition_id, version",
    "rating": "SELECT r.year, u.code, r.member, r.stage, r.name, r.status, r.admitted_on, "
    "r.level, r.rated_on, r.score FROM rating r JOIN unit u ON u.id = r.unit_id",
    "target": "SELECT t.year, u.code, t.definition_id, t.share, t.assigned_on FROM target t "
    "JOIN unit u ON u.id = t.unit_id",
    "key": "SELECT name, fingerprint, revoked_at FROM inspector_key ORDER BY name",
}


#: what signs an anchor: its detail in, the detail with the signature out
Seal = Callable[[dict[str, Any]], dict[str, Any]]


class SqlAudit:
    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    def chain_head(self, table: str) -> str:
        """The hash of a global chain's last record, read inside the write transaction
        that appends to it (writers of one chain are serialised by that transaction)."""
        self.sql.lock(self.sql.dialect.lock_chain(table))
        row = self.sql.one(f"SELECT hash FROM {table} ORDER BY id DESC LIMIT 1")
        return str(row[0]) if row else GENESIS

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
        """Append a fact to the global audit-event chain, in the caller's unit of work."""
        values = (
            at if isinstance(at, str) else to_db(at), kind, unit_code, unit_path, cycle_id,
            year, event, actor, role, code, canonical_json(detail or {}),
        )
        digest = link(self.chain_head("audit_event"), values)
        self.sql.execute(
            "INSERT INTO audit_event (at, kind, unit_code, unit_path, cycle_id, year, event, "
            "actor, role, code, detail, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*values, digest),
        )

    def anchor(self, at: datetime, actor: str, seal: Seal | None = None) -> dict[str, Any]:
        """Hash every cycle chain's head, and the heads of the global chains, into an
        anchor event: what verification later holds the chains to. `seal`: adds the
        signature of an inspector to the detail before it is written."""
        sql = self.sql
        # no transition or notice may commit between the reads
        sql.lock(sql.dialect.lock_shared("cycle, transition, notice_chain, notice"))
        last = sql.one("SELECT COALESCE(MAX(id), 0) FROM transition")[0]
        heads = dict(sql.query("SELECT id, head_hash FROM cycle WHERE head_hash != ''"))
        notices = self.notice_heads()
        detail = {
            "transition_id": last,
            "cycles": len(heads),
            "digest": heads_digest(heads),
            # the per-unit notice chains (workflow.audit_notices) up to this notice id
            "notice_id": sql.one("SELECT COALESCE(MAX(id), 0) FROM notice")[0],
            "notice_digest": heads_digest({u: head for u, (_, head) in notices.items()}),
            # the end of the global notice chain notices were written in before 0011
            "notice_head": self._legacy_notice_head(),
            # the record before the anchor: one removed from the tail under it is named
            "event_head": self.chain_head("audit_event"),
        }
        if seal is not None:
            detail = seal(detail)
        self.append("anchor", at, actor, detail=detail)
        return detail

    def last_signed_anchor(self) -> dict[str, Any] | None:
        """The detail of the newest anchor that carries a signature."""
        for (detail,) in self.sql.query(
            "SELECT detail FROM audit_event WHERE kind = 'anchor' ORDER BY id DESC"
        ):
            found = json.loads(detail)
            if isinstance(found, dict) and "signature" in found:
                return found
        return None

    def heads_at(self, last_id: int) -> dict[int, str]:
        """Each cycle's head as of the transition record `last_id`: the hash of its last
        record at or before it (cycle id -> hash)."""
        return dict(
            self.sql.query(
                "SELECT t.cycle_id, t.hash FROM transition t JOIN (SELECT cycle_id, MAX(seq) AS "
                "seq FROM transition WHERE id <= ? GROUP BY cycle_id) m "
                "ON m.cycle_id = t.cycle_id AND m.seq = t.seq",
                (last_id,),
            )
        )

    def tail_after(self, last_id: int) -> tuple[int, str | None]:
        """How many transition records come after `last_id`, and the time of the first."""
        row = self.sql.one("SELECT COUNT(*), MIN(at) FROM transition WHERE id > ?", (last_id,))
        return int(row[0]), row[1]

    def transition_rows(
        self,
        under: UnitRef | None,
        year: int | None = None,
        shard: tuple[int, int] | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """Every transition record in the table's own order (each cycle's in seq order:
        a record's id grows with its seq), streamed in pages. `shard`: (k, n), only the
        cycles whose id is k modulo n (for verifiers in parallel)."""
        where, params = subtree(under, "c.unit_path")
        scope = " WHERE 1 = 1"
        if under is not None or year is not None:
            limit = where
            if year is not None:
                limit += " AND c.year = :year"
                params = {**params, "year": year}
            scope = f" JOIN cycle c ON c.id = t.cycle_id WHERE 1 = 1{limit}"
        if shard is not None:
            scope += " AND t.cycle_id % :shards = :shard"
            params = {**params, "shard": shard[0], "shards": shard[1]}
        yield from self.sql.stream(
            "SELECT t.cycle_id, t.seq, t.event, t.from_state, t.to_state, t.actor, t.role, "
            "t.at, t.payload, t.checks, t.definition_id, t.definition_version, t.hash, t.id "
            f"FROM transition t{scope} ORDER BY t.id",
            params,
        )

    def cycle_heads(
        self,
        under: UnitRef | None,
        year: int | None = None,
        shard: tuple[int, int] | None = None,
    ) -> dict[int, CycleHead]:
        return {c["cycle_id"]: cycle_head(c) for c in self.chain_heads(under, year, shard)}

    def chain_heads(
        self,
        under: UnitRef | None,
        year: int | None = None,
        shard: tuple[int, int] | None = None,
    ) -> list[dict[str, Any]]:
        """Each cycle's chain head, with what names it: the lines of an export. `shard`:
        (k, n), only the cycles whose id is k modulo n."""
        where, params = subtree(under, "c.unit_path")
        if year is not None:
            where += " AND c.year = :year"
            params = {**params, "year": year}
        if shard is not None:
            where += " AND c.id % :shards = :shard"
            params = {**params, "shard": shard[0], "shards": shard[1]}
        rows = self.sql.query(
            "SELECT c.id, u.code, c.year, c.definition_id, c.definition_version, c.version, "
            "c.head_hash, c.unit_id, c.state, c.outcome, c.facts, c.unit_path "
            "FROM cycle c JOIN unit u ON u.id = c.unit_id "
            f"WHERE 1 = 1{where} ORDER BY c.id",
            params,
        )
        return [
            {
                "cycle_id": r[0], "unit": r[1], "year": r[2], "definition_id": r[3],
                "definition_version": r[4], "version": r[5], "head": r[6], "unit_id": r[7],
                "state": r[8], "outcome": r[9], "facts": r[10], "unit_path": r[11],
            }
            for r in rows
        ]

    def log(
        self,
        under: UnitRef | None,
        actor: str | None,
        event: str | None,
        since: datetime | None,
        until: datetime | None,
        only: str | None,
    ) -> list[dict[str, Any]]:
        """The trail for auditors: applied events and recorded facts (refusals, milestones
        kept, actors added), newest last. `only`: late | refusals | overrides."""
        where, params = subtree(under, "c.unit_path")
        where_e, _ = subtree(under, "e.unit_path")
        filters, values = "", dict(params)
        for column, value in (("actor", actor), ("event", event)):
            if value is not None:
                filters += f" AND x.{column} = :{column}"
                values[column] = value
        if since is not None:
            filters += " AND x.at >= :since"
            values["since"] = to_db(since)
        if until is not None:
            filters += " AND x.at <= :until"
            values["until"] = to_db(until)
        transitions = (
            "SELECT 'transition' AS kind, t.at AS at, u.code AS unit, c.year AS year, "
            "t.event AS event, t.actor AS actor, t.role AS role, t.from_state AS source, "
            "t.to_state AS dest, NULL AS code, t.payload AS detail, "
            "(SELECT MIN(d.key) FROM deadline d WHERE d.cycle_id = t.cycle_id "
            "AND d.met_at = t.at AND d.due_at < t.at) AS late_for, 0 AS src, t.id AS rid "
            "FROM transition t JOIN cycle c ON c.id = t.cycle_id JOIN unit u ON u.id = c.unit_id "
            f"WHERE 1 = 1{where}"
        )
        facts = (
            "SELECT e.kind AS kind, e.at AS at, e.unit_code AS unit, e.year AS year, "
            "e.event AS event, e.actor AS actor, e.role AS role, NULL AS source, NULL AS dest, "
            "e.code AS code, e.detail AS detail, NULL AS late_for, 1 AS src, e.id AS rid "
            "FROM audit_event e "
            f"WHERE e.kind != 'anchor'{where_e}"
        )
        if only == "late":
            sql = f"SELECT * FROM ({transitions}) x WHERE x.late_for IS NOT NULL"
        elif only == "overrides":
            # an override is the payload's "override" key, in its canonical JSON
            match = self.sql.dialect.contains("x.detail", "override")
            sql = f"SELECT * FROM ({transitions}) x WHERE {match}"
            values["override"] = '"override"'
        elif only == "refusals":
            sql = f"SELECT * FROM ({facts}) x WHERE x.kind = 'refusal'"
        else:
            sql = f"SELECT * FROM ({transitions} UNION ALL {facts}) x WHERE 1 = 1"
        # ties in time (a batch opened at one instant) in the order they were written,
        # transitions first: the same order on every backend and in the twin
        rows = self.sql.query(f"{sql}{filters} ORDER BY x.at, x.src, x.rid", values)
        keys = (
            "kind", "at", "unit", "year", "event", "actor", "role", "from", "to", "code",
            "detail", "late_for",
        )
        return [
            {**dict(zip(keys, r[:12], strict=True)), "detail": json.loads(r[10] or "{}")}
            for r in rows
        ]

    def facts(self, kind: str) -> list[tuple[datetime, dict[str, Any]]]:
        """Every fact of one kind (its instant and detail), oldest first."""
        rows = self.sql.query(
            "SELECT at, detail FROM audit_event WHERE kind = ? ORDER BY id", (kind,)
        )
        return [(from_db(at), json.loads(detail)) for at, detail in rows]

    def fact_rows(self, table: str) -> Iterator[FactRow]:
        """A chain's records in id order, with their fields (a notice's with its place in
        its unit's chain: workflow.audit_notices)."""
        columns = _FACT_COLUMNS[table]
        if table == "notice":
            for row in self.sql.stream(
                f"SELECT id, hash, chain_seq, {columns} FROM notice ORDER BY id"
            ):
                yield FactRow(row[0], tuple(row[3:]), row[1], row[2])
            return
        for row in self.sql.stream(f"SELECT id, hash, {columns} FROM {table} ORDER BY id"):
            yield FactRow(row[0], tuple(row[2:]), row[1])

    def notice_heads(self) -> dict[int, tuple[int, str]]:
        """Each unit's notice chain head: unit id -> (last seq, hash)."""
        return {r[0]: (r[1], r[2]) for r in self.sql.query(
            "SELECT unit_id, seq, head FROM notice_chain"
        )}  # fmt: skip

    def _legacy_notice_head(self) -> str:
        row = self.sql.one(
            "SELECT hash FROM notice WHERE chain_seq IS NULL ORDER BY id DESC LIMIT 1"
        )
        return str(row[0]) if row else GENESIS

    def deadline_rows(self, shard: tuple[int, int] | None = None) -> list[tuple[Any, ...]]:
        """(cycle id, key, due at, met at, year, closed) of every deadline, in no order
        (the table's own is the fastest to read); `shard`: (k, n), of the cycles whose id
        is k modulo n."""
        scope, params = "", {}
        if shard is not None:
            scope = " WHERE cycle_id % :shards = :shard"
            params = {"shard": shard[0], "shards": shard[1]}
        return self.sql.query(
            f"SELECT cycle_id, key, due_at, met_at, year, closed FROM deadline{scope}", params
        )

    def register_rows(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of the registers that decide (workflow.audit_registers.current_state
        says what each tuple holds), read as they are."""
        return {name: self.sql.query(sql) for name, sql in REGISTER_QUERIES.items()}

    def last_anchor_detail(self) -> dict[str, Any] | None:
        rows = self.sql.query(
            "SELECT detail FROM audit_event WHERE kind = 'anchor' ORDER BY id DESC LIMIT 1"
        )
        return dict(json.loads(rows[0][0])) if rows else None
