"""The message catalogues: one gettext `.po` file per language, read directly (no compile
step: `pip install .` ships the `.po` files as package data and nothing else is needed).

A message id is symbolic (`cli.board`, `refusal.wrong_state`), the same in every
catalogue; each catalogue's `msgstr` is the text in its language, with `{name}`
placeholders filled by `str.format`. The reader handles what gettext tools write for such
catalogues (comments, `msgctxt`-free entries, continued strings, the usual escapes); a test
checks it against Babel's own reader.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

LANGS = ("vi", "en")
DOMAIN = "bontot"

_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}


def _unquote(text: str) -> str:
    body = text.strip()[1:-1]
    if "\\" not in body:  # most strings: read at every command's start
        return body
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            out.append(_ESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def parse_po(text: str) -> dict[str, str]:
    """The entries of a `.po` file (msgid → msgstr), the header and untranslated ones left
    out."""
    entries: dict[str, str] = {}
    msgid: list[str] | None = None
    msgstr: list[str] | None = None
    current: list[str] | None = None

    def flush() -> None:
        if msgid is not None and msgstr is not None:
            key, value = "".join(msgid), "".join(msgstr)
            if key and value:
                entries[key] = value

    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("msgid "):
            flush()
            msgid, msgstr = [_unquote(line[6:])], None
            current = msgid
        elif line.startswith("msgstr "):
            msgstr = [_unquote(line[7:])]
            current = msgstr
        elif line.startswith('"') and current is not None:
            current.append(_unquote(line))
    flush()
    return entries


def po_text(lang: str) -> str:
    folder = resources.files("adapters.i18n") / "locale" / lang / "LC_MESSAGES"
    return (folder / f"{DOMAIN}.po").read_text(encoding="utf-8")


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The messages of `lang` (one of LANGS), read once per process."""
    if lang not in LANGS:
        raise KeyError(lang)
    return parse_po(po_text(lang))
