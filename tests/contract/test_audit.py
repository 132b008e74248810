"""The audit repository's contract: one chain of facts, anchors over every cycle's head,
the streams verification reads (in id order, by subtree, year and shard), and the
auditors' log with its filters."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tests.conftest import local
from tests.support.units_of_work import AuditView, write
from workflow.audit import cycle_head, verify_cycle_chains, verify_fact_chain
from workflow.audit_hashing import GENESIS, heads_digest
from workflow.service.auditing import verify_store
from workflow.service.cycles import CycleService

SECRETARY = ("bithu.thon1", "unit_secretary")
BOARD = ("btc.x01", "superior_org_board")


def test_facts_are_appended_to_one_chain_in_order(uow: Any) -> None:
    write(uow, lambda: uow.audit.append("note", local(2025, 2, 1), "a", detail={"b": 2, "a": 1}))
    write(uow, lambda: uow.audit.append(
        "refusal", "2025-02-02T00:00:00.000000Z", "b", role="r", unit_code="X", unit_path="/1/",
        cycle_id=3, year=2025, event="e", code="c",
    ))
    facts = list(uow.audit.fact_rows("audit_event"))
    assert [f.id for f in facts] == sorted(f.id for f in facts) and len(facts) == 2
    assert list(verify_fact_chain("event", facts)) == []
    # the canonical text of each fact, as stored
    assert facts[0].text.split("\x1f") == [
        "2025-02-01T02:00:00.000000Z", "note", "", "", "", "", "", "a", "", "", '{"a":1,"b":2}'
    ]
    assert facts[1].text.split("\x1f")[:7] == [
        "2025-02-02T00:00:00.000000Z", "refusal", "X", "/1/", "3", "2025", "e"
    ]


def test_an_anchor_hashes_every_head(commune: CycleService, uow: Any) -> None:
    assert uow.audit.last_anchor_detail() is None
    commune.clock.set(local(2025, 2, 20))
    assert commune.fire("CB-THON1", "register", 2025, *SECRETARY, {"plan": "KH"}).applied
    before = [f.hash for f in uow.audit.fact_rows("audit_event")]
    detail = write(uow, lambda: uow.audit.anchor(local(2025, 2, 21), "auditor"))
    heads = {c["cycle_id"]: c["head"] for c in uow.audit.chain_heads(None)}
    assert detail == {
        "transition_id": max(r[13] for r in uow.audit.transition_rows(None)),
        "cycles": 6, "digest": heads_digest(heads), "notice_head": GENESIS,
        # no notice yet: no unit's notice chain (workflow.audit_notices) to pin
        "notice_id": 0, "notice_digest": heads_digest({}),
        "event_head": before[-1],  # the audit-event chain's record just before it
    }
    assert uow.audit.last_anchor_detail() == detail
    # the anchor is a fact of the chain, but not a line of the auditors' log
    assert [f.text.split("\x1f")[1] for f in uow.audit.fact_rows("audit_event")][-1] == "anchor"
    assert all(e["kind"] != "anchor" for e in uow.audit.log(None, None, None, None, None, None))
    assert verify_store(AuditView(uow)).ok


def test_the_streams_of_verification(commune: CycleService, uow: Any) -> None:
    commune.clock.set(local(2025, 2, 20))
    for unit in ("CB-KP3", "CB-THON1"):
        assert commune.fire(unit, "register", 2025, *SECRETARY, {"plan": "KH"}).applied
    rows = list(uow.audit.transition_rows(None))
    assert [r[13] for r in rows] == sorted(r[13] for r in rows) and len(rows) == 8
    assert [(r[0], r[1], r[2]) for r in rows[-2:]] == [(6, 2, "register"), (1, 2, "register")]
    x02 = uow.units.find("X02")
    assert [(r[0], r[1]) for r in uow.audit.transition_rows(x02)] == [(6, 1), (6, 2)]
    assert list(uow.audit.transition_rows(None, 2024)) == []
    assert {r[0] for r in uow.audit.transition_rows(None, 2025, (1, 2))} == {1, 3, 5}
    heads = uow.audit.cycle_heads(None)
    assert sorted(heads) == [1, 2, 3, 4, 5, 6]
    assert heads[1].version == 2 and heads[1].state == "registered"
    assert sorted(uow.audit.cycle_heads(None, shard=(0, 3))) == [3, 6]
    assert verify_cycle_chains(rows, heads) == []
    lines = uow.audit.chain_heads(x02, 2025)
    assert lines == [{
        "cycle_id": 6, "unit": "CB-KP3", "year": 2025, "definition_id": "bon-tot",
        "definition_version": 4, "version": 2, "head": rows[-2][12], "unit_id": 9,
        "state": "registered", "outcome": None, "facts": '{"plan":"KH"}',
        "unit_path": "/1/8/9/",
    }]
    assert cycle_head(lines[0]) == heads[6]
    # a verifier's shard: the cycles whose id is 0 modulo 3, their deadlines in any order
    assert [c["cycle_id"] for c in uow.audit.chain_heads(None, None, (0, 3))] == [3, 6]
    deadlines = uow.audit.deadline_rows()
    assert {d[0] for d in deadlines} == {1, 2, 3, 4, 5, 6}
    assert {d[0] for d in uow.audit.deadline_rows((0, 3))} == {3, 6}
    split = [d for k in range(3) for d in uow.audit.deadline_rows((k, 3))]
    assert sorted(split) == sorted(deadlines)
    assert verify_store(AuditView(uow)).ok and verify_store(AuditView(uow), x02).ok


def test_the_log_lists_events_and_facts_with_its_filters(
    commune: CycleService, uow: Any
) -> None:
    commune.clock.set(local(2025, 4, 2))  # after the register deadline: late
    assert commune.fire("CB-THON1", "register", 2025, *SECRETARY, {"plan": "KH"}).applied
    commune.clock.set(local(2025, 4, 3))
    refused = commune.fire("CB-KP3", "propose", 2025, *SECRETARY, {})
    assert refused.decision.refusal is not None
    log = uow.audit.log(None, None, None, None, None, None)
    assert [(e["kind"], e["unit"], e["event"]) for e in log][-3:] == [
        ("ratings_imported", None, None),
        ("transition", "CB-THON1", "register"),
        ("refusal", "CB-KP3", "propose"),
    ]
    register = log[-2]
    assert (register["from"], register["to"], register["late_for"], register["detail"]) == (
        "not_registered", "registered", "register", {"plan": "KH"}
    )
    assert register["at"] == "2025-04-02T02:00:00.000000Z"  # as stored
    refusal = log[-1]
    assert (refusal["code"], refusal["role"], refusal["year"]) == (
        "wrong_state", "unit_secretary", 2025
    )
    late = uow.audit.log(None, None, None, None, None, "late")
    assert [(e["unit"], e["late_for"]) for e in late] == [("CB-THON1", "register")]
    assert [e["unit"] for e in uow.audit.log(None, None, None, None, None, "refusals")] == [
        "CB-KP3"
    ]
    x02 = uow.units.find("X02")
    assert [e["kind"] for e in uow.audit.log(x02, None, None, None, None, None)] == [
        "transition", "refusal"
    ]
    by_actor = uow.audit.log(None, "bithu.thon1", None, None, None, None)
    assert [e["kind"] for e in by_actor] == ["transition", "refusal"]
    assert [e["event"] for e in uow.audit.log(None, None, "open", None, None, None)] == [
        "open"
    ] * 6
    window = uow.audit.log(None, None, None, local(2025, 4, 2), local(2025, 4, 2, 23), None)
    assert [e["event"] for e in window] == ["register"]


def test_the_log_finds_overrides_in_the_payload(commune: CycleService, uow: Any) -> None:
    cycle = commune.cycle("CB-THON1", 2025)
    _, change = commune.prepare(cycle, "register", *SECRETARY, {"plan": "KH"})
    assert change is not None
    overridden = replace(change, payload_text='{"override":{"by":"btv"},"plan":"KH"}')
    write(uow, lambda: uow.cycles.apply(overridden))
    found = uow.audit.log(None, None, None, None, None, "overrides")
    assert [(e["unit"], e["detail"]) for e in found] == [
        ("CB-THON1", {"override": {"by": "btv"}, "plan": "KH"})
    ]


def test_overrides_are_found_by_their_key_in_its_own_case(
    commune: CycleService, uow: Any
) -> None:
    # LIKE would match "OVERRIDE" on SQLite and not on PostgreSQL; no backend may
    cycle = commune.cycle("CB-THON1", 2025)
    _, change = commune.prepare(cycle, "register", *SECRETARY, {"plan": "KH"})
    assert change is not None
    shouted = replace(change, payload_text='{"OVERRIDE":{"by":"btv"},"plan":"KH"}')
    write(uow, lambda: uow.cycles.apply(shouted))
    assert uow.audit.log(None, None, None, None, None, "overrides") == []
    assert [e["event"] for e in uow.audit.log(None, None, "register", None, None, None)] == [
        "register"
    ]
