"""An inspector's signed anchors against whoever holds the database: a chain rewritten
consistently (its records, its head, every later anchor and the audit-event chain
re-hashed) verifies on its hashes alone, and is caught once verification holds the trail
to the anchor the inspector signed (`--trust`) or to the file they kept (`--against`).
On SQLite and PostgreSQL, with real Ed25519 keys."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters import bootstrap, signing_keys
from adapters.audit_trust import anchor_file, verify_against, verify_trust
from adapters.audit_verify import verify_database
from adapters.persistence.db import create_schema, make_engine
from adapters.persistence.store import SqlStore
from tests.conftest import COMMUNE, local
from tests.support.backends import execute, rows
from workflow.audit_hashing import canonical_json, cycle_genesis, heads_digest, link
from workflow.audit_signing import fingerprint
from workflow.clock import VirtualClock
from workflow.service.auditing import Verification
from workflow.service.cycles import CycleService, weekends_only
from workflow.spec.registry import Definition

SIGNED_AT = local(2025, 2, 22, 10)


@pytest.fixture
def signed(db_url: str, bon_tot: Definition, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The commune's cycles, two events on CB-THON1, the inspector's key registered and
    an anchor signed with it (its file kept), then one more event: the unanchored tail."""
    engine = make_engine(db_url)
    create_schema(engine)
    store = SqlStore(engine)
    clock = VirtualClock(local(2025, 1, 5, 8))
    store.import_units(COMMUNE, clock.now(), "quantri")
    service = CycleService(store, clock, weekends_only)
    service.open_cycles(bon_tot, 2025)
    clock.set(local(2025, 2, 20))
    assert service.fire("CB-THON1", "register", 2025, "bithu", "unit_secretary",
                        {"plan": "KH-05"}).applied  # fmt: skip
    clock.set(local(2025, 2, 21))
    assert service.fire("CB-THON1", "start", 2025, "bithu", "unit_secretary").applied
    store.close()
    engine.dispose()
    key = tmp_path / "ubkt.key"
    signing_keys.generate(key)
    app = bootstrap.build(db_url, VirtualClock(SIGNED_AT))
    try:
        app.inspectors.add_key("ubkt", signing_keys.public_keys(key.with_suffix(".key.pub"))[0],
                               "system")  # fmt: skip
        detail = app.inspectors.sign_anchor("system", signing_keys.signer(key))
    finally:
        app.close()
    (tmp_path / "anchor.json").write_text(json.dumps(anchor_file(db_url, detail)))
    engine = make_engine(db_url)
    store = SqlStore(engine)
    clock = VirtualClock(local(2025, 2, 24))
    assert (
        CycleService(store, clock, weekends_only)
        .fire("CB-KP3", "register", 2025, "bithu", "unit_secretary", {"plan": "KH-07"})
        .applied
    )
    store.close()
    engine.dispose()
    yield db_url, tmp_path


def verified(url: str, folder: Path, trust: bool = True) -> Verification:
    report = verify_database(url, workers=1)
    if trust:
        keys = signing_keys.trusted(folder / "ubkt.key.pub")
        verify_trust(url, keys, local(2025, 3, 1, 9), report)
    return report


def test_the_untouched_trail_is_proven_up_to_its_signed_anchor_and_its_tail_is_named(
    signed: tuple[str, Path],
) -> None:
    url, folder = signed
    report = verified(url, folder)
    assert report.problems == []
    assert report.notes[0].startswith("last signed anchor: id ")
    assert "number 1, key 'ubkt', 22/02/2025 10:00" in report.notes[0]
    # the one event after it: its length and its age (24/02 09:00 to 01/03 09:00)
    assert report.notes[1].startswith(
        "unanchored tail: 1 transition record(s) and 0 audit event(s) after it, the oldest "
        "from 24/02/2025 09:00 (5 day(s) 0 h ago)"
    )
    assert verify_against(url, folder / "anchor.json") == []


def _rewrite_chain(url: str, code: str) -> int:
    """The attacker's rewrite of a cycle's chain: the plan of its first move changed,
    every later record re-hashed from its genesis, the head moved to match."""
    ((cycle_id, unit_id, year, definition_id),) = rows(
        url, "SELECT c.id, c.unit_id, c.year, c.definition_id FROM cycle c "
        "JOIN unit u ON u.id = c.unit_id WHERE u.code = ?", (code,),
    )  # fmt: skip
    records = rows(
        url, "SELECT id, seq, event, from_state, to_state, actor, role, at, payload, checks, "
        "definition_id, definition_version FROM transition WHERE cycle_id = ? ORDER BY seq",
        (cycle_id,),
    )  # fmt: skip
    previous = cycle_genesis(cycle_id, unit_id, year, definition_id, records[0][11])
    statements = []
    for r in records:
        payload = r[8].replace("KH-05", "KH-99")
        previous = link(previous, (cycle_id, r[1], *r[2:8], payload, *r[9:12]))
        statements.append(
            f"UPDATE transition SET payload = '{payload}', hash = '{previous}' WHERE id = {r[0]}"
        )
    statements.append(f"UPDATE cycle SET head_hash = '{previous}' WHERE id = {cycle_id}")
    statements.append(f"UPDATE cycle SET facts = REPLACE(facts, 'KH-05', 'KH-99') "
                      f"WHERE id = {cycle_id}")  # fmt: skip
    execute(url, *statements, bypass_triggers=True)
    return cycle_id


def _rehash_events(url: str, anchor_detail: object = None) -> None:
    """Every anchor given the digest of the heads as they now are (its signature kept,
    or dropped: `anchor_detail` "unsign"; or the signed anchor removed: "remove"), and
    the audit-event chain re-hashed from its start, consistently."""
    events = rows(
        url, "SELECT id, at, kind, unit_code, unit_path, cycle_id, year, event, actor, role, "
        "code, detail FROM audit_event ORDER BY id",
    )  # fmt: skip
    statements, previous = [], "0" * 64
    for e in events:
        detail = json.loads(e[11])
        if e[2] == "anchor":
            detail["digest"] = heads_digest(_heads_at(url, detail["transition_id"]))
            detail["event_head"] = previous
            if "signature" in detail and anchor_detail == "remove":
                statements.append(f"DELETE FROM audit_event WHERE id = {e[0]}")
                continue
            if "signature" in detail and anchor_detail == "unsign":
                detail = {k: v for k, v in detail.items()
                          if k not in ("signature", "key", "fingerprint", "number", "previous",
                                       "signed_at")}  # fmt: skip
        text = canonical_json(detail)
        previous = link(previous, (*e[1:11], text))
        statements.append(
            f"UPDATE audit_event SET detail = '{text}', hash = '{previous}' WHERE id = {e[0]}"
        )
    execute(url, *statements, bypass_triggers=True)


def _heads_at(url: str, last_id: int) -> dict[int, str]:
    """Each cycle's last hash at or before the record `last_id`, as the attacker reads it."""
    heads: dict[int, str] = {}
    for cycle_id, digest in rows(
        url, "SELECT cycle_id, hash FROM transition WHERE id <= ? ORDER BY id", (last_id,)
    ):
        heads[cycle_id] = digest
    return heads


def test_a_consistent_rewrite_verifies_on_its_hashes_alone(signed: tuple[str, Path]) -> None:
    """What the hashes alone cannot see: the reason for signing."""
    url, folder = signed
    _rewrite_chain(url, "CB-THON1")
    _rehash_events(url)
    assert verified(url, folder, trust=False).problems == []


@pytest.mark.parametrize(
    ("variant", "named"),
    [
        (
            None,
            "signed anchor, id {a}: its signature by key 'ubkt' does not hold: the "
            "anchor was rewritten after it was signed",
        ),
        ("unsign", "signed anchor, none: no anchor signed by a trusted key holds"),
        ("remove", "signed anchor, none: no anchor signed by a trusted key holds"),
    ],
    ids=["re-hashed", "signature-stripped", "signed-anchor-removed"],
)
def test_a_consistent_rewrite_of_a_chain_its_head_and_anchors_is_caught_by_the_signature(
    signed: tuple[str, Path], variant: str | None, named: str
) -> None:
    url, folder = signed
    (anchor_id,) = rows(url, "SELECT MAX(id) FROM audit_event WHERE kind = 'anchor'")[0]
    cycle_id = _rewrite_chain(url, "CB-THON1")
    _rehash_events(url, variant)
    found = [str(p) for p in verified(url, folder).problems]
    assert found[0].startswith(named.format(a=anchor_id)), found
    # nothing else is wrong, to the hashes: only the signature sees it
    assert all(p.startswith("signed anchor, ") for p in found), found
    # and the anchor file the inspector kept names the very cycle
    against = [str(p) for p in verify_against(url, folder / "anchor.json")]
    assert f"cycle {cycle_id}, at the anchor: its chain at the anchor ends in" in " ".join(against)


def test_a_signed_anchor_whose_heads_no_longer_match_is_named(signed: tuple[str, Path]) -> None:
    """The signed anchor left as it was (signature holding), the chain under it
    rewritten: its digest no longer matches the heads."""
    url, folder = signed
    (anchor_id,) = rows(url, "SELECT MAX(id) FROM audit_event WHERE kind = 'anchor'")[0]
    _rewrite_chain(url, "CB-THON1")
    found = [str(p) for p in verified(url, folder).problems]
    assert f"signed anchor, id {anchor_id}: the cycle chains up to record" in " ".join(found), found


def test_a_signed_anchor_removed_between_two_is_named_at_the_next(
    signed: tuple[str, Path],
) -> None:
    url, folder = signed
    key = folder / "ubkt.key"
    app = bootstrap.build(url, VirtualClock(local(2025, 2, 25, 10)))
    try:
        app.inspectors.sign_anchor("system", signing_keys.signer(key))
        app.clock.set(local(2025, 2, 26, 10))  # type: ignore[attr-defined]
        app.inspectors.sign_anchor("system", signing_keys.signer(key))
    finally:
        app.close()
    anchors = [r[0] for r in rows(url, "SELECT id FROM audit_event WHERE kind = 'anchor' "
                                       "ORDER BY id")]  # fmt: skip
    assert len(anchors) == 3
    execute(url, f"DELETE FROM audit_event WHERE id = {anchors[1]}", bypass_triggers=True)
    _rehash_events_keeping_anchors(url)
    found = [str(p) for p in verified(url, folder).problems]
    assert any(
        p.startswith(f"signed anchor, id {anchors[2]}: it is number 3 after number 1")
        for p in found
    ), found


def _rehash_events_keeping_anchors(url: str) -> None:
    events = rows(
        url, "SELECT id, at, kind, unit_code, unit_path, cycle_id, year, event, actor, role, "
        "code, detail FROM audit_event ORDER BY id",
    )  # fmt: skip
    statements, previous = [], "0" * 64
    for e in events:
        previous = link(previous, e[1:12])
        statements.append(f"UPDATE audit_event SET hash = '{previous}' WHERE id = {e[0]}")
    execute(url, *statements, bypass_triggers=True)


def test_an_anchor_signed_by_a_key_the_inspector_does_not_trust_proves_nothing(
    signed: tuple[str, Path],
) -> None:
    url, folder = signed
    other = folder / "other.key"
    signing_keys.generate(other)
    report = verify_database(url, workers=1)
    verify_trust(url, signing_keys.trusted(other.with_suffix(".key.pub")), local(2025, 3, 1),
                 report)  # fmt: skip
    assert [str(p) for p in report.problems] == [
        "signed anchor, none: no anchor signed by a trusted key holds: nothing in the trail "
        "is proven"
    ]


def test_the_key_register_changed_behind_the_trail_is_named(signed: tuple[str, Path]) -> None:
    url, folder = signed
    ((public_key,),) = rows(url, "SELECT public_key FROM inspector_key")
    execute(url, "UPDATE inspector_key SET fingerprint = 'ff' WHERE name = 'ubkt'",
            bypass_triggers=True)  # fmt: skip
    found = [str(p) for p in verified(url, folder, trust=False).problems]
    assert found == [
        "key register, ubkt: changed outside the trail: fingerprint 'ff' where the trail says "
        f"{fingerprint(bytes.fromhex(public_key))!r}"
    ]


def test_a_revoked_key_register_undone_is_named(signed: tuple[str, Path]) -> None:
    url, folder = signed
    app = bootstrap.build(url, VirtualClock(local(2025, 2, 25)))
    try:
        app.inspectors.revoke_key("ubkt", "system")
    finally:
        app.close()
    execute(url, "UPDATE inspector_key SET revoked_at = NULL", bypass_triggers=True)
    found = [str(p) for p in verified(url, folder, trust=False).problems]
    assert found == [
        "key register, ubkt: changed outside the trail: revoked None where the trail says 'revoked'"
    ]
