"""An error said to a person: the words of its message in their language, and a command
line's hint only on the command line (a web page or an API client has no shell)."""

from __future__ import annotations

import pytest

from adapters.cli.errors import say
from adapters.i18n.said import error_text
from workflow.errors import NotFound

NO_CYCLE = {"unit": "CB-THON1", "year": 2024}


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("vi", "đơn vị CB-THON1 chưa có chu kỳ năm 2024 (mở bằng `bontot cycle open --year 2024`)"),
        ("en", "unit CB-THON1 has no 2024 cycle (open it with `bontot cycle open --year 2024`)"),
    ],
)
def test_the_command_line_says_how_to_open_a_missing_cycle(lang: str, said: str) -> None:
    missing = NotFound("no cycle", msgid="error.no_cycle", params=NO_CYCLE)
    assert say(missing, lang) == said


def test_the_web_and_the_api_say_the_missing_cycle_without_a_shell_command() -> None:
    assert error_text("vi", "error.no_cycle", NO_CYCLE) == "đơn vị CB-THON1 chưa có chu kỳ năm 2024"
    assert error_text("en", "error.no_cycle", NO_CYCLE) == "unit CB-THON1 has no 2024 cycle"


def test_an_error_with_no_hint_is_said_as_it_is() -> None:
    other = NotFound("no cycle", msgid="error.no_cycle_of",
                     params={**NO_CYCLE, "definition": "bon-tot"})  # fmt: skip
    assert say(other, "vi") == "đơn vị CB-THON1 chưa có chu kỳ năm 2024 của chương trình bon-tot"
