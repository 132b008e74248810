"""The notice chains: one hash chain of notices per unit (pure: texts in, verdicts out).

Why per unit. Notices used to form one global chain, so every worker that fired timers
locked the notice table to read its head: PostgreSQL workers ran one after the other,
and a nationwide reminder instant (300,000 notices) took minutes. A chain per unit is
written under that unit's head row alone (`notice_chain`, locked in unit order), so
workers firing for different units never wait for each other, and a batch of a
thousand notices costs a thousand hashes and a few statements.

A unit's chain starts at a genesis bound to the unit (a notice moved to another unit
no longer matches), each record's `chain_seq` counts from 1, and the head row keeps the
last seq and hash, as a cycle row keeps its chain's. Anchors hash every unit's head
(`heads_digest`) with the last notice id they saw. Notices written before per-unit
chains (no `chain_seq`) stay in the global chain they were written in and verify as
before (workflow.audit.verify_fact_chain).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from workflow.audit import ChainProblem, at_id, at_seq, out_of_sequence
from workflow.audit_hashing import GENESIS, V2, chain_hash, encoded, fact_text
from workflow.errors import Reason

#: where a notice's unit id is among its hashed fields (timer_id, cycle_id, milestone_id,
#: unit_id, kind, deadline, step, role, address, due_at, at)
NOTICE_UNIT_AT = 3


def notice_genesis(unit_id: int) -> str:
    """Where a unit's notice chain starts."""
    return chain_hash(GENESIS, fact_text(("notice", unit_id)))


def link_notices(
    heads: dict[int, tuple[int, str]], rows: Sequence[Sequence[Any]], unit_at: int
) -> tuple[list[tuple[int, str]], dict[int, tuple[int, str]]]:
    """Chain `rows` (each a notice's hashed fields, its unit id at `unit_at`) onto their
    units' chains, given each unit's (last seq, head) so far (absent: a new chain).
    Returns each row's (seq, hash) and every touched unit's new (seq, head)."""
    sha256 = hashlib.sha256
    moved: dict[int, tuple[int, str]] = {}
    linked = []
    for fields in rows:
        unit_id = int(fields[unit_at])
        seq, previous = moved.get(unit_id) or heads.get(unit_id) or (0, notice_genesis(unit_id))
        text = encoded(fields)
        digest = V2 + sha256(f"{previous}\n{text}".encode()).hexdigest()
        moved[unit_id] = (seq + 1, digest)
        linked.append((seq + 1, digest))
    return linked, moved


def notice_chain(unit_id: object) -> Reason:
    return Reason(f"notice chain of unit {unit_id}", "audit.at.notice_chain", unit=unit_id)


@dataclass
class NoticeCheck:
    """What checking the per-unit notice chains found."""

    problems: list[ChainProblem] = field(default_factory=list)
    records: int = 0
    chains: int = 0
    #: each unit's head as of the anchor's last notice id
    at_anchor: dict[int, str] = field(default_factory=dict)


def check_notice_chains(
    rows: Iterable[tuple[int, int, str, Sequence[Any]]],
    heads: dict[int, tuple[int, str]],
    unit_at: int,
    anchor_limit: int = -1,
) -> NoticeCheck:
    """Walk the units' chains: `rows` are (id, seq, hash, fields) in id order (each unit's
    records come in seq order: they are written under its head row); `heads` is what each
    unit's head row says (last seq, head)."""
    found = NoticeCheck()
    sha256 = hashlib.sha256
    # per unit: [hash so far, next seq expected, broken]
    chains: dict[int, list[Any]] = {}
    for notice_id, seq, stored, fields in rows:
        found.records += 1
        unit_id = int(fields[unit_at])
        chain = chains.get(unit_id)
        if chain is None:
            chain = chains[unit_id] = [notice_genesis(unit_id), 1, False]
        elif chain[2]:
            continue
        name = notice_chain(unit_id)
        if seq != chain[1]:
            chain[2] = True
            found.problems.append(
                ChainProblem(name, at_id(notice_id), out_of_sequence(chain[1], seq > chain[1]))
            )
            continue
        text = encoded(fields)
        if (
            not stored.startswith(V2)
            or V2 + sha256(f"{chain[0]}\n{text}".encode()).hexdigest() != stored
        ):
            chain[2] = True
            found.problems.append(
                ChainProblem(name, at_id(notice_id), Reason(
                    "its content or its place does not match its hash: edited, inserted, "
                    "moved to another unit, or the record before it was deleted",
                    "audit.notice_hash",
                ))
            )
            continue
        chain[0], chain[1] = stored, seq + 1
        if notice_id <= anchor_limit:
            found.at_anchor[unit_id] = stored
    for unit_id in sorted(set(heads) | set(chains)):
        name = notice_chain(unit_id)
        known = heads.get(unit_id)
        chain = chains.get(unit_id)
        if chain is None:
            assert known is not None
            found.problems.append(
                ChainProblem(name, at_seq(known[0]), Reason(
                    "every record of the chain is missing", "audit.chain_emptied"
                ))
            )
        elif not chain[2] and (known is None or (chain[1] - 1, chain[0]) != known):
            ends = {"seq": chain[1] - 1, "hash": chain[0][:12]}
            found.problems.append(
                ChainProblem(name, at_seq(chain[1] - 1), Reason(
                    f"the chain ends at seq {chain[1] - 1} ({chain[0][:12]}) but its head "
                    "says no head: records were removed or added",
                    "audit.notice_no_head", **ends,
                ) if known is None else Reason(
                    f"the chain ends at seq {chain[1] - 1} ({chain[0][:12]}) but its head "
                    f"says seq {known[0]} ({known[1][:12]}): records were removed or added",
                    "audit.notice_head", **ends, head_seq=known[0], head=known[1][:12],
                ))
            )
    found.chains = len(set(heads) | set(chains))
    return found
