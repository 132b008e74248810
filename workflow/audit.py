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

Encoding: workflow.audit_hashing (a record's text and the link over it).

What it catches: an edited, deleted, inserted or reordered record breaks its chain at
that record; verification names the first bad one. What it cannot catch on its own: an
attacker who holds the file and rewrites a chain, its head and every later anchor
consistently. Against that, the auditor keeps an export (`bontot audit export`): its
hashes pin history as it was on the day it was taken.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from workflow.audit_hashing import (
    CANONICAL,
    GENESIS,
    SEP,
    V2,
    cycle_genesis,
    fact_text,
    heads_digest,
    links,
)
from workflow.errors import Reason


@dataclass(frozen=True)
class ChainProblem:
    """The first bad record found: where, and what is wrong with it."""

    chain: str  # "cycle 12", "notice", "event", "anchor"
    record: str  # "seq 3", "id 1042"
    message: str

    def __str__(self) -> str:
        return f"{self.chain}, {self.record}: {self.message}"


# Where a problem is and what it is are Reasons (workflow.errors): their English is what
# logs, the JSON output and the tests read; the adapters say them in the reader's language.
def cycle_chain(cycle_id: object) -> Reason:
    return Reason(f"cycle {cycle_id}", "audit.at.cycle", id=cycle_id)


def at_seq(seq: object) -> Reason:
    return Reason(f"seq {seq}", "audit.at.seq", seq=seq)


def at_id(record_id: object) -> Reason:
    return Reason(f"id {record_id}", "audit.at.id", id=record_id)


def anchor_upto(record_id: object) -> tuple[Reason, Reason]:
    return (Reason("anchor", "audit.at.anchor"),
            Reason(f"records up to id {record_id}", "audit.at.upto", id=record_id))  # fmt: skip


def out_of_sequence(expected: int, missing: bool) -> Reason:
    what = "missing" if missing else "repeated or out of order"
    return Reason(
        f"expected seq {expected}: a record is {what}",
        "audit.missing_record" if missing else "audit.repeated_record", seq=expected,
    )


OLD_ENCODING = Reason(
    "written in the old encoding after a record in the new one: rewritten to move a value "
    "between its fields",
    "audit.old_encoding",
)


#: a transition record as stored: cycle_id, seq, event, from_state, to_state, actor, role,
#: at, payload, checks, definition_id, definition_version, hash, id
TransitionColumns = tuple[Any, ...]


@dataclass(frozen=True)
class CycleHead:
    """What a cycle row says of its chain: version, head hash, state, and where the chain
    starts (its genesis, from its unit, year and definition)."""

    version: int
    head: str
    state: str
    genesis: str
    #: the definition version the cycle row is on (0: not said). A cycle migrated to
    #: another version (`definitions migrate`) says the new one: its chain's last record
    #: must say the same, and its genesis is made from the version its chain opened with.
    definition_version: int = 0
    #: (unit id, year, definition id): to make that genesis
    origin: tuple[int, int, str] | None = None

    def genesis_for(self, cycle_id: int, opened_version: int) -> str:
        """The chain's genesis when its opening record says `opened_version`."""
        if self.origin is None or opened_version == self.definition_version:
            return self.genesis
        unit_id, year, definition_id = self.origin
        return cycle_genesis(cycle_id, unit_id, year, definition_id, opened_version)


def cycle_head(row: dict[str, Any]) -> CycleHead:
    """A CycleHead from a cycle's line (as the store lists it, and as an export keeps it)."""
    version = int(row["definition_version"])
    return CycleHead(
        int(row["version"]),
        str(row["head"]),
        str(row["state"]),
        cycle_genesis(
            int(row["cycle_id"]), int(row["unit_id"]), int(row["year"]),
            str(row["definition_id"]), version,
        ),
        version,
        (int(row["unit_id"]), int(row["year"]), str(row["definition_id"])),
    )


@dataclass
class ChainCheck:
    """What checking a set of cycle chains found: its first bad records, how many records
    and chains it read, and each cycle's head as of an anchor's last record."""

    problems: list[ChainProblem]
    records: int
    at_anchor: dict[int, str]
    chains: int = 0


def check_cycle_chains(
    rows: Iterable[TransitionColumns],
    heads: dict[int, CycleHead],
    anchor_limit: int = -1,
) -> ChainCheck:
    """Walk cycle chains record by record. Records of different cycles may interleave
    (the table's own order, the fastest to read); each cycle's own must come in seq order.
    `heads`: what each cycle row says of its chain."""
    found = ChainCheck([], 0, {})
    problems, at_anchor = found.problems, found.at_anchor
    # per cycle: [hash so far, next seq expected, broken, state reached, definition
    # version reached, a version-2 record seen]
    chains: dict[int, list[Any]] = {}
    sha256, sep, encode = hashlib.sha256, SEP, CANONICAL.encode
    count = 0
    for row in rows:
        count += 1
        cycle_id, seq = row[0], row[1]
        chain = chains.get(cycle_id)
        if chain is None:
            known = heads.get(cycle_id)
            # a migrated cycle's chain opened on the version its first record names
            start = known.genesis_for(cycle_id, row[11]) if known and seq == 1 else (
                known.genesis if known else GENESIS
            )
            chain = chains[cycle_id] = [start, 1, False, None, None, False]
        elif chain[2]:
            continue
        if seq != chain[1]:
            chain[2] = True
            problems.append(
                ChainProblem(
                    cycle_chain(cycle_id), at_seq(seq), out_of_sequence(chain[1], seq > chain[1])
                )
            )
            continue
        stored = row[12]
        if stored.startswith(V2):
            text = encode(
                [
                    str(cycle_id), str(seq), row[2], row[3], row[4], row[5], row[6], row[7],
                    row[8], row[9], row[10], str(row[11]),
                ]
            )
            chain[5] = True
            computed = V2 + sha256(f"{chain[0]}\n{text}".encode()).hexdigest()
        else:
            text = sep.join(
                (
                    str(cycle_id), str(seq), row[2], row[3] or "", row[4], row[5], row[6],
                    row[7], row[8], row[9], row[10], str(row[11]),
                )
            )
            computed = sha256(f"{chain[0]}{sep}{text}".encode()).hexdigest()
            if chain[5]:
                chain[2] = True
                problems.append(ChainProblem(cycle_chain(cycle_id), at_seq(seq), OLD_ENCODING))
                continue
        if computed != stored:
            chain[2] = True
            problems.append(
                ChainProblem(
                    cycle_chain(cycle_id),
                    at_seq(seq),
                    Reason(
                        "its content or its place does not match its hash: edited, inserted "
                        "or moved, or the cycle moved to another unit, year or definition",
                        "audit.first_hash",
                    ) if seq == 1 else Reason(
                        "its content or its place does not match its hash: edited, inserted "
                        "or moved",
                        "audit.record_hash",
                    ),
                )
            )
            continue
        chain[0], chain[1], chain[3], chain[4] = row[12], seq + 1, row[4], row[11]
        if row[13] <= anchor_limit:
            at_anchor[cycle_id] = chain[0]
    for cycle_id in sorted(set(heads) | set(chains)):
        known = heads.get(cycle_id, CycleHead(0, "", "", GENESIS))
        chain = chains.get(cycle_id)
        if chain is None:
            if known.version > 0:
                problems.append(
                    ChainProblem(
                        cycle_chain(cycle_id), at_seq(1),
                        Reason("every record of the cycle is missing", "audit.cycle_emptied"),
                    )
                )
        elif not chain[2] and (chain[1] - 1 != known.version or chain[0] != known.head):
            problems.append(
                ChainProblem(
                    cycle_chain(cycle_id),
                    at_seq(chain[1] - 1),
                    Reason(
                        f"the chain ends at seq {chain[1] - 1} ({chain[0][:12]}) but the cycle "
                        f"is at version {known.version} with head {known.head[:12]}: records "
                        "were removed or added, or the cycle moved to another unit or year",
                        "audit.cycle_head", seq=chain[1] - 1, hash=chain[0][:12],
                        version=known.version, head=known.head[:12],
                    ),
                )
            )
        elif not chain[2] and known.state and chain[3] != known.state:
            problems.append(
                ChainProblem(
                    cycle_chain(cycle_id),
                    at_seq(chain[1] - 1),
                    Reason(
                        f"the cycle says {known.state!r} but its records end in {chain[3]!r}: "
                        "the cycle row was edited",
                        "audit.cycle_state", cycle_state=known.state, chain_state=chain[3],
                        definition=known.origin[2] if known.origin else None,
                    ),
                )
            )
        elif (
            not chain[2]
            and known.definition_version
            and chain[4] is not None
            and int(chain[4]) != known.definition_version
        ):
            problems.append(
                ChainProblem(
                    cycle_chain(cycle_id),
                    at_seq(chain[1] - 1),
                    Reason(
                        f"the cycle says definition version {known.definition_version} but "
                        f"its records end on version {chain[4]}: the cycle row was edited",
                        "audit.cycle_version", version=known.definition_version,
                        last=chain[4],
                    ),
                )
            )
    found.records = count
    found.chains = len(set(heads) | set(chains))
    problems.sort(key=lambda p: int(p.chain.split()[1]))
    return found


def check_anchor(at_anchor: dict[int, str], anchor: tuple[int, str]) -> ChainProblem | None:
    if heads_digest(at_anchor) == anchor[1]:
        return None
    return ChainProblem(
        *anchor_upto(anchor[0]),
        Reason(
            "the chains no longer hold what the last anchor saw: records were removed or "
            "rewritten after it was taken",
            "audit.anchor_broken",
        ),
    )


def verify_cycle_chains(
    rows: Iterable[TransitionColumns],
    heads: dict[int, CycleHead],
    anchor: tuple[int, str] | None = None,
) -> list[ChainProblem]:
    """Every broken chain's first bad record, and the anchor's verdict if one is given."""
    found = check_cycle_chains(rows, heads, anchor[0] if anchor else -1)
    problems = list(found.problems)
    if anchor is not None:
        late = check_anchor(found.at_anchor, anchor)
        if late is not None:
            problems.append(late)
    return problems


@dataclass(frozen=True)
class FactRow:
    id: int
    fields: tuple[Any, ...]
    hash: str
    #: a notice's place in its unit's chain (workflow.audit_notices); None in a global chain
    seq: int | None = None

    @property
    def text(self) -> str:
        """Its version-1 text (fields joined by SEP)."""
        return fact_text(self.fields)


FACT_HASH = Reason(
    "its content or its place does not match its hash: edited, inserted, moved, or the "
    "record before it was deleted",
    "audit.fact_hash",
)


def verify_fact_chain(chain: str, rows: Iterable[FactRow]) -> Iterator[ChainProblem]:
    """A global chain in id order: each hash over the previous one and the row's fields,
    in the encoding the row was written with (never version 1 after version 2)."""
    previous, modern = GENESIS, False
    for row in rows:
        if modern and not row.hash.startswith(V2):
            yield ChainProblem(chain, at_id(row.id), OLD_ENCODING)
            return
        if not links(previous, row.fields, row.hash):
            yield ChainProblem(chain, at_id(row.id), FACT_HASH)
            return
        previous, modern = row.hash, row.hash.startswith(V2)

