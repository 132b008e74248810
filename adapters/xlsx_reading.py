"""Reading the first sheet of an .xlsx a user gives, within limits, as rows of text.

An .xlsx is a zip of XML: a few hundred bytes can claim gigabytes (a zip bomb), a sheet
can claim a million rows, one shared string can hold a gigabyte. So the zip's own
directory is checked first (members, inflated sizes, compression ratio), and only then
does openpyxl read it, in read-only mode, row by row, with a bound on rows and on time.
Cells come back as the text a user sees (dates dd/mm/yyyy, whole numbers without a
decimal point), so one validator checks CSV and xlsx alike. A formula whose value was
never computed (a sheet written by a program, not saved by Excel) is a row problem:
reading it as empty would erase what the row was meant to say."""

from __future__ import annotations

import re
import time
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from workflow.errors import BontotError, ImportRefused, RowProblem

#: what the zip may hold: members, bytes once inflated, and inflation per member
MAX_MEMBERS = 1000
MAX_INFLATED = 300 * 1024 * 1024
MAX_SHARED_STRINGS = 64 * 1024 * 1024
MAX_RATIO = 100
#: a member this small may compress as well as it likes (styles, an empty sheet)
SMALL_MEMBER = 1024 * 1024
#: rows of a sheet (a province's ratings register is well under), columns of a header
MAX_ROWS = 300_000
MAX_COLUMNS = 200
#: seconds a sheet may take to read (a real one takes a few)
MAX_SECONDS = 120.0

_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")


def _say(lang: str, vi: str, en: str) -> str:
    return en if lang == "en" else vi


def check_zip(path: Path, name: str, lang: str = "vi") -> list[zipfile.ZipInfo]:
    """The zip's members, or a refusal when it is no zip or would inflate unsafely."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise BontotError(
            f"{name}: " + _say(lang, "không phải tệp Excel .xlsx đọc được",
                               "not a readable Excel .xlsx file")
        ) from None  # fmt: skip
    inflated = sum(m.file_size for m in members)
    refused = len(members) > MAX_MEMBERS or inflated > MAX_INFLATED
    for member in members:
        ratio = member.file_size / max(1, member.compress_size)
        refused |= member.file_size > SMALL_MEMBER and ratio > MAX_RATIO
        if member.filename.lower().endswith("sharedstrings.xml"):
            refused |= member.file_size > MAX_SHARED_STRINGS
    if refused:
        raise BontotError(
            f"{name}: " + _say(lang, "bị từ chối: tệp giải nén ra quá lớn, không an toàn",
                               "refused: it would inflate to an unsafe size")
        )  # fmt: skip
    return members


def read_xlsx(
    path: Path, name: str, lang: str = "vi", max_cell: int = 10_000
) -> tuple[list[str], list[dict[str, str]]]:
    """(header, rows) of the first sheet; row i of the list is the sheet's row i + 2, a
    blank row an empty dict. Refused, naming the cell, for a formula without its value or
    a cell longer than `max_cell`."""
    members = check_zip(path, name, lang)
    try:
        formulas = _has_formulas(path, members)
    except Exception:  # a member that does not inflate (zlib's, zipfile's own errors)
        raise BontotError(
            f"{name}: " + _say(lang, "không phải tệp Excel .xlsx đọc được",
                               "not a readable Excel .xlsx file")
        ) from None  # fmt: skip
    from openpyxl import load_workbook

    # opened as streams: openpyxl would refuse a workbook saved under a .csv name
    with path.open("rb") as first, path.open("rb") as second:
        try:
            values = load_workbook(first, read_only=True, data_only=True)
            # a second view of the same sheet, only when it has formulas: their text, to
            # tell a formula never computed from an empty cell
            texts = load_workbook(second, read_only=True, data_only=False) if formulas else None
        except Exception:  # openpyxl raises anything (KeyError, lxml's) on a broken file
            raise BontotError(
                f"{name}: " + _say(lang, "không phải tệp Excel .xlsx đọc được",
                                   "not a readable Excel .xlsx file")
            ) from None  # fmt: skip
        try:
            return _rows(values, texts, name, lang, max_cell)
        except (ImportRefused, BontotError):
            raise
        except Exception:  # a sheet broken past its first rows
            raise BontotError(
                f"{name}: " + _say(lang, "trang tính bị hỏng, không đọc được",
                                   "the sheet is damaged and cannot be read")
            ) from None  # fmt: skip
        finally:
            values.close()
            if texts is not None:
                texts.close()


def _has_formulas(path: Path, members: list[zipfile.ZipInfo]) -> bool:
    with zipfile.ZipFile(path) as archive:
        for member in members:
            if not member.filename.startswith("xl/worksheets/"):
                continue
            with archive.open(member) as stream:
                tail = b""
                while chunk := stream.read(1024 * 1024):
                    if _FORMULA.search(tail + chunk):
                        return True
                    tail = chunk[-16:]
    return False


def _rows(
    values: Any, texts: Any, name: str, lang: str, max_cell: int
) -> tuple[list[str], list[dict[str, str]]]:
    if not values.worksheets:
        return [], []
    sheet = values.worksheets[0]
    deadline = time.monotonic() + MAX_SECONDS
    header_cells = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
    header = [_text(cell) for cell in header_cells[:MAX_COLUMNS]]
    while header and not header[-1]:
        header.pop()
    width = max(1, len(header))
    lines = sheet.iter_rows(min_row=2, max_row=MAX_ROWS + 2, max_col=width, values_only=True)
    formula_lines: Iterator[Any] | None = None
    if texts is not None:
        formula_lines = texts.worksheets[0].iter_rows(
            min_row=2, max_row=MAX_ROWS + 2, max_col=width, values_only=True
        )
    rows: list[dict[str, str]] = []
    blanks = 0  # blank rows not yet kept: trailing ones never are
    problems: list[RowProblem] = []
    for number, line in enumerate(lines, start=2):
        formula_line = next(formula_lines, ()) if formula_lines is not None else ()
        if number % 1000 == 0 and time.monotonic() > deadline:
            raise BontotError(
                f"{name}: " + _say(lang, "đọc trang tính quá lâu; bị từ chối",
                                   "the sheet takes too long to read; refused")
            )  # fmt: skip
        if number > MAX_ROWS + 1:
            raise BontotError(
                f"{name}: " + _say(lang, f"nhiều hơn {MAX_ROWS} dòng; hãy chia nhỏ tệp",
                                   f"more than {MAX_ROWS} rows; split the file")
            )  # fmt: skip
        row: dict[str, str] = {}
        for index, column in enumerate(header):
            cell = line[index] if index < len(line) else None
            if cell is None and index < len(formula_line):
                written = formula_line[index]
                if isinstance(written, str) and written.startswith("="):
                    problems.append(RowProblem(number, column or f"#{index + 1}", _say(
                        lang,
                        f"công thức {written[:40]} chưa có giá trị đã tính: mở tệp bằng "
                        "Excel, lưu lại rồi nhập lại",
                        f"the formula {written[:40]} has no computed value: open the "
                        "file in Excel, save it and import it again",
                    )))  # fmt: skip
                    continue
            text = _text(cell)
            if len(text) > max_cell:
                problems.append(RowProblem(number, column or f"#{index + 1}", _say(
                    lang, f"{len(text)} ký tự; tối đa {max_cell}",
                    f"{len(text)} characters; at most {max_cell}")))  # fmt: skip
                continue
            if column and text:
                row[column] = text
        if not row:
            blanks += 1
            continue
        rows.extend({} for _ in range(blanks))
        blanks = 0
        rows.append(row)
    if problems:
        raise ImportRefused(name, problems)
    return header, rows


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, datetime | date):
        return cell.strftime("%d/%m/%Y")
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()
