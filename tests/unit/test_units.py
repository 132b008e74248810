"""Checking an import of units: every bad row named, parents put first."""

from __future__ import annotations

import pytest

from workflow.errors import ImportRefused
from workflow.units import check_unit_rows, check_units

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


def test_vietnamese_headers_with_or_without_accents_and_english_ones_read_alike() -> None:
    accented = ["Mã tổ chức", "Tên", "Loại", "Loại hình", "Mã cấp trên", "Số đảng viên"]
    bare = ["ma_to_chuc", "ten", "loai", "loai_hinh", "ma_cap_tren", "so_dang_vien"]
    values = ["X1", "Đảng ủy xã", "committee", "village", "", "0"]
    for header in (accented, bare, HEADER):
        checked = check_unit_rows("units.csv", header, [dict(zip(header, values, strict=True))], {})
        assert [(u.code, u.name, u.org_type) for u in checked] == [("X1", "Đảng ủy xã", "village")]


def test_a_contact_column_of_no_known_role_is_a_warning_naming_it() -> None:
    header = [*HEADER, "lien_he_unit_secretary", "contact_contact_superior_org_board"]
    raw = {
        **row("X1", "committee"),
        "lien_he_unit_secretary": "bt@x.vn",
        "contact_contact_superior_org_board": "ban@x.vn",
        "ghi_chu": "?",
    }
    roles = {"unit_secretary": "unit_secretary", "superior_org_board": "superior_org_board"}
    checked = check_units("units.csv", [*header, "ghi_chu"], [raw], {}, roles)
    assert checked.units[0].contacts == {"unit_secretary": "bt@x.vn"}
    assert [(n.column, n.reason) for n in checked.notes] == [
        ("ghi_chu", "unread"),
        ("contact_contact_superior_org_board", "unknown_role"),
    ]
    assert "contact_contact_superior_org_board" in checked.notes[1].describe("en")
    assert "vai trò" in checked.notes[1].describe("vi")


def test_a_unit_whose_kind_changes_is_checked_against_its_children() -> None:
    # a commune with cells under it, re-imported as a grassroots cell: the cells could
    # no longer sit under it, so nothing is imported
    existing: dict[str, tuple[str, str | None]] = {
        "T": ("committee", None),
        "X1": ("committee", "T"),
        "CB1": ("grassroots_cell", "X1"),
        "CB2": ("grassroots_cell", "X1"),
    }
    with pytest.raises(ImportRefused, match=r"X1 has CB1 .* under it") as caught:
        check_unit_rows("units.csv", HEADER, [row("X1", "grassroots_cell", "T")], existing)
    assert {(p.row, p.column) for p in caught.value.problems} == {(2, "kind")}
    # and against its parent, like a new unit
    lone = {"T": ("committee", None), "X2": ("committee", "T")}
    checked = check_unit_rows("units.csv", HEADER, [row("X2", "grassroots_cell", "T")], lone)
    assert checked[0].kind == "grassroots_cell"  # no children: the change is allowed
    assert problems([row("T", "grassroots_cell")], lone) == [(2, "parent_code"), (2, "kind")]


def test_names_and_codes_refuse_control_characters() -> None:
    bad_name = {**row("X1", "committee"), "name": "Đảng ủy\x00xã"}
    tabbed = {**row("X2", "committee"), "name": "Đảng ủy\txã"}
    bad_code = {**row("X\x073", "committee"), "name": "Chi bộ"}
    assert problems([bad_name, tabbed, bad_code]) == [(2, "name"), (3, "name"), (4, "code")]


@pytest.mark.parametrize("members", ["²", "１２", "9" * 5000, "99999999999", "1e3", "-0"])
def test_a_member_count_is_a_modest_whole_number_in_ascii_digits(members: str) -> None:
    assert problems([row("X1", "committee", members=members)]) == [(2, "member_count")]


def test_fifteen_hundred_committees_listed_child_first_are_put_parents_first() -> None:
    # committee i sits under committee i // 2: eleven levels, every child before its parent
    tree = [row("C1", "committee")] + [
        row(f"C{i}", "committee", f"C{i // 2}") for i in range(2, 1501)
    ]
    checked = check_unit_rows("units.csv", HEADER, list(reversed(tree)), {})
    position = {u.code: n for n, u in enumerate(checked)}
    assert len(checked) == 1500
    assert all(position[u.parent_code] < position[u.code] for u in checked if u.parent_code)


def test_a_chain_deeper_than_the_tree_can_be_is_refused_by_row() -> None:
    chain = [row("C0", "committee")] + [
        row(f"C{i}", "committee", f"C{i - 1}") for i in range(1, 1500)
    ]
    with pytest.raises(ImportRefused, match="101 levels deep; at most 100") as caught:
        check_unit_rows("units.csv", HEADER, list(reversed(chain)), {})
    # C100 .. C1499 are too deep: rows 2 .. 1401 of the reversed file
    assert [p.row for p in caught.value.problems] == list(range(2, 1402))
