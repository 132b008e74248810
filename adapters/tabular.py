"""Reading the spreadsheets users have (CSV as exported, or .xlsx) as rows of text.

Cells come back as the text a user sees: dates as dd/mm/yyyy, whole numbers without a
decimal point, so one validator checks both formats alike."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date, datetime
from pathlib import Path
from typing import Any

from workflow.errors import BontotError, NotFound


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """(header, rows) of a comma-separated UTF-8 file (with or without BOM), rows as
    csv.DictReader gives them."""
    if not path.is_file():
        raise NotFound(
            f"{path}: no such file", msgid="error.no_file", params={"file": str(path)}
        )
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def read_export(path: Path, data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    """A CSV export's header and rows: UTF-8 (with or without BOM), comma, semicolon or
    tab separated (sniffed from the header line)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BontotError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    first = text.splitlines()[0] if text else ""
    try:
        dialect: Any = csv.Sniffer().sniff(first, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def read_table(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """(header, rows) of a .csv (UTF-8, with or without BOM) or the first sheet of an .xlsx.
    Row i of the list is the file's row i + 2 (the header is row 1); blank rows are empty."""
    if not path.is_file():
        raise NotFound(
            f"{path}: no such file", msgid="error.no_file", params={"file": str(path)}
        )
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            lines = csv.reader(handle)
            header = next(lines, [])
            # A blank line stays, as an empty row: row numbers are the spreadsheet's.
            rows = [dict(zip(header, line, strict=False)) if line else {} for line in lines]
            return header, rows
    except UnicodeDecodeError as exc:
        raise BontotError(f"{path}: not UTF-8 text ({exc}); save the CSV as UTF-8") from None


def _read_xlsx(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        header = [_text(cell) for cell in next(lines, ())]
        rows = []
        for line in lines:
            # blank rows are kept (empty), so that a problem names the sheet's own row
            rows.append({h: _text(cell) for h, cell in zip(header, line, strict=False) if h})
        return header, rows
    finally:
        workbook.close()


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, datetime | date):
        return cell.strftime("%d/%m/%Y")
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()
