"""The yearly report as files: a print-ready workbook (adapters/documents/xlsx_report.py),
CSV of the unit rows with the same columns, or JSON of everything."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from adapters.documents.lists import Table, csv_bytes
from adapters.documents.xlsx_report import unit_columns, write_xlsx
from workflow.service.reports import Report

FORMATS = ("xlsx", "csv", "json")


def write_report(
    report: Report, fmt: str, lang: str, output: Path | None, today: date,
    delimiter: str = ";",
) -> bytes:
    """The report in `fmt`; written to `output` if given. Returns the bytes."""
    if fmt == "json":
        data = json.dumps(report.as_dict(), ensure_ascii=False, indent=2).encode("utf-8")
    elif fmt == "csv":
        columns = unit_columns(report, lang)
        from adapters.documents.figures import tree_order

        rows = enumerate(tree_order(report), start=1)
        data = csv_bytes(
            Table([c.header for c in columns], ([c.value(r) for c in columns] for r in rows)),
            delimiter,
        )
    elif fmt == "xlsx":
        data = write_xlsx(report, lang, today)
    else:
        raise ValueError(f"unknown format {fmt!r}: xlsx, csv or json")
    if output is not None:
        output.write_bytes(data)
    return data
