"""Help in Vietnamese is Vietnamese around the texts too: headings, the usage line, the
[bắt buộc] and [mặc định: …] marks, the --help line; English keeps typer's and click's
words. One process shows both languages in turn, as the in-process tests do."""

from __future__ import annotations

import os

from tests.support.cli import bontot

ENGLISH = {k: v for k, v in os.environ.items() if k != "BONTOT_LANG"} | {"BONTOT_LANG": "en"}
VIETNAMESE = {k: v for k, v in os.environ.items() if k != "BONTOT_LANG"}


def shown(*args: str, env: dict[str, str]) -> str:
    done = bontot(*args, "--help", env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_root_help_speaks_vietnamese_then_english() -> None:
    said = shown(env=VIETNAMESE)
    for words in ("Cách dùng: bontot", "Tùy chọn:", "Lệnh:", "In hướng dẫn này rồi thoát."):
        assert words in said, words
    assert "[biến môi trường:" in said and "mặc định: auto]" in said.replace("\n", " ")
    for english in ("Usage:", "Options:", "Commands:", "Show this message", "env var", "default:"):
        assert english not in said, english
    said = shown(env=ENGLISH)
    for words in ("Usage: bontot", "Options:", "Commands:", "Show this message and exit."):
        assert words in said, words
    assert "[env var: BONTOT_LOG_FORMAT;" in said


def test_a_command_s_help_marks_what_is_required_and_the_defaults_in_vietnamese() -> None:
    said = shown("audit", "export", env=VIETNAMESE)
    assert "Tùy chọn" in said and "[bắt buộc]" in said
    assert "Options" not in said and "[required]" not in said
    assert "[mặc định: 500]" in shown("bulk", env=VIETNAMESE)
    said = shown("audit", "export", env=ENGLISH)
    assert "Options" in said and "[required]" in said and "Tùy chọn" not in said
    assert "[default: 500]" in shown("bulk", env=ENGLISH)
