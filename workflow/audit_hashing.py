"""The audit trail's hashes: the canonical text of a record and the chain link over it
(pure). What the chains are and why, and what verification catches: workflow.audit.

Encoding. A record's hash covers its fields in one unambiguous encoding: version 2
(`V2`, the prefix of every hash written with it) hashes the canonical JSON of the list
of its fields, so no value can move from one field into the next. Version 1 (no prefix)
joined the fields with U+001F, which a field could itself hold; chains written with it
keep verifying under it, but once a chain holds a version-2 record, a later version-1
record is a forgery.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

GENESIS = "0" * 64
SEP = "\x1f"  # a unit separator: never in a code, a state name or canonical JSON text


# Built once: json.dumps with non-default options builds an encoder on every call, and
# this runs on every transition.
CANONICAL = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def canonical_json(value: Any) -> str:
    """The one JSON text of a value: keys sorted, no spaces, UTF-8 kept."""
    return CANONICAL.encode(value)


def cycle_genesis(
    cycle_id: int, unit_id: int, year: int, definition_id: str, definition_version: int
) -> str:
    """Where a cycle's chain starts: bound to its unit, year and definition, so that a
    cycle row moved to another unit or year no longer matches its own records."""
    # fact_text(("cycle", cycle_id, …)) written out: every cycle's chain is checked from
    # here, so a verification makes one per cycle
    s = SEP
    text = f"cycle{s}{cycle_id}{s}{unit_id}{s}{year}{s}{definition_id}{s}{definition_version}"
    return hashlib.sha256(f"{GENESIS}{s}{text}".encode()).hexdigest()


def chain_hash(previous: str, text: str) -> str:
    """A version-1 link: over the previous hash and a text joined by SEP."""
    return hashlib.sha256(f"{previous}{SEP}{text}".encode()).hexdigest()


#: the prefix of a hash written in encoding version 2 (the record's version byte)
V2 = "v2:"


def encoded(fields: Iterable[Any]) -> str:
    """Version 2's canonical text of a record: the JSON list of its fields, each a string
    or null. JSON escapes every quote and control character, so a field's bytes can never
    be read as part of its neighbour."""
    return CANONICAL.encode([None if value is None else str(value) for value in fields])


def link(previous: str, fields: Iterable[Any]) -> str:
    """The hash of a record written today (encoding version 2) after `previous`."""
    text = CANONICAL.encode([None if value is None else str(value) for value in fields])
    return V2 + hashlib.sha256(f"{previous}\n{text}".encode()).hexdigest()


def links(previous: str, fields: Sequence[Any], stored: str) -> bool:
    """Whether `stored` is the hash of this record after `previous`, in the encoding the
    record says it was written with."""
    if stored.startswith(V2):
        return link(previous, fields) == stored
    return chain_hash(previous, fact_text(fields)) == stored


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


def heads_digest(heads: dict[int, str]) -> str:
    """One hash over every chain's head, in cycle order: what an anchor keeps."""
    digest = hashlib.sha256()
    for cycle_id in sorted(heads):
        digest.update(f"{cycle_id}:{heads[cycle_id]}\n".encode())
    return digest.hexdigest()
