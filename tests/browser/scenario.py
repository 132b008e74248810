"""The browser tests' installation: the commune of tests/conftest.py in a real SQLite
file, its 2025 cycles opened, its members rated, and one actor per role with a known
token, the clock on 10/12/2025 (the proposal is due by 31/12)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from adapters import bootstrap
from adapters.identity import hash_token
from tests.conftest import COMMUNE, local
from tests.support.register import COMMUNE_RATINGS
from workflow.clock import VirtualClock

YEAR = 2025
NOW = local(2025, 12, 10, 9)

#: actor id -> (role, scope code)
ACTORS = {
    "quantri": ("administrator", None),
    "bithu.thon1": ("unit_secretary", "CB-THON1"),
    "bithu.kp3": ("unit_secretary", "CB-KP3"),
    "bithu.truong1": ("unit_secretary", "DB-TRUONG-1"),
    "btc.x01": ("superior_org_board", "X01"),
    "btv.x01": ("superior_standing_committee", "X01"),
    "kiemtra.t01": ("auditor", "T01"),
}


#: criterion 1 at 90 %, under the rule's 95 %
WEAK_EVALUATION = {
    "criteria": {"political_task": 90, "meetings": 97, "unity_discipline": 96,
                 "cadres_members": 98},
    "checklist": {"initiative": True, "rules_and_tasks": True, "self_defence": True,
                  "residence_ties": True},
}  # fmt: skip


def token_of(actor: str) -> str:
    return f"token-of-{actor}-0123456789"


@dataclass(frozen=True)
class Installation:
    url: str
    clock: VirtualClock


def install(folder: Path) -> Installation:
    url = f"sqlite:///{folder / 'bontot.db'}"
    clock = VirtualClock(local(2025, 1, 5, 8))
    app = bootstrap.build(url, clock, schema="create")
    try:
        store = app.store
        store.import_units(COMMUNE)
        app.cycles.open_cycles(app.catalog.latest("bon-tot"), YEAR, actor="quantri")
        rows = [
            (actor, actor, role, scope, hash_token(token_of(actor), cost=2**10))
            for actor, (role, scope) in ACTORS.items()
        ]
        store.add_actors(rows, clock.now(), "quantri")
        store.import_ratings(YEAR, COMMUNE_RATINGS, clock.now(), "quantri", {"file": "test"})
        # the secretaries registered and started in spring
        clock.set(local(2025, 3, 3))
        for unit, secretary in (("CB-THON1", "bithu.thon1"), ("DB-TRUONG-1", "bithu.truong1"),
                                ("CB-KP3", "bithu.kp3")):  # fmt: skip
            grant = app.store.find_actor(secretary)
            assert grant is not None
            for event, payload in (("register", {"plan": "KH-01/2025"}), ("start", {})):
                done = app.cycles.fire(unit, event, YEAR, secretary, "unit_secretary",
                                       payload, grant=grant[0])  # fmt: skip
                assert done.applied, done.decision.refusal
        # the school's maths cell evaluated itself below the bar on criterion 1, and proposed
        clock.set(local(2025, 11, 20))
        grant = app.store.find_actor("bithu.truong1")
        assert grant is not None
        for event, payload in (("self_evaluate", WEAK_EVALUATION), ("propose", {})):
            done = app.cycles.fire("DB-TRUONG-1", event, YEAR, "bithu.truong1",
                                   "unit_secretary", payload, grant=grant[0])  # fmt: skip
            assert done.applied, done.decision.refusal
        clock.set(NOW)
    finally:
        app.close()
    return Installation(url, clock)
