"""Moving running cycles from `review` v1 to v2 (tests/fixtures/definitions/versions)
through the service on the twin: the map, the refusals, a dry run that changes nothing and
says what the real run does, the audit trail (and a forged record caught), the deadlines
and timers, and the machine used afterwards (ported from tests/integration/test_migration.py)."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.notifications.templates import render_digest
from tests.conftest import FIXTURES, local
from tests.support.twin import snapshot
from tests.support.units_of_work import AuditView
from workflow.clock import VirtualClock
from workflow.service.auditing import export_lines, verify_export, verify_store
from workflow.service.cycles import CycleService
from workflow.service.ticks import Ticks
from workflow.service.versions import MigrationReport, MigrationSelection, move_cycles
from workflow.spec.registry import Definition, DefinitionSet
from workflow.testing import InMemoryUnitOfWork
from workflow.versions import MigrationError

VERSIONS = FIXTURES / "definitions" / "versions"
SECRETARY = ("bithu", "unit_secretary")
BOARD = ("btc.x01", "superior_org_board")


@pytest.fixture(scope="module")
def versions() -> DefinitionSet:
    return DefinitionSet.from_texts(
        [(str(p), p.read_text(encoding="utf-8")) for p in sorted(VERSIONS.glob("*.yaml"))]
    )


@pytest.fixture
def v1(versions: DefinitionSet) -> Definition:
    return versions.get("review", 1)


@pytest.fixture
def v2(versions: DefinitionSet) -> Definition:
    return versions.get("review", 2)


def fire(service: CycleService, unit: str, event: str, who: tuple[str, str]) -> None:
    result = service.fire(unit, event, 2025, who[0], who[1], definition_id="review")
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
    service: CycleService,
    target: Definition,
    pairs: list[tuple[str, str]] | None = None,
    dry_run: bool = False,
    **selection: Any,
) -> MigrationReport:
    return move_cycles(
        service,
        MigrationSelection("review", 1, **selection),
        target,
        pairs or [],
        actor="admin",
        role="administrator",
        dry_run=dry_run,
        batch_size=2,  # several batches even in a commune
    )


def outcomes(report: MigrationReport) -> dict[str, tuple[str, str | None, str | None]]:
    return {v.unit_code: (v.from_state, v.to_state, v.reason) for v in report.verdicts}


def review_cycle(uow: InMemoryUnitOfWork, code: str) -> dict[str, Any]:
    unit_id = uow.tables.unit_ids[code]
    (found,) = [
        c
        for c in uow.tables.cycles.values()
        if c["unit_id"] == unit_id and c["definition_id"] == "review" and c["year"] == 2025
    ]
    return found


def cycle_row(uow: InMemoryUnitOfWork, code: str) -> tuple[Any, ...]:
    c = review_cycle(uow, code)
    return (c["definition_version"], c["content_hash"], c["state"], c["outcome"], c["version"])


def verified(uow: InMemoryUnitOfWork) -> Any:
    return verify_store(AuditView(uow))


def test_same_names_map_to_themselves_and_the_rest_is_refused(
    running: CycleService, uow: InMemoryUnitOfWork, v2: Definition
) -> None:
    report = run(running, v2)
    assert outcomes(report) == {
        "CB-THON1": ("submitted", "submitted", None),
        "DB-TRUONG": ("draft", "draft", None),
        "CB-KP3": ("draft", "draft", None),
        # `reviewed` is not in v2 and nothing maps it
        "DB-TRUONG-1": ("reviewed", None, "unmapped_state"),
        # closed cycles stay on the version that decided them
        "DB-TRUONG-2": ("withdrawn", None, "closed"),
        "DB-TRUONG-3": ("closed", None, "closed"),
    }
    assert report.totals() == {
        "selected": 6,
        "moved": 3,
        "refused": 3,
        "refused_by_reason": {"closed": 2, "unmapped_state": 1},
    }
    assert cycle_row(uow, "CB-THON1")[:3] == (2, v2.content_hash, "submitted")
    assert cycle_row(uow, "DB-TRUONG-1")[0] == 1
    # the bon-tot cycles of the same units are not touched
    assert {
        c["version"] for c in uow.tables.cycles.values() if c["definition_id"] == "bon-tot"
    } == {1}


def test_an_explicit_pair_moves_a_renamed_state(
    running: CycleService, uow: InMemoryUnitOfWork, v2: Definition
) -> None:
    before = cycle_row(uow, "DB-TRUONG-1")
    report = run(running, v2, [("reviewed", "checked")])
    assert outcomes(report)["DB-TRUONG-1"] == ("reviewed", "checked", None)
    version, content_hash, state, _outcome, row_version = cycle_row(uow, "DB-TRUONG-1")
    assert (version, content_hash, state, row_version) == (
        2,
        v2.content_hash,
        "checked",
        before[4] + 1,
    )
    last = running.history("DB-TRUONG-1", 2025, "review").entries[-1]
    assert (last.event, last.from_state, last.to_state, last.actor, last.role) == (
        "migrate",
        "reviewed",
        "checked",
        "admin",
        "administrator",
    )
    assert last.payload == {"from_version": 1, "to_version": 2, "mapped": "explicit"}
    assert last.definition_version == 2
    # one fact for the whole migration in the audit-event chain
    (detail,) = [e["detail"] for e in uow.tables.audit_events if e["kind"] == "migration"]
    assert '"moved":4' in detail and '"reviewed":"checked"' in detail


def test_a_pair_may_override_a_same_name_mapping(
    running: CycleService, uow: InMemoryUnitOfWork, v2: Definition
) -> None:
    report = run(running, v2, [("submitted", "returned")])
    assert outcomes(report)["CB-THON1"] == ("submitted", "returned", None)


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ([("reviwed", "checked")], "'reviwed' is not a state of review v1"),
        ([("reviewed", "chekced")], "'chekced' is not a state of review v2"),
    ],
)
def test_a_pair_naming_an_unknown_state_changes_nothing(
    running: CycleService,
    uow: InMemoryUnitOfWork,
    v2: Definition,
    pairs: list[tuple[str, str]],
    message: str,
) -> None:
    before = snapshot(uow)
    with pytest.raises(MigrationError, match=message):
        run(running, v2, pairs)
    assert snapshot(uow) == before


def test_the_same_version_twice_is_refused(
    running: CycleService, uow: InMemoryUnitOfWork, v1: Definition
) -> None:
    with pytest.raises(MigrationError, match="same version"):
        run(running, v1)


def test_a_dry_run_changes_nothing_and_the_real_run_does_what_it_said(
    running: CycleService, uow: InMemoryUnitOfWork, v2: Definition
) -> None:
    before = snapshot(uow)
    dry = run(running, v2, [("reviewed", "checked")], dry_run=True)
    assert snapshot(uow) == before
    assert dry.totals()["moved"] == 4
    real = run(running, v2, [("reviewed", "checked")])
    assert real.verdicts == dry.verdicts
    assert snapshot(uow) != before
    # and a second run finds nothing left on v1 but the closed cycles
    again = run(running, v2, [("reviewed", "checked")])
    assert {v.reason for v in again.verdicts} == {"closed"}


def test_a_selection_under_a_node_and_a_year(
    running: CycleService, uow: InMemoryUnitOfWork, v2: Definition
) -> None:
    node = uow.units.find("DB-TRUONG")
    report = run(running, v2, [("reviewed", "checked")], under=node, year=2025)
    assert set(outcomes(report)) == {"DB-TRUONG", "DB-TRUONG-1", "DB-TRUONG-2", "DB-TRUONG-3"}
    assert cycle_row(uow, "CB-THON1")[0] == 1
    assert run(running, v2, year=2024).verdicts == []


def test_the_audit_trail_verifies_after_a_migration_and_a_forged_one_is_caught(
    running: CycleService, uow: InMemoryUnitOfWork, v2: Definition
) -> None:
    run(running, v2, [("reviewed", "checked")])
    report = verified(uow)
    assert report.ok, report.problems
    # and so does an auditor's export, offline
    lines = list(export_lines({}, uow.audit.chain_heads(None), uow.audit.transition_rows(None)))
    offline = verify_export(lines)
    assert offline.ok, offline.problems
    assert sum('"event": "migrate"' in line for line in lines) == 4
    cycle = review_cycle(uow, "DB-TRUONG-1")["id"]
    # someone holding the tables says the migration went to another state
    transitions = uow.tables.transitions
    (at,) = [
        i for i, t in enumerate(transitions) if t["event"] == "migrate" and t["cycle_id"] == cycle
    ]
    transitions[at] = {**transitions[at], "to_state": "returned"}
    found = {p.chain: p for p in verified(uow).problems}
    assert f"cycle {cycle}" in found
    assert "does not match its hash" in found[f"cycle {cycle}"].message


def test_a_cycle_row_moved_to_another_version_without_a_record_is_caught(
    running: CycleService,
    uow: InMemoryUnitOfWork,
) -> None:
    cycles = uow.tables.cycles
    for cycle_id, c in list(cycles.items()):
        if c["definition_id"] == "review" and c["state"] == "draft":
            cycles[cycle_id] = {**c, "definition_version": 2}
    problems = verified(uow).problems
    assert len(problems) == 2
    assert all(
        "definition version 2 but its records end on version 1" in p.message for p in problems
    )


def test_events_after_the_move_are_decided_by_the_new_version(
    running: CycleService, uow: InMemoryUnitOfWork, v2: Definition, clock: VirtualClock
) -> None:
    run(running, v2, [("reviewed", "checked")])
    clock.set(local(2025, 4, 2))
    # `send_back` exists only in v2
    fire(running, "CB-THON1", "send_back", BOARD)
    fire(running, "CB-THON1", "submit", SECRETARY)
    fire(running, "DB-TRUONG-1", "close", BOARD)
    history = running.history("CB-THON1", 2025, "review")
    assert history.definition.spec.version == 2
    assert [(e.event, e.definition_version) for e in history.entries] == [
        ("open", 1),
        ("submit", 1),
        ("migrate", 2),
        ("send_back", 2),
        ("submit", 2),
    ]
    # and a cycle left on v1 is still decided by v1 (`review` is gone from v2)
    assert verified(uow).ok


def test_deadlines_take_the_new_dates_and_keep_when_they_were_met(
    running: CycleService, uow: InMemoryUnitOfWork, v2: Definition
) -> None:
    run(running, v2, [("reviewed", "checked")])

    def deadlines(code: str) -> dict[str, tuple[str, str | None]]:
        cycle_id = review_cycle(uow, code)["id"]
        return {
            key: (d["due_at"][:10], d["met_at"])
            for (of, key), d in uow.tables.deadlines.items()
            if of == cycle_id
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


def test_timers_are_replanned_for_the_new_version(
    running: CycleService, uow: InMemoryUnitOfWork, v2: Definition
) -> None:

    def timers(code: str) -> dict[str, tuple[int, str, bool]]:
        unit_id = uow.tables.unit_ids[code]
        return {
            t["key"].split(":", 1)[1]: (
                t["definition_version"],
                t["due_at"][:10],
                t["cancelled_at"] is not None,
            )
            for t in uow.tables.timers.values()
            if t["unit_id"] == unit_id and t["definition_id"] == "review"
        }

    def reminder_ids() -> list[tuple[int, str]]:
        return sorted(
            (i, t["key"])
            for i, t in uow.tables.timers.items()
            if t["key"].startswith("c") and t["key"].endswith(":submit:r1")
        )

    assert timers("CB-KP3") == {  # each ladder's next timer only
        "submit:r1": (1, "2025-06-23", False),
        "review:r1": (1, "2025-09-25", False),
    }
    ids_before = reminder_ids()
    run(running, v2, [("reviewed", "checked")])
    assert timers("CB-KP3") == {
        # the same reminder, on v2's date (rewritten in place: one per key, ever)
        "submit:r1": (2, "2025-07-24", False),
        # v2 has no `review` deadline: its reminder will never go out
        "review:r1": (1, "2025-09-25", True),
        # v2's new deadline: its ladder's first timer (the tick writes the rest)
        "check:r1": (2, "2025-10-28", False),
    }
    ids_after = reminder_ids()
    assert ids_after == ids_before
    # a closed cycle (withdrawn, so not migrated) kept none: its timers went with the move
    # that closed it
    assert timers("DB-TRUONG-2") == {}


def test_the_year_of_notices_after_a_migration_follows_the_new_version(
    running: CycleService, uow: InMemoryUnitOfWork, v2: Definition, clock: VirtualClock
) -> None:
    run(running, v2, [("reviewed", "checked")])
    clock.set(local(2025, 12, 31))
    Ticks(running, render_digest, channels=("log",)).fire_and_compose()
    tables = uow.tables
    sent = sorted(
        (
            (tables.units[n["unit_id"]]["code"], n["kind"], n["deadline"], n["step"])
            for n in tables.notices.values()
            if tables.timers[n["timer_id"]]["definition_id"] == "review"
        ),
        key=lambda r: (r[0], r[2], r[1], r[3]),
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
    assert verified(uow).ok


def test_cycles_opened_after_adopting_a_new_version_use_it(
    running: CycleService, uow: InMemoryUnitOfWork, v2: Definition, versions: DefinitionSet
) -> None:
    latest = versions.latest("review")
    assert latest.key == ("review", 2)
    running.open_cycles(latest, 2026)
    assert {
        c["definition_version"]
        for c in uow.tables.cycles.values()
        if c["definition_id"] == "review" and c["year"] == 2026
    } == {2}
    # the 2025 cycles stay on v1 until migrated
    assert cycle_row(uow, "CB-KP3")[0] == 1
    # and v1 stays loadable for them
    assert uow.definitions.load("review", 1).spec.version == 1
