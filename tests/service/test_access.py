"""Roles scoped to the unit tree, through the service on the twin: each rule allowed and
refused, and every refusal in the audit trail (ported from tests/integration/test_access.py)."""

from __future__ import annotations

import pytest

from tests.conftest import GOOD_EVALUATION, local
from workflow.access import Grant
from workflow.clock import VirtualClock
from workflow.service.cycles import CycleService
from workflow.testing import InMemoryUnitOfWork


def grant(uow: InMemoryUnitOfWork, actor: str, role: str, scope: str | None) -> Grant:
    path = uow.units.find(scope).path if scope else None
    return Grant(actor, role, scope, path)


def fire(
    service: CycleService, unit: str, event: str, who: Grant, payload: dict[str, object]
) -> str:
    """The refusal code, or "applied"."""
    cycle = service.cycle(unit, 2025)
    result = service.fire_on(cycle, event, who.actor, who.role, payload, grant=who)
    refusal = result.decision.refusal
    return "applied" if refusal is None else refusal.code


def refusals(uow: InMemoryUnitOfWork) -> list[tuple[str, str, str]]:
    return [
        (r["unit"], r["actor"], r["code"])
        for r in uow.audit.log(None, None, None, None, None, "refusals")
    ]


PLAN = {"plan": "KH-05"}


def test_a_secretary_acts_for_their_own_unit_only(
    commune: CycleService, uow: InMemoryUnitOfWork
) -> None:
    secretary = grant(uow, "bithu.thon1", "unit_secretary", "CB-THON1")
    assert fire(commune, "CB-KP3", "register", secretary, PLAN) == "not_authorized"
    assert fire(commune, "CB-THON1", "register", secretary, PLAN) == "applied"
    assert refusals(uow) == [("CB-KP3", "bithu.thon1", "not_authorized")]


def test_a_board_acts_for_the_units_under_its_committee_only(
    commune: CycleService, uow: InMemoryUnitOfWork
) -> None:
    x01 = grant(uow, "btc.x01", "superior_org_board", "X01")
    x02 = grant(uow, "btc.x02", "superior_org_board", "X02")
    reason = {"reason": "không đăng ký"}
    assert fire(commune, "CB-THON1", "lapse", x02, reason) == "not_authorized"
    assert fire(commune, "CB-THON1", "lapse", x01, reason) == "applied"
    assert fire(commune, "DB-TRUONG-1", "lapse", x01, reason) == "applied"  # any depth below
    assert refusals(uow) == [("CB-THON1", "btc.x02", "not_authorized")]


def test_no_unit_decides_for_itself(commune: CycleService, uow: InMemoryUnitOfWork) -> None:
    """A grassroots committee's board rules on its own cells, never on itself."""
    own_board = grant(uow, "btc.truong", "superior_org_board", "DB-TRUONG")
    reason = {"reason": "x"}
    assert fire(commune, "DB-TRUONG", "lapse", own_board, reason) == "not_authorized"
    assert fire(commune, "DB-TRUONG-2", "lapse", own_board, reason) == "applied"


@pytest.mark.parametrize(
    ("who", "why"),
    [
        (Grant("kiemtra.tinh", "auditor", None, None), "fires no event"),
        (Grant("quantri", "administrator", None, None), "fires no event"),
        (Grant("bithu.cu", "unit_secretary", "CB-THON1", "?", revoked=True), "revoked"),
        (Grant("btc.x01", "superior_org_board", "X01", "?"), "holds 'superior_org_board'"),
    ],
)
def test_who_may_not_fire_at_all(
    commune: CycleService, uow: InMemoryUnitOfWork, who: Grant, why: str
) -> None:
    if who.scope_code == "CB-THON1":
        who = Grant(who.actor, who.role, who.scope_code, uow.units.find("CB-THON1").path, True)
    cycle = commune.cycle("CB-THON1", 2025)
    result = commune.fire_on(cycle, "register", who.actor, "unit_secretary", PLAN, grant=who)
    assert result.decision.refusal is not None
    assert result.decision.refusal.code == "not_authorized"
    assert why in result.decision.refusal.message
    assert commune.cycle("CB-THON1", 2025).state == "not_registered"
    assert refusals(uow) == [("CB-THON1", who.actor, "not_authorized")]


def test_the_actor_who_proposed_does_not_appraise(
    commune: CycleService, uow: InMemoryUnitOfWork, clock: VirtualClock
) -> None:
    steps = [
        (local(2025, 2, 20), "register", PLAN),
        (local(2025, 2, 21), "start", {}),
        (local(2025, 12, 10), "self_evaluate", GOOD_EVALUATION),
        (local(2025, 12, 28), "propose", {}),
    ]
    for when, event, payload in steps:
        clock.set(when)
        assert commune.fire("CB-THON1", event, 2025, "ong.a", "unit_secretary", payload).applied
    clock.set(local(2026, 1, 20))
    # the same person, now sitting on the board, may not appraise what they proposed
    same = commune.fire("CB-THON1", "appraise", 2025, "ong.a", "superior_org_board")
    assert same.decision.refusal is not None
    assert same.decision.refusal.code == "separation_of_duties"
    other = commune.fire("CB-THON1", "appraise", 2025, "ba.b", "superior_org_board")
    assert other.applied
    clock.set(local(2026, 3, 2))
    decision = {"decision": "125-QĐ/ĐU"}
    appraiser = commune.fire(
        "CB-THON1", "recognize", 2025, "ba.b", "superior_standing_committee", decision
    )
    assert appraiser.decision.refusal is not None  # nor recognise what they appraised
    assert refusals(uow) == [
        ("CB-THON1", "ong.a", "separation_of_duties"),
        ("CB-THON1", "ba.b", "separation_of_duties"),
    ]
