"""The versions repository's contract: cycles of one definition version selected by id
in pages (by subtree and year), and a batch of moves written whole: cycle row, a chained
record, the target's deadlines, timers re-planned; a stale row version fails the batch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import COMMUNE, FIXTURES, local
from tests.support.units_of_work import AuditView, import_units
from workflow.service.auditing import verify_store
from workflow.service.cycles import CycleService
from workflow.service.records import CycleMove, MigrationSelection, MoveBatch
from workflow.service.versions import move_cycles
from workflow.spec.registry import DefinitionSet

SECRETARY = ("bithu", "unit_secretary")


@pytest.fixture(scope="module")
def review() -> DefinitionSet:
    folder = Path(FIXTURES / "definitions" / "versions")
    return DefinitionSet.from_texts(
        [(str(p), p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.yaml"))]
    )


@pytest.fixture
def running(service: CycleService, uow: Any, review: DefinitionSet) -> CycleService:
    import_units(uow, COMMUNE)
    service.open_cycles(review.get("review", 1), 2025)
    service.clock.set(local(2025, 3, 2))
    assert service.fire("CB-THON1", "submit", 2025, *SECRETARY).applied
    service.clock.set(local(2025, 4, 1))
    return service


def test_selection_pages_by_id_within_a_subtree_and_a_year(running: CycleService, uow: Any) -> None:
    everything = MigrationSelection("review", 1)
    assert [m.cycle.id for m in uow.versions.select(everything, 0, 4, lock=False)] == [1, 2, 3, 4]
    assert [m.cycle.id for m in uow.versions.select(everything, 4, 4, lock=False)] == [5, 6]
    with uow:
        locked = uow.versions.select(everything, 0, 1, lock=True)
        uow.commit()
    (first,) = locked
    assert (first.cycle.unit_code, first.cycle.state, first.unit_id) == ("CB-THON1", "submitted", 3)
    school = MigrationSelection("review", 1, uow.units.find("DB-TRUONG"), 2025)
    assert [m.cycle.unit_code for m in uow.versions.select(school, 0, 10, lock=False)] == [
        "DB-TRUONG", "DB-TRUONG-1", "DB-TRUONG-2", "DB-TRUONG-3"
    ]
    assert uow.versions.select(MigrationSelection("review", 1, year=2024), 0, 9, False) == []
    assert uow.versions.select(MigrationSelection("review", 2), 0, 9, False) == []


def test_a_batch_moves_rows_deadlines_and_timers(
    running: CycleService, uow: Any, review: DefinitionSet
) -> None:
    v2 = review.get("review", 2)
    before = {t.key for t in _pending(uow)}
    report = move_cycles(running, MigrationSelection("review", 1), v2, batch_size=4,
                         actor="admin", role="administrator")
    assert report.totals()["moved"] == 6
    (cycle,) = uow.cycles.find("CB-THON1", 2025)
    assert (cycle.definition_version, cycle.state, cycle.version) == (2, "submitted", 3)
    last = uow.cycles.history(cycle.id)[-1]
    assert (last.event, last.seq, last.actor, last.definition_version) == (
        "migrate", 3, "admin", 2
    )
    deadlines = {d.key: d for d in uow.cycles.deadlines(cycle.id)}
    assert sorted(deadlines) == ["check", "submit"]  # v1's review is gone, v2's check added
    assert deadlines["submit"].due_at == local(2025, 7, 31, 23, 59, 59, 999999)
    assert deadlines["submit"].met_at == local(2025, 3, 2)  # met before: the instant kept
    assert deadlines["check"].met_at is None
    # every pending timer is v2's now, with v2's dates; v1's review timers are cancelled
    pending = _pending(uow)
    assert {(t.definition_id, t.definition_version) for t in pending} == {("review", 2)}
    assert not any(t.deadline == "review" for t in pending)
    assert {t.key for t in pending} - before  # v2 plans a reminder v1 did not have
    assert all(t.due_at > local(2025, 4, 1) for t in pending)
    assert verify_store(AuditView(uow)).ok


def test_a_stale_row_version_fails_the_whole_batch(
    running: CycleService, uow: Any, review: DefinitionSet
) -> None:
    v2 = review.get("review", 2)
    migrants = uow.versions.select(MigrationSelection("review", 1), 0, 2, lock=False)
    moves = [
        CycleMove(m.cycle.id, m.unit_id, 2025, m.cycle.version + (i == 1), m.cycle.state,
                  m.cycle.state, None, m.cycle.version + 1, "{}", "f" * 64, frozenset())
        for i, m in enumerate(migrants)
    ]
    batch = MoveBatch(v2, moves, {}, {}, local(2025, 4, 1), "2025-04-01T02:00:00.000000Z",
                      "admin", "administrator")
    with pytest.raises(RuntimeError, match="changed while being migrated"), uow:
        uow.versions.write_moves(batch)
        uow.commit()
    # the first move was valid, and is not written either
    assert uow.cycles.find("CB-THON1", 2025)[0].definition_version == 1
    assert all(e.event != "migrate" for e in uow.cycles.history(migrants[0].cycle.id))


def _pending(uow: Any) -> list[Any]:
    with uow:
        due = uow.timers.claim_due(local(2030, 1, 1), 10_000)
        uow.commit()
    return [t for t in due if t.definition_id == "review"]


def test_the_target_is_written_once(
    running: CycleService, uow: Any, review: DefinitionSet
) -> None:
    assert uow.definitions.stored("review", 2) is None
    move_cycles(running, MigrationSelection("review", 1), review.get("review", 2))
    assert uow.definitions.stored("review", 2) is not None
