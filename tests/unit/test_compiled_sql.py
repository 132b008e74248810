"""Dynamic statements compiled once per shape: the padded IN lists and the compiled texts."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Select, select

from adapters.persistence.compiled import compiled, in_list, marks, padded, table
from adapters.persistence.db import make_engine


@given(st.lists(st.integers(), min_size=1, max_size=600))
def test_a_padded_list_means_the_same_in_one_of_few_lengths(values: list[int]) -> None:
    found = padded(values)
    assert found[: len(values)] == values and set(found) == set(values)
    size = len(found)
    assert size & (size - 1) == 0 and len(values) <= size < 2 * len(values)


def test_small_lists_take_the_sizes_one_two_four_eight() -> None:
    assert [len(padded(list(range(n)))) for n in (1, 2, 3, 5, 8, 9)] == [1, 2, 4, 8, 8, 16]


def _units(count: int) -> Select[Any]:
    u = table("unit")
    return select(u.c.code).where(u.c.id.in_(marks("id", count))).order_by(u.c.id)


def test_a_shape_is_compiled_once_in_the_drivers_style() -> None:
    sqlite = make_engine("sqlite://").dialect
    first = compiled(sqlite, ("test.units", 2), _units, 2)
    assert compiled(sqlite, ("test.units", 2), _units, 2) is first
    assert "unit.id IN (?, ?)" in first.text
    assert first.bind(in_list("id", [7, 9])) == (7, 9)
