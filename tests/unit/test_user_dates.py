"""One date parser for imports and options: dd/mm/yyyy (one-digit day and month too) and
ISO read alike; anything else, an impossible date or another script's digits, is a
ValueError naming the text (never an overflow)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.timefmt import LOCAL_TZ, parse_user_date, parse_user_instant


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(9998, 12, 31)))
def test_a_date_reads_the_same_written_either_way(day: date) -> None:
    spellings = [f"{day:%d/%m/}{day.year:04d}", f"{day.day}/{day.month}/{day.year:04d}",
                 f"{day.year:04d}-{day:%m-%d}", f" {day.year:04d}-{day:%m-%d} "]  # fmt: skip
    assert {parse_user_date(s) for s in spellings} == {day}
    midnight = datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ).astimezone(UTC)
    assert {parse_user_instant(s) for s in spellings} == {midnight}


def test_a_local_time_may_follow_the_date() -> None:
    assert parse_user_instant("20/02/2025 09:30") == datetime(2025, 2, 20, 2, 30, tzinfo=UTC)
    assert parse_user_instant("2025-02-20T09:30") == datetime(2025, 2, 20, 2, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "text", ["30/02/2025", "²/1/2025", "١/١/٢٠٢٥", "1/1/25", "2025/01/01", "", "x", "1" * 5000,
             "01/01/0001 00:00", "0001-01-01", "32/01/2025", "2025-13-01"],
)  # fmt: skip
def test_anything_else_is_a_value_error_naming_it(text: str) -> None:
    with pytest.raises(ValueError, match="is not a date"):
        parse_user_instant(text)
    if text not in ("01/01/0001 00:00", "0001-01-01"):  # real dates, if early ones
        with pytest.raises(ValueError, match="is not a date"):
            parse_user_date(text)
