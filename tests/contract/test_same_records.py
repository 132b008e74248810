"""One year of the commune, run on the twin and on a real database side by side: the
same records, byte for byte: every transition with its hash, the notice and audit-event
chains, the cycle heads, an anchor, and the figures the board and the report show."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from adapters.notifications.templates import render_digest
from tests.conftest import COMMUNE, GOOD_EVALUATION, local
from tests.support.backends import BACKENDS
from tests.support.register import COMMUNE_RATINGS
from tests.support.units_of_work import AuditView, import_units, unit_of_work, write
from workflow.clock import VirtualClock
from workflow.service.auditing import verify_store
from workflow.service.cycles import CycleService, weekends_only
from workflow.service.ticks import Ticks
from workflow.spec.registry import Definition
from workflow.testing import InMemoryUnitOfWork

SECRETARY = ("bithu.thon1", "unit_secretary")
BOARD = ("btc.x01", "superior_org_board")
STANDING = ("btv.x01", "superior_standing_committee")
STEPS = [
    (local(2025, 2, 20), "CB-THON1", "register", SECRETARY, {"plan": "KH-05/KH-CB"}),
    (local(2025, 2, 21), "CB-THON1", "start", SECRETARY, {}),
    (local(2025, 2, 22), "CB-KP3", "propose", SECRETARY, {}),  # refused: wrong state
    (local(2025, 4, 2), "CB-KP3", "register", SECRETARY, {"plan": "late"}),  # late
    (local(2025, 12, 10), "CB-THON1", "self_evaluate", SECRETARY, GOOD_EVALUATION),
    (local(2025, 12, 28), "CB-THON1", "propose", SECRETARY, {}),
    (local(2026, 1, 20), "CB-THON1", "appraise", BOARD, {}),
    (local(2026, 3, 2), "CB-THON1", "recognize", STANDING, {"decision": "125-QĐ/ĐU"}),
]


def _year(uow: Any, bon_tot: Definition) -> dict[str, Any]:
    clock = VirtualClock(local(2025, 1, 5, 8))
    service = CycleService(uow, clock, weekends_only)
    ticks = Ticks(service, render_digest, channels=("log",))
    import_units(uow, COMMUNE)
    service.open_cycles(bon_tot, 2025, actor="btc.t01", batch_size=4)
    units = uow.units.ids_and_paths(sorted({r.unit_code for r in COMMUNE_RATINGS}))
    write(uow, lambda: uow.registers.import_ratings(
        2025, COMMUNE_RATINGS, units, clock.now(), "btc.x01", {"file": "fixture"}
    ))
    applied = []
    for when, unit, event, (actor, role), payload in STEPS:
        ticks.run_until(clock, when)
        applied.append(service.fire(unit, event, 2025, actor, role, payload).applied)
    anchor = write(uow, lambda: uow.audit.anchor(clock.now(), "auditor"))
    clock.set(local(2026, 3, 20))
    return {
        "applied": applied,
        "anchor": anchor,
        "transitions": list(uow.audit.transition_rows(None)),
        "notices": list(uow.audit.fact_rows("notice")),
        "events": list(uow.audit.fact_rows("audit_event")),
        "heads": uow.audit.chain_heads(None),
        "board": service.board(2025),
        "overdue": service.overdue(2025),
        "report": service.report(2025),
        "history": service.history("CB-THON1", 2025),
        "log": uow.audit.log(None, None, None, None, None, None),
        "verified": verify_store(AuditView(uow)).ok,
    }


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_twin_writes_what_the_database_writes(
    backend: str, tmp_path: Path, bon_tot: Definition
) -> None:
    twin = _year(InMemoryUnitOfWork(), bon_tot)
    with unit_of_work(backend, tmp_path) as uow:
        real = _year(uow, bon_tot)
    assert twin["applied"] == [True, True, False, True, True, True, True, True]
    assert len(twin["notices"]) > 10 and twin["verified"]
    # The overdue list is ordered by (due, unit, deadline): a unit's two deadlines due the
    # same instant (recognize, report) come in one order on every backend.
    for found in (twin, real):
        assert found["overdue"] == sorted(
            found["overdue"], key=lambda o: (o.due_at, o.unit_code, o.deadline)
        )
    for key in twin:
        assert twin[key] == real[key], key
