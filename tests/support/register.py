"""Ratings registers that read like the domain: a cell of 12 members, 10 rated good..."""

from __future__ import annotations

from datetime import date

from workflow.evidence.ratings import Level, RatingRecord, Stage

#: the final ratings of the 2025 season are done in January 2026
FINAL_DAY = date(2026, 1, 10)
PROVISIONAL_DAY = date(2025, 12, 15)


def members(
    unit: str,
    *,
    excellent: int = 0,
    good: int = 0,
    completed: int = 0,
    not_completed: int = 0,
    unrated: int = 0,
    stage: Stage = "final",
    rated_on: date | None = None,
    first: int = 1,
) -> list[RatingRecord]:
    """Members DV001.. of `unit` with the given counts per level, then some not yet rated."""
    day = rated_on or (FINAL_DAY if stage == "final" else PROVISIONAL_DAY)
    levels: list[Level | None] = (
        ["excellent"] * excellent
        + ["good"] * good
        + ["completed"] * completed
        + ["not_completed"] * not_completed
        + [None] * unrated
    )
    return [
        RatingRecord(
            unit, f"{unit}-DV{first + i:03d}", f"Đảng viên {first + i}", "active",
            date(2010, 1, 1), level, stage, day if level else None,
        )
        for i, level in enumerate(levels)
    ]


def unit_rating(unit: str, level: Level, stage: Stage = "final") -> RatingRecord:
    day = FINAL_DAY if stage == "final" else PROVISIONAL_DAY
    return RatingRecord(unit, "", "", "active", None, level, stage, day)


#: The commune of tests/conftest.py, rated: every unit passes the recognition rule.
COMMUNE_RATINGS = [
    *members("CB-THON1", excellent=2, good=8, completed=2),  # 12 members, 10 good: 83 %
    unit_rating("CB-THON1", "good"),
    *members("CB-KP3", excellent=4, good=17, completed=4),  # 25 members, 21 good: 84 %
    unit_rating("CB-KP3", "good"),
    *members("DB-TRUONG-1", excellent=1, good=9),
    *members("DB-TRUONG-2", excellent=2, good=9),
    *members("DB-TRUONG-3", good=9),
    unit_rating("DB-TRUONG-1", "good"),
    unit_rating("DB-TRUONG-2", "excellent"),
    unit_rating("DB-TRUONG-3", "good"),
    unit_rating("DB-TRUONG", "good"),
]
