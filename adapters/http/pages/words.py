"""The interface's own words, Vietnamese and English (what the definitions do not
label: headings, buttons, column titles)."""

from __future__ import annotations

from adapters import i18n

WORDS = i18n.table("pages")  # the catalogues' `pages.*` messages
