"""Inspectors' signed anchors (pure: facts and keys in, verdicts out).

Why. Whoever holds the database file can rewrite a chain, its head and every later
anchor consistently: the hashes alone then agree. An anchor signed with an inspector's
Ed25519 private key (a key that never enters the database) cannot be redone by them.
Verification holds the chains to the last anchor signed by a key the inspector trusts
(`audit verify --trust KEYS`, the public keys from the inspector's own copy, never from
the database): its signature must hold, its heads must be what the chains hold at its
last record, and the audit-event record before it must still be there.

Signatures are history too: each signed anchor carries its number and a hash of the
signature before it, so a signed anchor removed between two others (with the chain
re-hashed around the gap) is named at the next one. The last one removed shows as an
older last signed anchor and a longer unanchored tail, which verification says with its
length and age (and `verify --against` the anchor file catches exactly).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from workflow.audit import ChainProblem, FactRow, at_id
from workflow.audit_hashing import GENESIS, canonical_json, heads_digest
from workflow.errors import Reason

#: the audit-event fields, in the order a FactRow keeps them
_AT, _KIND, _ACTOR, _DETAIL = 0, 1, 7, 10

#: what an anchor's signature covers: every key of its detail but the signature itself
SIGNATURE = "signature"
#: the chain a signed anchor's problem is in
SIGNED = Reason("signed anchor", "audit.at.signed_anchor")


def fingerprint(public_key: bytes) -> str:
    """A key's short name in the trail: SHA-256 of its 32 raw bytes, hex, 32 digits."""
    return hashlib.sha256(public_key).hexdigest()[:32]


def anchor_message(detail: Mapping[str, Any]) -> bytes:
    """The bytes an anchor's signature is over: the canonical JSON of its detail."""
    return canonical_json({k: v for k, v in detail.items() if k != SIGNATURE}).encode()


def signature_print(signature: str) -> str:
    """What the next signed anchor keeps of this one's signature."""
    return hashlib.sha256(signature.encode()).hexdigest()


def signature_holds(public_key: bytes, detail: Mapping[str, Any]) -> bool:
    try:
        raw = base64.b64decode(str(detail.get(SIGNATURE, "")), validate=True)
        Ed25519PublicKey.from_public_bytes(public_key).verify(raw, anchor_message(detail))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


@dataclass(frozen=True)
class SignedAnchor:
    """An anchor of the audit-event chain that carries a signature."""

    id: int
    at: str
    actor: str
    detail: dict[str, Any]

    @property
    def number(self) -> int:
        return int(self.detail.get("number", 0))

    @property
    def key(self) -> str:
        return str(self.detail.get("key", ""))

    @property
    def key_fingerprint(self) -> str:
        return str(self.detail.get("fingerprint", ""))

    @property
    def transition_id(self) -> int:
        return int(self.detail.get("transition_id", 0))


def _detail(fact: FactRow) -> dict[str, Any] | None:
    try:
        value = json.loads(fact.fields[_DETAIL] or "{}")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def signed_anchors(facts: Iterable[FactRow]) -> list[SignedAnchor]:
    """Every signed anchor of the audit-event chain, in its order."""
    found = []
    for fact in facts:
        if fact.fields[_KIND] != "anchor":
            continue
        detail = _detail(fact)
        if detail is not None and SIGNATURE in detail:
            found.append(
                SignedAnchor(fact.id, str(fact.fields[_AT]), str(fact.fields[_ACTOR]), detail)
            )
    return found


def next_seal(last_signed: Mapping[str, Any] | None) -> dict[str, Any]:
    """What a new signed anchor carries of the one before it (`last_signed`, its
    detail): its number, and the print of that signature (GENESIS for the first)."""
    if last_signed is None:
        return {"number": 1, "previous": GENESIS}
    return {
        "number": int(last_signed.get("number", 0)) + 1,
        "previous": signature_print(str(last_signed.get(SIGNATURE))),
    }


def key_revocations(facts: Iterable[FactRow]) -> dict[str, str]:
    """fingerprint -> when the trail says its key was revoked."""
    names: dict[str, str] = {}
    revoked: dict[str, str] = {}
    for fact in facts:
        kind = fact.fields[_KIND]
        if kind not in ("inspector_key_added", "inspector_key_revoked"):
            continue
        detail = _detail(fact) or {}
        if kind == "inspector_key_added":
            names[str(detail.get("key"))] = str(detail.get("fingerprint"))
        elif str(detail.get("key")) in names:
            revoked.setdefault(names[str(detail["key"])], str(fact.fields[_AT]))
    return revoked


@dataclass
class TrustCheck:
    """What holding the chains to the signed anchors found."""

    problems: list[ChainProblem] = field(default_factory=list)
    #: the last anchor signed by a trusted key whose signature holds
    last: SignedAnchor | None = None
    signed: int = 0


#: heads_at(transition id) -> each cycle's head as of that record (cycle id -> hash)
HeadsAt = Callable[[int], dict[int, str]]


def check_signed_anchors(
    facts: list[FactRow],
    trusted: Mapping[str, bytes],
    heads_at: HeadsAt,
    notice_hashes: set[str],
) -> TrustCheck:
    """Hold the trail to its signed anchors. `trusted`: fingerprint -> raw public key,
    from the inspector's own file. Each signed anchor: numbered after the one before it
    and carrying its signature's print (none removed between), and, when its key is
    trusted, a signature that holds on a key not revoked before it. The last trusted one
    must see what the chains hold now: the digest of the heads at its last record, the
    audit-event record before it, and the notice chain's head it saw."""
    found = TrustCheck()
    anchors = signed_anchors(facts)
    found.signed = len(anchors)
    revoked = key_revocations(facts)
    number, previous = 0, GENESIS
    for anchor in anchors:
        where = at_id(anchor.id)
        if anchor.number != number + 1 or anchor.detail.get("previous") != previous:
            found.problems.append(
                ChainProblem(SIGNED, where, Reason(
                    f"it is number {anchor.number} after number {number}, or does not carry the "
                    "print of the signature before it: a signed anchor was removed or replaced",
                    "audit.signed_sequence", number=anchor.number, previous=number,
                ))
            )
        number = anchor.number
        previous = signature_print(str(anchor.detail.get(SIGNATURE)))
        key = trusted.get(anchor.key_fingerprint)
        if key is None:
            continue  # someone else's key: it proves nothing to this inspector
        if not signature_holds(key, anchor.detail):
            found.problems.append(
                ChainProblem(SIGNED, where, Reason(
                    f"its signature by key {anchor.key!r} does not hold: the anchor was "
                    "rewritten after it was signed",
                    "audit.signature_broken", key=anchor.key,
                ))
            )
            continue
        when = revoked.get(anchor.key_fingerprint)
        if when is not None and when <= anchor.at:
            found.problems.append(
                ChainProblem(SIGNED, where, Reason(
                    f"signed with key {anchor.key!r} after its revocation",
                    "audit.signed_revoked", key=anchor.key,
                ))
            )
            continue
        found.last = anchor
    if found.last is None:
        found.problems.append(
            ChainProblem(SIGNED, Reason("none", "audit.at.none"), Reason(
                "no anchor signed by a trusted key holds: nothing in the trail is proven",
                "audit.nothing_proven",
            ))
        )
        return found
    found.problems += _held_to(found.last, facts, heads_at, notice_hashes)
    return found


def _held_to(
    anchor: SignedAnchor, facts: list[FactRow], heads_at: HeadsAt, notice_hashes: set[str]
) -> list[ChainProblem]:
    where = at_id(anchor.id)
    problems = []
    if heads_digest(heads_at(anchor.transition_id)) != anchor.detail.get("digest"):
        problems.append(
            ChainProblem(SIGNED, where, Reason(
                f"the cycle chains up to record {anchor.transition_id} are not what it signed: "
                "records were rewritten, removed or inserted before it",
                "audit.signed_heads", id=anchor.transition_id,
            ))
        )
    before = next((f.hash for f in reversed(facts) if f.id < anchor.id), GENESIS)
    if anchor.detail.get("event_head") != before:
        problems.append(
            ChainProblem(SIGNED, where, Reason(
                "the audit-event record before it is not the one it signed: the chain was "
                "rewritten before it",
                "audit.signed_event_head",
            ))
        )
    notice = anchor.detail.get("notice_head")
    if notice not in (None, GENESIS) and notice not in notice_hashes:
        problems.append(
            ChainProblem(SIGNED, where, Reason(
                "the notice chain no longer holds the record it signed at its end",
                "audit.signed_notice_head",
            ))
        )
    return problems
