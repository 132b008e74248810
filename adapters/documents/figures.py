"""The report's figures shaped for paper: units in the tree's order, the summary rows a
secretariat reads (committees above grassroots level, then a total), labels from the
definitions, Vietnamese number and date formats. Every document builds on these, so the
Excel sheet, the Word documents and `status --json` show the same numbers."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from babel.numbers import format_decimal, format_percent

from workflow.service.reports import Report, SuperiorSummary, UnitLine
from workflow.spec.model import DefinitionSpec, DocumentsSpec
from workflow.targets import target_figures
from workflow.timefmt import LOCAL_TZ

LOCALES = {"vi": "vi_VN", "en": "en_GB"}


def local_date(at: datetime) -> date:
    return at.astimezone(LOCAL_TZ).date()


def show_day(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def percent(share: float | None, lang: str) -> str:
    """74.0 -> "74,0 %" in Vietnamese, "74.0%" in English."""
    if share is None:
        return ""
    return format_percent(share / 100, "#,##0.0 %", locale=LOCALES.get(lang, "vi_VN"))


def number(value: float, lang: str) -> str:
    return format_decimal(value, locale=LOCALES.get(lang, "vi_VN"))


def documents_spec(report: Report) -> DocumentsSpec:
    """The document settings of the report's main definition (the one with a target, else
    the first); the defaults when the report is empty."""
    specs = list(report.definitions.values())
    for spec in specs:
        if spec.targets is not None:
            return spec.documents
    return specs[0].documents if specs else DocumentsSpec()


def main_spec(report: Report) -> DefinitionSpec | None:
    specs = list(report.definitions.values())
    with_target = [s for s in specs if s.targets is not None]
    chosen = with_target or specs
    return chosen[0] if chosen else None


def path_key(path: str) -> list[tuple[int, str]]:
    """A materialised path's ids as numbers: "/1/2/" before "/1/121/", as the units were
    registered, where comparing the text would put 121 before 2."""
    return [(int(part), "") if part.isdigit() else (-1, part)
            for part in path.strip("/").split("/") if part]


def tree_order(report: Report) -> list[UnitLine]:
    """Units as the tree lists them: a committee's cells right under it."""
    return sorted(
        report.units, key=lambda line: (path_key(line.unit_path), line.definition_id)
    )


def recognised_units(report: Report) -> list[UnitLine]:
    """The units a committee's decision names: recognised, of the kinds its target counts
    (a subordinate cell is recognised by its own grassroots committee), in tree order. So
    the decision's number is the `recognized` of `status --json`."""
    spec = main_spec(report)
    kinds = set(spec.targets.over) if spec is not None and spec.targets is not None else None
    return [
        u for u in tree_order(report)
        if u.outcome == "recognized" and (kinds is None or u.unit_kind in kinds)
    ]


def depth(path: str) -> int:
    return path.strip("/").count("/") + 1 if path.strip("/") else 0


def unit_names(report: Report) -> dict[str, str]:
    names = {s.unit_code: s.unit_name for s in report.superiors}
    names.update({line.unit_code: line.unit_name for line in report.units})
    return names


@dataclass(frozen=True)
class SummaryRow:
    """One line of the summary: a committee (or the total) for one definition."""

    code: str
    name: str
    level: int
    definition_id: str
    states: dict[str, int]
    total: int
    figures: dict[str, Any]
    late_units: int
    is_total: bool = False


def summary_rows(report: Report) -> list[SummaryRow]:
    """Committees that take no part themselves (above grassroots level), in tree order,
    and a total: the subtree's root when it is one committee, else the sum. A grassroots
    committee is one of the units, not a superior to count."""
    units = {line.unit_code for line in report.units}
    committees = sorted(
        (s for s in report.superiors if s.unit_code not in units),
        key=lambda s: path_key(s.unit_path),
    )
    roots = [
        s for s in committees
        if not any(o is not s and s.unit_path.startswith(o.unit_path) for o in committees)
    ]
    rows: list[SummaryRow] = []
    single_root = roots[0] if len(roots) == 1 else None
    top = depth(single_root.unit_path) if single_root else 0
    for summary in committees:
        if summary is single_root:
            continue
        rows.extend(_rows_of(summary, max(0, depth(summary.unit_path) - top - 1), False))
    if single_root is not None:
        rows.extend(_rows_of(single_root, 0, True))
    elif roots:
        rows.extend(_sum_rows(roots))
    return rows


def _rows_of(summary: SuperiorSummary, level: int, is_total: bool) -> Iterator[SummaryRow]:
    for definition_id in sorted({d for d, _ in summary.states}):
        states = {s: n for (d, s), n in summary.states.items() if d == definition_id}
        yield SummaryRow(
            summary.unit_code, summary.unit_name, level, definition_id, states,
            sum(states.values()),
            target_figures(*summary.targets.get(definition_id, [0, 0, None])),
            summary.late_units, is_total,
        )


def _sum_rows(roots: Sequence[SuperiorSummary]) -> Iterator[SummaryRow]:
    for definition_id in sorted({d for r in roots for d, _ in r.states}):
        states: dict[str, int] = {}
        counted = recognized = 0
        target = None
        for root in roots:
            for (d, s), n in root.states.items():
                if d == definition_id:
                    states[s] = states.get(s, 0) + n
            c, r, t = root.targets.get(definition_id, [0, 0, None])
            counted, recognized, target = counted + c, recognized + r, target or t
        yield SummaryRow(
            "", "", 0, definition_id, states, sum(states.values()),
            target_figures(counted, recognized, target),
            sum(r.late_units for r in roots), True,
        )


def stage_columns(report: Report) -> list[tuple[str, str]]:
    """(definition, state) in each definition's own order, only those some unit is in."""
    present = {(line.definition_id, line.state) for line in report.units}
    columns = []
    for definition_id, spec in sorted(report.definitions.items()):
        columns += [(definition_id, s) for s in spec.states if (definition_id, s) in present]
    return columns


def state_label(report: Report, definition_id: str, state: str, lang: str) -> str:
    spec = report.definitions.get(definition_id)
    return spec.state_label(state, lang) if spec else state


def deadline_label(report: Report, definition_id: str, key: str, lang: str) -> str:
    spec = report.definitions.get(definition_id)
    deadline = spec.deadlines.get(key) if spec else None
    if deadline is not None:
        return deadline.label.get(lang)
    milestone = spec.milestones.get(key) if spec else None
    return milestone.label.get(lang) if milestone else key


#: a decimal point between digits ("94.5"), not a file name's dot ("q3.pdf")
_DECIMAL_POINT = re.compile(r"(?<=\d)\.(?=\d)")


def decimals(text: str, lang: str) -> str:
    """A verdict's figures as the language writes them: "94.5 %" is "94,5 %" in
    Vietnamese."""
    return _DECIMAL_POINT.sub(",", text) if lang != "en" else text


def failing_text(line: UnitLine, lang: str) -> str:
    """Every failing check of the verdict in one cell, one per line."""
    return "\n".join(
        f"{c['label'][lang]}: {decimals(str(c['actual']), lang)} "
        f"({decimals(str(c['required']), lang)})" for c in line.failing
    )


def issuing_body(report: Report, lang: str) -> str:
    spec = documents_spec(report)
    if spec.issuing_body is not None:
        return spec.issuing_body.get(lang)
    names = unit_names(report)
    return names.get(report.under or "", "") if report.under else ""


def fill(text: str, report: Report, lang: str, place: str = "") -> str:
    """A definition's text with {year}, {body} and {place} put in."""
    return text.replace("{year}", str(report.year)).replace(
        "{body}", issuing_body(report, lang)
    ).replace("{place}", place)
