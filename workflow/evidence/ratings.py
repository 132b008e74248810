"""The annual quality ratings register (xếp loại chất lượng): rows as the member registry
exports them, checked before anything is imported, and tallied for the recognition rule.

A member's rating is kept per stage (provisional in December, final in January), each
dated. Members exempted from activities, suspended, or admitted too recently to be rated
leave the denominators. A unit's own rating is a row without a member id; a grassroots
committee's cells are tallied from those rows of its cells (a roll-up, never retyped)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Literal

from workflow.errors import ImportRefused, Reason, RowProblem
from workflow.import_columns import RATING_COLUMNS, line_problem, map_header, not_a_date
from workflow.spec.model import Labels, RatingScaleSpec, ScoreBands
from workflow.timefmt import parse_user_date

Level = Literal["excellent", "good", "completed", "not_completed"]
Stage = Literal["provisional", "final"]
Status = Literal["active", "exempt", "suspended"]

#: best first: a level's index is its rank
LEVELS: tuple[Level, ...] = ("excellent", "good", "completed", "not_completed")
STAGES: tuple[Stage, ...] = ("provisional", "final")

#: Cell kinds whose rows name members; a committee's own row has no member id.
MEMBER_UNIT_KINDS = ("grassroots_cell", "subordinate_cell")

# Spellings the registry and people use, folded (lower case, no accents, _ for spaces).
_LEVEL_WORDS: dict[str, Level] = {
    **{w: "excellent" for w in ("excellent", "xuat_sac", "htxsnv", "hoan_thanh_xuat_sac_nhiem_vu")},
    **{w: "good" for w in ("good", "tot", "httnv", "hoan_thanh_tot_nhiem_vu")},
    **{w: "completed" for w in ("completed", "hoan_thanh", "htnv", "hoan_thanh_nhiem_vu")},
    **{
        w: "not_completed"
        for w in ("not_completed", "khong_hoan_thanh", "khtnv", "khong_hoan_thanh_nhiem_vu")
    },
}
_STAGE_WORDS: dict[str, Stage] = {
    **{w: "provisional" for w in ("provisional", "tam_thoi", "du_kien", "so_bo")},
    **{w: "final" for w in ("final", "chinh_thuc")},
}
_STATUS_WORDS: dict[str, Status] = {
    **{w: "active" for w in ("", "active", "dang_sinh_hoat", "sinh_hoat")},
    **{w: "exempt" for w in ("exempt", "mien_sinh_hoat", "mien_cong_tac_va_sinh_hoat")},
    **{w: "suspended" for w in ("suspended", "dinh_chi", "dinh_chi_sinh_hoat")},
}

_LEVEL_HINT = ("xuat_sac", "tot", "hoan_thanh", "khong_hoan_thanh")
_STATUS_HINT = ("dang_sinh_hoat", "mien_sinh_hoat", "dinh_chi")

#: Column names: the registry's Vietnamese header first, then accepted aliases.
COLUMNS = RATING_COLUMNS
REQUIRED = ("unit", "level", "stage", "rated_on")

#: How the levels are written in a row error (the registry's own words)
LEVEL_VI: dict[Level, str] = {
    "excellent": "hoàn thành xuất sắc nhiệm vụ",
    "good": "hoàn thành tốt nhiệm vụ",
    "completed": "hoàn thành nhiệm vụ",
    "not_completed": "không hoàn thành nhiệm vụ",
}


def level_for_score(score: Fraction, bands: ScoreBands) -> Level:
    """The level a score falls in: at or above a band's lowest score (QĐ 366: 90 is
    excellent, 89.9 good)."""
    for level, lowest in (
        ("excellent", bands.excellent),
        ("good", bands.good),
        ("completed", bands.completed),
    ):
        if score >= Fraction(str(lowest)):
            return level  # type: ignore[return-value]
    return "not_completed"


def parse_score(text: str) -> tuple[Fraction, str] | None:
    """A score of 0..100 as written ("89,5" or "89.5"): (exact value, text kept), or None."""
    kept = text.strip().replace(",", ".")
    try:
        value = Decimal(kept)
    except InvalidOperation:
        return None
    if not value.is_finite() or not 0 <= value <= 100:
        return None
    return Fraction(value), kept


def fold(text: str) -> str:
    """Lower case, without accents or đ, words joined by _ ('Hoàn thành tốt': 'hoan_thanh_tot')."""
    text = text.strip().lower().replace("đ", "d")
    bare = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return "_".join(bare.replace("-", " ").split())


@dataclass(frozen=True)
class RatingRecord:
    """One rating of a member (or, with member "", of the unit itself) at one stage."""

    unit_code: str
    member: str
    name: str
    status: Status
    admitted_on: date | None
    level: Level | None
    stage: Stage
    rated_on: date | None
    #: the 100-point score as written, where the year's scale scores (QĐ 366 from 2025)
    score: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "unit": self.unit_code,
            "member": self.member,
            "name": self.name,
            "status": self.status,
            "admitted_on": self.admitted_on.isoformat() if self.admitted_on else None,
            "level": self.level,
            "stage": self.stage,
            "rated_on": self.rated_on.isoformat() if self.rated_on else None,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RatingRecord:
        return cls(
            unit_code=d["unit"],
            member=d["member"],
            name=d.get("name", ""),
            status=d.get("status", "active"),
            admitted_on=date.fromisoformat(d["admitted_on"]) if d.get("admitted_on") else None,
            level=d.get("level"),
            stage=d["stage"],
            rated_on=date.fromisoformat(d["rated_on"]) if d.get("rated_on") else None,
            score=d.get("score"),
        )


def check_rating_rows(
    source: str,
    header: Sequence[str],
    rows: Iterable[Mapping[str, str]],
    units: Mapping[str, str],
    year: int,
    scale: RatingScaleSpec | None = None,
) -> list[RatingRecord]:
    """Validate every row of a registry export for `year`; return the records, or raise
    naming each bad row and column (row 1 is the header). `units` maps codes to kinds.
    `scale`: the year's rating scale; on a score scale a row's level follows from its
    score, and a level given beside a score must be the one the score falls in."""
    mapped = map_header(header, COLUMNS, REQUIRED)
    columns, problems = mapped.columns, mapped.problems
    if problems:
        raise ImportRefused(source, problems)

    records: list[RatingRecord] = []
    first_row: dict[tuple[str, str, str], int] = {}
    for number, raw in enumerate(rows, start=2):
        if not any((value or "").strip() for value in raw.values()):
            continue  # a blank row: skipped, but counted, so later rows keep their number
        record, row_problems = _parse(number, raw, columns, units, year, scale)
        problems.extend(row_problems)
        if record is None:
            continue
        key = (record.unit_code, record.member, record.stage)
        if key in first_row:
            who = record.member or "the unit's own rating"
            said = Reason(
                f"{who} of {record.unit_code} ({record.stage}) repeats row {first_row[key]}",
                "import.rating_repeats" if record.member else "import.unit_rating_repeats",
                member=record.member, unit=record.unit_code, stage=record.stage,
                first=first_row[key],
            )  # fmt: skip
            problems.append(RowProblem(number, columns.get("member", COLUMNS["member"][0]), said))
            continue
        first_row[key] = number
        records.append(record)
    if problems:
        raise ImportRefused(source, problems)
    return records


def _parse(
    number: int,
    raw: Mapping[str, str],
    columns: Mapping[str, str],
    units: Mapping[str, str],
    year: int,
    scale: RatingScaleSpec | None = None,
) -> tuple[RatingRecord | None, list[RowProblem]]:
    problems: list[RowProblem] = []

    def cell(key: str) -> str:
        column = columns.get(key)
        return (raw.get(column) or "").strip() if column else ""

    def bad(key: str, message: str) -> None:
        problems.append(RowProblem(number, columns.get(key, COLUMNS[key][0]), message))

    unit_code = cell("unit")
    kind = units.get(unit_code)
    member = cell("member")
    for key in ("member", "name"):
        if (why := line_problem(cell(key))) is not None:
            bad(key, why)
    if kind is None:
        bad("unit", Reason(f"unknown unit {unit_code!r}", "import.unknown_unit", value=unit_code))
    elif member and kind not in MEMBER_UNIT_KINDS:
        bad("member", Reason(f"members are rated in their cell; {unit_code} is a {kind}",
                             "import.member_not_in_cell", unit=unit_code, kind=kind))  # fmt: skip

    level_text = cell("level")
    level = _LEVEL_WORDS.get(fold(level_text)) if level_text else None
    if level_text and level is None:
        bad("level", Reason(f"{level_text!r} is not a rating ({', '.join(_LEVEL_HINT)})",
                            "import.not_a_rating", value=level_text,
                            allowed=", ".join(_LEVEL_HINT)))  # fmt: skip
    level, score = _scored(cell("score"), level, level_text, scale, year, bad)
    stage = _STAGE_WORDS.get(fold(cell("stage")))
    if stage is None:
        bad("stage", Reason(f"{cell('stage')!r} is not a stage (tam_thoi, chinh_thuc)",
                            "import.not_a_stage", value=cell("stage")))  # fmt: skip
    status = _STATUS_WORDS.get(fold(cell("status")))
    if status is None:
        bad("status", Reason(f"{cell('status')!r} is not a status ({', '.join(_STATUS_HINT)})",
                             "import.not_a_status", value=cell("status"),
                             allowed=", ".join(_STATUS_HINT)))  # fmt: skip
    elif status != "active" and not member:
        bad("status", Reason("a unit's own rating has no member status", "import.unit_status"))

    rated_on = _date(cell("rated_on"), "rated_on", bad)
    if level is not None and rated_on is None and not problems:
        bad("rated_on", Reason("a rating needs its date (dd/mm/yyyy)", "import.rating_date"))
    if rated_on is not None and rated_on.year not in (year, year + 1):
        day = f"{rated_on:%d/%m/%Y}"
        bad("rated_on", Reason(f"{day} is not in the rating season of {year}",
                               "import.rating_season", day=day, year=year))  # fmt: skip
    admitted_on = _date(cell("admitted_on"), "admitted_on", bad)
    if admitted_on is not None and rated_on is not None and admitted_on > rated_on:
        day = f"{admitted_on:%d/%m/%Y}"
        bad("admitted_on", Reason(f"admitted {day}, after the rating date",
                                  "import.admitted_after", day=day))  # fmt: skip
    if problems or stage is None or status is None:
        return None, problems
    return (
        RatingRecord(
            unit_code, member, cell("name"), status, admitted_on, level, stage, rated_on, score
        ),
        [],
    )


def _scored(
    score_text: str,
    level: Level | None,
    level_text: str,
    scale: RatingScaleSpec | None,
    year: int,
    bad: Any,
) -> tuple[Level | None, str | None]:
    """(the row's level, its score as kept): the level derived from the score on a score
    scale; a score on a year rated by levels, or one that disagrees with the level given,
    is a row error naming both values."""
    if not score_text:
        return level, None
    parsed = parse_score(score_text)
    if parsed is None:
        bad("score", Reason(f"{score_text!r} is not a score from 0 to 100", "import.not_a_score",
                            value=score_text))  # fmt: skip
        return level, None
    value, kept = parsed
    if scale is None or scale.kind != "score" or scale.bands is None:
        where = f" ({scale.source})" if scale is not None else ""
        bad("score", Reason(f"score {kept}: {year} is rated by levels{where}, not scored",
                            "import.not_scored", score=kept, year=year, where=where))  # fmt: skip
        return level, None
    derived = level_for_score(value, scale.bands)
    if level is not None and level != derived:
        bad("level", Reason(
            f"rating {level_text!r} does not match the score {kept} (column "
            f"{COLUMNS['score'][0]}): by {scale.source}, {kept} points is {derived}",
            "import.score_mismatch", value=level_text, score=kept, column=COLUMNS["score"][0],
            source=scale.source, level=Labels(vi=LEVEL_VI[derived], en=derived.replace("_", " ")),
        ))  # fmt: skip
        return level, None
    return derived, kept


def _date(text: str, key: str, bad: Any) -> date | None:
    if not text:
        return None
    try:
        return parse_user_date(text)
    except ValueError:
        bad(key, not_a_date(text))
        return None
