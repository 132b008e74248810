"""Text written into the project's csv and xlsx files, made safe to open.

A unit's name is whatever an import said; a name `=HYPERLINK(...)` must not become a live
formula in the secretariat's Excel (OWASP's CSV injection: a cell starting with `=`, `+`,
`-`, `@`, tab or CR is read as a formula). In a CSV such a cell gets a leading `'`, as
OWASP advises; in an xlsx it is stored as text with Excel's own quote prefix (shown as
typed, never evaluated). Control characters, which XML cannot hold and which made
openpyxl refuse the whole report, become U+FFFD."""

from __future__ import annotations

import re
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# what XML 1.0 cannot hold (tab, LF and CR it can)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def printable(text: str) -> str:
    return _CONTROL.sub("\ufffd", text)


def csv_text(value: Any) -> Any:
    """A CSV cell: text that a spreadsheet would run as a formula gets a leading `'`."""
    if not isinstance(value, str):
        return value
    text = printable(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def xlsx_cell(ws: WriteOnlyWorksheet, value: Any) -> WriteOnlyCell:
    """An xlsx cell holding `value`; text is never a formula."""
    if not isinstance(value, str):
        return WriteOnlyCell(ws, value)
    text = printable(value)
    cell = WriteOnlyCell(ws, text)
    if text.startswith(FORMULA_STARTS):
        cell.data_type = "s"  # openpyxl would write "=..." as a formula
        cell.quotePrefix = True
    return cell
