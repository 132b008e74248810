"""Writes the Word templates shipped in `adapters/documents/templates/` (decision.docx,
report.docx) from this code, so that a reviewer can read what a binary .docx holds:
`python -m adapters.documents.make_templates [FOLDER]`. A jurisdiction starts its own
from these files (or from this script) and keeps the tags it needs.

The layout is that of Hướng dẫn 36-HD/VPTW for party documents: A4, margins top and
bottom 20 mm, left 30 mm, right 15 mm; Times New Roman 14 pt (tables 12 pt); the issuing
body and the number top left, "ĐẢNG CỘNG SẢN VIỆT NAM" and the place and date top right;
the kind of document and its subject centred; the signature block bottom right and
"Nơi nhận" bottom left; page numbers at the top, centred, from the second page.

The tags are Jinja (docxtpl): `{{ name }}` in a run, `{%p ... %}` a paragraph that is only
a tag, `{%tr ... %}` a table row that is only a tag. What a template may use is what
`adapters/documents/word.py` puts in the context (`decision_context`, `report_context`):
  both:     party, parent_body, issuing_body, number, dated, kind, title, year, w (every
            word of the frame: w.recipients, w.none, w.no, w.unit, ...), signature
            (.on_behalf, .title, .name), recipients (list of text)
  decision: authority, basis, decides, articles (list), annex_title, annex_lines (list),
            annex (rows: no, unit, superior, rating, basis), recognised (a number)
  report:   stage_rows, stage_totals (rows: label, count), target_lines (list),
            committee_rows, committee_totals (rows: name, counted, recognized, share,
            target, gap), not_recognised, late (rows: no, unit, superior, reason)
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

FONT = "Times New Roman"
FOLDER = Path(__file__).parent / "templates"
#: the text block's width: A4's 210 mm less the 30 mm and 15 mm margins
BLOCK_MM = 165
LEFT, CENTRE, JUSTIFY = (WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.CENTER,
                         WD_ALIGN_PARAGRAPH.JUSTIFY)


def decision() -> DocumentObject:
    document = _base()
    _heading(document)
    _line(document, "{{ kind }}", CENTRE, bold=True, before=12)
    _line(document, "{{ title }}", CENTRE, bold=True)
    _line(document, "-----", CENTRE, size=13)
    _line(document, "{{ authority }}", CENTRE, bold=True, before=6)
    _line(document, "{{ basis }}", JUSTIFY, italic=True, indent=True, before=6)
    _line(document, "{{ decides }}", CENTRE, bold=True, before=6)
    _tag(document, "{%p for article in articles %}")
    article = _line(document, "{{ article.label }}", JUSTIFY, bold=True, indent=True, before=6)
    article.add_run(" {{ article.text }}").font.size = Pt(14)
    _tag(document, "{%p endfor %}")
    _signature(document)
    document.add_page_break()  # type: ignore[no-untyped-call]
    _line(document, "{{ w.annex }}", CENTRE, bold=True)
    _line(document, "{{ annex_title }}", CENTRE, bold=True)
    _tag(document, "{%p for line in annex_lines %}")
    _line(document, "{{ line }}", CENTRE, italic=True)
    _tag(document, "{%p endfor %}")
    _line(document, "", CENTRE, size=6)
    _list(document, ["{{ w.no }}", "{{ w.unit }}", "{{ w.superior }}", "{{ w.rating }}",
                     "{{ w.decision_basis }}"], [0.3, 0.9, 0.75, 0.65, 0.6],
          ["no", "unit", "superior", "rating", "basis"], "annex",
          [CENTRE, LEFT, LEFT, LEFT, LEFT])
    return document


def report() -> DocumentObject:
    document = _base()
    _heading(document)
    _line(document, "{{ kind }}", CENTRE, bold=True, before=12)
    _line(document, "{{ title }}", CENTRE, bold=True)
    _line(document, "-----", CENTRE, size=13)
    _line(document, "{{ w.figures }}", JUSTIFY, bold=True, before=6, keep=True)
    _line(document, "{{ w.by_stage }}", JUSTIFY, bold=True, before=6, keep=True)
    table = _table(document, ["{{ w.stage }}", "{{ w.count }}"], [1.0, 0.3])
    _loop_rows(table, "stage_rows", ["{{ row.label }}", "{{ row.count }}"], [LEFT, CENTRE])
    _loop_rows(table, "stage_totals", ["{{ row.label }}", "{{ row.count }}"],
               [LEFT, CENTRE], bold=True)
    _line(document, "{{ w.against_target }}", JUSTIFY, bold=True, before=6, keep=True)
    _tag(document, "{%p for line in target_lines %}")
    _line(document, "{{ line }}", JUSTIFY, indent=True, before=6)
    _tag(document, "{%p endfor %}")
    _tag(document, "{%p if committee_rows %}")
    cells = ["{{ row.name }}", "{{ row.counted }}", "{{ row.recognized }}", "{{ row.share }}",
             "{{ row.target }}", "{{ row.gap }}"]
    table = _table(document, ["{{ w.committee }}", "{{ w.counted }}", "{{ w.recognized }}",
                              "{{ w.share }}", "{{ w.target }}", "{{ w.gap_units }}"],
                   [0.68, 0.48, 0.4, 0.28, 0.28, 0.3])
    aligns = [LEFT, CENTRE, CENTRE, CENTRE, CENTRE, CENTRE]
    _loop_rows(table, "committee_rows", cells, aligns)
    _loop_rows(table, "committee_totals", cells, aligns, bold=True)
    _tag(document, "{%p endif %}")
    for heading, rows in (("{{ w.not_recognised }}", "not_recognised"),
                          ("{{ w.late }}", "late")):
        _line(document, heading, JUSTIFY, bold=True, before=12, keep=True)
        _tag(document, f"{{%p if {rows} %}}")
        _list(document, ["{{ w.no }}", "{{ w.unit }}", "{{ w.superior }}", "{{ w.reason }}"],
              [0.3, 0.85, 0.75, 1.1], ["no", "unit", "superior", "reason"], rows,
              [CENTRE, LEFT, LEFT, LEFT])
        _tag(document, "{%p else %}")
        _line(document, "{{ w.none }}", JUSTIFY, indent=True, before=6)
        _tag(document, "{%p endif %}")
    _signature(document)
    return document


# -- parts -------------------------------------------------------------------------------
def _base() -> DocumentObject:
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.header_distance = Mm(10)
    # the first page carries the heading block, not a number; the others are numbered
    section.different_first_page_header_footer = True
    number = section.header.paragraphs[0]
    number.alignment = CENTRE
    _page_field(number)
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(14)
    # East-Asian and complex-script runs too, else Word falls back for Vietnamese marks
    fonts = style.element.rPr.rFonts
    for attribute in ("w:eastAsia", "w:cs", "w:hAnsi"):
        fonts.set(qn(attribute), FONT)
    style.paragraph_format.space_after = Pt(0)
    style.paragraph_format.space_before = Pt(0)
    document.core_properties.author = "bontot"
    document.core_properties.title = "{{ kind }} {{ title }}"
    return document


def _page_field(paragraph: Paragraph) -> None:
    run = paragraph.add_run()
    run.font.size = Pt(13)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind is not None:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)


def _heading(document: DocumentObject) -> None:
    table = document.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = table.rows[0].cells
    _tag(left, "{%p if parent_body %}", first=True)
    _line(left, "{{ parent_body }}", CENTRE, size=13)
    _tag(left, "{%p endif %}")
    _line(left, "{{ issuing_body }}", CENTRE, bold=True, size=13)
    _line(left, "*", CENTRE, size=13)
    _line(left, "{{ number }}", CENTRE, size=13)
    _line(right, "{{ party }}", CENTRE, bold=True, underline=True, first=True)
    _line(right, "", CENTRE, size=6)
    _line(right, "{{ dated }}", CENTRE, italic=True)
    _widths(table, [0.45, 0.55])


def _signature(document: DocumentObject) -> None:
    _line(document, "", LEFT)
    table = document.add_table(rows=1, cols=2)
    left, right = table.rows[0].cells
    _line(left, "{{ w.recipients }}", LEFT, bold=True, italic=True, size=12, first=True)
    _tag(left, "{%p for recipient in recipients %}")
    _line(left, '- {{ recipient }}{{ "." if loop.last else "," }}', LEFT, size=11)
    _tag(left, "{%p endfor %}")
    _line(right, "{{ signature.on_behalf }}", CENTRE, bold=True, first=True)
    _line(right, "{{ signature.title }}", CENTRE, bold=True)
    for _ in range(4):  # room to sign and stamp
        _line(right, "", CENTRE)
    _line(right, "{{ signature.name }}", CENTRE, bold=True)
    _widths(table, [0.48, 0.52])
    # the signature block moves whole to the next page rather than leave the name alone
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def _line(container: Any, text: str, align: WD_ALIGN_PARAGRAPH,
          bold: bool = False, italic: bool = False, underline: bool = False, size: int = 14,
          before: int = 0, indent: bool = False, first: bool = False,
          keep: bool = False) -> Paragraph:
    """One paragraph holding one run, so that a tag is never split across runs. The
    container is the document or a table's cell (python-docx keeps its class private)."""
    paragraph: Paragraph = container.paragraphs[0] if first else container.add_paragraph()
    paragraph.alignment = align
    paragraph.paragraph_format.space_before = Pt(before)
    if indent:
        paragraph.paragraph_format.first_line_indent = Mm(12.7)
    if keep:  # a heading is never the last line of a page
        paragraph.paragraph_format.keep_with_next = True
    run = paragraph.add_run(text)
    run.bold, run.italic, run.underline = bold, italic, underline
    run.font.size = Pt(size)
    return paragraph


def _tag(container: Any, text: str, first: bool = False) -> None:
    """A paragraph that is only a control tag: docxtpl removes it when rendering."""
    _line(container, text, LEFT, first=first)


def _table(document: DocumentObject, header: Sequence[str], shares: Sequence[float]) -> Table:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        _line(cell, text, CENTRE, bold=True, size=12, first=True)
    _widths(table, shares)
    # the header row repeats on every page of a long list
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    table.rows[0]._tr.get_or_add_trPr().append(flag)
    return table  # type: ignore[no-any-return]


def _loop_rows(table: Table, rows: str, cells: Sequence[str],
               aligns: Sequence[WD_ALIGN_PARAGRAPH], bold: bool = False) -> None:
    """`{%tr for row in ROWS %}`, one row of cells, `{%tr endfor %}`."""
    add = table.add_row  # untyped in python-docx
    _tag(add().cells[0], f"{{%tr for row in {rows} %}}", first=True)  # type: ignore[no-untyped-call]
    row = add()  # type: ignore[no-untyped-call]
    for cell, text, align in zip(row.cells, cells, aligns, strict=True):
        _line(cell, text, align, bold=bold, size=12, first=True)
    # a unit's row stays on one page, never half on the next
    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    _tag(add().cells[0], "{%tr endfor %}", first=True)  # type: ignore[no-untyped-call]
    _widths(table, [c.width for c in table.columns], absolute=True)


def _list(document: DocumentObject, header: Sequence[str], shares: Sequence[float],
          fields: Sequence[str], rows: str, aligns: Sequence[WD_ALIGN_PARAGRAPH]) -> None:
    table = _table(document, header, shares)
    _loop_rows(table, rows, [f"{{{{ row.{name} }}}}" for name in fields], aligns)


def _widths(table: Table, shares: Sequence[float | int | None], absolute: bool = False) -> None:
    """Column widths as shares of the text block (or, `absolute`, as they are): Word reads
    the cells' widths, LibreOffice the grid's; both are set."""
    table.autofit = False
    if absolute:
        widths = [int(s or 0) for s in shares]
    else:
        total = sum(float(s or 0) for s in shares)
        widths = [int(Mm(BLOCK_MM * float(s or 0) / total)) for s in shares]
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width


TEMPLATES = {"decision.docx": decision, "report.docx": report}


def write(folder: Path = FOLDER) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in TEMPLATES.items():
        path = folder / name
        make().save(str(path))
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write(Path(sys.argv[1]) if len(sys.argv) > 1 else FOLDER):
        print(path)
