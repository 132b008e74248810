"""The units repository's contract: ids and paths as imported, the subtree by path range,
contacts with their ancestors, committees in the subtree."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import COMMUNE
from tests.support.units_of_work import write
from workflow.errors import NotFound
from workflow.units import UnitRow


@pytest.fixture
def units(uow: Any) -> Any:
    assert write(uow, lambda: uow.units.import_rows(COMMUNE)) == (len(COMMUNE), 0)
    return uow.units


def test_imported_units_get_ids_and_paths_parents_first(units: Any) -> None:
    paths = {u.code: (u.id, u.path, u.parent_code) for u in units.under(None)}
    assert paths["T01"] == (1, "/1/", None)
    assert paths["X01"] == (2, "/1/2/", "T01")
    assert paths["DB-TRUONG-3"] == (7, "/1/2/4/7/", "DB-TRUONG")
    assert paths["CB-KP3"] == (9, "/1/8/9/", "X02")


def test_a_second_import_updates_by_code_and_keeps_ids(uow: Any, units: Any) -> None:
    renamed = UnitRow("CB-KP3", "Chi bộ khu phố 3 (mới)", "grassroots_cell", "village", "X02", 26,
                      {"unit_secretary": "bt@kp3.vn"})
    new = UnitRow("CB-KP4", "Chi bộ khu phố 4", "grassroots_cell", "village", "X02", 5, {})
    assert write(uow, lambda: units.import_rows([renamed, new])) == (1, 1)
    found = units.find("CB-KP3")
    assert (found.id, found.name, found.member_count, found.contacts) == (
        9, "Chi bộ khu phố 3 (mới)", 26, {"unit_secretary": "bt@kp3.vn"}
    )
    assert units.find("CB-KP4").path == "/1/8/10/"


def test_find_reads_the_whole_unit_and_refuses_an_unknown_code(units: Any) -> None:
    x01 = units.find("X01")
    assert (x01.kind, x01.org_type, x01.parent_code) == ("committee", "village", "T01")
    assert x01.contacts == {"superior_org_board": "btc.x01@example.vn"}
    with pytest.raises(NotFound, match="no unit with code 'NOPE'"):
        units.find("NOPE")


def test_under_is_the_subtree_in_path_order(units: Any) -> None:
    assert [u.code for u in units.under(units.find("X01"))] == [
        "X01", "CB-THON1", "DB-TRUONG", "DB-TRUONG-1", "DB-TRUONG-2", "DB-TRUONG-3",
    ]
    assert [u.code for u in units.under(units.find("CB-KP3"))] == ["CB-KP3"]
    assert len(units.under(None)) == len(COMMUNE)


def test_a_subtree_does_not_take_a_unit_whose_id_starts_alike(uow: Any) -> None:
    roots = [UnitRow(f"R{i}", f"R{i}", "committee", "other", None, 0) for i in range(1, 12)]
    write(uow, lambda: uow.units.import_rows(roots))
    assert uow.units.find("R10").path == "/10/"
    assert [u.code for u in uow.units.under(uow.units.find("R1"))] == ["R1"]
    # path order is text order: /1/ < /10/ < /11/ < /2/
    assert [u.code for u in uow.units.under(None)][:4] == ["R1", "R10", "R11", "R2"]


def test_parents_ids_and_paths_and_contacts(units: Any) -> None:
    parents = units.parents()
    assert parents["DB-TRUONG-1"] == ("subordinate_cell", "DB-TRUONG")
    assert parents["T01"] == ("committee", None)
    assert units.ids_and_paths(["CB-THON1", "NOPE", "X02"]) == {
        "CB-THON1": (3, "/1/2/3/"), "X02": (8, "/1/8/"),
    }
    found = units.contacts({"/1/2/3/"})
    assert list(found) == [1, 2, 3]  # the unit and its ancestors, by id
    assert found[2].contacts == {"superior_org_board": "btc.x01@example.vn"}
    assert (found[3].code, found[3].path) == ("CB-THON1", "/1/2/3/")


def test_committees_are_the_parents_inside_the_subtree(units: Any) -> None:
    assert units.committees(None) == [
        ("T01", "Tỉnh ủy mẫu", "/1/"),
        ("X01", "Đảng ủy xã Tân Lập", "/1/2/"),
        ("DB-TRUONG", "Đảng bộ Trường THPT", "/1/2/4/"),
        ("X02", "Đảng ủy phường Hòa Bình", "/1/8/"),
    ]
    assert [c[0] for c in units.committees(units.find("X01"))] == ["X01", "DB-TRUONG"]
    assert units.committees(units.find("CB-KP3")) == []
