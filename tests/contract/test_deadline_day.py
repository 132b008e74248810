"""A deadline on a day means the whole day (issue 17): the proposal due "before 31/12"
is on time at 23:59:59 on 31/12 local time and late at 00:00:00 on 01/01, in the
auditors' late list and in the board's overdue counts, on every backend."""

from __future__ import annotations

from typing import Any

from tests.conftest import GOOD_EVALUATION, local
from workflow.service.cycles import CycleService


def _to_self_evaluated(commune: CycleService, unit: str, actor: str) -> None:
    commune.clock.set(local(2025, 3, 2))
    assert commune.fire(unit, "register", 2025, actor, "unit_secretary", {"plan": "KH"}).applied
    assert commune.fire(unit, "start", 2025, actor, "unit_secretary", {}).applied
    commune.clock.set(local(2025, 12, 20))
    assert commune.fire(
        unit, "self_evaluate", 2025, actor, "unit_secretary", GOOD_EVALUATION
    ).applied


def test_a_proposal_at_23_59_59_on_31_12_is_on_time_and_at_midnight_late(
    commune: CycleService, uow: Any
) -> None:
    _to_self_evaluated(commune, "CB-THON1", "bithu.thon1")
    _to_self_evaluated(commune, "CB-KP3", "bithu.kp3")
    last_second = local(2025, 12, 31, 23, 59, 59)
    commune.clock.set(last_second)
    assert commune.fire("CB-THON1", "propose", 2025, "bithu.thon1", "unit_secretary", {}).applied
    # nobody has missed the proposal yet at the last second of 31/12, whatever their state
    assert "propose" not in uow.cycles.count_overdue(None, 2025, last_second)
    midnight = local(2026, 1, 1, 0, 0)
    commune.clock.set(midnight)
    # the first instant of 01/01: the five cycles not proposed are overdue
    assert uow.cycles.count_overdue(None, 2025, midnight)["propose"] == 5
    assert commune.fire("CB-KP3", "propose", 2025, "bithu.kp3", "unit_secretary", {}).applied

    late = uow.audit.log(None, None, "propose", None, None, "late")
    assert [(e["unit"], e["late_for"]) for e in late] == [("CB-KP3", "propose")]
    proposed = uow.audit.log(None, None, "propose", None, None, None)
    assert [(e["unit"], e["late_for"]) for e in proposed] == [
        ("CB-THON1", None), ("CB-KP3", "propose")
    ]
    overdue = uow.cycles.list_overdue(None, 2025, midnight)
    assert sorted(o.unit_code for o in overdue if o.deadline == "propose") == [
        "DB-TRUONG", "DB-TRUONG-1", "DB-TRUONG-2", "DB-TRUONG-3"
    ]
