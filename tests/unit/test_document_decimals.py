"""A verdict's figures in a Vietnamese document use the decimal comma; the dots of file
names and codes beside them stay."""

from __future__ import annotations

from adapters.documents.figures import decimals


def test_a_decimal_point_between_digits_becomes_a_comma_in_vietnamese() -> None:
    actual = "94.5 % (BC-783/BC-CB, bien-ban-sinh-hoat-q2.pdf)"
    assert decimals(actual, "vi") == "94,5 % (BC-783/BC-CB, bien-ban-sinh-hoat-q2.pdf)"
    assert decimals("72.41 %", "vi") == "72,41 %"
    assert decimals("≥ 95 %", "vi") == "≥ 95 %"


def test_english_keeps_the_decimal_point() -> None:
    assert decimals("94.5 %", "en") == "94.5 %"
