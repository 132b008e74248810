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
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date

from workflow.errors import ImportRefused, RowProblem
from workflow.rules.meeting_params import MEETING_KINDS, MeetingKind
from workflow.rules.meeting_record import Meeting

#: field -> accepted headers (after normalising); the first is the documented one
COLUMNS: dict[str, tuple[str, ...]] = {
    "unit": ("ma_to_chuc", "ma_chi_bo", "unit", "unit_code"),
    "held_on": ("ngay", "ngay_sinh_hoat", "date", "held_on"),
    "kind": ("loai", "loai_sinh_hoat", "kind"),
    "duration_min": ("thoi_luong_phut", "thoi_gian_phut", "duration_min", "duration"),
    "present": ("co_mat", "so_co_mat", "present"),
    "absent_excused": ("vang_co_ly_do", "absent_excused"),
    "absent_unexcused": ("vang_khong_ly_do", "absent_unexcused"),
    "speakers": ("so_y_kien", "so_y_kien_phat_bieu", "speakers"),
    "absent_excused_ids": ("ds_vang_co_ly_do", "absent_excused_ids"),
    "absent_unexcused_ids": ("ds_vang_khong_ly_do", "absent_unexcused_ids"),
}
OPTIONAL = ("absent_excused_ids", "absent_unexcused_ids")
KIND_VALUES: dict[str, MeetingKind] = {
    "thuong_ky": "regular",
    "chuyen_de": "thematic",
    "ket_hop": "combined",
    "thuong_ky_ket_hop_chuyen_de": "combined",
    **{kind: kind for kind in MEETING_KINDS},
}
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MEMBER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")


def normalise(text: str) -> str:
    """'Mã tổ chức' -> 'ma_to_chuc': no accents, lower case, words joined by '_'."""
    text = text.replace("đ", "d").replace("Đ", "D")
    text = "".join(
        c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn"
    )
    return "_".join(re.findall(r"[a-z0-9]+", text.lower()))


def parse_date(text: str) -> date:
    """dd/mm/yyyy (day and month may have one digit), or yyyy-mm-dd; ValueError otherwise."""
    text = text.strip()
    if match := _DMY.match(text):
        day, month, year = (int(part) for part in match.groups())
    elif match := _ISO.match(text):
        year, month, day = (int(part) for part in match.groups())
    else:
        raise ValueError(f"{text!r} is not a date dd/mm/yyyy")
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"{text!r} is not a date that exists") from None


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
                    f"{meeting.unit_code} has a {meeting.kind} meeting on "
                    f"{meeting.held_on:%d/%m/%Y} already (row {first_row_of[key]})",
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
    accepted = {alias: name for name, aliases in COLUMNS.items() for alias in aliases}
    columns: dict[str, str] = {}
    problems = []
    for column in header:
        name = accepted.get(normalise(column or ""))
        if name is None:
            continue
        if name in columns:
            problems.append(
                RowProblem(1, column, f"the same column as {columns[name]!r} ({name})")
            )
            continue
        columns[name] = column
    for name, aliases in COLUMNS.items():
        if name not in columns and name not in OPTIONAL:
            also = ", ".join(aliases[1:])
            problems.append(RowProblem(1, aliases[0], f"required column is missing (or: {also})"))
    return columns, problems


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
        problem("unit", "is empty")
    elif unit not in units:
        problem("unit", f"unknown unit {unit!r}")
    held_on = None
    try:
        held_on = parse_date(cell("held_on"))
    except ValueError as exc:
        problem("held_on", str(exc))
    kind = KIND_VALUES.get(normalise(cell("kind")))
    if kind is None:
        problem(
            "kind",
            f"{cell('kind')!r} is not one of thuong_ky, chuyen_de, ket_hop "
            "(regular, thematic, combined)",
        )
    counts: dict[str, int] = {}
    for name in ("duration_min", "present", "absent_excused", "absent_unexcused", "speakers"):
        text = cell(name)
        if not (text.isascii() and text.isdigit()):
            problem(name, f"{text!r} is not a whole number")
        else:
            counts[name] = int(text)
    if counts.get("duration_min") == 0:
        problem("duration_min", "a meeting lasts more than 0 minutes")
    roll = sum(counts.get(n, 0) for n in ("present", "absent_excused", "absent_unexcused"))
    if len(counts) == 5 and roll == 0:
        problem("present", "nobody present or absent: not a meeting")
    if "speakers" in counts and "present" in counts and counts["speakers"] > counts["present"]:
        problem(
            "speakers",
            f"{counts['speakers']} speakers but {counts['present']} members present",
        )
    lists: dict[str, tuple[str, ...]] = {}
    for name, count_name in (
        ("absent_excused_ids", "absent_excused"),
        ("absent_unexcused_ids", "absent_unexcused"),
    ):
        ids = tuple(part.strip() for part in cell(name).split(";") if part.strip())
        bad = [member for member in ids if not _MEMBER_ID.match(member)]
        if bad:
            problem(name, f"{bad[0]!r} is not a member id")
        elif len(set(ids)) != len(ids):
            problem(name, "a member is listed twice")
        elif ids and count_name in counts and len(ids) != counts[count_name]:
            problem(
                name,
                f"{len(ids)} members listed but {columns[count_name]!r} says "
                f"{counts[count_name]}",
            )
        lists[name] = ids
    both = set(lists["absent_excused_ids"]) & set(lists["absent_unexcused_ids"])
    if both:
        problem(
            "absent_unexcused_ids",
            f"{sorted(both)[0]!r} is absent both with and without a reason",
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
