"""Verifying the audit trail, in the database or in an export (an auditor's own copy)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from workflow.audit import (
    ChainCheck,
    ChainProblem,
    CycleHead,
    FactRow,
    check_anchor,
    check_cycle_chains,
    cycle_head,
    verify_cycle_chains,
    verify_fact_chain,
)
from workflow.audit_cycles import CycleReplay, RowContext, row_context
from workflow.audit_hashing import GENESIS, heads_digest
from workflow.audit_notices import NOTICE_UNIT_AT, check_notice_chains
from workflow.audit_registers import check_registers, current_state, expected_state
from workflow.errors import Reason

NOTICE_CHAIN = Reason("notice chain", "audit.at.notice_chain_global")
EVENT_CHAIN = Reason("audit-event chain", "audit.at.event_chain")
EXPORT = Reason("export", "audit.at.export")


def _line(number: int) -> Reason:
    return Reason(f"line {number}", "audit.at.line", line=number)


class AuditSource(Protocol):
    def transition_rows(self, under: Any) -> Iterator[tuple[Any, ...]]: ...

    def fact_rows(self, table: str) -> Iterator[FactRow]: ...

    def notice_heads(self) -> dict[int, tuple[int, str]]: ...

    def register_rows(self) -> dict[str, list[tuple[Any, ...]]]: ...

    def deadline_rows(self) -> list[tuple[Any, ...]]: ...

    def chain_heads(self, under: Any) -> list[dict[str, Any]]: ...

    def last_anchor(self) -> tuple[int, str] | None: ...

    def last_anchor_detail(self) -> dict[str, Any] | None: ...


@dataclass
class Verification:
    records: int = 0
    chains: int = 0
    problems: list[ChainProblem] = field(default_factory=list)
    #: rows of the registers (actors, units, definitions, ratings, targets) checked
    #: against the audit-event chain
    registers: int = 0
    #: what the inspector should know but is not a fault (an unanchored tail)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_store(source: AuditSource, under: Any = None) -> Verification:
    """Every cycle chain (under a node, or all), and, over the whole trail, the notice
    and audit-event chains, the registers, every cycle row and its deadlines, and the last
    anchor. Problems: the first bad record of each broken chain."""
    anchor = source.last_anchor() if under is None else None
    held = read_global(source) if under is None else None
    lines = source.chain_heads(under)
    found = check_cycles(
        lines, source.transition_rows(under), anchor[0] if anchor else -1,
        held.context() if held is not None else None, source.deadline_rows,
    )
    report = Verification(found.chains.records, len(lines), list(found.chains.problems))
    if anchor is not None:
        late = check_anchor(found.chains.at_anchor, anchor)
        if late is not None:
            report.problems.append(late)
    if held is not None:
        verify_global_chains(source, report, held)
    report.problems += found.rows
    return report


@dataclass(frozen=True)
class GlobalRows:
    """The audit-event chain's records and the registers' rows, read once: the global
    check verifies them, and every cycle row is checked against what they say."""

    events: list[FactRow]
    registers: dict[str, list[tuple[Any, ...]]]

    def context(self) -> RowContext:
        return row_context(self.registers["definition"], self.registers["unit"], self.events)


def read_global(source: AuditSource) -> GlobalRows:
    return GlobalRows(list(source.fact_rows("audit_event")), source.register_rows())


@dataclass(frozen=True)
class CycleCheck:
    """What checking a set of cycles found: their chains, and their rows (empty when
    they were not checked)."""

    chains: ChainCheck
    rows: list[ChainProblem]


def check_cycles(
    lines: Sequence[dict[str, Any]],
    records: Iterable[tuple[Any, ...]],
    anchor_limit: int,
    context: RowContext | None,
    deadlines: Callable[[], Iterable[Sequence[Any]]],
) -> CycleCheck:
    """The chains of the cycles `lines` names (chain_heads lines) over their `records`,
    and with a `context`, their rows and `deadlines` in the same pass over the records."""
    heads = {int(c["cycle_id"]): cycle_head(c) for c in lines}
    if context is None:
        return CycleCheck(check_cycle_chains(records, heads, anchor_limit), [])
    replay = CycleReplay(context.rules)
    chains = check_cycle_chains(replay.through(records), heads, anchor_limit)
    return CycleCheck(chains, replay.problems(lines, deadlines(), context.unit_paths,
                                              context.plans))  # fmt: skip


def verify_global_chains(source: AuditSource, report: Verification, held: GlobalRows) -> None:
    """The notice and audit-event chains, the anchor's tails and the registers."""
    anchor = source.last_anchor_detail() or {}
    for table, name in (("notice", NOTICE_CHAIN), ("audit_event", EVENT_CHAIN)):
        facts = held.events if table == "audit_event" else list(source.fact_rows(table))
        if table == "notice":
            # per-unit chains since revision 0011; the global chain before
            _verify_unit_notices([f for f in facts if f.seq is not None], source, anchor, report)
            facts = [f for f in facts if f.seq is None]
        report.records += len(facts)
        # the global notice chain is one only where notices were written before 0011
        report.chains += 1 if facts or table == "audit_event" else 0
        report.problems += verify_fact_chain(name, facts)
        pinned = anchor.get("notice_head" if table == "notice" else "event_head")
        if pinned and pinned != GENESIS and pinned not in {f.hash for f in facts}:
            report.problems.append(
                ChainProblem(name, Reason("its tail", "audit.at.tail"), Reason(
                    "the record the last anchor saw at its end is gone: records were removed",
                    "audit.tail_gone",
                ))
            )
        if table == "audit_event":
            registers = check_registers(expected_state(facts), current_state(held.registers))
            report.registers += registers.rows
            report.problems += registers.problems


def _verify_unit_notices(
    facts: list[FactRow], source: AuditSource, anchor: dict[str, Any], report: Verification
) -> None:
    limit = int(anchor.get("notice_id", -1))
    found = check_notice_chains(
        ((f.id, int(f.seq or 0), f.hash, f.fields) for f in facts),
        source.notice_heads(),
        NOTICE_UNIT_AT,
        limit,
    )
    report.records += found.records
    report.chains += found.chains
    report.problems += found.problems
    pinned = anchor.get("notice_digest")
    if pinned is not None and heads_digest(found.at_anchor) != pinned:
        report.problems.append(
            ChainProblem(
                Reason("notice chains", "audit.at.notice_chains"),
                Reason(f"records up to id {limit}", "audit.at.upto", id=limit),
                Reason(
                    "the chains no longer hold what the last anchor saw: records were removed "
                    "or rewritten after it was taken",
                    "audit.anchor_broken",
                ),
            )
        )


#: 2: the header says the format, an end line closes the file with its counts
EXPORT_FORMAT = 2

EXPORT_FIELDS = (
    "cycle_id", "seq", "event", "from", "to", "actor", "role", "at", "payload", "checks",
    "definition_id", "definition_version", "hash",
)


def export_lines(
    header: dict[str, Any],
    cycles: Iterable[dict[str, Any]],
    rows: Iterable[tuple[Any, ...]],
) -> Iterator[str]:
    """JSONL: a header, one line per cycle (its head), one per record, texts as stored,
    and an end line with the counts (format 2: a file without it was cut short)."""
    yield json.dumps({"kind": "header", "format": EXPORT_FORMAT, **header}, ensure_ascii=False)
    cycle_count = record_count = last_id = 0
    for cycle in cycles:
        cycle_count += 1
        yield json.dumps({"kind": "cycle", **cycle}, ensure_ascii=False)
    for row in rows:
        record_count += 1
        last_id = max(last_id, int(row[13]))
        record = dict(zip(EXPORT_FIELDS, row[:13], strict=True))
        yield json.dumps({"kind": "transition", **record}, ensure_ascii=False)
    # the last record id it saw: a record of the store at or before it that the export
    # lacks was inserted since (`audit verify --against`)
    yield json.dumps(
        {"kind": "end", "cycles": cycle_count, "records": record_count, "last_id": last_id}
    )


def _export_counts(
    header: dict[str, Any] | None, end: dict[str, Any] | None, cycles: int, records: int,
    lines: int,
) -> list[ChainProblem]:
    """An export's own counts: a header, the cycles it says, and (format 2) the end line
    with the cycles and records it closed on."""
    if header is None:
        return [ChainProblem(EXPORT, _line(1), Reason(
            "empty: no header, nothing to verify", "audit.export_empty"
        ))]
    found: list[ChainProblem] = []
    said = header.get("cycles")
    if isinstance(said, int) and said != cycles:
        found.append(ChainProblem(EXPORT, Reason("header", "audit.at.header"), Reason(
            f"it says {said} cycles but the file holds {cycles}: cycles were removed or added",
            "audit.export_cycles", said=said, held=cycles,
        )))
    if int(header.get("format", 1)) >= 2:
        if end is None:
            found.append(ChainProblem(EXPORT, _line(lines), Reason(
                "no end line: the file was cut short (truncated)", "audit.export_truncated",
            )))
        elif (end.get("cycles"), end.get("records")) != (cycles, records):
            found.append(ChainProblem(EXPORT, Reason("end line", "audit.at.end_line"), Reason(
                f"it closes on {end.get('cycles')} cycles and {end.get('records')} records but "
                f"the file holds {cycles} and {records}: lines were removed or added",
                "audit.export_end", cycles=end.get("cycles"), records=end.get("records"),
                held_cycles=cycles, held_records=records,
            )))
    return found


def verify_export(lines: Iterable[str]) -> Verification:
    """Check an export offline, in its own line order."""
    report = Verification()
    heads: dict[int, CycleHead] = {}
    rows: list[tuple[Any, ...]] = []
    header: dict[str, Any] | None = None
    end: dict[str, Any] | None = None
    number = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if end is not None:
                raise ValueError("a line after the end line")
            if item["kind"] == "header":
                if header is not None or heads or rows:
                    raise ValueError("a second header, or one after the first line")
                header = item
            elif header is None:
                raise ValueError("the file does not start with its header")
            elif item["kind"] == "cycle":
                heads[int(item["cycle_id"])] = cycle_head(item)
            elif item["kind"] == "transition":
                rows.append((*(item[name] for name in EXPORT_FIELDS), number))
            elif item["kind"] == "end":
                end = item
        except (ValueError, KeyError, TypeError) as exc:
            report.problems.append(ChainProblem(EXPORT, _line(number), Reason(
                f"unreadable: {exc}", "audit.export_unreadable", detail=str(exc)
            )))
            return report
    report.chains = len(heads)
    report.records = len(rows)
    report.problems += _export_counts(header, end, len(heads), len(rows), number)
    report.problems += verify_cycle_chains(rows, heads)
    for problem in report.problems:
        if problem.chain.startswith("cycle "):
            cycle_id = int(problem.chain.split()[1])
            seq = problem.record.removeprefix("seq ")
            found = next((r[13] for r in rows if r[0] == cycle_id and str(r[1]) == seq), None)
            if found is not None:
                index = report.problems.index(problem)
                record = Reason(
                    f"{problem.record} (line {found})", "audit.at.seq_line", seq=seq, line=found
                )
                report.problems[index] = ChainProblem(problem.chain, record, problem.message)
    return report
