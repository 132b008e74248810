"""Evidence beside the verdict: the register decides, an override needs a written reason,
targets are a superior's own. The commune's cell thôn 1 has 12 members, 10 rated good.
The service on the twin (ported from tests/integration/test_evidence.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import GOOD_EVALUATION, local
from tests.support.register import members, unit_rating
from tests.support.twin import import_ratings, import_units, set_target, snapshot
from workflow.clock import VirtualClock
from workflow.errors import ImportRefused
from workflow.evidence.ratings import check_rating_rows
from workflow.service.cycles import CycleService
from workflow.testing import InMemoryUnitOfWork

SECRETARY = ("bithu.thon1", "unit_secretary")
BOARD = ("btc.x01", "superior_org_board")


def proposed(service: CycleService, clock: VirtualClock, unit: str = "CB-THON1") -> None:
    for when, event, payload in (
        (local(2025, 2, 20), "register", {"plan": "KH-05"}),
        (local(2025, 2, 21), "start", {}),
        (local(2025, 12, 10), "self_evaluate", GOOD_EVALUATION),
        (local(2025, 12, 28), "propose", {}),
    ):
        clock.set(when)
        result = service.fire(unit, event, 2025, f"bithu.{unit}", "unit_secretary", payload)
        assert result.applied, result.decision.refusal
    clock.set(local(2026, 1, 20))


def test_appraisal_waits_for_final_ratings_and_no_override_skips_them(
    service: CycleService, uow: InMemoryUnitOfWork, clock: VirtualClock, bon_tot: Any
) -> None:
    from tests.conftest import COMMUNE

    import_units(uow, COMMUNE)
    service.open_cycles(bon_tot, 2025)
    # December: only the provisional ratings are in
    import_ratings(uow, members("CB-THON1", good=12, stage="provisional"),
                         local(2025, 12, 15), "btc.x01", {})
    proposed(service, clock)
    refused = service.fire("CB-THON1", "appraise", 2025, *BOARD, {"override": "Đã xác minh"})
    refusal = refused.decision.refusal
    assert refusal is not None and "overrule" not in refusal.message
    missing = next(c for c in refusal.checks if c.key == "ratings.members.final_complete")
    assert missing.actual.startswith("0/12") and not missing.overridable
    # January: the registry's final ratings arrive; the same appraisal now passes
    import_ratings(uow, members("CB-THON1", excellent=2, good=8, completed=2),
                         clock.now(), "btc.x01", {})
    assert service.fire("CB-THON1", "appraise", 2025, *BOARD).applied


def test_an_override_needs_a_written_reason_and_is_kept_with_what_it_overruled(
    commune: CycleService, uow: InMemoryUnitOfWork, clock: VirtualClock
) -> None:
    # the registry says 7 of 12 good: 58 %, below 80 %
    import_ratings(uow, members("CB-THON1", good=7, completed=5), clock.now(),
                         "btc.x01", {})
    proposed(commune, clock)
    plain = commune.fire("CB-THON1", "appraise", 2025, *BOARD)
    assert plain.decision.refusal is not None and "overrule" in plain.decision.refusal.message
    blank = commune.fire("CB-THON1", "appraise", 2025, *BOARD, {"override": "   "})
    assert not blank.applied
    reason = "Chi bộ có 3 đảng viên đi nghĩa vụ quân sự, đã xác minh với Ban Tổ chức"
    done = commune.fire("CB-THON1", "appraise", 2025, *BOARD, {"override": reason})
    assert done.applied and done.decision.overruled == ("ratings.members.good_or_better",)
    entry = commune.history("CB-THON1", 2025).entries[-1]
    assert entry.payload["override"] == {
        "reason": reason,
        "overruled": ["ratings.members.good_or_better"],
    }
    failing = [c for c in entry.checks if not c["passed"]]
    assert [c["key"] for c in failing] == ["ratings.members.good_or_better"]
    overrides = uow.audit.log(None, None, None, None, None, "overrides")
    assert [(o["unit"], o["event"]) for o in overrides] == [("CB-THON1", "appraise")]


def test_an_override_of_a_passing_verdict_is_not_recorded_as_one(
    commune: CycleService, uow: InMemoryUnitOfWork, clock: VirtualClock
) -> None:
    proposed(commune, clock)
    done = commune.fire("CB-THON1", "appraise", 2025, *BOARD, {"override": "không cần"})
    assert done.applied and done.decision.overruled == ()
    assert "override" not in commune.history("CB-THON1", 2025).entries[-1].payload
    assert uow.audit.log(None, None, None, None, None, "overrides") == []


def test_rejecting_a_unit_the_rule_passes_is_an_override(
    commune: CycleService, clock: VirtualClock
) -> None:
    proposed(commune, clock)
    no_reason = commune.fire("CB-THON1", "reject", 2025, *BOARD, {"reason": "Chưa đạt"})
    assert no_reason.decision.refusal is not None
    assert "rule 'recognition' holds" in no_reason.decision.refusal.message
    done = commune.fire(
        "CB-THON1", "reject", 2025, *BOARD,
        {"reason": "Để xảy ra vụ việc", "override": "Chi bộ để xảy ra vi phạm kỷ luật tháng 11"},
    )
    assert done.applied, done.decision.refusal
    assert done.decision.to_state == "not_recognized"
    assert done.decision.overruled == ("recognition",)


def test_a_committee_is_appraised_on_its_cells_records_never_retyped(
    commune: CycleService, uow: InMemoryUnitOfWork, clock: VirtualClock
) -> None:
    proposed(commune, clock, "DB-TRUONG")
    verdict = commune.verdict(commune.cycle("DB-TRUONG", 2025))
    assert verdict.passed
    cells = {c.key: c.actual for c in verdict.checks if c.key.startswith("ratings")}
    assert cells["ratings.cells.final_complete"] == "3/3"
    assert cells["ratings.cells.good_or_better"] == "100 %"
    # one cell's own final rating corrected to "not completed": the committee now fails
    # both shares (2 of 3 cells completed or better, and 2 of 3 good: 66.67 %)
    import_ratings(uow, [unit_rating("DB-TRUONG-3", "not_completed")], clock.now(),
                         "btc.x01", {})
    again = commune.verdict(commune.cycle("DB-TRUONG", 2025))
    assert {c.key: c.actual for c in again.failed} == {
        "ratings.cells.completed_or_better": "66.67 %",
        "ratings.cells.good_or_better": "66.67 %",
    }


def test_a_bad_row_names_row_and_column_and_imports_nothing(
    commune: CycleService, uow: InMemoryUnitOfWork
) -> None:
    before = snapshot(uow)
    header = ["ma_to_chuc", "ma_dang_vien", "xep_loai", "giai_doan", "ngay_xep_loai"]
    good = {"ma_to_chuc": "CB-THON1", "ma_dang_vien": "DV1", "xep_loai": "tốt",
            "giai_doan": "chính thức", "ngay_xep_loai": "10/01/2026"}
    bad = [
        good,
        {**good, "ma_dang_vien": "DV2", "xep_loai": "rất tốt"},
        {**good, "ma_dang_vien": "DV3", "ngay_xep_loai": "30/02/2026"},
        {**good, "ma_to_chuc": "CB-KHONG-CO"},
        {**good, "ma_to_chuc": "X01"},
        good,
    ]
    units = {code: kind for code, (kind, _) in uow.units.parents().items()}
    with pytest.raises(ImportRefused) as refused:
        check_rating_rows("xep-loai.csv", header, bad, units, 2025)
    problems = [(p.row, p.column) for p in refused.value.problems]
    assert problems == [(3, "xep_loai"), (4, "ngay_xep_loai"), (5, "ma_to_chuc"),
                        (6, "ma_dang_vien"), (7, "ma_dang_vien")]
    assert "30/02/2026" in str(refused.value) and "repeats row 2" in str(refused.value)
    assert snapshot(uow) == before


def test_a_superiors_own_target_replaces_the_definitions(
    commune: CycleService, uow: InMemoryUnitOfWork, clock: VirtualClock
) -> None:
    assert commune.board(2025, "X01").targets["bon-tot"][2] == 50
    set_target(uow, "X01", 90, local(2025, 1, 20).date(), clock.now(), "btv")
    counted, recognized, target = commune.board(2025, "X01").targets["bon-tot"]
    assert (counted, recognized, target) == (2, 0, 90)  # CB-THON1 and DB-TRUONG
    # the province's own target is still the definition's
    assert commune.board(2025, "T01").targets["bon-tot"][2] == 50
    progress = {s.unit_code: s for s in commune.target_progress(2025)}
    assert progress["X01"].targets["bon-tot"] == [2, 0, 90]
    assert progress["T01"].targets["bon-tot"] == [3, 0, 50]


def test_an_appraiser_cannot_restate_the_evidence_the_rule_judges(
    commune: CycleService, uow: InMemoryUnitOfWork, clock: VirtualClock
) -> None:
    import_ratings(uow, members("CB-THON1", good=7, completed=5), clock.now(),
                         "btc.x01", {})
    proposed(commune, clock)
    claimed = {"criteria": GOOD_EVALUATION["criteria"],
               "ratings": {"rated": 12, "completed_or_better": 12, "good_or_better": 12}}
    refused = commune.fire("CB-THON1", "appraise", 2025, *BOARD, claimed)
    assert refused.decision.refusal is not None
    assert refused.decision.refusal.code == "payload_not_allowed"
    assert "criteria, ratings" in refused.decision.refusal.message
    rejected = commune.fire("CB-THON1", "reject", 2025, *BOARD,
                            {"reason": "x", "criteria": {"meetings": 0}})
    assert rejected.decision.refusal is not None
    assert rejected.decision.refusal.code == "payload_not_allowed"
    # the unit's own self-evaluation is untouched
    assert commune.cycle("CB-THON1", 2025).facts["criteria"] == GOOD_EVALUATION["criteria"]


def test_a_committees_own_summary_has_the_figures_status_has(
    commune: CycleService, clock: VirtualClock
) -> None:
    proposed(commune, clock, "DB-TRUONG")
    proposed(commune, clock, "DB-TRUONG-1")
    board = commune.board(2025, "DB-TRUONG")
    summary = next(s for s in commune.report(2025, "DB-TRUONG").superiors
                   if s.unit_code == "DB-TRUONG")
    by_state: dict[str, int] = {}
    for row in board.rows:
        by_state[row.state] = by_state.get(row.state, 0) + row.count
    assert {s: n for (_, s), n in summary.states.items()} == by_state == {
        "proposed": 2, "not_registered": 2
    }
    assert tuple(summary.targets["bon-tot"]) == board.targets["bon-tot"]
