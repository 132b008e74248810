from datetime import UTC, datetime, timedelta, timezone

import pytest

from workflow.timefmt import from_db, to_db


def test_an_instant_comes_back_from_the_database_as_it_went_in() -> None:
    for instant in (
        datetime(2025, 12, 31, 16, 59, tzinfo=UTC),
        datetime(2026, 2, 15, 1, 2, 3, 456789, tzinfo=UTC),
        datetime(2025, 1, 1, 7, 0, tzinfo=timezone(timedelta(hours=7))),
    ):
        back = from_db(to_db(instant))
        assert back == instant
        assert back.tzinfo is UTC


def test_text_of_another_shape_is_read_strictly() -> None:
    assert from_db("2025-12-31T16:59:00.5Z") == datetime(2025, 12, 31, 16, 59, 0, 500000, UTC)
    for bad in ("2025-13-31T16:59:00.000000Z", "2025-12-31 16:59:00", "2025-12-31T16:59:00Z+"):
        with pytest.raises(ValueError):
            from_db(bad)
