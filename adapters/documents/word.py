"""The documents a standing committee signs, as Word files (python-docx), laid out as
Hướng dẫn 36-HD/VPTW has party documents: the issuing body and number top left, "ĐẢNG
CỘNG SẢN VIỆT NAM" and the place and date top right, the kind of document and its
subject centred, Times New Roman 14 pt on A4 (margins 20-25 mm left 30-35 mm), the
signature block bottom right and "Nơi nhận" bottom left.

What the document says (issuing body, titles, number, signature, recipients) comes from
the definition's `documents` settings; a jurisdiction can also give a folder holding
`decision.docx` / `report.docx` whose styles and page set-up the document starts from."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table

from adapters.documents import figures as f
from adapters.documents.words import words
from workflow.service.reports import Report, UnitLine

FONT = "Times New Roman"

DOC_WORDS = {
    "vi": {
        "party": "ĐẢNG CỘNG SẢN VIỆT NAM",
        "dated": "{place}, ngày {d} tháng {m} năm {y}",
        "decision": "QUYẾT ĐỊNH",
        "report": "BÁO CÁO",
        "annex": "DANH SÁCH",
        "annex_sub": "chi bộ, đảng bộ cơ sở được công nhận “bốn tốt” năm {year}\n"
                     "(Kèm theo Quyết định {number})",
        "article1": "Điều 1. Công nhận {n} tổ chức cơ sở đảng (chi bộ cơ sở, đảng bộ cơ sở) "
                    "đạt “bốn tốt” năm {year} (có danh sách kèm theo).",
        "article2": "Điều 2. Quyết định có hiệu lực kể từ ngày ký.",
        "article3": "Điều 3. Văn phòng, Ban Tổ chức và các chi bộ, đảng bộ cơ sở có tên "
                    "tại Điều 1 chịu trách nhiệm thi hành Quyết định này.",
        "basis": "Căn cứ Điều lệ Đảng; căn cứ kết quả thẩm định của Ban Tổ chức; xét đề "
                 "nghị của các chi bộ, đảng bộ cơ sở,",
        "decides": "QUYẾT ĐỊNH",
        "recipients": "Nơi nhận:",
        "figures": "I. KẾT QUẢ THỰC HIỆN",
        "by_stage": "1. Số đơn vị theo giai đoạn",
        "against_target": "2. Kết quả so với chỉ tiêu",
        "not_recognised": "II. CÁC ĐƠN VỊ KHÔNG ĐƯỢC CÔNG NHẬN",
        "late": "III. CÁC ĐƠN VỊ QUÁ HẠN",
        "none": "Không có.",
        "target_line": "Số tổ chức cơ sở đảng: {counted}; được công nhận: {recognized}, "
                       "đạt {share} (chỉ tiêu {target}); {gap}.",
        "gap": "còn thiếu {n} đơn vị so với chỉ tiêu",
        "no_gap": "đạt chỉ tiêu",
        "count": "Số đơn vị",
        "total": "Tổng cộng",
        "not_recognised_reason": "Không đạt tiêu chuẩn",
        "lapsed_reason": "Không hoàn thành quy trình",
        "recognised_by": "Thẩm định {day}",
    },
    "en": {
        "party": "COMMUNIST PARTY OF VIETNAM",
        "dated": "{place}, {d}/{m}/{y}",
        "decision": "DECISION",
        "report": "REPORT",
        "annex": "LIST",
        "annex_sub": "of the party cells and grassroots committees recognised “four-good” "
                     "in {year}\n(Annex to Decision {number})",
        "article1": "Article 1. {n} grassroots party organisations (cells and committees) "
                    "are recognised “four-good” for {year} (list annexed).",
        "article2": "Article 2. This decision takes effect on signature.",
        "article3": "Article 3. The office, the organisation board and the units named in "
                    "Article 1 carry out this decision.",
        "basis": "Under the Party Statute; having seen the organisation board's appraisal "
                 "and the units' proposals,",
        "decides": "DECIDES",
        "recipients": "To:",
        "figures": "I. RESULTS",
        "by_stage": "1. Units by stage",
        "against_target": "2. Against the target",
        "not_recognised": "II. UNITS NOT RECOGNISED",
        "late": "III. LATE UNITS",
        "none": "None.",
        "target_line": "Grassroots organisations: {counted}; recognised: {recognized}, "
                       "{share} (target {target}); {gap}.",
        "gap": "{n} units short of the target",
        "no_gap": "target met",
        "count": "Units",
        "total": "Total",
        "not_recognised_reason": "Does not meet the standard",
        "lapsed_reason": "Did not complete the cycle",
        "recognised_by": "Appraised on {day}",
    },
}


def _w(lang: str) -> dict[str, str]:
    return DOC_WORDS["en" if lang == "en" else "vi"]


def decision_docx(report: Report, lang: str, today: date, templates: Path | None = None) -> bytes:
    """The draft decision recognising the units, with the annexed list."""
    w, spec = _w(lang), f.documents_spec(report)
    document = _start(templates, "decision.docx")
    recognised = f.recognised_units(report)
    _heading_block(document, report, lang, today, spec.decision_number)
    _centre(document, w["decision"], bold=True, size=14, before=12)
    _centre(document, f.fill(spec.decision_title.get(lang), report, lang), bold=True)
    _centre(document, "-----", size=13)
    body = f.issuing_body(report, lang).upper()
    _centre(document, spec.authority.get(lang).replace("{body}", body).strip(), bold=True,
            before=6)
    _para(document, w["basis"], italic=True, indent=True)
    _centre(document, w["decides"], bold=True, before=6)
    for key in ("article1", "article2", "article3"):
        _para(document, w[key].format(n=len(recognised), year=report.year), indent=True)
    _signature(document, report, lang, [r.get(lang) for r in spec.recipients])
    document.add_page_break()  # type: ignore[no-untyped-call]
    _centre(document, w["annex"], bold=True)
    for line in w["annex_sub"].format(year=report.year, number=spec.decision_number
                                      .replace("Số", "").strip()).split("\n"):
        _centre(document, line, italic=line.startswith("("))
    _annex(document, report, lang, recognised)
    return _save(document)


def report_docx(report: Report, lang: str, today: date, templates: Path | None = None) -> bytes:
    """The report to the superior's standing committee: figures by stage, the share
    against the target, the units not recognised with the reason, the late units."""
    w, spec = _w(lang), f.documents_spec(report)
    document = _start(templates, "report.docx")
    _heading_block(document, report, lang, today, spec.report_number)
    _centre(document, w["report"], bold=True, size=14, before=12)
    _centre(document, f.fill(spec.report_subject.get(lang), report, lang), bold=True)
    _centre(document, "-----", size=13)
    rows = f.summary_rows(report)
    total = [r for r in rows if r.is_total]
    _para(document, w["figures"], bold=True)
    _para(document, w["by_stage"], bold=True)
    stages = f.stage_columns(report)
    table = _table(document, [words(lang)["stage"], w["count"]], [1.0, 0.3])
    for total_row in total:
        for definition_id, state in stages:
            if definition_id == total_row.definition_id and total_row.states.get(state):
                _row(table, [f.state_label(report, definition_id, state, lang),
                             f.number(total_row.states[state], lang)])
        _row(table, [w["total"], f.number(total_row.total, lang)], bold=True)
    _para(document, w["against_target"], bold=True)
    for total_row in total:
        figures = total_row.figures
        gap = (w["gap"].format(n=figures["gap_units"]) if figures["gap_units"]
               else w["no_gap"])
        _para(document, w["target_line"].format(
            counted=f.number(figures["counted"], lang),
            recognized=f.number(figures["recognized"], lang),
            share=f.percent(figures["share"], lang) or "—",
            target=f.percent(figures["target"], lang) or "—", gap=gap), indent=True)
    committees = [r for r in rows if not r.is_total]
    if committees:
        ww = words(lang)
        table = _table(document, [ww["committee"], ww["counted"], ww["recognized"],
                                  ww["share"], ww["target"], ww["gap_units"]],
                       [0.9, 0.35, 0.35, 0.3, 0.3, 0.3])
        for r in [*committees, *total]:
            _row(table, [ww["total"] if r.is_total else r.name,
                         f.number(r.figures["counted"], lang),
                         f.number(r.figures["recognized"], lang),
                         f.percent(r.figures["share"], lang),
                         f.percent(r.figures["target"], lang),
                         f.number(r.figures["gap_units"], lang)], bold=r.is_total)
    _units_section(document, report, lang, w["not_recognised"],
                   [u for u in f.tree_order(report) if u.outcome == "not_recognized"],
                   lambda u: _reason(u, lang))
    _units_section(document, report, lang, w["late"],
                   [u for u in f.tree_order(report) if u.overdue],
                   lambda u: "; ".join(f.deadline_label(report, u.definition_id, k, lang)
                                       for k in u.overdue))
    _signature(document, report, lang, [r.get(lang) for r in spec.recipients[:1]] +
               [spec.recipients[-1].get(lang)] if spec.recipients else [])
    return _save(document)


# -- parts -------------------------------------------------------------------------------
def _start(templates: Path | None, name: str) -> DocumentObject:
    """A jurisdiction's own file if it has one (its styles, margins, header), else A4 with
    the margins of Hướng dẫn 36: top and bottom 20 mm, left 30 mm, right 15 mm."""
    if templates is not None and (templates / name).is_file():
        document = Document(str(templates / name))
    else:
        document = Document()
        section = document.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin = section.bottom_margin = Mm(20)
        section.left_margin, section.right_margin = Mm(30), Mm(15)
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(14)
    # East-Asian and complex-script runs too, else Word falls back for Vietnamese marks
    fonts = style.element.rPr.rFonts
    for attribute in ("w:eastAsia", "w:cs", "w:hAnsi"):
        fonts.set(qn(attribute), FONT)
    style.paragraph_format.space_after = Pt(3)
    return document


def _heading_block(document: DocumentObject, report: Report, lang: str, today: date,
                   number: str) -> None:
    w, spec = _w(lang), f.documents_spec(report)
    table = document.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = table.rows[0].cells
    lines = []
    if spec.parent_body is not None:
        lines.append((spec.parent_body.get(lang).upper(), False))
    lines.append((f.issuing_body(report, lang).upper(), True))
    _cell_lines(left, [*lines, ("*", False), (number, False)], size=13)
    place = spec.place or "……"
    dated = w["dated"].format(place=place, d=f"{today.day:02d}", m=f"{today.month:02d}",
                              y=today.year)
    _cell_lines(right, [(w["party"], True)], size=14, underline=True)
    paragraph = right.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(dated)
    run.italic, run.font.size = True, Pt(14)
    _widths(table, [Mm(75), Mm(90)])


def _cell_lines(cell: object, lines: Sequence[tuple[str, bool]], size: int,
                underline: bool = False) -> None:
    first = True
    for text, bold in lines:
        paragraph = cell.paragraphs[0] if first else cell.add_paragraph()  # type: ignore[attr-defined]
        first = False
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.space_after = Pt(0)
        run = paragraph.add_run(text)
        run.bold, run.font.size, run.underline = bold, Pt(size), underline and bold


def _centre(document: DocumentObject, text: str, bold: bool = False, italic: bool = False,
            size: int = 14, before: int = 0) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_before = Pt(before)
    paragraph.paragraph_format.space_after = Pt(0)
    run = paragraph.add_run(text)
    run.bold, run.italic, run.font.size = bold, italic, Pt(size)


def _para(document: DocumentObject, text: str, bold: bool = False, italic: bool = False,
          indent: bool = False) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    if indent:
        paragraph.paragraph_format.first_line_indent = Mm(12.7)
    paragraph.paragraph_format.space_before = Pt(6)
    run = paragraph.add_run(text)
    run.bold, run.italic = bold, italic


def _signature(document: DocumentObject, report: Report, lang: str,
               recipients: Sequence[str] | None) -> None:
    spec = f.documents_spec(report)
    w = _w(lang)
    table = document.add_table(rows=1, cols=2)
    left, right = table.rows[0].cells
    paragraph = left.paragraphs[0]
    run = paragraph.add_run(w["recipients"])
    run.bold, run.italic, run.font.size = True, True, Pt(12)
    for text in recipients or []:
        p = left.add_paragraph()
        p.paragraph_format.space_after = Pt(0)
        r = p.add_run(f"- {text},")
        r.font.size = Pt(11)
    lines = [(spec.signature.on_behalf.get(lang), True), (spec.signature.title.get(lang), True),
             ("", False), ("", False), ("", False),
             (spec.signature.name or "……………………", True)]
    _cell_lines(right, lines, size=14)
    _widths(table, [Mm(80), Mm(85)])
    document.paragraphs[-1].paragraph_format.space_after = Pt(0)


def _table(document: DocumentObject, header: Sequence[str], shares: Sequence[float]) -> Table:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        run = cell.paragraphs[0].add_run(text)
        run.bold, run.font.size = True, Pt(12)
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    total = sum(shares)
    _widths(table, [Mm(165 * s / total) for s in shares])
    # the header row repeats on every page of a long list
    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    header_flag = tr_pr.makeelement(qn("w:tblHeader"), {qn("w:val"): "true"})
    tr_pr.append(header_flag)
    return table  # type: ignore[no-any-return]


def _row(table: Table, values: Sequence[str], bold: bool = False) -> None:
    cells = table.add_row().cells  # type: ignore[no-untyped-call]
    for cell, text in zip(cells, values, strict=True):
        paragraph = cell.paragraphs[0]
        paragraph.paragraph_format.space_after = Pt(0)
        # numbers and the row number centred, names and reasons left as written
        if _numeric(text):
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(text)
        run.bold, run.font.size = bold, Pt(12)


def _numeric(text: str) -> bool:
    return bool(text) and all(c.isdigit() or c in ",. %\u00a0" for c in text)


def _widths(table: Table, widths: Sequence[object]) -> None:
    table.autofit = False
    # LibreOffice reads the grid's column widths, Word the cells': set both
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width


def _annex(document: DocumentObject, report: Report, lang: str,
           recognised: Sequence[UnitLine]) -> None:
    ww = words(lang)
    spec = f.documents_spec(report)
    names = f.unit_names(report)
    table = _table(document, [ww["no"], ww["unit"], ww["superior"], ww["rating"],
                              ww["decision_basis"]], [0.22, 0.9, 0.75, 0.6, 0.6])
    for n, line in enumerate(recognised, start=1):
        appraised = line.dates.get("appraise")
        basis = _w(lang)["recognised_by"].format(
            day=f.show_day(f.local_date(appraised))) if appraised else ""
        _row(table, [str(n), line.unit_name, names.get(line.parent_code or "", ""),
                     spec.rating(line.rating, lang), basis])


def _units_section(document: DocumentObject, report: Report, lang: str, heading: str,
                   units: Sequence[UnitLine], why: object) -> None:
    ww = words(lang)
    names = f.unit_names(report)
    _para(document, heading, bold=True)
    if not units:
        _para(document, _w(lang)["none"], indent=True)
        return
    table = _table(document, [ww["no"], ww["unit"], ww["superior"], ww["reason"]],
                   [0.22, 0.85, 0.75, 1.1])
    for n, line in enumerate(units, start=1):
        _row(table, [str(n), line.unit_name, names.get(line.parent_code or "", ""),
                     why(line)])  # type: ignore[operator]


def _reason(line: UnitLine, lang: str) -> str:
    w = _w(lang)
    if line.failing:
        return f.failing_text(line, lang).replace("\n", "; ")
    if line.verdict_passed is None:
        return w["lapsed_reason"]
    return w["not_recognised_reason"]


def _save(document: DocumentObject) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
