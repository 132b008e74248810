"""Small rules of the documents' figures: the decimal comma of a Vietnamese document
(the dots of file names and codes beside it stay), the tree's order by ids."""

from __future__ import annotations

from adapters.documents.figures import decimals, path_key


def test_a_decimal_point_between_digits_becomes_a_comma_in_vietnamese() -> None:
    actual = "94.5 % (BC-783/BC-CB, bien-ban-sinh-hoat-q2.pdf)"
    assert decimals(actual, "vi") == "94,5 % (BC-783/BC-CB, bien-ban-sinh-hoat-q2.pdf)"
    assert decimals("72.41 %", "vi") == "72,41 %"
    assert decimals("≥ 95 %", "vi") == "≥ 95 %"


def test_english_keeps_the_decimal_point() -> None:
    assert decimals("94.5 %", "en") == "94.5 %"


def test_the_tree_order_compares_ids_as_numbers() -> None:
    # the demo's second commune has id 121, the first id 2: the first comes first
    paths = ["/1/121/", "/1/2/5/", "/1/2/", "/1/268/"]
    assert sorted(paths, key=path_key) == ["/1/2/", "/1/2/5/", "/1/121/", "/1/268/"]
