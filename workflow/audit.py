"""The audit trail's hash chains and their verification (pure: texts in, verdicts out).

Design. Each cycle's transition records form a chain of their own: a record's hash is
SHA-256 over the previous record's hash and the record's canonical text, and the cycle row
keeps the head (last hash) beside its row version. A transition already writes the cycle
row, so the chain costs one hash and one column, and writers on different cycles never
touch a shared row: concurrent workers stay as fast as without it. Facts that belong to
no single transition (notifications fired, refusals, milestones kept) go into one global
chain each, written inside transactions that are serialised anyway. An anchor, written
periodically (`bontot audit anchor`), hashes every head at that moment into a chain of
anchors: a record removed from the tail of a chain, or a whole chain dropped, no longer
matches the anchor that saw it.

What it catches: an edited, deleted, inserted or reordered record breaks its chain at
that record; verification names the first bad one. What it cannot catch on its own: an
attacker who holds the file and rewrites a chain, its head and every later anchor
consistently. Against that, the auditor keeps an export (`bontot audit export`): its
hashes pin history as it was on the day it was taken.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
SEP = "\x1f"  # a unit separator: never in a code, a state name or canonical JSON text


def canonical_json(value: Any) -> str:
    """The one JSON text of a value: keys sorted, no spaces, UTF-8 kept."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def chain_hash(previous: str, text: str) -> str:
    return hashlib.sha256(f"{previous}{SEP}{text}".encode()).hexdigest()


def transition_text(
    cycle_id: int,
    seq: int,
    event: str,
    from_state: str | None,
    to_state: str,
    actor: str,
    role: str,
    at: str,
    payload: str,
    checks: str,
    definition_id: str,
    definition_version: int,
) -> str:
    """The canonical text of a transition record, from its stored column values."""
    return SEP.join(
        (
            str(cycle_id),
            str(seq),
            event,
            from_state or "",
            to_state,
            actor,
            role,
            at,
            payload,
            checks,
            definition_id,
            str(definition_version),
        )
    )


def fact_text(fields: Iterable[Any]) -> str:
    """The canonical text of a record of a global chain (a notice, an audit event)."""
    return SEP.join("" if value is None else str(value) for value in fields)


@dataclass(frozen=True)
class Problem:
    """The first bad record found: where, and what is wrong with it."""

    chain: str  # "cycle 12", "notice", "event", "anchor"
    record: str  # "seq 3", "id 1042"
    message: str

    def __str__(self) -> str:
        return f"{self.chain}, {self.record}: {self.message}"


#: a transition record as stored: cycle_id, seq, event, from_state, to_state, actor, role,
#: at, payload, checks, definition_id, definition_version, hash, id
TransitionColumns = tuple[Any, ...]


def verify_cycle_chains(
    rows: Iterable[TransitionColumns],
    heads: dict[int, tuple[int, str]],
    anchor: tuple[int, str] | None = None,
) -> Iterator[Problem]:
    """Walk every cycle's records in (cycle, seq) order; `heads`: cycle -> (version, head
    hash) as the cycle rows keep them. Yields each broken chain's first bad record.
    `anchor`: (the last record id it saw, its digest of every head then), checked too."""
    current: int | None = None
    previous, expected_seq, broken = GENESIS, 1, False
    at_anchor: dict[int, str] = {}
    limit = anchor[0] if anchor else -1
    seen: set[int] = set()
    sha256, sep = hashlib.sha256, SEP

    def close(cycle_id: int) -> Iterator[Problem]:
        version, head = heads.get(cycle_id, (0, ""))
        if broken:
            return
        if expected_seq - 1 != version or previous != head:
            yield Problem(
                f"cycle {cycle_id}",
                f"seq {expected_seq - 1}",
                f"the chain ends at seq {expected_seq - 1} ({previous[:12]}) but the cycle "
                f"is at version {version} with head {head[:12]}: records are missing",
            )

    for row in rows:
        cycle_id, seq = row[0], row[1]
        if cycle_id != current:
            if current is not None:
                yield from close(current)
            current, previous, expected_seq, broken = cycle_id, GENESIS, 1, False
            seen.add(cycle_id)
        if broken:
            continue
        if seq != expected_seq:
            broken = True
            what = "missing" if seq > expected_seq else "repeated or out of order"
            yield Problem(
                f"cycle {cycle_id}",
                f"seq {seq}",
                f"expected seq {expected_seq}: a record is {what}",
            )
            continue
        text = sep.join(
            (
                str(cycle_id), str(seq), row[2], row[3] or "", row[4], row[5], row[6], row[7],
                row[8], row[9], row[10], str(row[11]),
            )
        )
        if sha256(f"{previous}{sep}{text}".encode()).hexdigest() != row[12]:
            broken = True
            yield Problem(
                f"cycle {cycle_id}",
                f"seq {seq}",
                "its content or its place does not match its hash: edited, inserted or moved",
            )
            continue
        previous, expected_seq = row[12], expected_seq + 1
        if row[13] <= limit:
            at_anchor[cycle_id] = previous
    if current is not None:
        yield from close(current)
    for cycle_id in sorted(set(heads) - seen):
        if heads[cycle_id][0] > 0:
            yield Problem(f"cycle {cycle_id}", "seq 1", "every record of the cycle is missing")
    if anchor is not None and heads_digest(at_anchor) != anchor[1]:
        yield Problem(
            "anchor",
            f"records up to id {anchor[0]}",
            "the chains no longer hold what the last anchor saw: records were removed or "
            "rewritten after it was taken",
        )


def heads_digest(heads: dict[int, str]) -> str:
    """One hash over every chain's head, in cycle order: what an anchor keeps."""
    digest = hashlib.sha256()
    for cycle_id in sorted(heads):
        digest.update(f"{cycle_id}:{heads[cycle_id]}\n".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class FactRow:
    id: int
    text: str
    hash: str


def verify_fact_chain(chain: str, rows: Iterable[FactRow]) -> Iterator[Problem]:
    """A global chain in id order: each hash over the previous one and the row's text."""
    previous = GENESIS
    for row in rows:
        if chain_hash(previous, row.text) != row.hash:
            yield Problem(
                chain,
                f"id {row.id}",
                "its content or its place does not match its hash: edited, inserted, "
                "moved, or the record before it was deleted",
            )
            return
        previous = row.hash
