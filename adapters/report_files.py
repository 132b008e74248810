"""The yearly report as files: Excel (openpyxl) with Vietnamese headers and dd/mm/yyyy
dates, CSV of the unit rows, or JSON of everything."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from workflow.service.reports import DATED_EVENTS, Report, UnitLine, target_figures
from workflow.timefmt import LOCAL_TZ

RATING_LABELS = {
    "vi": {
        "excellent": "Hoàn thành xuất sắc nhiệm vụ",
        "good": "Hoàn thành tốt nhiệm vụ",
        "completed": "Hoàn thành nhiệm vụ",
        "not_completed": "Không hoàn thành nhiệm vụ",
    },
    "en": {
        "excellent": "Excellent",
        "good": "Good",
        "completed": "Completed",
        "not_completed": "Not completed",
    },
}

UNIT_HEADERS = {
    "vi": {
        "unit": "Mã tổ chức",
        "name": "Tên tổ chức",
        "kind": "Loại tổ chức",
        "superior": "Cấp ủy cấp trên",
        "definition": "Chương trình",
        "stage": "Giai đoạn",
        "register": "Ngày đăng ký",
        "self_evaluate": "Ngày tự đánh giá",
        "propose": "Ngày đề nghị",
        "appraise": "Ngày thẩm định đạt",
        "reject": "Ngày thẩm định không đạt",
        "recognize": "Ngày công nhận",
        "refuse": "Ngày không công nhận",
        "report": "Ngày báo cáo",
        "rating": "Xếp loại chất lượng",
        "verdict": "Kết quả thẩm định theo tiêu chuẩn",
        "failing": "Tiêu chí không đạt",
        "override": "Vượt tiêu chuẩn (có lý do)",
        "overdue": "Quá hạn",
    },
    "en": {
        "unit": "Unit code",
        "name": "Unit",
        "kind": "Kind",
        "superior": "Superior",
        "definition": "Programme",
        "stage": "Stage",
        "register": "Registered on",
        "self_evaluate": "Self-evaluated on",
        "propose": "Proposed on",
        "appraise": "Appraised (passes) on",
        "reject": "Appraised (fails) on",
        "recognize": "Recognised on",
        "refuse": "Refused on",
        "report": "Reported on",
        "rating": "Annual rating",
        "verdict": "Rule verdict",
        "failing": "Failing checks",
        "override": "Verdict overruled (with reason)",
        "overdue": "Overdue",
    },
}
SUMMARY_HEADERS = {
    "vi": {
        "unit": "Mã cấp ủy",
        "name": "Cấp ủy",
        "definition": "Chương trình",
        "total": "Tổng số chu kỳ",
        "counted": "Số tổ chức cơ sở đảng",
        "recognized": "Được công nhận",
        "share": "Tỷ lệ (%)",
        "target": "Chỉ tiêu (%)",
        "gap_units": "Còn thiếu (đơn vị)",
        "late_units": "Đơn vị quá hạn",
    },
    "en": {
        "unit": "Superior code",
        "name": "Superior",
        "definition": "Programme",
        "total": "Cycles",
        "counted": "Grassroots organisations",
        "recognized": "Recognised",
        "share": "Share (%)",
        "target": "Target (%)",
        "gap_units": "Gap (units)",
        "late_units": "Late units",
    },
}
VERDICT_WORDS = {"vi": ("Đạt", "Không đạt", "Có", ""), "en": ("Passes", "Fails", "Yes", "")}


def _local_date(at: datetime) -> date:
    return at.astimezone(LOCAL_TZ).date()


def unit_values(line: UnitLine, lang: str) -> list[Any]:
    """One unit's row; dates as dates (the writer formats them dd/mm/yyyy)."""
    passed, failed, yes, no = VERDICT_WORDS[lang]
    verdict = "" if line.verdict_passed is None else passed if line.verdict_passed else failed
    failing = "; ".join(
        f"{c['label'][lang]}: {c['actual']} ({c['required']})" for c in line.failing
    )
    return [
        line.unit_code,
        line.unit_name,
        line.unit_kind,
        line.parent_code or "",
        line.definition_id,
        line.state_en if lang == "en" else line.state_vi,
        *[_local_date(line.dates[e]) if e in line.dates else None for e in DATED_EVENTS],
        RATING_LABELS[lang].get(line.rating or "", ""),
        verdict,
        failing,
        yes if line.overridden else no,
        ", ".join(line.overdue),
    ]


def unit_headers(lang: str) -> list[str]:
    h = UNIT_HEADERS[lang]
    return [h[k] for k in ("unit", "name", "kind", "superior", "definition", "stage")] + [
        h[e] for e in DATED_EVENTS
    ] + [h[k] for k in ("rating", "verdict", "failing", "override", "overdue")]


def summary_rows(report: Report, lang: str) -> tuple[list[str], list[list[Any]]]:
    """Per superior and programme: counts by stage (one column per stage), then progress
    against the target. Stage columns use the labels of the report's states."""
    h = SUMMARY_HEADERS[lang]
    labels: dict[tuple[str, str], str] = {}
    for line in report.units:
        labels[(line.definition_id, line.state)] = line.state_en if lang == "en" else line.state_vi
    stages = list(dict.fromkeys(labels))
    header = [h["unit"], h["name"], h["definition"]]
    header += [labels[s] for s in stages]
    header += [h[k] for k in ("total", "counted", "recognized", "share", "target", "gap_units",
                              "late_units")]
    rows = []
    for summary in report.superiors:
        for definition_id in sorted({d for d, _ in summary.states}):
            figures = target_figures(*summary.targets.get(definition_id, [0, 0, None]))
            rows.append(
                [summary.unit_code, summary.unit_name, definition_id]
                + [summary.states.get(s, 0) if s[0] == definition_id else None for s in stages]
                + [
                    sum(n for (d, _), n in summary.states.items() if d == definition_id),
                    figures["counted"],
                    figures["recognized"],
                    figures["share"],
                    figures["target"],
                    figures["gap_units"],
                    summary.late_units,
                ]
            )
    return header, rows


def write_report(report: Report, fmt: str, lang: str, output: Path | None) -> bytes:
    """The report in `fmt`; written to `output` if given. Returns the bytes."""
    if fmt == "json":
        data = json.dumps(report.as_dict(), ensure_ascii=False, indent=2).encode("utf-8")
    elif fmt == "csv":
        data = _csv(report, lang)
    elif fmt == "xlsx":
        data = _xlsx(report, lang)
    else:
        raise ValueError(f"unknown format {fmt!r}: xlsx, csv or json")
    if output is not None:
        output.write_bytes(data)
    return data


def _csv(report: Report, lang: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(unit_headers(lang))
    for line in report.units:
        writer.writerow(
            [v.strftime("%d/%m/%Y") if isinstance(v, date) else v for v in unit_values(line, lang)]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel opens it as UTF-8


def _xlsx(report: Report, lang: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    units = workbook.active
    assert units is not None
    units.title = "Đơn vị" if lang == "vi" else "Units"
    _sheet(units, unit_headers(lang), [unit_values(line, lang) for line in report.units], Font)
    summary = workbook.create_sheet("Tổng hợp" if lang == "vi" else "Summary")
    header, rows = summary_rows(report, lang)
    _sheet(summary, header, rows, Font)
    workbook.properties.title = f"bontot {report.year} {report.under or ''}".strip()
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet(sheet: Any, header: Sequence[str], rows: Sequence[Sequence[Any]], font: Any) -> None:
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = font(bold=True)
    for row in rows:
        sheet.append(list(row))
    for column in sheet.iter_cols(min_row=2):
        for cell in column:
            if isinstance(cell.value, date):
                cell.number_format = "DD/MM/YYYY"
    sheet.freeze_panes = "A2"
