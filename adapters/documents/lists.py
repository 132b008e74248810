"""Any list the command line shows, as a table to export: CSV as a Vietnamese Excel opens
it (UTF-8 with a BOM, `;` between fields, dd/mm/yyyy) or a print-ready sheet. Labels come
from the definitions, as on screen."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from adapters import i18n
from adapters.documents import figures as f
from adapters.documents.cells import csv_text, xlsx_cell
from adapters.i18n.said import no_recipient_text
from workflow.service.records import OutboxCounts, OverdueItem
from workflow.service.results import Board, History, Verdict
from workflow.spec.model import DefinitionSpec
from workflow.timefmt import LOCAL_TZ, from_db

LIST_WORDS = i18n.table("list")  # the catalogues' `list.*` messages
#: the steps the engine writes into a cycle's history itself (no definition labels them):
#: its opening, a reorganisation of the tree, a move to another definition version
ENGINE_EVENTS = ("open", "reorganise", "migrate")


@dataclass
class Table:
    header: list[str]
    rows: Iterable[Sequence[Any]]
    title: str = ""


def _words(lang: str) -> i18n.Words:
    return LIST_WORDS["en" if lang == "en" else "vi"]


def _text(value: Any) -> Any:
    if isinstance(value, datetime):
        return f.local_date(value).strftime("%d/%m/%Y") if value.tzinfo else value.strftime(
            "%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return "" if value is None else value


def csv_bytes(table: Table, delimiter: str = ";") -> bytes:
    """UTF-8 with a BOM (Excel then reads it as UTF-8) and `;`, the list separator of a
    Vietnamese Windows, so that Excel splits the columns on opening."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow([csv_text(h) for h in table.header])
    for row in table.rows:
        writer.writerow([csv_text(_text(v)) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(table: Table, sheet: str) -> bytes:
    """One sheet: a title, a bold wrapped header, widths fitted, filter, frozen header,
    landscape A4 fitted to width. Rows are kept to measure the widths: a list on screen
    is small."""
    rows = [[_cell_value(v) for v in row] for row in table.rows]
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(sheet[:31])
    widths = [max([6, *(len(w) for w in h.split())]) for h in table.header]
    for row in rows:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], 10 if isinstance(value, date) else len(str(value or "")))
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(width, 50) + 2.5
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "3:3"
    ws.oddFooter.center.text = "&P / &N"
    ws.freeze_panes = "A4"
    title = xlsx_cell(ws, table.title)
    title.font = Font(bold=True, size=13)
    ws.append([title])
    ws.append([])
    header = []
    for text in table.header:
        cell = xlsx_cell(ws, text)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        header.append(cell)
    ws.append(header)
    for row in rows:
        cells = []
        for value in row:
            cell = xlsx_cell(ws, value)
            if isinstance(value, datetime):
                cell.number_format = "DD/MM/YYYY HH:MM"
            elif isinstance(value, date):
                cell.number_format = "DD/MM/YYYY"
            elif isinstance(value, str):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            cells.append(cell)
        ws.append(cells)
    ws.auto_filter.ref = f"A3:{get_column_letter(len(table.header))}{3 + len(rows)}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell_value(value: Any) -> Any:
    # Excel holds no time zone: a local wall-clock time is what a reader expects
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(LOCAL_TZ).replace(tzinfo=None)
    return value


def write_table(table: Table, fmt: str, sheet: str, delimiter: str = ";") -> bytes:
    if fmt == "csv":
        return csv_bytes(table, delimiter)
    if fmt == "xlsx":
        return xlsx_bytes(table, sheet)
    raise ValueError(f"unknown format {fmt!r}: xlsx or csv")


# -- the lists ---------------------------------------------------------------------------
def board_table(board: Board, lang: str, title_of: Callable[[str], str]) -> Table:
    w = _words(lang)
    rows = [
        [title_of(r.definition_id), r.label_en if lang == "en" else r.label_vi, r.count]
        for r in board.rows
    ]
    title = f"{w['board']} {board.year}" + (f" — {board.under}" if board.under else "")
    return Table([w["definition"], w["stage"], w["count"]], rows, title)


def overdue_table(
    items: Sequence[OverdueItem], at: datetime, lang: str,
    spec: Callable[[str, int], DefinitionSpec],
) -> Table:
    w = _words(lang)
    rows = []
    for item in items:
        definition = spec(item.definition_id, item.definition_version)
        found = definition.deadlines.get(item.deadline) or definition.milestones.get(
            item.deadline)
        label = found.label.get(lang) if found is not None else item.deadline
        rows.append([
            item.unit_code, item.unit_name, item.parent_code or "", label,
            f.local_date(item.due_at), (at - item.due_at).days,
            definition.state_label(item.state, lang) if item.state else "",
            w["yes"] if item.milestone else "",
        ])
    header = [w["code"], w["unit"], w["superior"], w["deadline"], w["due"], w["days_late"],
              w["stage"], w["milestone"]]
    return Table(header, rows, w["overdue"])


def history_table(history: History, lang: str) -> Table:
    w = _words(lang)
    spec = history.definition.spec
    labels = {t.trigger: t.label.get(lang) for t in spec.transitions if t.label is not None}
    roles = {k: r.label.get(lang) for k, r in spec.roles.items()}
    rows = [
        [
            e.seq, labels.get(e.event, w.get(e.event, e.event)),
            spec.state_label(e.from_state, lang) if e.from_state else "",
            spec.state_label(e.to_state, lang), e.actor, roles.get(e.role, e.role), e.at,
        ]
        for e in history.entries
    ]
    header = [w["seq"], w["event"], w["from"], w["to"], w["actor"], w["role"], w["at"]]
    return Table(header, rows, f"{w['history']} {history.cycle.unit_code} "
                               f"{history.cycle.year}")


def verdict_table(verdict: Verdict, lang: str) -> Table:
    """Every check of the recognition rule, actual against required."""
    w = _words(lang)
    rows = [
        [
            c.label(lang), c.actual_in(lang), c.required_in(lang),
            w["passes"] if c.passed else w["fails"],
        ]
        for c in verdict.checks
    ]
    cycle = verdict.cycle
    outcome = "" if verdict.rule is None else w["passes"] if verdict.passed else w["fails"]
    title = f"{w['verdict']} {cycle.unit_code} {cycle.year}: {outcome}".rstrip(": ")
    return Table([w["check"], w["actual"], w["required"], w["result"]], rows, title)


def _same(name: str) -> str:
    return name


def _refusal_word(lang: str, code: str) -> str:
    """A refusal's code in a word or two (its full reason is in the detail column)."""
    said = i18n.text(lang, f"refusal_word.{code}")
    return code if said == f"refusal_word.{code}" else said


def audit_log_table(
    rows: Sequence[dict[str, Any]], lang: str, event_label: Callable[[str], str],
    state_label: Callable[[str], str] = _same, role_label: Callable[[str], str] = _same,
) -> Table:
    """The audit log as `audit log` lists it: applied events and recorded facts, with the
    definitions' labels of events, stages and roles (the caller's lookups)."""
    w = _words(lang)

    def event(name: str | None) -> str:
        return "" if not name else w[name] if name in ENGINE_EVENTS else event_label(name)

    body = [
        [
            from_db(row["at"]), w.get(row["kind"], row["kind"]), row["unit"] or "",
            event(row["event"]), state_label(row["from"]) if row["from"] else "",
            state_label(row["to"]) if row["to"] else "", row["actor"],
            role_label(row["role"]) if row["role"] else "",
            # an added actor's record keeps the role it was given as its code
            role_label(row["code"]) if row["kind"] == "actor_added" and row["code"]
            else _refusal_word(lang, row["code"]) if row["kind"] == "refusal" and row["code"]
            else row["code"] or "",
            event(row["late_for"]),
            "" if row["kind"] == "transition" else _detail(row["detail"]),
        ]
        for row in rows
    ]
    header = [
        w["at"], w["kind"], w["code"], w["event"], w["from"], w["to"], w["actor"], w["role"],
        w["reason"], w["late_for"], w["detail"],
    ]
    return Table(header, body, w["log"])


def _detail(detail: Any) -> str:
    """A fact's detail as a reader wants it: its message when it has one."""
    if isinstance(detail, dict):
        if isinstance(detail.get("message"), str):
            return str(detail["message"])
        return json.dumps(detail, ensure_ascii=False, sort_keys=True)
    return "" if detail is None else str(detail)


def outbox_table(counts: OutboxCounts, lang: str, specs: Iterable[DefinitionSpec]) -> Table:
    """The outbox's figures, then every parked message with its last error (one nobody
    could receive said in words, its role by the definitions' label)."""
    w = _words(lang)
    rows: list[list[Any]] = [
        [w["pending"], counts.pending, "", "", ""],
        [w["sent"], counts.sent, "", "", ""],
        [w["parked"], counts.parked, "", "", ""],
    ]
    labels = list(specs)
    for key, channel, address, error in counts.parked_items:
        if key in counts.unaddressed:
            channel, (role, units) = "", counts.unaddressed[key]
            error = no_recipient_text(role, units, labels, lang)
        rows.append([w["parked"], key, channel, address, error])
    header = [w["state"], w["key"], w["channel"], w["address"], w["error"]]
    return Table(header, rows, w["outbox"])
