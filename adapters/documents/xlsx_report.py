"""The yearly report as a print-ready workbook (openpyxl, write-only so that 300,000 units
stream): a title block, headers that wrap, widths fitted to what the cells hold, a filter,
a frozen header, landscape A4 fitted to the page width with the header repeated and a
numbered footer. Units come in the tree's order, grouped under their superior with outline
levels; the summary has one row per committee and a total; late units have a sheet."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from adapters.documents import figures as f
from adapters.documents.cells import xlsx_cell
from adapters.documents.words import words
from workflow.service.reports import Report, UnitLine
from workflow.targets import GoalProgress

#: rows above the header: issuing body, title, scope and date, a blank line
TITLE_ROWS = 4
HEADER_ROW = TITLE_ROWS + 1
DATE_FORMAT = "DD/MM/YYYY"
PERCENT_FORMAT = "0.0%"
THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
GROUP_FILL = PatternFill("solid", fgColor="F2F2F2")


@dataclass(frozen=True)
class Column:
    header: str
    kind: str  # text, long, date, int, percent
    value: Callable[[Any], Any]
    #: the widest it may grow, in characters; longer text wraps
    cap: int = 30


def write_xlsx(report: Report, lang: str, today: date) -> bytes:
    workbook = Workbook(write_only=True)
    w = words(lang)
    _summary_sheet(workbook.create_sheet(w["summary_sheet"]), report, lang, today)
    _units_sheet(workbook.create_sheet(w["units_sheet"]), report, lang, today)
    _late_sheet(workbook.create_sheet(w["late_sheet"]), report, lang, today)
    goals = [(s, g) for s in report.superiors for gs in s.goals().values() for g in gs]
    if goals:  # a definition's goals (seed 004's two), each committee's gap in units
        _goals_sheet(workbook.create_sheet(w["goals_sheet"]), report, lang, today, goals)
    workbook.properties.title = f.fill(f.documents_spec(report).report_title.get(lang),
                                       report, lang)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# -- the sheets --------------------------------------------------------------------------
def unit_columns(report: Report, lang: str) -> list[Column]:
    """The unit sheet's columns; a row is (number, line). CSV uses the same."""
    w = words(lang)
    spec = f.documents_spec(report)
    main = f.main_spec(report)
    deadlines = [k for k in (main.deadlines if main else {})
                 if any(_met_on(report, line, k) for line in report.units)]
    several = len(report.definitions) > 1
    columns = [
        Column(w["no"], "int", lambda r: r[0]),
        Column(w["code"], "text", lambda r: r[1].unit_code, 14),
        Column(w["unit"], "text", lambda r: r[1].unit_name, 24),
        Column(w["kind"], "text", lambda r: spec.unit_kind(r[1].unit_kind, lang), 18),
        Column(w["org_type"], "text", lambda r: spec.org_type(r[1].org_type, lang), 18),
    ]
    if several:
        columns.append(Column(w["programme"], "text", lambda r: _title(report, r[1], lang), 20))
    columns.append(Column(w["stage"], "text",
                          lambda r: f.state_label(report, r[1].definition_id, r[1].state, lang),
                          22))
    for key in deadlines:
        columns.append(Column(w["date_of"].format(label=_lower(main.deadlines[key].label.get(
            lang), lang)) if main else key, "date", _date_of(report, key)))
    columns += [
        Column(w["rating"], "text", lambda r: spec.rating(r[1].rating, lang), 24),
        Column(w["verdict"], "text", lambda r: _verdict(r[1], lang), 12),
        Column(w["failing"], "long", lambda r: f.failing_text(r[1], lang), 34),
        Column(w["overdue"], "long", lambda r: "; ".join(
            f.deadline_label(report, r[1].definition_id, k, lang) for k in r[1].overdue), 18),
    ]
    return columns


def _units_sheet(ws: WriteOnlyWorksheet, report: Report, lang: str, today: date) -> None:
    columns = unit_columns(report, lang)
    names = f.unit_names(report)
    in_report = {u.unit_code for u in report.units}
    base = min((f.depth(u.unit_path) for u in report.units), default=1)

    def rows() -> Iterator[tuple[str | None, int, tuple[int, UnitLine] | None]]:
        """(caption, outline level, row): a caption before each committee's units; a
        grassroots committee's cells follow it, one outline level down."""
        current: str | None = None
        for n, line in enumerate(f.tree_order(report), start=1):
            if line.parent_code not in in_report and line.parent_code != current:
                current = line.parent_code
                yield names.get(current or "", current or ""), 0, None
            yield None, min(7, 1 + f.depth(line.unit_path) - base), (n, line)

    _setup(ws, report, lang, today, columns, landscape=True)
    widths = _widths(columns, (r for _, _, r in rows() if r is not None))
    _columns(ws, widths)
    _title_block(ws, report, lang, today, len(columns))
    _header(ws, columns, widths)
    row_index = HEADER_ROW
    for caption, level, row in rows():
        row_index += 1
        if row is None:
            cell = xlsx_cell(ws, caption)
            cell.font, cell.fill = Font(bold=True), GROUP_FILL
            ws.append([cell])
            continue
        ws.row_dimensions[row_index].outline_level = level
        ws.row_dimensions[row_index].height = _height(columns, widths, row)
        ws.append([_cell(ws, c, row) for c in columns])
    _filter(ws, columns, row_index)


def _summary_sheet(ws: WriteOnlyWorksheet, report: Report, lang: str, today: date) -> None:
    w = words(lang)
    summary = f.summary_rows(report)
    stages = [c for c in f.stage_columns(report)
              if any(r.states.get(c[1]) for r in summary if r.definition_id == c[0])]
    several = len(report.definitions) > 1
    columns = [Column(w["committee"], "text",
                      lambda r: w["total"] if r.is_total else "  " * r.level + r.name)]
    if several:
        columns.append(Column(w["programme"], "text", lambda r: report.definitions[
            r.definition_id].title.get(lang)))
    for definition_id, state in stages:
        columns.append(Column(f.state_label(report, definition_id, state, lang), "int",
                              _stage_count(definition_id, state)))
    columns += [
        Column(w["total_cycles"], "int", lambda r: r.total),
        Column(w["counted"], "int", lambda r: r.figures["counted"]),
        Column(w["recognized"], "int", lambda r: r.figures["recognized"]),
        Column(w["share"], "percent", lambda r: _share(r.figures["share"])),
        Column(w["target"], "percent", lambda r: _share(r.figures["target"])),
        Column(w["gap_units"], "int", lambda r: r.figures["gap_units"]),
        Column(w["late_units"], "int", lambda r: r.late_units),
    ]
    _setup(ws, report, lang, today, columns, landscape=True)
    summary_widths = _widths(columns, summary, minimum=9)
    _columns(ws, summary_widths)
    _title_block(ws, report, lang, today, len(columns))
    _header(ws, columns, summary_widths)
    row_index = HEADER_ROW
    for row in summary:
        row_index += 1
        cells = [_cell(ws, c, row) for c in columns]
        if row.is_total:
            for cell in cells:
                cell.font = Font(bold=True)
        else:
            ws.row_dimensions[row_index].outline_level = min(7, row.level)
        ws.append(cells)
    _filter(ws, columns, row_index)


def _late_sheet(ws: WriteOnlyWorksheet, report: Report, lang: str, today: date) -> None:
    w = words(lang)
    names = f.unit_names(report)
    late = [(n, line) for n, line in enumerate(
        (u for u in f.tree_order(report) if u.overdue), start=1)]
    columns = [
        Column(w["no"], "int", lambda r: r[0]),
        Column(w["code"], "text", lambda r: r[1].unit_code),
        Column(w["unit"], "text", lambda r: r[1].unit_name),
        Column(w["superior"], "text", lambda r: names.get(r[1].parent_code or "", "")),
        Column(w["stage"], "text",
               lambda r: f.state_label(report, r[1].definition_id, r[1].state, lang)),
        Column(w["overdue_deadlines"], "long", lambda r: "; ".join(
            f.deadline_label(report, r[1].definition_id, k, lang) for k in r[1].overdue)),
    ]
    _setup(ws, report, lang, today, columns, landscape=False)
    widths = _widths(columns, late)
    _columns(ws, widths)
    _title_block(ws, report, lang, today, len(columns))
    _header(ws, columns, widths)
    for i, row in enumerate(late, start=HEADER_ROW + 1):
        ws.row_dimensions[i].height = _height(columns, widths, row)
        ws.append([_cell(ws, c, row) for c in columns])
    if not late:  # a printed sheet with a bare header reads as a page lost
        cell = xlsx_cell(ws, w["no_late"])
        cell.font = Font(italic=True)
        ws.append([cell])
    _filter(ws, columns, HEADER_ROW + len(late))


def _goals_sheet(ws: WriteOnlyWorksheet, report: Report, lang: str, today: date,
                 goals: Sequence[tuple[Any, GoalProgress]]) -> None:
    w = words(lang)
    rows = [(n, summary, goal) for n, (summary, goal) in enumerate(goals, start=1)]
    columns = [
        Column(w["no"], "int", lambda r: r[0]),
        Column(w["code"], "text", lambda r: r[1].unit_code),
        Column(w["unit"], "text", lambda r: r[1].unit_name),
        Column(w["goal"], "long", lambda r: r[2].goal.label.get(lang)),
        Column(w["goal_required"], "text", lambda r: r[2].required_text()),
        Column(w["goal_meeting"], "int", lambda r: r[2].meeting),
        Column(w["goal_counted"], "int", lambda r: r[2].counted),
        Column(w["goal_met"], "text", lambda r: w["goal_yes"] if r[2].met else w["no_word"]),
        Column(w["gap_units"], "int", lambda r: r[2].gap_units),
    ]
    _setup(ws, report, lang, today, columns, landscape=True)
    widths = _widths(columns, rows)
    _columns(ws, widths)
    _title_block(ws, report, lang, today, len(columns))
    _header(ws, columns, widths)
    for i, row in enumerate(rows, start=HEADER_ROW + 1):
        ws.row_dimensions[i].height = _height(columns, widths, row)
        ws.append([_cell(ws, c, row) for c in columns])
    _filter(ws, columns, HEADER_ROW + len(rows))


# -- shared layout -----------------------------------------------------------------------
def _setup(ws: WriteOnlyWorksheet, report: Report, lang: str, today: date,
           columns: Sequence[Column], landscape: bool) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4 if hasattr(ws, "PAPERSIZE_A4") else 9
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.sheet_properties.outlinePr.summaryBelow = False
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = words(lang)["page"]
    ws.oddFooter.center.size = 9
    ws.freeze_panes = f"A{HEADER_ROW + 1}"


def _title_block(ws: WriteOnlyWorksheet, report: Report, lang: str, today: date,
                 width: int) -> None:
    w = words(lang)
    spec = f.documents_spec(report)
    body = f.issuing_body(report, lang).upper()
    title = f.fill(spec.report_title.get(lang), report, lang)
    names = f.unit_names(report)
    node = names.get(report.under, report.under) if report.under else w["everything"]
    for text, font in ((body, Font(bold=True, size=11)), (title, Font(bold=True, size=14)),
                       (f"{w['scope'].format(node=node)}    "
                        f"{w['made_on'].format(day=f.show_day(today))}", Font(italic=True))):
        cell = xlsx_cell(ws, text)
        cell.font = font
        ws.append([cell])
    ws.append([])


def _header(ws: WriteOnlyWorksheet, columns: Sequence[Column], widths: Sequence[float]) -> None:
    cells = []
    for column in columns:
        cell = xlsx_cell(ws, column.header)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.border = BOX
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cells.append(cell)
    # as tall as the header that wraps to most lines, so that none is cut when printed
    lines = max(_wrapped_lines(c.header, w) for c, w in zip(columns, widths, strict=True))
    ws.row_dimensions[HEADER_ROW].height = max(48.0, 13.0 * lines + 8)
    ws.append(cells)


def _wrapped_lines(text: str, width: float) -> int:
    """Lines `text` takes wrapped at word breaks in a column `width` characters wide, less
    room for the bold face and the cell's padding."""
    room = max(1, int(width) - 3)
    lines, used = 1, 0
    for word in text.split():
        if used and used + 1 + len(word) > room:
            lines, used = lines + 1, len(word)
        else:
            used += len(word) + (1 if used else 0)
    return lines


def _filter(ws: WriteOnlyWorksheet, columns: Sequence[Column], last_row: int) -> None:
    last = max(last_row, HEADER_ROW)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(columns))}{last}"


def _columns(ws: WriteOnlyWorksheet, widths: Sequence[float]) -> None:
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width


def _widths(columns: Sequence[Column], rows: Iterable[Any], minimum: int = 6) -> list[float]:
    """Each column as wide as its longest value (a date: 10 characters), capped so long
    text wraps; a header wraps too, but never breaks inside a word."""
    longest = [max([minimum, *(len(word) for word in c.header.split())]) for c in columns]
    for row in rows:
        for i, column in enumerate(columns):
            longest[i] = max(longest[i], _length(column, column.value(row)))
    return [min(n, c.cap) + 2 for n, c in zip(longest, columns, strict=True)]


def _height(columns: Sequence[Column], widths: Sequence[float], row: Any) -> float:
    """Points: a line per wrapped line of the tallest cell. Written out, because a row
    height left to the reader is not recomputed on opening by every spreadsheet."""
    lines = 1
    for column, width in zip(columns, widths, strict=True):
        if column.kind in ("text", "long"):
            value = column.value(row)
            if value:
                room = max(1, int(width - 2))
                lines = max(lines, sum(-(-len(part) // room) or 1
                                       for part in str(value).split("\n")))
    return 15.0 * lines


def _length(column: Column, value: Any) -> int:
    if value is None or value == "":
        return 0
    if column.kind == "date":
        return 10
    if column.kind == "percent":
        return 7
    return max(len(part) for part in str(value).split("\n"))


def _cell(ws: WriteOnlyWorksheet, column: Column, row: Any) -> WriteOnlyCell:
    cell = xlsx_cell(ws, column.value(row))
    cell.border = BOX
    if column.kind == "date":
        cell.number_format = DATE_FORMAT
        cell.alignment = Alignment(horizontal="center", vertical="top")
    elif column.kind == "percent":
        cell.number_format = PERCENT_FORMAT
        cell.alignment = Alignment(vertical="top")
    elif column.kind in ("text", "long"):
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    else:
        cell.alignment = Alignment(vertical="top")
    return cell


# -- values ------------------------------------------------------------------------------
def _met_on(report: Report, line: UnitLine, key: str) -> date | None:
    """The day a deadline was met: the first step into one of its `met_in` states (a
    rejection meets the appraisal deadline as an appraisal does)."""
    spec = report.definitions.get(line.definition_id)
    deadline = spec.deadlines.get(key) if spec else None
    if spec is None or deadline is None:
        return None
    into = {t.trigger for t in spec.transitions if t.dest in deadline.met_in}
    days = [at for event, at in line.dates.items() if event in into]
    return f.local_date(min(days)) if days else None


def _date_of(report: Report, key: str) -> Callable[[Any], date | None]:
    def value(row: tuple[int, UnitLine]) -> date | None:
        return _met_on(report, row[1], key)

    return value


def _lower(text: str, lang: str) -> str:
    return text[0].lower() + text[1:] if lang == "vi" and text else text


def _stage_count(definition_id: str, state: str) -> Callable[[Any], int | None]:
    def value(row: f.SummaryRow) -> int | None:
        return row.states.get(state) if row.definition_id == definition_id else None

    return value


def _share(share: float | None) -> float | None:
    return None if share is None else share / 100


def _verdict(line: UnitLine, lang: str) -> str:
    if line.verdict_passed is None:
        return ""
    w = words(lang)
    text = w["passes" if line.verdict_passed else "fails"]
    return f"{text} ({w['overruled']})" if line.overridden else text


def _title(report: Report, line: UnitLine, lang: str) -> str:
    spec = report.definitions.get(line.definition_id)
    return spec.title.get(lang) if spec else line.definition_id
