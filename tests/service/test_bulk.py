"""Bulk decisions through the service on the twin: 4 communes of 60 cells of 10 members,
every 7th with a member who did not complete their tasks, every 11th still missing two
final ratings. The dry run changes nothing; the real run does what the dry run said
(ported from tests/integration/test_bulk.py, which keeps the province of 10,000 cells on
the real databases)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.conftest import GOOD_EVALUATION, local
from tests.support.register import members, unit_rating
from tests.support.twin import import_ratings, import_units, snapshot
from workflow.access import Grant
from workflow.clock import VirtualClock
from workflow.evidence.ratings import RatingRecord
from workflow.service.bulk import BulkItem, BulkRequest, bulk_fire
from workflow.service.cycles import CycleService
from workflow.spec.registry import Definition
from workflow.testing import InMemoryUnitOfWork
from workflow.units import UnitImport

COMMUNES, CELLS_EACH = 4, 60


def province() -> list[UnitImport]:
    rows = [UnitImport("T", "Tỉnh ủy", "committee", "other", None, 0, {})]
    for c in range(COMMUNES):
        rows.append(UnitImport(f"X{c:02d}", f"Đảng ủy xã {c}", "committee", "village", "T", 0, {}))
        rows += [
            UnitImport(f"X{c:02d}-CB{k:03d}", f"Chi bộ {k}", "grassroots_cell", "village",
                    f"X{c:02d}", 10, {})
            for k in range(CELLS_EACH)
        ]
    return rows


def failing(i: int) -> bool:
    """Whether the i-th cell of the province (in unit order) fails the rule."""
    return i % 11 == 0 or i % 7 == 0


def register(cells: list[str]) -> list[RatingRecord]:
    records = []
    for i, cell in enumerate(cells):
        if i % 11 == 0:
            records += members(cell, excellent=1, good=5)  # two members not yet rated
            records += members(cell, good=2, stage="provisional", first=7)
        elif i % 7 == 0:
            records += members(cell, excellent=1, good=8, not_completed=1)
        else:
            records += members(cell, excellent=1, good=7, completed=2)
        records.append(unit_rating(cell, "good"))
    return records


def fire_all(
    service: CycleService, event: str, actor: str, role: str, payload: dict[str, Any]
) -> list[BulkItem]:
    request = BulkRequest(event, 2025, "T", actor, role, payload, dry_run=False, batch_size=50)
    return bulk_fire(service, request)


@pytest.fixture
def proposed(
    service: CycleService, uow: InMemoryUnitOfWork, clock: VirtualClock, bon_tot: Definition
) -> CycleService:
    units = province()
    import_units(uow, units)
    service.open_cycles(bon_tot, 2025)
    cells = [u.code for u in units if u.kind == "grassroots_cell"]
    import_ratings(uow, register(cells), local(2026, 1, 12), "btc", {})
    for when, event, payload in (
        (local(2025, 2, 20), "register", {"plan": "KH-01"}),
        (local(2025, 2, 21), "start", {}),
        (local(2025, 12, 10), "self_evaluate", GOOD_EVALUATION),
        (local(2025, 12, 28), "propose", {}),
    ):
        clock.set(when)
        done = fire_all(service, event, "bithu", "unit_secretary", payload)
        assert Counter(i.outcome for i in done) == {"applied": len(cells)}
    clock.set(local(2026, 1, 20))
    return service


def test_a_dry_run_over_240_cycles_changes_nothing_and_the_real_run_matches_it(
    proposed: CycleService, uow: InMemoryUnitOfWork
) -> None:
    before = snapshot(uow)
    dry = bulk_fire(
        proposed,
        BulkRequest("appraise", 2025, "T", "btc.t", "superior_org_board", {}, batch_size=50),
    )
    assert snapshot(uow) == before
    assert len(dry) == COMMUNES * CELLS_EACH
    by_unit = {i.unit_code: i for i in dry}
    # the failing cells are refused, each with its failing checks named
    assert by_unit["X00-CB000"].outcome == "refused"  # 0: two final ratings missing
    assert [c.key for c in by_unit["X00-CB000"].failing] == ["ratings.members.final_complete"]
    assert by_unit["X00-CB007"].outcome == "refused"
    assert [c.key for c in by_unit["X00-CB007"].failing] == [
        "ratings.members.completed_or_better"
    ]
    assert by_unit["X00-CB001"].outcome == "would_apply"
    expected_refused = sum(1 for i in range(COMMUNES * CELLS_EACH) if failing(i))
    assert Counter(i.outcome for i in dry) == {
        "refused": expected_refused,
        "would_apply": COMMUNES * CELLS_EACH - expected_refused,
    }

    real = bulk_fire(
        proposed,
        BulkRequest("appraise", 2025, "T", "btc.t", "superior_org_board", {}, dry_run=False,
                    batch_size=50),
    )
    promised = {"would_apply": "applied", "refused": "refused"}
    assert [(i.unit_code, promised[i.outcome], i.to_state, [c.key for c in i.failing])
            for i in dry] == [
        (i.unit_code, i.outcome, i.to_state, [c.key for c in i.failing]) for i in real
    ]
    board = {(r.state): r.count for r in proposed.board(2025, "T").rows}
    assert board == {"appraised": COMMUNES * CELLS_EACH - expected_refused,
                     "proposed": expected_refused}
    # each cycle's decision is its own record in its own chain; each refusal its own fact
    appraisals = [t for t in uow.tables.transitions if t["event"] == "appraise"]
    refusals = [e for e in uow.tables.audit_events
                if e["kind"] == "refusal" and e["event"] == "appraise"]
    assert len(appraisals) == COMMUNES * CELLS_EACH - expected_refused
    assert len(refusals) == expected_refused


def test_only_passing_skips_the_failing_ones_without_refusing_them(
    proposed: CycleService, uow: InMemoryUnitOfWork
) -> None:
    # the board of commune X03 asks for the whole province: its selection stops at X03
    x03 = uow.units.find("X03")
    grant = Grant("btc.x03", "superior_org_board", "X03", x03.path)
    request = BulkRequest("appraise", 2025, "T", "btc.x03", "superior_org_board", {},
                          grant=grant, select="passing", dry_run=False)
    items = bulk_fire(proposed, request)
    outcomes = Counter(i.outcome for i in items)
    fails = sum(1 for i in range(3 * CELLS_EACH, 4 * CELLS_EACH) if failing(i))
    assert outcomes == {"applied": CELLS_EACH - fails, "skipped": fails}
    assert [e for e in uow.tables.audit_events if e["kind"] == "refusal"] == []
    # the other communes were not touched
    assert {r.state for r in proposed.board(2025, "X02").rows} == {"proposed"}
