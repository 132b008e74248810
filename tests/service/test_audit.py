"""Verifying the audit trail, on the twin: an untouched trail verifies; every edit,
deletion, insertion and reordering of the tables is found and named; an anchor catches
a rewritten tail; an export verifies offline (ported from the verification half of
tests/integration/test_audit_chain.py; the append-only triggers and the parallel
verifier, which are the database's, stay there)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from adapters.notifications.templates import render_digest
from tests.conftest import COMMUNE, GOOD_EVALUATION, local
from tests.support.register import COMMUNE_RATINGS
from tests.support.twin import import_ratings, import_units
from tests.support.units_of_work import AuditView, write
from workflow.clock import VirtualClock
from workflow.service.auditing import export_lines, verify_export, verify_store
from workflow.service.cycles import CycleService, weekends_only
from workflow.service.ticks import Ticks
from workflow.spec.registry import Definition
from workflow.testing import InMemoryUnitOfWork, RecordingNotifier

SECRETARY = ("bithu.thon1", "unit_secretary")
BOARD = ("btc.x01", "superior_org_board")
STANDING = ("btv.x01", "superior_standing_committee")
YEAR_OF_CB_THON1 = [
    (local(2025, 2, 20), "register", SECRETARY, {"plan": "KH-05"}),
    (local(2025, 2, 21), "start", SECRETARY, {}),
    (local(2025, 12, 10), "self_evaluate", SECRETARY, GOOD_EVALUATION),
    (local(2025, 12, 28), "propose", SECRETARY, {}),
    (local(2026, 1, 20), "appraise", BOARD, {}),
    (local(2026, 3, 2), "recognize", STANDING, {"decision": "125-QĐ/ĐU"}),
]


@pytest.fixture
def trail(bon_tot: Definition) -> InMemoryUnitOfWork:
    """The commune's 2025 cycles, one cell's whole year, a refusal, the notices sent."""
    uow = InMemoryUnitOfWork()
    clock = VirtualClock(local(2025, 1, 5, 8))
    service = CycleService(uow, clock, weekends_only)
    import_units(uow, COMMUNE)
    service.open_cycles(bon_tot, 2025)
    import_ratings(uow, COMMUNE_RATINGS, clock.now(), "btc.x01", {"file": "dv.xlsx"})
    for when, event, (actor, role), payload in YEAR_OF_CB_THON1:
        clock.set(when)
        assert service.fire("CB-THON1", event, 2025, actor, role, payload).applied
    clock.set(local(2026, 3, 3))
    assert not service.fire("CB-KP3", "propose", 2025, "bithu.kp3", "unit_secretary").applied
    ticks = Ticks(service, render_digest)
    ticks.fire_and_compose()
    ticks.deliver(RecordingNotifier(), "test")
    return uow


def verify(uow: InMemoryUnitOfWork) -> Any:
    return verify_store(AuditView(uow))


def cycle_of(uow: InMemoryUnitOfWork, code: str) -> int:
    return int(uow.cycles.find(code, 2025)[0].id)


def record(uow: InMemoryUnitOfWork, cycle: int, seq: int) -> int:
    """Where a transition record is in the table."""
    (found,) = [i for i, t in enumerate(uow.tables.transitions)
                if t["cycle_id"] == cycle and t["seq"] == seq]
    return found


def edit(uow: InMemoryUnitOfWork, cycle: int, seq: int, **values: Any) -> None:
    at = record(uow, cycle, seq)
    uow.tables.transitions[at] = {**uow.tables.transitions[at], **values}


def test_an_untouched_trail_verifies(trail: InMemoryUnitOfWork) -> None:
    report = verify(trail)
    assert report.ok, report.problems
    notices = len(trail.tables.notices)
    assert notices > 0
    # 6 cycles opened, the cell's year, the notices, the ratings import and one refusal
    # and the facts of the units imported, the definition saved, the deadlines planned
    assert report.records == 6 + len(YEAR_OF_CB_THON1) + notices + 1 + 1 + 3
    # 6 cycle chains, a notice chain per unit notified, the audit-event chain
    units = {n["unit_id"] for n in trail.tables.notices.values()}
    assert report.chains == 6 + len(units) + 1


def test_an_edited_record_is_named(trail: InMemoryUnitOfWork) -> None:
    cycle = cycle_of(trail, "CB-THON1")
    edit(trail, cycle, 6, actor="btc.khac")
    assert [str(p) for p in verify(trail).problems] == [
        f"cycle {cycle}, seq 6: its content or its place does not match its hash: edited, "
        "inserted or moved"
    ]


def test_a_deleted_record_is_named(trail: InMemoryUnitOfWork) -> None:
    cycle = cycle_of(trail, "CB-THON1")
    del trail.tables.transitions[record(trail, cycle, 3)]
    (problem,) = verify(trail).problems
    assert (problem.chain, problem.record) == (f"cycle {cycle}", "seq 4")
    assert "missing" in problem.message


def test_the_last_record_deleted_is_caught_by_the_head(trail: InMemoryUnitOfWork) -> None:
    cycle = cycle_of(trail, "CB-THON1")
    del trail.tables.transitions[record(trail, cycle, 7)]
    problem, *row = verify(trail).problems
    assert (problem.chain, problem.record) == (f"cycle {cycle}", "seq 6")
    # and the row's outcome and facts, still the recognition's, follow from no record
    assert {p.chain for p in row} <= {f"cycle {cycle}"}


def test_the_tail_deleted_with_the_head_rewritten_is_caught_by_the_anchor(
    trail: InMemoryUnitOfWork,
) -> None:
    write(trail, lambda: trail.audit.anchor(local(2026, 3, 4), "kiemtra.tinh"))
    cycle = cycle_of(trail, "CB-THON1")
    previous = trail.tables.transitions[record(trail, cycle, 6)]["hash"]
    del trail.tables.transitions[record(trail, cycle, 7)]
    c = trail.tables.cycles[cycle]
    trail.tables.cycles[cycle] = {**c, "version": 6, "head_hash": previous, "state": "appraised"}
    # the anchor names it; the row's outcome and facts, still the recognition's, too
    chains = [p.chain for p in verify(trail).problems]
    assert "anchor" in chains and set(chains) == {"anchor", f"cycle {cycle}"}


def test_reordered_records_are_named(trail: InMemoryUnitOfWork) -> None:
    cycle = cycle_of(trail, "CB-THON1")
    appraisal, recognition = record(trail, cycle, 6), record(trail, cycle, 7)
    trail.tables.transitions[recognition] = {**trail.tables.transitions[recognition], "seq": 6}
    trail.tables.transitions[appraisal] = {**trail.tables.transitions[appraisal], "seq": 7}
    (problem,) = verify(trail).problems
    # the appraisal, first in the table, now says seq 7 where seq 6 was due
    assert (problem.chain, problem.record) == (f"cycle {cycle}", "seq 7")
    assert "expected seq 6" in problem.message


def test_an_erased_refusal_breaks_the_audit_event_chain(trail: InMemoryUnitOfWork) -> None:
    events = trail.tables.audit_events
    kinds = [
        "units_imported", "definition_saved", "deadlines_planned", "ratings_imported", "refusal"
    ]
    assert [e["kind"] for e in events] == kinds
    events.append({**events[4], "id": 6, "actor": "x", "hash": "f00"})
    del events[4]
    assert [p.chain for p in verify(trail).problems] == ["audit-event chain"]


def test_notices_removed_from_the_tail_before_an_anchor_are_caught(
    trail: InMemoryUnitOfWork,
) -> None:
    write(trail, lambda: trail.audit.anchor(local(2026, 3, 4), "kiemtra.tinh"))
    last = trail.tables.notices.pop(max(trail.tables.notices))
    unit, seq = last["unit_id"], last["chain_seq"]
    problems = [str(p) for p in verify(trail).problems]
    assert len(problems) == 2
    assert problems[0].startswith(
        f"notice chain of unit {unit}, seq {seq - 1}: the chain ends at seq {seq - 1}"
    ) and problems[0].endswith("records were removed or added")
    assert problems[1].startswith("notice chains, records up to id")
    # the unit's head row rewound as well: the anchor still saw the record
    before = trail.tables.notices[max(i for i, n in trail.tables.notices.items()
                                      if n["unit_id"] == unit)]
    trail.tables.notice_chains[unit] = (seq - 1, before["hash"])
    assert [p.chain for p in verify(trail).problems] == ["notice chains"]


def test_a_cycle_row_edited_to_another_state_is_named(trail: InMemoryUnitOfWork) -> None:
    kp3 = cycle_of(trail, "CB-KP3")
    trail.tables.cycles[kp3] = {**trail.tables.cycles[kp3], "state": "recognized"}
    found = {p.chain: p.message for p in verify(trail).problems}
    assert "the cycle row was edited" in found[f"cycle {kp3}"]


def test_an_export_verifies_offline_and_an_edited_one_does_not(
    trail: InMemoryUnitOfWork,
) -> None:
    node = trail.units.find("X01")
    lines = list(export_lines({"year": 2025, "under": "X01"},
                              trail.audit.chain_heads(node, 2025),
                              trail.audit.transition_rows(node, 2025)))
    report = verify_export(lines)
    assert report.ok and report.records == 5 + len(YEAR_OF_CB_THON1)  # 5 cycles under X01
    edited = []
    for line in lines:
        item = json.loads(line)
        if item.get("event") == "recognize":
            item["payload"] = item["payload"].replace("125-QĐ/ĐU", "126-QĐ/ĐU")
        edited.append(json.dumps(item, ensure_ascii=False))
    (problem,) = verify_export(edited).problems
    assert problem.record.startswith("seq 7 (line ")
    dropped = [line for line in lines if '"seq": 3' not in line or "CB-THON1" in line]
    assert not verify_export(dropped).ok
