"""Numbers as each language writes them, without Babel on a quick command's path: the
engine's own writing held to Babel's (the CLDR data) over many values, digits and both
languages. 74,0 % and 12.345,2 in Vietnamese; 74.0 % and 12,345.2 in English."""

from __future__ import annotations

from babel.numbers import format_decimal
from hypothesis import given
from hypothesis import strategies as st

from adapters import i18n

LOCALES = {"vi": "vi", "en": "en"}
amounts = st.one_of(
    st.integers(min_value=-10**12, max_value=10**12),
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False),
    st.decimals(min_value=0, max_value=1000, places=3).map(float),  # shares: 87.5, 83.333
)


@given(amounts, st.integers(min_value=0, max_value=3), st.sampled_from(["vi", "en"]))
def test_a_number_is_written_as_babel_writes_it(value: float, digits: int, lang: str) -> None:
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    assert i18n.number(value, lang, digits) == format_decimal(
        value, format=pattern, locale=LOCALES[lang]
    )


@given(amounts, st.sampled_from(["vi", "en"]))
def test_a_decimal_is_written_as_babel_writes_it(value: float, lang: str) -> None:
    assert i18n.decimal(value, lang) == format_decimal(value, locale=LOCALES[lang])


def test_the_symbols_are_babel_s() -> None:
    from babel.numbers import get_decimal_symbol, get_group_symbol

    for lang, (point, group) in i18n.SYMBOLS.items():
        assert (get_decimal_symbol(lang), get_group_symbol(lang)) == (point, group)


def test_a_province_s_share_and_a_nation_s_count() -> None:
    assert i18n.percent(148, 200, "vi") == "74,0 %"
    assert i18n.number(302_417, "vi", 0) == "302.417"
    assert i18n.number(302_417, "en", 0) == "302,417"
    assert i18n.decimal(83.333, "vi") == "83,333" and i18n.decimal(96.0, "vi") == "96"
