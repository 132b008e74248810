"""What every register import shares (pure): headers matched loosely, the cells' text
checked the same way, and the columns nobody reads named as warnings.

Headers are folded before they are looked up: case, accents, đ, spaces and punctuation
are ignored, so "Mã tổ chức", "ma_to_chuc" and "MA TO CHUC" are one column. Each register
lists its fields with their accepted headers, the documented Vietnamese one first and the
English one second (`UNIT_COLUMNS`, `RATING_COLUMNS`, `MEETING_COLUMNS`)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from workflow.errors import Reason, RowProblem

#: field -> accepted headers (folded); the first is the documented Vietnamese one
Columns = Mapping[str, tuple[str, ...]]

UNIT_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("ma_to_chuc", "code", "ma", "ma_don_vi", "unit_code"),
    "name": ("ten", "name", "ten_to_chuc", "ten_don_vi"),
    "kind": ("loai", "kind", "loai_to_chuc"),
    "type": ("loai_hinh", "type", "org_type"),
    "parent_code": ("ma_cap_tren", "parent_code", "parent", "ma_to_chuc_cap_tren"),
    "member_count": ("so_dang_vien", "member_count", "members"),
}
#: a unit's contact for a role: lien_he_<role> or contact_<role>
CONTACT_PREFIXES = ("lien_he_", "contact_")

RATING_COLUMNS: dict[str, tuple[str, ...]] = {
    "unit": ("ma_to_chuc", "unit", "unit_code"),
    "member": ("ma_dang_vien", "member", "member_id"),
    "name": ("ho_ten", "name", "ho_va_ten"),
    "status": ("tinh_trang", "status"),
    "admitted_on": ("ngay_vao_dang", "admitted_on"),
    "level": ("xep_loai", "rating", "level", "muc_xep_loai"),
    "score": ("diem", "score", "diem_xep_loai"),
    "stage": ("giai_doan", "stage"),
    "rated_on": ("ngay_xep_loai", "rated_on"),
}

MEETING_COLUMNS: dict[str, tuple[str, ...]] = {
    "unit": ("ma_to_chuc", "unit", "ma_chi_bo", "unit_code"),
    "held_on": ("ngay", "date", "ngay_sinh_hoat", "held_on"),
    "kind": ("loai", "kind", "loai_sinh_hoat"),
    "duration_min": ("thoi_luong_phut", "duration_min", "thoi_gian_phut", "duration"),
    "present": ("co_mat", "present", "so_co_mat"),
    "absent_excused": ("vang_co_ly_do", "absent_excused"),
    "absent_unexcused": ("vang_khong_ly_do", "absent_unexcused"),
    "speakers": ("so_y_kien", "speakers", "so_y_kien_phat_bieu"),
    "absent_excused_ids": ("ds_vang_co_ly_do", "absent_excused_ids"),
    "absent_unexcused_ids": ("ds_vang_khong_ly_do", "absent_unexcused_ids"),
}

#: the longest text a cell may hold (a name, a code list); a 200 KB field is a broken file
MAX_CELL = 2000
#: the longest name of a unit or a member
MAX_NAME = 300

_WORDS = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    """'Mã tổ chức' -> 'ma_to_chuc': no accents, lower case, words joined by '_'."""
    text = text.replace("đ", "d").replace("Đ", "D")
    bare = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return "_".join(_WORDS.findall(bare.lower()))


@dataclass(frozen=True)
class ColumnNote:
    """A column of the file that nothing reads: warned about, never an error."""

    column: str
    reason: Literal["unread", "unknown_role"]
    role: str = ""

    def describe(self, lang: str = "vi") -> str:
        if self.reason == "unknown_role":
            if lang == "en":
                return (
                    f"column {self.column!r}: no definition has the role {self.role!r}; "
                    "ignored (a misspelt role?)"
                )
            return (
                f"cột {self.column!r}: không quy trình nào có vai trò {self.role!r}; "
                "bỏ qua (viết sai tên vai trò?)"
            )
        if lang == "en":
            return f"column {self.column!r} is not one this import reads; ignored"
        return f"cột {self.column!r} không được đọc khi nhập; bỏ qua"


@dataclass(frozen=True)
class Header:
    """A file's header mapped: field -> the file's own header, the columns nobody reads,
    and the problems (a required column missing, one field given twice)."""

    columns: dict[str, str]
    unread: list[str]
    problems: list[RowProblem]


def map_header(
    header: Sequence[str], columns: Columns, required: Iterable[str], keep: Iterable[str] = ()
) -> Header:
    """Match the header against a register's columns. A header that folds to a prefix in
    `keep` (the units' contacts) is the caller's to read, neither mapped nor unread."""
    accepted = {alias: name for name, aliases in columns.items() for alias in aliases}
    prefixes = tuple(keep)
    found: dict[str, str] = {}
    unread: list[str] = []
    problems: list[RowProblem] = []
    for column in header:
        folded = fold(column or "")
        if not folded:
            continue  # a column without a header holds nothing anyone asked for
        name = accepted.get(folded)
        if name is None:
            if not (prefixes and folded.startswith(prefixes)):
                unread.append(column)
            continue
        if name in found:
            same = Reason(f"the same column as {found[name]!r} ({name})", "import.same_column",
                          other=found[name])  # fmt: skip
            problems.append(RowProblem(1, column, same))
            continue
        found[name] = column
    for name in required:
        if name not in found:
            aliases = columns[name]
            problems.append(
                RowProblem(1, aliases[0], Reason(
                    f"required column is missing (or: {', '.join(aliases[1:])})",
                    "import.missing_column", also=", ".join(aliases[1:]),
                ))
            )
    return Header(found, unread, problems)


def text_problem(text: str, longest: int = MAX_CELL) -> str | None:
    """Why a cell's text cannot be kept (too long, a control character), or None."""
    if len(text) > longest:
        return Reason(f"{len(text)} characters; at most {longest}", "import.too_long",
                      length=len(text), most=longest)  # fmt: skip
    for char in text:
        if unicodedata.category(char) == "Cc" and char not in "\t\n\r":
            return _control(char)
    return None


def line_problem(text: str, longest: int = MAX_NAME) -> str | None:
    """As `text_problem`, for a name or code: one line, no tab."""
    if any(unicodedata.category(char) == "Cc" for char in text):
        return _control(next(char for char in text if unicodedata.category(char) == "Cc"))
    return text_problem(text, longest)


_WHOLE = re.compile(r"^[0-9]{1,12}$")


def whole_number(text: str, largest: int) -> int:
    """A whole number 0..largest written in ASCII digits ("²" and other scripts' digits
    are not numbers here); ValueError naming the text otherwise."""
    shown = text if len(text) <= 40 else text[:37] + "..."
    if not _WHOLE.match(text):
        said = f"{shown!r} is not a whole number"
        raise ValueError(Reason(said, "import.not_whole", value=shown))
    value = int(text)
    if value > largest:
        said = f"{shown} is more than {largest:,}".replace(",", ".")
        raise ValueError(Reason(said, "import.more_than", value=shown, most=largest))
    return value


def _control(char: str) -> Reason:
    code = f"U+{ord(char):04X}"
    return Reason(f"holds a control character ({code})", "import.control_char", code=code)


def cells_of(raw: Mapping[str, str | None], columns: Mapping[str, str]) -> dict[str, str]:
    """field -> the row's stripped text (absent or empty cells: '')."""
    return {name: (raw.get(column) or "").strip() for name, column in columns.items()}


#: a cell that must hold something and holds nothing
EMPTY = Reason("is empty", "import.empty")


def not_one_of(value: str, allowed: Iterable[str]) -> Reason:
    """A cell outside its column's values (quoted as given, the allowed ones listed)."""
    listed = ", ".join(allowed)
    return Reason(f"{value!r} is not one of {listed}", "import.not_one_of", value=value,
                  allowed=listed)  # fmt: skip


def not_a_date(text: str) -> Reason:
    return Reason(f"{text!r} is not a date (dd/mm/yyyy)", "import.not_a_date", value=text)
