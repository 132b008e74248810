"""A unit's year through the service, on the twin: every step, refusals that change
nothing but their audit fact, deadlines met and reopened, a stale version, opening again,
the board (ported from tests/integration/test_cycle_lifecycle.py; a failure midway, a
property of the SQL transaction, stays there)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import COMMUNE, GOOD_EVALUATION, local
from tests.support.register import members
from tests.support.twin import import_ratings, import_units, refusal_facts, snapshot
from workflow.clock import VirtualClock
from workflow.service.adoption import DefinitionConflict
from workflow.service.cycles import CycleService
from workflow.spec.registry import Definition, content_hash
from workflow.testing import InMemoryUnitOfWork
from workflow.timefmt import to_db

SECRETARY = ("bithu.thon1", "unit_secretary")
BOARD = ("btc.x01", "superior_org_board")
STANDING = ("btv.x01", "superior_standing_committee")
TO_PROPOSED = [
    (local(2025, 2, 20), "register", SECRETARY, {"plan": "KH-05/KH-CB"}),
    (local(2025, 2, 21), "start", SECRETARY, {}),
    (local(2025, 12, 10), "self_evaluate", SECRETARY, GOOD_EVALUATION),
    (local(2025, 12, 28), "propose", SECRETARY, {}),
]


def walk(service: CycleService, clock: VirtualClock, unit: str, steps: list[Any]) -> None:
    for when, event, (actor, role), payload in steps:
        clock.set(when)
        result = service.fire(unit, event, 2025, actor, role, payload)
        assert result.applied, result.decision.refusal


def test_a_cell_goes_through_the_whole_year(commune: CycleService, clock: VirtualClock) -> None:
    walk(commune, clock, "CB-THON1", [
        *TO_PROPOSED,
        (local(2026, 1, 20), "appraise", BOARD, {}),
        (local(2026, 3, 2), "recognize", STANDING, {"decision": "125-QĐ/ĐU"}),
        (local(2026, 3, 13), "report", BOARD, {}),
    ])
    history = commune.history("CB-THON1", 2025)
    assert [e.event for e in history.entries] == [
        "open", "register", "start", "self_evaluate", "propose", "appraise", "recognize",
        "report",
    ]
    assert history.cycle.state == "reported" and history.cycle.outcome == "recognized"
    assert history.cycle.version == len(history.entries)
    appraise = history.entries[5]
    assert (appraise.actor, appraise.role, appraise.at) == (*BOARD, local(2026, 1, 20))
    # four criteria, the village type's sub-criteria, final ratings complete, completed and
    # good shares, the excellent cap
    assert all(check["passed"] for check in appraise.checks) and len(appraise.checks) == 9
    met = {d.key: d.met_at for d in history.deadlines}
    assert met["propose"] == local(2025, 12, 28) and met["report"] == local(2026, 3, 13)


@pytest.mark.parametrize(
    ("event", "actor_role", "payload", "code"),
    [
        ("propose", SECRETARY, {}, "wrong_state"),
        ("register", BOARD, {"plan": "KH-01"}, "role_not_allowed"),
        ("register", SECRETARY, {}, "payload_missing"),
        ("dance", SECRETARY, {}, "unknown_event"),
    ],
)
def test_a_refused_event_says_why_and_changes_nothing_but_the_trail(
    commune: CycleService, uow: InMemoryUnitOfWork, event: str,
    actor_role: tuple[str, str], payload: dict[str, Any], code: str,
) -> None:
    before = snapshot(uow)
    result = commune.fire("CB-THON1", event, 2025, *actor_role, payload)
    assert not result.applied
    assert result.decision.refusal is not None and result.decision.refusal.code == code
    # the only trace it leaves is the refusal itself, in the audit trail
    assert refusal_facts(uow) == [("CB-THON1", event, actor_role[0], code)]
    after = snapshot(uow)
    after.audit_events = before.audit_events
    after.last_ids = before.last_ids
    assert after == before


def test_appraisal_of_a_failing_cell_lists_each_failing_check(
    commune: CycleService, clock: VirtualClock, uow: InMemoryUnitOfWork
) -> None:
    weak = {
        "criteria": {"political_task": 94.9, "meetings": 97, "unity_discipline": 98,
                     "cadres_members": 99},
        "checklist": GOOD_EVALUATION["checklist"],
        # what the secretary claims; the rule reads the register instead
        "ratings": {"rated": 12, "completed_or_better": 12, "good_or_better": 12},
    }
    walk(commune, clock, "CB-THON1", [*TO_PROPOSED[:2],
                                      (local(2025, 12, 10), "self_evaluate", SECRETARY, weak),
                                      TO_PROPOSED[3]])
    # the registry's final ratings: one of the 12 members did not complete their tasks
    corrected = members("CB-THON1", excellent=2, good=8, completed=1, not_completed=1)
    import_ratings(uow, corrected, clock.now(), "btc.x01", {"file": "dv.csv"})
    cycles_before = snapshot(uow).cycles
    clock.set(local(2026, 1, 20))
    result = commune.fire("CB-THON1", "appraise", 2025, *BOARD)
    assert result.decision.refusal is not None
    assert result.decision.refusal.code == "guard_failed"
    assert {c.key for c in result.decision.refusal.checks} == {
        "criteria.political_task", "ratings.members.completed_or_better",
    }
    assert uow.tables.cycles == cycles_before
    # the appraiser then refuses it, with a reason; the outcome is kept after reporting
    walk(commune, clock, "CB-THON1", [
        (local(2026, 1, 21), "reject", BOARD, {"reason": "Chưa đạt mục II.2.2"}),
        (local(2026, 3, 13), "report", BOARD, {}),
    ])
    assert commune.cycle("CB-THON1", 2025).outcome == "not_recognized"


def test_a_returned_proposal_reopens_its_deadline_until_proposed_again(
    commune: CycleService, clock: VirtualClock, uow: InMemoryUnitOfWork
) -> None:
    walk(commune, clock, "CB-THON1", [
        *TO_PROPOSED[:3],
        (local(2025, 12, 20), "propose", SECRETARY, {}),
        (local(2025, 12, 22), "return_for_revision", BOARD, {"reason": "Thiếu biên bản"}),
    ])
    cycle = commune.cycle("CB-THON1", 2025)
    assert {d.key: d.met_at for d in uow.cycles.deadlines(cycle.id)}["propose"] is None
    walk(commune, clock, "CB-THON1", [
        (local(2025, 12, 26), "self_evaluate", SECRETARY, GOOD_EVALUATION),
        (local(2025, 12, 27), "propose", SECRETARY, {}),
    ])
    met = {d.key: d.met_at for d in uow.cycles.deadlines(cycle.id)}
    assert met["propose"] == local(2025, 12, 27)


def test_a_stale_version_is_refused_and_changes_nothing(
    commune: CycleService, uow: InMemoryUnitOfWork
) -> None:
    cycle = commune.cycle("CB-THON1", 2025)
    assert commune.fire_on(cycle, "register", *SECRETARY, {"plan": "KH-1"}).applied
    before = snapshot(uow).cycles
    again = commune.fire_on(cycle, "lapse", *BOARD, {"reason": "x"})  # still holds version 1
    assert again.decision.refusal is not None and again.decision.refusal.code == "stale"
    assert uow.tables.cycles == before
    assert refusal_facts(uow)[-1] == ("CB-THON1", "lapse", "btc.x01", "stale")
    expected = commune.fire_on(commune.cycle("CB-THON1", 2025), "start", *SECRETARY, {},
                               expected_version=1)
    assert expected.decision.refusal is not None and expected.decision.refusal.code == "stale"


def test_opening_again_adds_nothing_and_respects_the_subtree(
    service: CycleService, uow: InMemoryUnitOfWork, bon_tot: Definition
) -> None:
    import_units(uow, COMMUNE)
    first = service.open_cycles(bon_tot, 2025, under="DB-TRUONG", batch_size=2)
    # the grassroots committee and its three cells; never the committees above
    assert first.opened == 4
    assert service.open_cycles(bon_tot, 2025, under="DB-TRUONG").opened == 0
    assert service.open_cycles(bon_tot, 2025, batch_size=1).opened == 2  # CB-THON1, CB-KP3
    tables = uow.tables
    assert len(tables.cycles) == 6
    assert len(tables.deadlines) == 6 * len(bon_tot.spec.deadlines)
    assert sum(1 for t in tables.transitions if t["event"] == "open") == 6
    # batches of one: one unit of work each, and the milestones' none
    assert uow.commits >= 6


def test_deadlines_are_stored_in_utc_from_vietnam_local_time(
    commune: CycleService, uow: InMemoryUnitOfWork
) -> None:
    due = {d.key: d.due_at for d in uow.cycles.deadlines(commune.cycle("CB-KP3", 2025).id)}
    assert to_db(due["propose"]) == "2025-12-31T16:59:59.999999Z"
    assert to_db(due["appraise"]) == "2026-02-15T16:59:59.999999Z"


def test_a_definition_changed_without_a_new_version_is_refused(
    service: CycleService, bon_tot: Definition
) -> None:
    service.adopt(bon_tot)
    tweaked = bon_tot.spec.model_copy(update={"description": "quietly edited"})
    with pytest.raises(DefinitionConflict, match="give the change a new version"):
        service.adopt(Definition(tweaked, content_hash(tweaked), "edited.yaml"))
    service.adopt(bon_tot)  # the same content again is fine


def test_the_board_counts_states_and_the_share_against_the_target(
    commune: CycleService, clock: VirtualClock
) -> None:
    walk(commune, clock, "CB-THON1", [
        *TO_PROPOSED,
        (local(2026, 1, 20), "appraise", BOARD, {}),
        (local(2026, 3, 2), "recognize", STANDING, {"decision": "125-QĐ/ĐU"}),
    ])
    clock.set(local(2026, 3, 20))
    board = commune.board(2025)
    assert {row.state: row.count for row in board.rows} == {"not_registered": 5, "recognized": 1}
    # counted over grassroots organisations only: CB-THON1, DB-TRUONG, CB-KP3
    assert board.targets["bon-tot"] == (3, 1, 50.0)
    # the five that never registered are overdue on every deadline
    assert board.overdue["register"] == 5
    under = commune.board(2025, under="X02")
    assert {row.state: row.count for row in under.rows} == {"not_registered": 1}


def test_an_event_dated_before_the_cycles_last_record_is_refused(
    commune: CycleService, clock: VirtualClock, uow: InMemoryUnitOfWork
) -> None:
    """With no actors yet, `--now` may date an act; a secretary registering CB-THON1 on
    20/02 cannot then start it "on 19/02": the history's order is kept, nothing changes
    but the refusal's fact, and the same start a day later applies."""
    walk(commune, clock, "CB-THON1", TO_PROPOSED[:1])
    before = snapshot(uow).cycles
    clock.set(local(2025, 2, 19, 16))
    refused = commune.fire("CB-THON1", "start", 2025, *SECRETARY)
    assert refused.decision.refusal is not None
    assert refused.decision.refusal.code == "out_of_order"
    said = refused.decision.refusal.params
    assert said == {"at": "19/02/2025 16:00", "last": "20/02/2025 09:00"}
    assert snapshot(uow).cycles == before
    assert refusal_facts(uow)[-1] == ("CB-THON1", "start", "bithu.thon1", "out_of_order")
    clock.set(local(2025, 2, 20))  # the very instant of the last record is in order
    assert commune.fire("CB-THON1", "start", 2025, *SECRETARY).applied
