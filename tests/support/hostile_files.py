"""Spreadsheets as users' tools (and attackers) write them, made in the test: an .xlsx
with formulas never computed, a zip bomb, a sheet of a million empty rows, one huge
shared string. The big ones are made by streaming, so that the test itself stays small."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from openpyxl import Workbook

_OOXML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_OOXML}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_OOXML}.worksheet+xml"/>'
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_OOXML}.sharedStrings+xml"/>'
    "</Types>"
)
_RELATIONSHIPS = (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>' + _RELATIONSHIPS
    + f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)  # fmt: skip
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    f'xmlns:r="{_REL}">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>' + _RELATIONSHIPS
    + f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)  # fmt: skip
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_TAIL = "</sheetData></worksheet>"


def workbook(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    """An ordinary .xlsx as openpyxl writes it: a value starting with '=' is a formula
    with no computed value, as a sheet written by a program (not saved by Excel) has."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for line in rows:
        sheet.append(list(line))
    book.save(path)
    return path


def raw_xlsx(path: Path, sheet: Iterable[str], shared: Iterable[str] = ("<sst/>",)) -> Path:
    """An .xlsx whose sheet XML and shared strings are streamed from the given pieces."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        for name, parts in (("xl/worksheets/sheet1.xml", sheet), ("xl/sharedStrings.xml", shared)):
            with z.open(name, "w", force_zip64=True) as out:
                for part in parts:
                    out.write(part.encode("utf-8"))
    return path


def header_row(columns: Sequence[str]) -> str:
    cells = "".join(
        f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{c}</t></is></c>'
        for i, c in enumerate(columns)
    )
    return f'<row r="1">{cells}</row>'


def million_empty_rows(columns: Sequence[str]) -> Iterator[str]:
    yield SHEET_HEAD + header_row(columns)
    batch = 10_000
    for start in range(2, 1_000_002, batch):
        yield "".join(f'<row r="{n}"/>' for n in range(start, start + batch))
    yield SHEET_TAIL


def bomb_sheet(columns: Sequence[str], megabytes: int) -> Iterator[str]:
    """A sheet whose XML inflates to `megabytes` MB: one cell of padding repeated."""
    yield SHEET_HEAD + header_row(columns) + '<row r="2"><c r="A2" t="inlineStr"><is><t>'
    chunk = "A" * (1024 * 1024)
    for _ in range(megabytes):
        yield chunk
    yield "</t></is></c></row>" + SHEET_TAIL


def huge_shared_string(
    columns: Sequence[str], megabytes: int
) -> tuple[Iterator[str], Iterator[str]]:
    """A sheet whose one cell points at a shared string of `megabytes` MB."""
    sheet = iter([SHEET_HEAD + header_row(columns)
                  + '<row r="2"><c r="A2" t="s"><v>0</v></c></row>' + SHEET_TAIL])  # fmt: skip

    def shared() -> Iterator[str]:
        yield '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>'
        chunk = "B" * (1024 * 1024)
        for _ in range(megabytes):
            yield chunk
        yield "</t></si></sst>"

    return sheet, shared()
