"""A unit's year on a real database (each backend): every step, refusals that change
nothing, atomicity."""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg
import pytest

from adapters.persistence.store import DefinitionConflict, SqlStore
from tests.conftest import GOOD_EVALUATION, local
from tests.support.backends import connect, execute, tables
from tests.support.register import members
from workflow.clock import VirtualClock
from workflow.service.cycles import CycleService
from workflow.spec.registry import Definition, DefinitionSet
from workflow.timefmt import to_db

SECRETARY = ("bithu.thon1", "unit_secretary")
BOARD = ("btc.x01", "superior_org_board")
STANDING = ("btv.x01", "superior_standing_committee")


def snapshot(db_url: str, refusals: bool = False) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, read through a separate connection; without the
    audit events unless asked (a refusal is recorded there, and nowhere else)."""
    names = tables(db_url)
    if not refusals:
        names.remove("audit_event")
    with connect(db_url) as conn:
        return {
            t: sorted(map(tuple, conn.execute(f"SELECT * FROM {t}").fetchall()), key=repr)
            for t in names
        }


def walk(
    engine: CycleService, clock: VirtualClock, unit: str, steps: list[tuple[Any, ...]]
) -> None:
    for when, event, (actor, role), payload in steps:
        clock.set(when)
        result = engine.fire(unit, event, 2025, actor, role, payload)
        assert result.applied, result.decision.refusal


def test_a_cell_goes_through_the_whole_year(commune: CycleService, clock: VirtualClock) -> None:
    walk(
        commune,
        clock,
        "CB-THON1",
        [
            (local(2025, 2, 20), "register", SECRETARY, {"plan": "KH-05/KH-CB"}),
            (local(2025, 2, 21), "start", SECRETARY, {}),
            (local(2025, 12, 10), "self_evaluate", SECRETARY, GOOD_EVALUATION),
            (local(2025, 12, 28), "propose", SECRETARY, {}),
            (local(2026, 1, 20), "appraise", BOARD, {}),
            (local(2026, 3, 2), "recognize", STANDING, {"decision": "125-QĐ/ĐU"}),
            (local(2026, 3, 13), "report", BOARD, {}),
        ],
    )
    history = commune.history("CB-THON1", 2025)
    assert [e.event for e in history.entries] == [
        "open",
        "register",
        "start",
        "self_evaluate",
        "propose",
        "appraise",
        "recognize",
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
def test_a_refused_event_says_why_and_changes_nothing(
    commune: CycleService,
    db_url: str,
    event: str,
    actor_role: tuple[str, str],
    payload: dict[str, Any],
    code: str,
) -> None:
    before = snapshot(db_url, refusals=True)
    result = commune.fire("CB-THON1", event, 2025, *actor_role, payload)
    assert not result.applied
    assert result.decision.refusal is not None and result.decision.refusal.code == code
    after = snapshot(db_url, refusals=True)
    # the only trace it leaves is the refusal itself, in the audit trail
    refusals = [r for r in after.pop("audit_event") if r not in before["audit_event"]]
    assert after == {k: v for k, v in before.items() if k != "audit_event"}
    assert [(r[2], r[3], r[7], r[8], r[10]) for r in refusals] == [
        ("refusal", "CB-THON1", event, actor_role[0], code)
    ]


def test_appraisal_of_a_failing_cell_lists_each_failing_check(
    commune: CycleService, clock: VirtualClock, db_url: str
) -> None:
    weak = {
        "criteria": {
            "political_task": 94.9,
            "meetings": 97,
            "unity_discipline": 98,
            "cadres_members": 99,
        },
        "checklist": GOOD_EVALUATION["checklist"],
        # what the secretary claims; the rule reads the register instead
        "ratings": {"rated": 12, "completed_or_better": 12, "good_or_better": 12},
    }
    walk(
        commune,
        clock,
        "CB-THON1",
        [
            (local(2025, 2, 20), "register", SECRETARY, {"plan": "KH-05"}),
            (local(2025, 2, 21), "start", SECRETARY, {}),
            (local(2025, 12, 10), "self_evaluate", SECRETARY, weak),
            (local(2025, 12, 28), "propose", SECRETARY, {}),
        ],
    )
    # the registry's final ratings: one of the 12 members did not complete their tasks
    corrected = members("CB-THON1", excellent=2, good=8, completed=1, not_completed=1)
    commune.store.import_ratings(2025, corrected, clock.now(), "btc.x01", {"file": "dv.csv"})
    before = snapshot(db_url)
    clock.set(local(2026, 1, 20))
    result = commune.fire("CB-THON1", "appraise", 2025, *BOARD)
    assert result.decision.refusal is not None
    assert result.decision.refusal.code == "guard_failed"
    assert {c.key for c in result.decision.refusal.checks} == {
        "criteria.political_task",
        "ratings.members.completed_or_better",
    }
    assert snapshot(db_url) == before
    # the appraiser then refuses it, with a reason; the outcome is kept after reporting
    walk(
        commune,
        clock,
        "CB-THON1",
        [
            (local(2026, 1, 21), "reject", BOARD, {"reason": "Chưa đạt mục II.2.2"}),
            (local(2026, 3, 13), "report", BOARD, {}),
        ],
    )
    assert commune.cycle("CB-THON1", 2025).outcome == "not_recognized"


def test_a_returned_proposal_reopens_its_deadline_until_proposed_again(
    commune: CycleService, clock: VirtualClock, store: SqlStore
) -> None:
    walk(
        commune,
        clock,
        "CB-THON1",
        [
            (local(2025, 2, 20), "register", SECRETARY, {"plan": "KH-05"}),
            (local(2025, 2, 21), "start", SECRETARY, {}),
            (local(2025, 12, 10), "self_evaluate", SECRETARY, GOOD_EVALUATION),
            (local(2025, 12, 20), "propose", SECRETARY, {}),
            (local(2025, 12, 22), "return_for_revision", BOARD, {"reason": "Thiếu biên bản"}),
        ],
    )
    cycle = commune.cycle("CB-THON1", 2025)
    assert {d.key: d.met_at for d in store.deadlines(cycle.id)}["propose"] is None
    walk(
        commune,
        clock,
        "CB-THON1",
        [
            (local(2025, 12, 26), "self_evaluate", SECRETARY, GOOD_EVALUATION),
            (local(2025, 12, 27), "propose", SECRETARY, {}),
        ],
    )
    assert {d.key: d.met_at for d in store.deadlines(cycle.id)}["propose"] == local(2025, 12, 27)


def test_a_stale_version_is_refused_and_changes_nothing(commune: CycleService, db_url: str) -> None:
    cycle = commune.cycle("CB-THON1", 2025)
    assert commune.fire_on(cycle, "register", *SECRETARY, {"plan": "KH-1"}).applied
    before = snapshot(db_url)
    again = commune.fire_on(cycle, "lapse", *BOARD, {"reason": "x"})  # still holds version 1
    assert again.decision.refusal is not None and again.decision.refusal.code == "stale"
    assert snapshot(db_url) == before


def test_a_failure_inside_the_transaction_leaves_no_half_transition(
    commune: CycleService, db_url: str
) -> None:
    """The audit INSERT fails (a trigger stands in for a crash): the state change rolls back."""
    error: type[Exception]
    if db_url.startswith("sqlite"):
        error = sqlite3.IntegrityError
        execute(
            db_url,
            "CREATE TRIGGER fail_audit BEFORE INSERT ON transition WHEN NEW.event = 'register' "
            "BEGIN SELECT RAISE(ABORT, 'disk full'); END",
        )
    else:
        error = psycopg.errors.RaiseException
        execute(
            db_url,
            "CREATE FUNCTION fail_audit() RETURNS trigger AS $$ BEGIN "
            "IF NEW.event = 'register' THEN RAISE EXCEPTION 'disk full'; END IF; "
            "RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER fail_audit BEFORE INSERT ON transition "
            "FOR EACH ROW EXECUTE FUNCTION fail_audit()",
        )
    before = snapshot(db_url)
    with pytest.raises(error, match="disk full"):
        commune.fire("CB-THON1", "register", 2025, *SECRETARY, {"plan": "KH-1"})
    assert snapshot(db_url) == before
    assert commune.cycle("CB-THON1", 2025).state == "not_registered"


def test_opening_again_adds_nothing_and_respects_the_subtree(
    engine: CycleService, store: SqlStore, bon_tot: Definition, db_url: str
) -> None:
    from tests.conftest import COMMUNE

    store.import_units(COMMUNE)
    first = engine.open_cycles(bon_tot, 2025, under="DB-TRUONG", batch_size=2)
    # the grassroots committee and its three cells; never the committees above
    assert first.opened == 4
    assert engine.open_cycles(bon_tot, 2025, under="DB-TRUONG").opened == 0
    rest = engine.open_cycles(bon_tot, 2025, batch_size=1)
    assert rest.opened == 2  # CB-THON1 and CB-KP3
    rows = snapshot(db_url)
    assert len(rows["cycle"]) == 6
    assert len(rows["deadline"]) == 6 * len(bon_tot.spec.deadlines)
    assert sum(1 for r in rows["transition"] if r[3] == "open") == 6


def test_deadlines_are_stored_in_utc_from_vietnam_local_time(
    commune: CycleService, store: SqlStore
) -> None:
    due = {d.key: d.due_at for d in store.deadlines(commune.cycle("CB-KP3", 2025).id)}
    assert to_db(due["propose"]) == "2025-12-31T16:59:00.000000Z"
    assert to_db(due["appraise"]) == "2026-02-15T16:59:00.000000Z"


def test_a_definition_changed_without_a_new_version_is_refused(
    engine: CycleService, store: SqlStore, bon_tot: Definition, catalog: DefinitionSet
) -> None:
    engine.adopt(bon_tot)
    tweaked = bon_tot.spec.model_copy(update={"description": "quietly edited"})
    from workflow.spec.registry import Definition as Def
    from workflow.spec.registry import content_hash

    with pytest.raises(DefinitionConflict, match="give the change a new version"):
        engine.adopt(Def(tweaked, content_hash(tweaked), "edited.yaml"))


def test_the_board_counts_states_and_the_share_against_the_target(
    commune: CycleService, clock: VirtualClock
) -> None:
    walk(
        commune,
        clock,
        "CB-THON1",
        [
            (local(2025, 2, 20), "register", SECRETARY, {"plan": "KH-05"}),
            (local(2025, 2, 21), "start", SECRETARY, {}),
            (local(2025, 12, 10), "self_evaluate", SECRETARY, GOOD_EVALUATION),
            (local(2025, 12, 28), "propose", SECRETARY, {}),
            (local(2026, 1, 20), "appraise", BOARD, {}),
            (local(2026, 3, 2), "recognize", STANDING, {"decision": "125-QĐ/ĐU"}),
        ],
    )
    clock.set(local(2026, 3, 20))
    board = commune.board(2025)
    counts = {row.state: row.count for row in board.rows}
    assert counts == {"not_registered": 5, "recognized": 1}
    # counted over grassroots organisations only: CB-THON1, DB-TRUONG, CB-KP3
    assert board.targets["bon-tot"] == (3, 1, 50.0)
    # the five that never registered are overdue on every deadline
    assert board.overdue["register"] == 5
    under = commune.board(2025, under="X02")
    assert {row.state: row.count for row in under.rows} == {"not_registered": 1}
