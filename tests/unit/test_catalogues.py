"""The message catalogues: every message in both languages, with the same placeholders,
read the same as Babel reads them, and every message id the code names is there."""

from __future__ import annotations

import io
import re
import string
from collections.abc import Iterator
from pathlib import Path
from typing import get_args

import pytest
from babel.messages.pofile import read_po

from adapters import i18n
from adapters.i18n.catalogue import LANGS, catalogue, parse_po, po_text
from workflow.runtime.decision import RefusalCode

ROOT = Path(__file__).resolve().parents[2]
#: a message id written in the code: a call that says a message by its id
USED = re.compile(
    r"""(?:text\(\s*lang,\s*|problem\(\s*|Said\(\s*|msgid=)f?"([a-z_]+\.[a-z_.]+)"(?!\s*\+)"""
)


def _placeholders(message: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(message) if name}


def test_every_message_is_in_both_languages_and_none_is_empty() -> None:
    vi, en = catalogue("vi"), catalogue("en")
    assert len(vi) > 300
    assert sorted(set(vi) - set(en)) == []
    assert sorted(set(en) - set(vi)) == []
    assert [k for k in vi if not vi[k].strip() or not en[k].strip()] == []


def test_both_languages_of_a_message_take_the_same_placeholders() -> None:
    vi, en = catalogue("vi"), catalogue("en")
    differ = {k: (vi[k], en[k]) for k in vi if _placeholders(vi[k]) != _placeholders(en[k])}
    assert differ == {}


@pytest.mark.parametrize("lang", LANGS)
def test_the_reader_reads_what_babel_reads(lang: str) -> None:
    babel = read_po(io.StringIO(po_text(lang)))
    theirs = {m.id: m.string for m in babel if m.id and m.string}
    assert parse_po(po_text(lang)) == theirs


def test_the_vietnamese_catalogue_is_vietnamese() -> None:
    """Not a copy of the English one: most messages differ, and the refusals do."""
    vi, en = catalogue("vi"), catalogue("en")
    same = [k for k in vi if vi[k] == en[k]]
    assert len(same) < len(vi) // 10
    assert vi["refusal.wrong_state"] != en["refusal.wrong_state"]


def test_every_message_id_the_code_names_is_in_the_catalogue() -> None:
    sources = [p for folder in ("adapters", "workflow") for p in (ROOT / folder).rglob("*.py")]
    used = {
        (p.relative_to(ROOT).as_posix(), m)
        for p in sources
        for m in USED.findall(p.read_text(encoding="utf-8"))
    }
    assert len(used) > 30
    missing = sorted((where, m) for where, m in used if m not in catalogue("vi"))
    assert missing == []


def test_every_refusal_code_has_its_message() -> None:
    # not_found says the error that caused it (its own message id)
    codes = [c for c in get_args(RefusalCode) if c != "not_found"]
    assert [c for c in codes if f"refusal.{c}" not in catalogue("vi")] == []


def test_numbers_are_written_as_each_language_writes_them() -> None:
    assert i18n.percent(148, 200, "vi") == "74,0 %"
    assert i18n.percent(148, 200, "en") == "74.0 %"
    assert i18n.decimal(87.5, "vi") == "87,5" and i18n.decimal(87.5, "en") == "87.5"
    assert i18n.number(12345.25, "vi", 1) == "12.345,2"
    assert i18n.percent(1, 0, "vi") == "—"


def test_a_table_reads_its_words_by_short_key() -> None:
    words = i18n.table("cli")
    assert words["vi"]["total"] == "Tổng" and words["en"]["total"] == "Total"
    assert "fr" not in words
    with pytest.raises(KeyError):
        words["fr"]


def test_every_command_and_option_has_its_vietnamese_help() -> None:
    from typer.main import get_command

    from adapters.cli.app import LazyGroup, app

    vi = catalogue("vi")

    def walk(command: object, path: str) -> Iterator[str]:
        yield f"help.{path or '(root)'}"
        for param in getattr(command, "params", []):
            if getattr(param, "param_type_name", "") == "option" and getattr(param, "help", None):
                yield "help.option." + max(param.opts, key=len)
        if isinstance(command, LazyGroup):  # the root loads its commands when asked
            subs = {name: command.get_command(None, name) for name in command.list_commands(None)}
        else:
            subs = getattr(command, "commands", None) or {}
        for name, sub in subs.items():
            yield from walk(sub, f"{path}.{name}" if path else name)

    wanted = set(walk(get_command(app), ""))
    assert len(wanted) > 80
    assert sorted(wanted - set(vi)) == []
