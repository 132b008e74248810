"""One translation mechanism for everything a user reads: message ids looked up in the
gettext catalogues of `adapters/i18n/locale/<lang>/LC_MESSAGES/bontot.po`, and numbers
formatted for the language by Babel.

The core never translates: it says what happened as a message id and parameters (or
carries both languages of a definition's labels); the adapters turn that into text here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
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


def number(value: float | int, lang: str, digits: int = 1) -> str:
    """`value` with `digits` decimals as the language writes it (74,0 in Vietnamese)."""
    from babel.numbers import format_decimal  # loads locale data: only when a number shows

    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return str(format_decimal(value, format=pattern, locale="en" if lang == "en" else "vi"))


def decimal(value: float | int, lang: str) -> str:
    """`value` with as many decimals as it has (up to three): 87,5 in Vietnamese."""
    from babel.numbers import format_decimal

    return str(format_decimal(value, locale="en" if lang == "en" else "vi"))


def percent(part: int, whole: int, lang: str, digits: int = 1) -> str:
    """part/whole as a percentage (`74,0 %`), a dash when there is no whole."""
    return f"{number(part * 100 / whole, lang, digits)} %" if whole else "—"
