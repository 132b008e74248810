"""The trail compared with what an inspector kept (pure): an earlier export, or the file
an anchor was written to (`audit anchor --output`).

A chain rewritten consistently by whoever holds the database verifies on its own; held
against the inspector's copy, every record that differs, is missing, or was inserted
before the copy's end is named. Records written after the copy are not its business."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from workflow.audit import ChainProblem, anchor_upto, at_seq, cycle_chain
from workflow.errors import Reason

AT_ANCHOR = Reason("at the anchor", "audit.at.at_anchor")

#: the fields of an exported record, after cycle_id and seq (EXPORT_FIELDS[2:])
RECORD_FIELDS = (
    "event",
    "from",
    "to",
    "actor",
    "role",
    "at",
    "payload",
    "checks",
    "definition_id",
    "definition_version",
    "hash",
)


@dataclass
class Kept:
    """What an inspector's file holds to compare with."""

    kind: str  # "export" | "anchor"
    #: export: (cycle id, seq) -> the record's fields after them
    records: dict[tuple[int, int], tuple[Any, ...]] = field(default_factory=dict)
    #: export: its year and node; the last record id it saw (None: an older export)
    year: int | None = None
    under: str | None = None
    last_id: int | None = None
    #: anchor: its detail and each cycle's head at its last record
    anchor: dict[str, Any] = field(default_factory=dict)
    heads: dict[int, str] = field(default_factory=dict)


class Unreadable(ValueError):
    """The file is not an export or an anchor file."""


def read_kept(lines: Iterable[str]) -> Kept:
    """An export (JSONL: header, cycles, records, end) or an anchor file (one JSON)."""
    text = list(lines)
    try:
        whole = json.loads("".join(text))
    except ValueError:
        whole = None  # JSONL: an export
    try:
        if isinstance(whole, dict) and whole.get("kind") == "anchor":
            return Kept(
                "anchor",
                anchor=dict(whole["anchor"]),
                heads={int(k): str(v) for k, v in whole["heads"].items()},
            )
        first = json.loads(text[0]) if text else None
        if not isinstance(first, dict) or first.get("kind") != "header":
            raise Unreadable("neither an export (no header line) nor an anchor file")
        kept = Kept("export", year=first.get("year"), under=first.get("under"))
        for line in text[1:]:
            if not line.strip():
                continue
            item = json.loads(line)
            if item.get("kind") == "transition":
                key = (int(item["cycle_id"]), int(item["seq"]))
                kept.records[key] = tuple(item[name] for name in RECORD_FIELDS)
            elif item.get("kind") == "end" and item.get("last_id") is not None:
                kept.last_id = int(item["last_id"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise Unreadable(str(exc)) from None
    return kept


def compare_export(kept: Kept, stored: Iterable[tuple[Any, ...]]) -> list[ChainProblem]:
    """Every record of the export that the store no longer holds as it was, and every
    record of the store written before the export's end that the export lacks. `stored`:
    transition rows as `transition_rows` gives them (cycle id, seq, the fields, hash, id)."""
    problems: list[ChainProblem] = []
    versions: dict[int, int] = {}
    for cycle_id, seq in kept.records:
        versions[cycle_id] = max(seq, versions.get(cycle_id, 0))
    seen: set[tuple[int, int]] = set()
    for row in stored:
        key = (int(row[0]), int(row[1]))
        values = tuple(row[2:13])
        was = kept.records.get(key)
        where = (cycle_chain(key[0]), at_seq(key[1]))
        if was is not None:
            seen.add(key)
            differ = [
                name
                for name, a, b in zip(RECORD_FIELDS, was, values, strict=True)
                if str(a) != str(b)
            ]
            if differ:
                problems.append(
                    ChainProblem(*where, Reason(
                        f"differs from the export in {', '.join(differ)}: rewritten since",
                        "audit.against_differs", fields=tuple(differ),
                    ))
                )
        elif key[1] <= versions.get(key[0], 0) or (
            kept.last_id is not None and int(row[13]) <= kept.last_id
        ):
            problems.append(
                ChainProblem(*where, Reason(
                    "not in the export but written before its end: inserted since",
                    "audit.against_inserted",
                ))
            )
    for key in sorted(set(kept.records) - seen):
        problems.append(
            ChainProblem(cycle_chain(key[0]), at_seq(key[1]), Reason(
                "in the export but gone from the store: deleted", "audit.against_deleted"
            ))
        )
    return sorted(problems, key=_order)


def compare_anchor(
    kept: Kept, stored_heads: Mapping[int, str], anchor_kept: bool
) -> list[ChainProblem]:
    """Each cycle whose chain, at the anchor's last record, no longer ends where the
    anchor file says; the anchor itself gone from the trail (`anchor_kept` False)."""
    problems: list[ChainProblem] = []
    if not anchor_kept:
        problems.append(
            ChainProblem(*anchor_upto(kept.anchor.get("transition_id")), Reason(
                "the anchor this file keeps is no longer in the audit-event chain: removed or "
                "rewritten",
                "audit.against_anchor_gone",
            ))
        )
    for cycle_id in sorted(set(kept.heads) | set(stored_heads)):
        was, now = kept.heads.get(cycle_id), stored_heads.get(cycle_id)
        if was == now:
            continue
        if now is None:
            message = Reason("every record the anchor saw is gone: deleted", "audit.anchor_gone")
        elif was is None:
            message = Reason(
                "records the anchor never saw were inserted before it", "audit.anchor_inserted"
            )
        else:
            message = Reason(
                f"its chain at the anchor ends in {now[:12]} but the anchor file says "
                f"{was[:12]}: records before the anchor were rewritten, removed or inserted",
                "audit.anchor_differs", now=now[:12], was=was[:12],
            )
        problems.append(ChainProblem(cycle_chain(cycle_id), AT_ANCHOR, message))
    return problems


def _order(problem: ChainProblem) -> tuple[int, int]:
    return int(problem.chain.split()[1]), int(problem.record.split()[1])
