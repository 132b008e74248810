"""Moving running cycles from `review` v1 to v2 (tests/fixtures/definitions/versions) on
real databases (each backend): what the SQL of a batch writes (the upserts of deadlines
and timers, timers rewritten in place), a forged record caught behind the store's back.
The map, the refusals and the dry run run on the twin (tests/service/test_versions.py)."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.notifications.templates import render_digest
from adapters.persistence.store import SqlStore
from tests.conftest import FIXTURES, local
from tests.support import backends
from tests.support.backends import url_of
from workflow.clock import VirtualClock
from workflow.service.auditing import export_lines, verify_export, verify_store
from workflow.service.cycles import CycleService
from workflow.service.ticks import Ticks
from workflow.service.versions import MigrationReport, MigrationSelection, move_cycles
from workflow.spec.registry import Definition, DefinitionSet

VERSIONS = FIXTURES / "definitions" / "versions"
SECRETARY = ("bithu", "unit_secretary")
BOARD = ("btc.x01", "superior_org_board")


def review_versions() -> DefinitionSet:
    return DefinitionSet.from_texts(
        [(str(p), p.read_text(encoding="utf-8")) for p in sorted(VERSIONS.glob("*.yaml"))]
    )


@pytest.fixture(scope="module")
def versions() -> DefinitionSet:
    return review_versions()


@pytest.fixture
def v1(versions: DefinitionSet) -> Definition:
    return versions.get("review", 1)


@pytest.fixture
def v2(versions: DefinitionSet) -> Definition:
    return versions.get("review", 2)


def dump(store: SqlStore) -> Any:
    """The whole database, read by another connection."""
    return backends.dump(url_of(store))


def rows(store: SqlStore, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    return backends.rows(url_of(store), sql, params)


def fire(engine: CycleService, unit: str, event: str, who: tuple[str, str]) -> None:
    result = engine.fire(unit, event, 2025, who[0], who[1], definition_id="review")
    assert result.applied, result.decision.refusal


@pytest.fixture
def running(commune: CycleService, clock: VirtualClock, v1: Definition) -> CycleService:
    """The commune (with its bon-tot cycles) on `review` v1 for 2025, in every state:
    CB-THON1 submitted; DB-TRUONG-1 reviewed; DB-TRUONG-2 withdrawn and DB-TRUONG-3
    closed (both final); DB-TRUONG and CB-KP3 still drafts."""
    commune.open_cycles(v1, 2025, actor="btc.t01")
    clock.set(local(2025, 3, 2))
    fire(commune, "CB-THON1", "submit", SECRETARY)
    fire(commune, "DB-TRUONG-1", "submit", SECRETARY)
    fire(commune, "DB-TRUONG-1", "review", BOARD)
    fire(commune, "DB-TRUONG-2", "withdraw", SECRETARY)
    fire(commune, "DB-TRUONG-3", "submit", SECRETARY)
    fire(commune, "DB-TRUONG-3", "review", BOARD)
    fire(commune, "DB-TRUONG-3", "close", BOARD)
    clock.set(local(2025, 4, 1))
    return commune


def run(
    engine: CycleService,
    target: Definition,
    pairs: list[tuple[str, str]] | None = None,
    dry_run: bool = False,
    **selection: Any,
) -> MigrationReport:
    return move_cycles(
        engine,
        MigrationSelection("review", 1, **selection),
        target,
        pairs or [],
        actor="admin",
        role="administrator",
        dry_run=dry_run,
        batch_size=2,  # several batches even in a commune
    )


def test_the_audit_trail_verifies_after_a_migration_and_a_forged_one_is_caught(
    running: CycleService, v2: Definition
) -> None:
    store = running.uow
    assert isinstance(store, SqlStore)
    run(running, v2, [("reviewed", "checked")])
    report = verify_store(store)
    assert report.ok, report.problems
    # and so does an auditor's export, offline
    lines = list(export_lines({}, store.chain_heads(None), store.transition_rows(None)))
    offline = verify_export(lines)
    assert offline.ok, offline.problems
    assert sum('"event": "migrate"' in line for line in lines) == 4
    (cycle,) = rows(
        store,
        "SELECT c.id FROM cycle c JOIN unit u ON u.id = c.unit_id "
        "WHERE u.code = 'DB-TRUONG-1' AND c.definition_id = 'review'",
    )[0]
    # someone holding the file says the migration went to another state
    backends.execute(
        url_of(store),
        "UPDATE transition SET to_state = 'returned' WHERE event = 'migrate' "
        f"AND cycle_id = {int(cycle)}",
        bypass_triggers=True,
    )
    found = {p.chain: p for p in verify_store(store).problems}
    assert f"cycle {cycle}" in found
    assert "does not match its hash" in found[f"cycle {cycle}"].message


def test_a_cycle_row_moved_to_another_version_without_a_record_is_caught(
    running: CycleService,
) -> None:
    store = running.uow
    assert isinstance(store, SqlStore)
    backends.execute(
        url_of(store),
        "UPDATE cycle SET definition_version = 2 WHERE definition_id = 'review' "
        "AND state = 'draft'",
    )
    problems = verify_store(store).problems
    assert len(problems) == 2
    assert all(
        "definition version 2 but its records end on version 1" in p.message for p in problems
    )


def test_deadlines_take_the_new_dates_and_keep_when_they_were_met(
    running: CycleService, v2: Definition
) -> None:
    store = running.uow
    assert isinstance(store, SqlStore)
    run(running, v2, [("reviewed", "checked")])

    def deadlines(code: str) -> dict[str, tuple[str, str | None]]:
        return {
            key: (due_at[:10], met_at)
            for key, due_at, met_at in rows(
                store,
                "SELECT d.key, d.due_at, d.met_at FROM deadline d JOIN cycle c ON c.id = "
                "d.cycle_id JOIN unit u ON u.id = c.unit_id WHERE u.code = ? "
                "AND c.definition_id = 'review'",
                (code,),
            )
        }

    submitted_at = "2025-03-02T02:00:00.000000Z"  # 09:00 in Hà Nội, when it was submitted
    migrated_at = "2025-04-01T02:00:00.000000Z"
    # `review` is gone, `check` is new; `submit` is due a month later and stays met
    assert deadlines("DB-TRUONG-1") == {
        "submit": ("2025-07-31", submitted_at),
        "check": ("2025-10-31", migrated_at),  # `checked` meets it: met by the move
    }
    assert deadlines("CB-THON1") == {
        "submit": ("2025-07-31", submitted_at),
        "check": ("2025-10-31", None),
    }
    assert deadlines("CB-KP3") == {"submit": ("2025-07-31", None), "check": ("2025-10-31", None)}
    # a refused cycle keeps v1's
    assert deadlines("DB-TRUONG-2") == {
        "submit": ("2025-06-30", None),
        "review": ("2025-09-30", None),
    }


def test_timers_are_replanned_for_the_new_version(running: CycleService, v2: Definition) -> None:
    store = running.uow
    assert isinstance(store, SqlStore)

    def timers(code: str) -> dict[str, tuple[int, str, bool]]:
        return {
            key.split(":", 1)[1]: (version, due_at[:10], cancelled is not None)
            for key, version, due_at, cancelled in rows(
                store,
                "SELECT t.key, t.definition_version, t.due_at, t.cancelled_at FROM timer t "
                "JOIN unit u ON u.id = t.unit_id WHERE u.code = ? AND t.definition_id = 'review'",
                (code,),
            )
        }

    # planned lazily: the next reminder of each deadline, its successors once it fires
    assert timers("CB-KP3") == {
        "submit:r1": (1, "2025-06-23", False),
        "review:r1": (1, "2025-09-25", False),
    }
    ids_before = rows(store, "SELECT id, key FROM timer WHERE key LIKE 'c%:submit:r1' ORDER BY id")
    run(running, v2, [("reviewed", "checked")])
    assert timers("CB-KP3") == {
        # the same reminder, on v2's date (rewritten in place: one per key, ever)
        # and only the head of each ladder: v2's later reminders follow when it fires
        "submit:r1": (2, "2025-07-24", False),
        # v2 has no `review` deadline: its reminder will never go out
        "review:r1": (1, "2025-09-25", True),
        "check:r1": (2, "2025-10-28", False),
    }
    ids_after = rows(store, "SELECT id, key FROM timer WHERE key LIKE 'c%:submit:r1' ORDER BY id")
    assert ids_after == ids_before
    # a closed cycle (withdrawn, so not migrated) kept none: its timers went with the move
    # that closed it
    assert timers("DB-TRUONG-2") == {}


def test_the_year_of_notices_after_a_migration_follows_the_new_version(
    running: CycleService, v2: Definition, clock: VirtualClock
) -> None:
    store = running.uow
    assert isinstance(store, SqlStore)
    run(running, v2, [("reviewed", "checked")])
    clock.set(local(2025, 12, 31))
    Ticks(running, render_digest, channels=("log",)).fire_and_compose()
    sent = rows(
        store,
        "SELECT u.code, n.kind, n.deadline, n.step FROM notice n JOIN unit u ON u.id = n.unit_id "
        "JOIN timer t ON t.id = n.timer_id WHERE t.definition_id = 'review' ORDER BY 1, 3, 2, 4",
    )
    # CB-KP3 never submitted and nobody checked: v2's whole ladder (the cell's own
    # reminders, then the board's)
    assert [r[1:] for r in sent if r[0] == "CB-KP3"] == [
        ("escalation", "check", 1),
        ("reminder", "check", 1),
        ("escalation", "submit", 1),
        ("reminder", "submit", 1),
        ("reminder", "submit", 2),
    ]
    # v1's `review` deadline is only reminded for the cycle left on v1 that is still open:
    # none (DB-TRUONG-2 and DB-TRUONG-3 are closed)
    assert not [r for r in sent if r[2] == "review"]
    assert verify_store(store).ok
