"""Checking an import of units: every bad row named, parents put first."""

from __future__ import annotations

import pytest

from workflow.errors import ImportRefused
from workflow.units import check_unit_rows

HEADER = ["code", "name", "kind", "type", "parent_code", "member_count"]


def row(code: str, kind: str, parent: str = "", members: str = "0") -> dict[str, str]:
    return {
        "code": code,
        "name": f"Đơn vị {code}",
        "kind": kind,
        "type": "village",
        "parent_code": parent,
        "member_count": members,
    }


def problems(
    rows: list[dict[str, str]], existing: dict[str, tuple[str, str | None]] | None = None
) -> list[tuple[int, str]]:
    with pytest.raises(ImportRefused) as caught:
        check_unit_rows("units.csv", HEADER, rows, existing or {})
    return [(p.row, p.column) for p in caught.value.problems]


def test_children_may_come_before_parents_and_are_returned_after_them() -> None:
    rows = [
        row("CB1", "subordinate_cell", "DB1", "9"),
        row("DB1", "grassroots_committee", "X1"),
        row("X1", "committee"),
    ]
    checked = check_unit_rows("units.csv", HEADER, rows, {})
    assert [u.code for u in checked] == ["X1", "DB1", "CB1"]
    assert checked[2].member_count == 9


def test_a_missing_column_is_named() -> None:
    # named by its documented Vietnamese header, with the English one it may have instead
    with pytest.raises(
        ImportRefused, match=r"column 'loai': required column is missing \(or: kind"
    ):
        check_unit_rows("units.csv", ["code", "name", "parent_code"], [], {})


def test_each_bad_row_is_named_with_its_column() -> None:
    rows = [
        row("X1", "committee"),
        row("CB1", "grassroots_cell", "X1", "-3"),  # row 3: not a whole number
        row("CB1", "grassroots_cell", "X1"),  # row 4: repeats row 3's code
        row("CB2", "subordinate_cell", "X1"),  # row 5: a cell under a committee
        row("", "grassroots_cell", "X1"),  # row 6: no code
    ]
    assert problems(rows) == [(3, "member_count"), (5, "parent_code"), (6, "code")]


def test_a_loop_in_the_parent_chain_is_refused() -> None:
    rows = [row("A", "committee", "B"), row("B", "committee", "A")]
    assert (2, "parent_code") in problems(rows)


def test_moving_an_existing_unit_is_refused() -> None:
    existing = {
        "X1": ("committee", None),
        "X2": ("committee", None),
        "CB1": ("grassroots_cell", "X1"),
    }
    assert problems([row("CB1", "grassroots_cell", "X2")], existing) == [(2, "parent_code")]
    # the same parent is an update, and new units may hang under existing ones
    checked = check_unit_rows(
        "units.csv",
        HEADER,
        [row("CB1", "grassroots_cell", "X1", "14"), row("CB9", "grassroots_cell", "X2")],
        existing,
    )
    assert [u.code for u in checked] == ["CB1", "CB9"]
