"""The words of the documents' own frame (column headers, sheet names, headings), vi and
en. What a unit is, its stage, its rating and the events come from the definitions."""

from __future__ import annotations

from adapters import i18n

WORDS = i18n.table("doc")  # the catalogues' `doc.*` messages


def words(lang: str) -> i18n.Words:
    return WORDS["en" if lang == "en" else "vi"]
