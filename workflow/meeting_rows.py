"""The checks an import of the meeting register must pass (pure: rows in, meetings out).

The likely source is the e-handbook app's attendance export, so headers are matched
loosely: case, accents, spaces and punctuation are ignored ("Mã tổ chức", "ma_to_chuc"
and "MA TO CHUC" are one column), and English names are accepted too.

| column (Vietnamese)  | English alias       | content                                     |
|----------------------|---------------------|---------------------------------------------|
| ma_to_chuc           | unit                | the unit's code, as in `bontot units`       |
| ngay                 | date                | dd/mm/yyyy (yyyy-mm-dd accepted)            |
| loai                 | kind                | thuong_ky / chuyen_de / ket_hop, or         |
|                      |                     | regular / thematic / combined               |
| thoi_luong_phut      | duration_min        | minutes                                     |
| co_mat               | present             | members present                             |
| vang_co_ly_do        | absent_excused      | members absent with a reason                |
| vang_khong_ly_do     | absent_unexcused    | members absent without one                  |
| so_y_kien            | speakers            | members who spoke                           |
| ds_vang_co_ly_do     | absent_excused_ids  | optional: their member ids, `;`-separated   |
| ds_vang_khong_ly_do  | absent_unexcused_ids| optional: their member ids, `;`-separated   |

Members exempted from party activities are on neither list and in no count.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date

from workflow.errors import ImportRefused, Reason, RowProblem
from workflow.import_columns import (
    EMPTY,
    MEETING_COLUMNS,
    fold,
    map_header,
    not_a_date,
    whole_number,
)
from workflow.rules.meeting_params import MEETING_KINDS, MeetingKind
from workflow.rules.meeting_record import Meeting
from workflow.timefmt import parse_user_date

#: field -> accepted headers (after folding); the first is the documented one
COLUMNS = MEETING_COLUMNS
OPTIONAL = ("absent_excused_ids", "absent_unexcused_ids")
KIND_VALUES: dict[str, MeetingKind] = {
    "thuong_ky": "regular",
    "chuyen_de": "thematic",
    "ket_hop": "combined",
    "thuong_ky_ket_hop_chuyen_de": "combined",
    **{kind: kind for kind in MEETING_KINDS},
}
_MEMBER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")


#: the longest meeting, and the most members one cell may count (bigger is a broken cell)
MAX_MINUTES = 24 * 60
MAX_COUNT = 100_000

#: 'Mã tổ chức' -> 'ma_to_chuc' (the one header folding of every import)
normalise = fold


def parse_date(text: str) -> date:
    """dd/mm/yyyy (day and month may have one digit), or yyyy-mm-dd; ValueError otherwise."""
    return parse_user_date(text)


def check_meeting_rows(
    source: str,
    header: list[str],
    rows: Iterable[Mapping[str, str | None]],
    known_units: Iterable[str],
) -> list[Meeting]:
    """Validate every row; return the meetings, or raise naming each bad row and column
    (by the header as the file spells it). Row numbers count the header as row 1."""
    columns, problems = _map_header(header)
    if problems:
        raise ImportRefused(source, problems)
    units = set(known_units)
    meetings: list[Meeting] = []
    first_row_of: dict[tuple[str, date, str], int] = {}
    for number, raw in enumerate(rows, start=2):
        if not any((value or "").strip() for value in raw.values() if isinstance(value, str)):
            continue  # a blank line
        meeting, row_problems = _parse_row(number, raw, columns, units)
        problems.extend(row_problems)
        if meeting is None:
            continue
        key = (meeting.unit_code, meeting.held_on, meeting.kind)
        if key in first_row_of:
            problems.append(
                RowProblem(
                    number,
                    columns["held_on"],
                    Reason(
                        f"{meeting.unit_code} has a {meeting.kind} meeting on "
                        f"{meeting.held_on:%d/%m/%Y} already (row {first_row_of[key]})",
                        "import.meeting_repeats", unit=meeting.unit_code,
                        meeting_kind=meeting.kind, day=f"{meeting.held_on:%d/%m/%Y}",
                        first=first_row_of[key],
                    ),
                )
            )
            continue
        first_row_of[key] = number
        meetings.append(meeting)
    if problems:
        raise ImportRefused(source, problems)
    return meetings


def _map_header(header: list[str]) -> tuple[dict[str, str], list[RowProblem]]:
    """field -> the file's own header for it."""
    required = [name for name in COLUMNS if name not in OPTIONAL]
    mapped = map_header(header, COLUMNS, required)
    return mapped.columns, mapped.problems


def _parse_row(
    number: int,
    raw: Mapping[str, str | None],
    columns: Mapping[str, str],
    units: set[str],
) -> tuple[Meeting | None, list[RowProblem]]:
    problems: list[RowProblem] = []

    def cell(name: str) -> str:
        column = columns.get(name)
        value = raw.get(column) if column is not None else None
        return (value or "").strip()

    def problem(name: str, message: str) -> None:
        problems.append(RowProblem(number, columns.get(name, COLUMNS[name][0]), message))

    unit = cell("unit")
    if not unit:
        problem("unit", EMPTY)
    elif unit not in units:
        problem("unit", Reason(f"unknown unit {unit!r}", "import.unknown_unit", value=unit))
    held_on = None
    try:
        held_on = parse_date(cell("held_on"))
    except ValueError:
        problem("held_on", not_a_date(cell("held_on")))
    kind = KIND_VALUES.get(normalise(cell("kind")))
    if kind is None:
        problem(
            "kind",
            Reason(
                f"{cell('kind')!r} is not one of thuong_ky, chuyen_de, ket_hop "
                "(regular, thematic, combined)",
                "import.not_a_meeting_kind", value=cell("kind"),
            ),
        )
    counts: dict[str, int] = {}
    for name in ("duration_min", "present", "absent_excused", "absent_unexcused", "speakers"):
        try:
            counts[name] = whole_number(
                cell(name), MAX_MINUTES if name == "duration_min" else MAX_COUNT
            )
        except ValueError as exc:
            problem(name, exc.args[0])
    if counts.get("duration_min") == 0:
        problem("duration_min", Reason("a meeting lasts more than 0 minutes", "import.no_minutes"))
    roll = sum(counts.get(n, 0) for n in ("present", "absent_excused", "absent_unexcused"))
    if len(counts) == 5 and roll == 0:
        problem("present", Reason("nobody present or absent: not a meeting", "import.nobody"))
    if "speakers" in counts and "present" in counts and counts["speakers"] > counts["present"]:
        problem(
            "speakers",
            Reason(
                f"{counts['speakers']} speakers but {counts['present']} members present",
                "import.speakers", speakers=counts["speakers"], present=counts["present"],
            ),
        )
    lists: dict[str, tuple[str, ...]] = {}
    for name, count_name in (
        ("absent_excused_ids", "absent_excused"),
        ("absent_unexcused_ids", "absent_unexcused"),
    ):
        ids = tuple(part.strip() for part in cell(name).split(";") if part.strip())
        bad = [member for member in ids if not _MEMBER_ID.match(member)]
        if bad:
            problem(name, Reason(f"{bad[0]!r} is not a member id", "import.not_member_id",
                                 value=bad[0]))  # fmt: skip
        elif len(set(ids)) != len(ids):
            problem(name, Reason("a member is listed twice", "import.member_twice"))
        elif ids and count_name in counts and len(ids) != counts[count_name]:
            problem(
                name,
                Reason(
                    f"{len(ids)} members listed but {columns[count_name]!r} says "
                    f"{counts[count_name]}",
                    "import.members_count", listed=len(ids), column=columns[count_name],
                    count=counts[count_name],
                ),
            )
        lists[name] = ids
    both = set(lists["absent_excused_ids"]) & set(lists["absent_unexcused_ids"])
    if both:
        problem(
            "absent_unexcused_ids",
            Reason(
                f"{sorted(both)[0]!r} is absent both with and without a reason",
                "import.absent_twice", value=sorted(both)[0],
            ),
        )
    if problems or held_on is None or kind is None:
        return None, problems
    return (
        Meeting(
            unit_code=unit,
            held_on=held_on,
            kind=kind,
            duration_min=counts["duration_min"],
            present=counts["present"],
            absent_excused=counts["absent_excused"],
            absent_unexcused=counts["absent_unexcused"],
            speakers=counts["speakers"],
            absent_excused_ids=lists["absent_excused_ids"],
            absent_unexcused_ids=lists["absent_unexcused_ids"],
        ),
        [],
    )
