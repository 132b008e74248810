"""One translation mechanism for everything a user reads: message ids looked up in the
gettext catalogues of `adapters/i18n/locale/<lang>/LC_MESSAGES/bontot.po`, and numbers
formatted for the language by Babel.

The core never translates: it says what happened as a message id and parameters (or
carries both languages of a definition's labels); the adapters turn that into text here.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from adapters.i18n.catalogue import LANGS, catalogue

DEFAULT_LANG = "vi"
LANG_ENV = "BONTOT_LANG"

__all__ = [
    "DEFAULT_LANG", "LANGS", "LANG_ENV", "Words", "decimal", "number", "percent", "table", "text",
]  # fmt: skip


def text(lang: str, msgid: str, /, **params: Any) -> str:
    """The message `msgid` in `lang`, its placeholders filled (the id itself if no
    catalogue has it, so a missing entry shows, never crashes: a test finds them)."""
    template = catalogue(lang if lang in LANGS else DEFAULT_LANG).get(msgid, msgid)
    return template.format(**params) if params else template


class Words(Mapping[str, str]):
    """The messages of one table (`cli`, `pages`, …) in one language, by their short key:
    `table("pages")["vi"]["board"]` is the catalogue's `pages.board`."""

    def __init__(self, prefix: str, lang: str) -> None:
        self._prefix = prefix + "."
        self._messages = catalogue(lang)

    def __getitem__(self, key: str) -> str:
        return self._messages[self._prefix + key]

    def __iter__(self) -> Iterator[str]:
        n = len(self._prefix)
        return (k[n:] for k in self._messages if k.startswith(self._prefix))

    def __len__(self) -> int:
        return sum(1 for _ in self)


class Table(Mapping[str, Words]):
    """A table of words by language, read from the catalogues when first used."""

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix

    def __getitem__(self, lang: str) -> Words:
        if lang not in LANGS:
            raise KeyError(lang)
        return Words(self._prefix, lang)

    def __iter__(self) -> Iterator[str]:
        return iter(LANGS)

    def __len__(self) -> int:
        return len(LANGS)


def table(prefix: str) -> Table:
    return Table(prefix)


#: the decimal and grouping symbols of each language, as Babel's CLDR data gives them
#: (tests/unit/test_number_format.py holds this to Babel): a quick command that shows a
#: share does not load Babel and its locale data (about 40 ms)
SYMBOLS = {"vi": (",", "."), "en": (".", ",")}


def _written(value: float | int, lang: str, least: int, most: int) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        from babel.numbers import format_decimal

        return str(format_decimal(value, locale="en" if lang == "en" else "vi"))
    point, group = SYMBOLS["en" if lang == "en" else "vi"]
    exact = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    rounded = exact.quantize(Decimal(1).scaleb(-most), rounding=ROUND_HALF_EVEN)
    whole, _, fraction = f"{abs(rounded):f}".partition(".")
    fraction = fraction.rstrip("0").ljust(least, "0")
    sign = "-" if rounded.is_signed() else ""  # as Babel: -0,2 rounded to none is "-0"
    grouped = f"{int(whole):,}".replace(",", group)
    return sign + grouped + (point + fraction if fraction else "")


def number(value: float | int, lang: str, digits: int = 1) -> str:
    """`value` with `digits` decimals as the language writes it (74,0 in Vietnamese)."""
    return _written(value, lang, max(digits, 0), max(digits, 0))


def decimal(value: float | int, lang: str) -> str:
    """`value` with as many decimals as it has (up to three): 87,5 in Vietnamese."""
    return _written(value, lang, 0, 3)


def percent(part: int, whole: int, lang: str, digits: int = 1) -> str:
    """part/whole as a percentage (`74,0 %`), a dash when there is no whole."""
    return f"{number(part * 100 / whole, lang, digits)} %" if whole else "—"
