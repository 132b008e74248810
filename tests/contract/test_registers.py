"""The registers repository's contract: ratings added or corrected by (year, unit,
member, stage) with one fact per import; the register a rule reads; targets set again."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from tests.conftest import COMMUNE, local
from tests.support.register import members, unit_rating
from tests.support.units_of_work import write

AT = local(2026, 1, 12)


@pytest.fixture
def registers(uow: Any) -> Any:
    write(uow, lambda: uow.units.import_rows(COMMUNE))
    return uow.registers


def _import(uow: Any, records: list[Any], file: str = "dv.csv") -> tuple[int, int]:
    units = uow.units.ids_and_paths(sorted({r.unit_code for r in records}))
    return write(  # type: ignore[no-any-return]
        uow, lambda: uow.registers.import_ratings(2025, records, units, AT, "btc.x01",
                                                  {"file": file})
    )


def test_ratings_are_added_then_corrected_by_their_key(registers: Any, uow: Any) -> None:
    first = members("CB-THON1", good=3, completed=1)
    assert _import(uow, [*first, unit_rating("CB-THON1", "good")]) == (5, 0)
    corrected = members("CB-THON1", excellent=1, good=3)  # DV001 rated higher, DV004 too
    provisional = members("CB-THON1", good=1, stage="provisional")  # another stage: a new row
    assert _import(uow, [*corrected, *provisional]) == (1, 4)
    rows = registers.ratings_under(None, 2025)
    assert [(r.unit_code, r.member, r.stage, r.level) for r in rows] == [
        ("CB-THON1", "", "final", "good"),
        ("CB-THON1", "CB-THON1-DV001", "final", "excellent"),
        ("CB-THON1", "CB-THON1-DV001", "provisional", "good"),
        ("CB-THON1", "CB-THON1-DV002", "final", "good"),
        ("CB-THON1", "CB-THON1-DV003", "final", "good"),
        ("CB-THON1", "CB-THON1-DV004", "final", "good"),
    ]
    assert rows[1].rated_on == date(2026, 1, 10) and rows[1].admitted_on == date(2010, 1, 1)
    assert registers.ratings_under(None, 2024) == []
    facts = [e for e in uow.audit.log(None, None, None, None, None, None)]
    kind, year, detail = [(e["kind"], e["year"], e["detail"]) for e in facts][-1]
    assert (kind, year) == ("ratings_imported", 2025)
    assert {k: detail[k] for k in ("file", "rows", "updated")} == {
        "file": "dv.csv", "rows": 5, "updated": 4
    }
    # each import keeps its values: the correction is a new fact, the old value stays
    dv001 = [
        r[6]
        for e in facts if e["kind"] == "ratings_imported"
        for r in e["detail"]["records"] if r[1] == "CB-THON1-DV001" and r[2] == "final"
    ]
    assert dv001 == ["good", "excellent"]


def test_the_register_holds_a_units_rows_and_its_cells_own_ratings(
    registers: Any, uow: Any
) -> None:
    _import(uow, [
        *members("DB-TRUONG", good=2), unit_rating("DB-TRUONG", "good"),
        *members("DB-TRUONG-1", good=2), unit_rating("DB-TRUONG-1", "excellent"),
        unit_rating("DB-TRUONG-2", "good"), unit_rating("CB-THON1", "good"),
    ])
    register = registers.rating_register("DB-TRUONG", 2025)
    assert (register["unit"], register["org_type"]) == ("DB-TRUONG", "administrative")
    assert register["cells"] == ["DB-TRUONG-1", "DB-TRUONG-2", "DB-TRUONG-3"]
    # the unit's own rows by member (its own rating first), then its cells' by code
    assert [(r.unit_code, r.member, r.level) for r in register["records"]] == [
        ("DB-TRUONG", "", "good"),
        ("DB-TRUONG", "DB-TRUONG-DV001", "good"),
        ("DB-TRUONG", "DB-TRUONG-DV002", "good"),
        ("DB-TRUONG-1", "", "excellent"),  # a cell's own rating, not its members'
        ("DB-TRUONG-2", "", "good"),
    ]
    cell = registers.rating_register("CB-THON1", 2025)
    assert cell["cells"] == [] and [r.member for r in cell["records"]] == [""]
    assert [r.unit_code for r in registers.ratings_under(uow.units.find("DB-TRUONG"), 2025)] == [
        "DB-TRUONG", "DB-TRUONG", "DB-TRUONG", "DB-TRUONG-1", "DB-TRUONG-1", "DB-TRUONG-1",
        "DB-TRUONG-2",
    ]


def test_a_target_is_set_again_over_the_last_one(registers: Any, uow: Any) -> None:
    x01 = uow.units.find("X01")
    write(uow, lambda: registers.set_target(2025, x01, "bon-tot", 0.25, date(2025, 1, 15), AT,
                                            "btv.t01"))
    write(uow, lambda: registers.set_target(2025, x01, "bon-tot", 0.375, date(2025, 2, 1), AT,
                                            "btv.t01"))
    assert registers.targets(2025) == {("X01", "bon-tot"): (0.375, date(2025, 2, 1))}
    assert registers.targets(2026) == {}
    facts = [e for e in uow.audit.log(None, None, None, None, None, None)]
    assert [(e["kind"], e["unit"], e["detail"]["share"]) for e in facts] == [
        ("target_set", "X01", 0.25), ("target_set", "X01", 0.375)
    ]


def test_a_score_is_kept_beside_its_level_and_corrected_with_it(
    registers: Any, uow: Any
) -> None:
    scored = [replace(r, score=s) for r, s in zip(
        members("CB-THON1", excellent=1, good=1), ("92.5", "74"), strict=True
    )]
    assert _import(uow, [*scored, unit_rating("CB-THON1", "good")]) == (3, 0)
    found = registers.rating_register("CB-THON1", 2025)["records"]
    assert sorted((r.member, r.level, r.score) for r in found) == [
        ("", "good", None),
        ("CB-THON1-DV001", "excellent", "92.5"),
        ("CB-THON1-DV002", "good", "74"),
    ]
    assert _import(uow, [replace(scored[1], level="completed", score="69")]) == (0, 1)
    again = {r.member: r.score for r in registers.ratings_under(None, 2025)}
    assert again["CB-THON1-DV002"] == "69"
