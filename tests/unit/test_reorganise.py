"""The pure planning of a reorganisation: each step checked on the tree the steps
before left, paths that follow a moved subtree, merges that carry running cycles, an
annex's rows in the order they are done, and the replay that audit verify does."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.audit_registers import expected_state
from workflow.errors import ImportRefused
from workflow.reorganise import (
    Decision,
    HeldCycle,
    Node,
    ReorganisationRefused,
    Step,
    plan_reorganisation,
)
from workflow.reorganise_records import ChainedCycle, cycle_records, steps_from_rows

DECISION = Decision("1234-QĐ/TU", date(2025, 7, 1))
TODAY = date(2025, 7, 1)

#: province 1 → district 2 → cells 3, 4 and committee 5 (cells 6, 7); communes 8, 9, 10
TREE = [
    Node(1, "T01", "committee", None, "/1/"),
    Node(2, "H01", "committee", "T01", "/1/2/"),
    Node(3, "CB-A1", "grassroots_cell", "H01", "/1/2/3/"),
    Node(4, "CB-A2", "grassroots_cell", "H01", "/1/2/4/"),
    Node(5, "DB-B", "grassroots_committee", "H01", "/1/2/5/"),
    Node(6, "DB-B-1", "subordinate_cell", "DB-B", "/1/2/5/6/"),
    Node(7, "DB-B-2", "subordinate_cell", "DB-B", "/1/2/5/7/"),
    Node(8, "X01", "committee", "T01", "/1/8/"),
    Node(9, "X02", "committee", "T01", "/1/9/"),
    Node(10, "X03", "committee", "T01", "/1/10/"),
]


def test_a_moved_committee_takes_its_cells_along() -> None:
    done = plan_reorganisation(DECISION, [Step("move", "DB-B", "X03")], TREE, [], TODAY)
    assert {c.code: (c.parent, c.path, c.reparented) for c in done.changes} == {
        "DB-B": ("X03", "/1/10/5/", True),
        "DB-B-1": ("DB-B", "/1/10/5/6/", False),
        "DB-B-2": ("DB-B", "/1/10/5/7/", False),
    }
    assert done.totals()["moved"] == 1 and done.totals()["paths_changed"] == 3


def test_the_district_is_emptied_then_dissolved_in_one_decision() -> None:
    done = plan_reorganisation(
        DECISION,
        [Step("move", "CB-A1", "X01"), Step("move", "CB-A2", "X02"),
         Step("move", "DB-B", "X03"), Step("dissolve", "H01")],
        TREE, [], TODAY,
    )  # fmt: skip
    assert done.ended == ["H01"]
    h01 = next(c for c in done.changes if c.code == "H01")
    assert (h01.path, h01.parent) == ("/1/2/", "T01")  # an ended unit keeps its last place


@pytest.mark.parametrize(
    ("steps", "said"),
    [
        ([Step("dissolve", "H01")], "H01 still has units under it"),
        ([Step("move", "H01", "DB-B-1")], "a committee cannot sit under a subordinate_cell"),
        ([Step("move", "X01", "X01")], "X01 is inside X01: the tree would loop"),
        ([Step("move", "CB-A1", "H01")], "CB-A1 is already under H01"),
        ([Step("move", "CB-A1", "X99")], "unknown unit 'X99' (the new parent)"),
        ([Step("rename", "CB-A1", "CB-A2")], "CB-A2 is already a unit's code"),
        ([Step("rename", "CB-A1", "bad code")], "'bad code' is not a unit code"),
        ([Step("merge", "CB-A1", "DB-B")], "only units of one kind merge"),
        ([Step("dissolve", "X01"), Step("move", "CB-A1", "X01")], "X01 (the new parent) no longer"),
    ],
)
def test_a_step_that_cannot_be_done_is_named(steps: list[Step], said: str) -> None:
    with pytest.raises(ReorganisationRefused) as refused:
        plan_reorganisation(DECISION, steps, TREE, [], TODAY)
    assert said in str(refused.value)


def test_a_decision_is_recorded_once_it_takes_effect_and_names_its_number() -> None:
    with pytest.raises(ReorganisationRefused) as refused:
        plan_reorganisation(
            Decision(" ", date(2025, 7, 1)), [Step("move", "CB-A1", "X01")], TREE, [],
            date(2025, 6, 30),
        )  # fmt: skip
    assert "the decision number is empty" in str(refused.value)
    assert "it takes effect on 01/07/2025: record it on or after that day" in str(refused.value)


def test_a_place_is_never_changed_before_the_day_it_began() -> None:
    moved = [
        n
        if n.code != "CB-A1"
        else Node(3, "CB-A1", "grassroots_cell", "X01", "/1/8/3/", since=date(2025, 7, 1))
        for n in TREE
    ]
    with pytest.raises(ReorganisationRefused, match="took its place on 01/07/2025"):
        plan_reorganisation(
            Decision("9-QĐ/TU", date(2025, 6, 1)), [Step("move", "CB-A1", "X02")], moved, [],
            TODAY,
        )  # fmt: skip


def test_a_merged_cell_hands_its_running_cycle_to_the_cell_that_absorbs_it() -> None:
    cycles = [
        HeldCycle(31, "CB-A1", 2025, "bon-tot", running=True),
        HeldCycle(30, "CB-A1", 2024, "bon-tot", running=False),  # a finished year stays
    ]
    done = plan_reorganisation(DECISION, [Step("merge", "CB-A1", "CB-A2")], TREE, cycles, TODAY)
    assert [(k.cycle_id, k.from_unit, k.to_unit, k.to_path) for k in done.carries] == [
        (31, "CB-A1", "CB-A2", "/1/2/4/")
    ]
    records = cycle_records(
        done,
        [ChainedCycle(31, "CB-A1", "/1/2/3/", "implementing", 3, "h" * 64, "bon-tot", 4)],
        "2025-07-01T01:00:00.000000Z", "quantri", "administrator",
    )  # fmt: skip
    assert [(r.cycle_id, r.seq, r.unit_id, r.unit_path, r.state) for r in records] == [
        (31, 4, 4, "/1/2/4/", "implementing")
    ]


def test_a_merge_into_a_unit_with_its_own_cycle_of_the_year_is_refused() -> None:
    cycles = [HeldCycle(31, "CB-A1", 2025, "bon-tot", True),
              HeldCycle(32, "CB-A2", 2025, "bon-tot", True)]  # fmt: skip
    with pytest.raises(ReorganisationRefused, match="which has its own \\(cycle 32\\)"):
        plan_reorganisation(DECISION, [Step("merge", "CB-A1", "CB-A2")], TREE, cycles, TODAY)


@given(st.permutations(["CB-A1", "CB-A2", "DB-B"]), st.sampled_from(["X01", "X02", "X03"]))
def test_every_path_is_its_parents_path_and_its_own_id(order: list[str], commune: str) -> None:
    done = plan_reorganisation(
        DECISION, [Step("move", code, commune) for code in order], TREE, [], TODAY
    )
    paths = {n.code: n.path for n in TREE} | {c.code: c.path for c in done.changes}
    parents = {n.code: n.parent for n in TREE} | {c.code: c.parent for c in done.changes}
    ids = {n.code: n.id for n in TREE}
    for code, path in paths.items():
        above = parents[code]
        assert path == (paths[above] if above else "/") + f"{ids[code]}/"
    assert all(parents[code] == commune for code in order)


def test_an_annex_is_done_moves_first_then_merges_dissolutions_and_new_codes() -> None:
    header = ["code", "new_code", "new_parent", "action"]
    rows = [
        {"code": "H01", "action": "dissolve"},
        {"code": "X04", "new_code": "X03"},  # X03 exists: a merge
        {"code": "X03", "new_code": "XA-DONGHUNG"},  # no such unit: a new code
        {"code": "CB-A1", "new_parent": "X01"},
        {},
    ]
    steps = steps_from_rows("qd-1234.xlsx", header, rows, {"H01", "X03", "X04", "CB-A1"})
    assert [(s.action, s.code, s.target, s.where) for s in steps] == [
        ("move", "CB-A1", "X01", "qd-1234.xlsx row 5"),
        ("merge", "X04", "X03", "qd-1234.xlsx row 3"),
        ("dissolve", "H01", None, "qd-1234.xlsx row 2"),
        ("rename", "X03", "XA-DONGHUNG", "qd-1234.xlsx row 4"),
    ]


def test_a_bad_annex_row_is_named_by_row_and_column() -> None:
    rows = [
        {"code": "CB-A1"},
        {"code": "CB-A2", "action": "split"},
        {"code": "CB-A1", "new_parent": "X01"},
    ]
    with pytest.raises(ImportRefused) as refused:
        steps_from_rows("a.csv", ["code", "new_parent", "action"], rows, set())
    assert [str(p) for p in refused.value.problems] == [
        "row 2, column 'new_parent': nothing to do: no new parent and no new code",
        "row 3, column 'action': 'split' is not one of move, rename, merge, dissolve",
        "row 4, column 'code': 'CB-A1' repeats row 2",
    ]


def test_the_trail_replays_a_rename_into_every_register_that_names_the_unit() -> None:
    from workflow.audit import FactRow

    def fact(kind: str, detail: str, unit: str | None = None) -> FactRow:
        fields = ("2025-01-05", kind, unit, None, None, 2025, None, "quantri", None, None,
                  detail)  # fmt: skip
        return FactRow(1, fields, "")

    state = expected_state([
        fact("units_imported", '{"units": {"X01": ["committee", null, "/8/"], '
             '"CB-A1": ["grassroots_cell", "X01", "/8/3/"]}}'),
        fact("target_set", '{"definition": "bon-tot", "share": 0.5, "assigned_on": "x"}', "X01"),
        fact("reorganisation", '{"renamed": {"X01": "XA-01"}, "units": {"XA-01": '
             '["committee", null, "/8/", null]}}'),
    ])  # fmt: skip
    assert state["unit"] == {
        "XA-01": ["committee", None, "/8/", None],
        "CB-A1": ["grassroots_cell", "XA-01", "/8/3/", None],
    }
    assert list(state["target"]) == ["2025/XA-01/bon-tot"]
