"""The board's reads per child node (the web board's rows): each child's whole subtree
counted in one group, on the twin, SQLite and PostgreSQL alike."""

from __future__ import annotations

from typing import Any

from tests.conftest import COMMUNE, local
from tests.support.units_of_work import import_units
from workflow.service.cycles import CycleService
from workflow.spec.registry import Definition


def _by_child(
    uow: Any, under: str | None, org_type: str | None = None
) -> dict[tuple[str, str], int]:
    node = uow.units.find(under) if under else None
    found: dict[tuple[str, str], int] = {}
    # a row per unit kind too: add them up
    for r in uow.cycles.count_by_child(node, 2025, org_type):
        found[(r.child_code, r.state)] = found.get((r.child_code, r.state), 0) + r.count
    return found


def test_each_child_counts_its_whole_subtree(commune: CycleService, uow: Any) -> None:
    fired = commune.fire("CB-THON1", "register", 2025, "bithu.thon1", "unit_secretary",
                         {"plan": "KH-1"})  # fmt: skip
    assert fired.applied
    # X01 holds CB-THON1 and the grassroots committee with its three cells; X02 one cell
    assert _by_child(uow, "T01") == {
        ("X01", "registered"): 1, ("X01", "not_registered"): 4, ("X02", "not_registered"): 1,
    }  # fmt: skip
    # a grassroots committee's row counts itself and its cells
    assert _by_child(uow, "X01") == {
        ("CB-THON1", "registered"): 1, ("DB-TRUONG", "not_registered"): 4,
    }  # fmt: skip
    assert _by_child(uow, None) == {("T01", "registered"): 1, ("T01", "not_registered"): 5}
    assert _by_child(uow, "CB-KP3") == {}
    row = next(r for r in uow.cycles.count_by_child(uow.units.find("T01"), 2025)
               if r.child_code == "X02")  # fmt: skip
    assert (row.child_name, row.child_kind, row.definition_id, row.unit_kind) == (
        "Đảng ủy phường Hòa Bình", "committee", "bon-tot", "grassroots_cell"
    )


def test_overdue_per_child_counts_open_cycles_past_a_deadline(
    commune: CycleService, uow: Any
) -> None:
    commune.fire("CB-THON1", "register", 2025, "bithu.thon1", "unit_secretary", {"plan": "KH-1"})
    t01 = uow.units.find("T01")
    # before 31/03 nothing is late; after it, every cycle still unregistered is
    assert uow.cycles.overdue_by_child(t01, 2025, local(2025, 3, 31, 12)) == {}
    late = local(2025, 4, 2)
    assert uow.cycles.overdue_by_child(t01, 2025, late) == {"X01": 4, "X02": 1}
    # a cycle closed as lapsed is late no more
    commune.fire("CB-KP3", "lapse", 2025, "btc.x02", "superior_org_board",
                 {"reason": "Chi bộ không đăng ký"})  # fmt: skip
    assert uow.cycles.overdue_by_child(t01, 2025, late) == {"X01": 4}


def test_a_board_by_organisation_type_counts_only_that_type_s_units(
    commune: CycleService, uow: Any
) -> None:
    commune.fire("CB-THON1", "register", 2025, "bithu.thon1", "unit_secretary", {"plan": "KH-1"})
    # X01's village cell and the school's committee with its three cells (administrative)
    assert _by_child(uow, "T01", "administrative") == {("X01", "not_registered"): 4}
    assert _by_child(uow, "T01", "village") == {
        ("X01", "registered"): 1, ("X02", "not_registered"): 1,
    }  # fmt: skip
    assert _by_child(uow, "T01", "enterprise") == {}
    t01, late = uow.units.find("T01"), local(2025, 4, 2)
    assert uow.cycles.overdue_by_child(t01, 2025, late, "administrative") == {"X01": 4}
    # CB-THON1 registered: its registration deadline is met, so X01 has no late village unit
    assert uow.cycles.overdue_by_child(t01, 2025, late, "village") == {"X02": 1}


def test_a_lapsed_cycle_is_late_no_more_in_the_whole_tree_nor_in_a_subtree(
    commune: CycleService, uow: Any
) -> None:
    lapsed = commune.fire("DB-TRUONG-1", "lapse", 2025, "btc.x01", "superior_org_board",
                          {"reason": "Chi bộ không đăng ký"})  # fmt: skip
    assert lapsed.applied
    late = local(2025, 4, 2)
    # six cycles, none registered by 31/03: five late, the lapsed one closed
    assert uow.cycles.count_overdue(None, 2025, late) == {"register": 5}
    assert uow.cycles.count_overdue(uow.units.find("T01"), 2025, late) == {"register": 5}
    assert "DB-TRUONG-1" not in {i.unit_code for i in uow.cycles.list_overdue(None, 2025, late)}
    assert uow.cycles.count_overdue(None, 2024, late) == {}
    assert uow.cycles.count_overdue(None, 2025, local(2025, 3, 31, 12)) == {}


def test_the_newest_year_with_cycles(
    service: CycleService, uow: Any, bon_tot: Definition
) -> None:
    assert uow.cycles.latest_year() is None
    import_units(uow, COMMUNE)
    service.open_cycles(bon_tot, 2024, actor="btc.t01")
    service.open_cycles(bon_tot, 2025, actor="btc.t01")
    assert uow.cycles.latest_year() == 2025
