"""The one reader of the registers users import (units, ratings, meetings): .xlsx or CSV,
as rows of text.

A CSV is decoded as UTF-8 (with or without BOM) or UTF-16 (with a BOM, or without one
when its NUL bytes give it away); any other encoding is refused with the way to save it
as UTF-8, since guessing between Windows-1258 and cp1252 would misspell names silently.
The delimiter is sniffed among `,` `;` and tab on the header line (a Vietnamese Excel
saves `;`). Every header and cell is normalised to NFC, so that a name typed on a Mac
(decomposed accents) is the same name. Row i of the rows is the file's row i + 2 (the
header is row 1); a blank row is an empty dict, so that a problem names the file's row."""

from __future__ import annotations

import csv
import hashlib
import io
import unicodedata
from pathlib import Path

from adapters.xlsx_reading import MAX_ROWS, read_xlsx
from workflow.errors import BontotError, ImportRefused, NotFound, RowProblem

#: the largest file read (a province's register is well under it)
MAX_BYTES = 100 * 1024 * 1024
#: the longest cell (a list of member ids); a 200 KB field is a broken file
MAX_CELL = 10_000

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 (.xls)
_SAVE_AS = (
    "lưu lại bằng Excel: Save As → “CSV UTF-8 (Comma delimited) (*.csv)” hoặc “Excel Workbook "
    "(*.xlsx)”",
    "save it from Excel with Save As → “CSV UTF-8 (Comma delimited) (*.csv)” or “Excel "
    "Workbook (*.xlsx)”",
)

Table = tuple[list[str], list[dict[str, str]]]


def _say(lang: str, vi: str, en: str) -> str:
    return en if lang == "en" else vi


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_sheet(
    path: Path, data: bytes | None = None, name: str | None = None, lang: str = "vi"
) -> Table:
    """(header, rows) of a .csv or the first sheet of an .xlsx (told by content, not only
    by name). `data`: the file's bytes when already read; `name`: how messages call it."""
    shown = name or str(path)
    if data is None:
        if not path.is_file():
            raise NotFound(
                f"{shown}: " + _say(lang, "không có tệp này", "no such file"),
                msgid="error.no_file", params={"file": shown},
            )  # fmt: skip
        if path.stat().st_size > MAX_BYTES:
            raise _too_big(shown, lang)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise BontotError(
                f"{shown}: " + _say(lang, f"không đọc được ({exc.strerror})",
                                    f"cannot be read ({exc.strerror})")
            ) from None  # fmt: skip
    if len(data) > MAX_BYTES:
        raise _too_big(shown, lang)
    if data.startswith(_ZIP) or path.suffix.lower() in (".xlsx", ".xlsm"):
        header, rows = read_xlsx(path, shown, lang, MAX_CELL)
    elif data.startswith(_OLE):
        raise BontotError(
            f"{shown}: " + _say(lang, "tệp Excel 97-2003 (.xls) không được nhận; ",
                                "an Excel 97-2003 (.xls) file is not read; ")
            + _say(lang, *_SAVE_AS)
        )  # fmt: skip
    else:
        header, rows = _read_csv(decode(data, shown, lang), shown, lang)
    return _normalised(header, rows, shown, lang)


def decode(data: bytes, name: str, lang: str = "vi") -> str:
    """The text of a CSV: UTF-8 (BOM or not) or UTF-16; anything else refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    elif _looks_utf16(data):
        encoding = "utf-16-le" if data[1:2] == b"\x00" else "utf-16-be"
    else:
        encoding = "utf-8"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding.startswith("utf-16"):
            raise BontotError(
                f"{name}: " + _say(lang, f"văn bản UTF-16 hỏng (byte {exc.start + 1}); ",
                                   f"broken UTF-16 text (byte {exc.start + 1}); ")
                + _say(lang, *_SAVE_AS)
            ) from None  # fmt: skip
        raise BontotError(
            f"{name}: "
            + _say(
                lang,
                f"không phải văn bản UTF-8 (byte {exc.start + 1}); có lẽ là Windows-1258 hoặc "
                "một bảng mã Windows khác: ",
                f"not UTF-8 text (byte {exc.start + 1}); probably Windows-1258 or another "
                "Windows code page: ",
            )
            + _say(lang, *_SAVE_AS)
        ) from None


def _looks_utf16(data: bytes) -> bool:
    """No BOM, but every other byte of the start is NUL: UTF-16 of mostly ASCII text."""
    head = data[:200]
    return len(head) >= 4 and (head[1::2].count(0) > len(head) // 4 or
                               head[0::2].count(0) > len(head) // 4)  # fmt: skip


def sniff_delimiter(first_line: str) -> str:
    """`,` `;` or tab: whichever the header line holds most of (outside quotes)."""
    counts = {d: 0 for d in (",", ";", "\t")}
    quoted = False
    for char in first_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(text: str, name: str, lang: str) -> Table:
    first = text.split("\n", 1)[0]
    # the csv module stops at 131,072 characters a field, without saying which column;
    # past MAX_CELL a cell is refused by name below, so let the module read it whole
    if csv.field_size_limit() < MAX_BYTES:
        csv.field_size_limit(MAX_BYTES)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(first))
    try:
        header = [cell.strip() for cell in next(reader, [])]
        rows: list[dict[str, str]] = []
        blanks = 0
        for line in reader:
            if not any(cell.strip() for cell in line):
                blanks += 1
                continue
            if len(rows) + blanks >= MAX_ROWS:
                raise BontotError(
                    f"{name}: " + _say(lang, f"nhiều hơn {MAX_ROWS} dòng; hãy chia nhỏ tệp",
                                       f"more than {MAX_ROWS} rows; split the file")
                )  # fmt: skip
            # a blank line stays, as an empty row: row numbers are the spreadsheet's
            rows.extend({} for _ in range(blanks))
            blanks = 0
            rows.append(dict(zip(header, line, strict=False)))
    except csv.Error as exc:
        # the csv module's own limit (131,072 characters a field) or a broken quote
        raise ImportRefused(
            name,
            [RowProblem(reader.line_num, "?", _say(lang, f"dòng không đọc được ({exc})",
                                                   f"the line cannot be read ({exc})"))],
        ) from None  # fmt: skip
    return header, rows


def _normalised(header: list[str], rows: list[dict[str, str]], name: str, lang: str) -> Table:
    """Headers and cells in NFC; a cell too long or holding NUL named by row and column."""
    nfc = unicodedata.normalize
    header = [nfc("NFC", h) for h in header]
    problems: list[RowProblem] = []
    out: list[dict[str, str]] = []
    for number, raw in enumerate(rows, start=2):
        row: dict[str, str] = {}
        for column, value in raw.items():
            key = nfc("NFC", column) if column is not None else ""
            if not key:
                continue  # a column without a header: nobody reads it
            text = value if isinstance(value, str) else ""
            if len(text) > MAX_CELL:
                problems.append(RowProblem(number, key, _say(
                    lang, f"{len(text)} ký tự; tối đa {MAX_CELL}",
                    f"{len(text)} characters; at most {MAX_CELL}")))  # fmt: skip
                continue
            if "\x00" in text:
                said = _say(lang, "có ký tự NUL (tệp hỏng?)", "holds a NUL (a broken file?)")
                problems.append(RowProblem(number, key, said))
                continue
            row[key] = nfc("NFC", text) if not text.isascii() else text
        out.append(row)
    if problems:
        raise ImportRefused(name, problems[:50])
    return header, out


def _too_big(name: str, lang: str) -> BontotError:
    size = MAX_BYTES // 1024 // 1024
    return BontotError(f"{name}: " + _say(lang, f"lớn hơn {size} MB", f"larger than {size} MB"))
