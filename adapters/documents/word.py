"""The documents a standing committee signs, as Word files rendered from templates
(docxtpl: Jinja in a .docx). The templates shipped in `templates/` are made by
`make_templates.py` (which says which names a template may use) and laid out as
Hướng dẫn 36-HD/VPTW has party documents. A jurisdiction's folder (`--templates DIR`,
`BONTOT_TEMPLATES`) holding its own `decision.docx` / `report.docx` replaces them.

What the document says (issuing body, titles, number, signature, recipients) comes from
the definition's `documents` settings and the report's figures, the same as
`status --json`; this module only shapes them into the template's context."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from docx.opc.exceptions import PackageNotFoundError
from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment
from lxml.etree import XMLSyntaxError

from adapters import i18n
from adapters.documents import figures as f
from adapters.documents.cells import printable
from adapters.documents.words import words
from workflow.service.reports import Report, UnitLine
from workflow.targets import GoalProgress

DOC_WORDS = i18n.table("word")  # the catalogues' `word.*` messages


def _w(lang: str) -> i18n.Words:
    return DOC_WORDS["en" if lang == "en" else "vi"]


#: the jurisdiction's own templates folder, for the command line and the web alike
TEMPLATES_ENV = "BONTOT_TEMPLATES"
#: what went wrong with a template, in the user's words
FAULTS = i18n.table("template")  # the catalogues' `template.*` messages


class TemplateFault(Exception):
    """A Word template that cannot be used: not a Word file, a Jinja syntax error, a name
    the context does not have. `path` names the file; `near` is the template's text
    around the fault, when docxtpl could tell it."""

    def __init__(self, path: str, kind: str, detail: str, near: str = "") -> None:
        super().__init__(f"{path}: {detail}")
        self.path, self.kind, self.detail, self.near = path, kind, detail, near


def fault_text(fault: TemplateFault, lang: str) -> str:
    words = FAULTS["en" if lang == "en" else "vi"]
    near = f" ({words['near']}: “{fault.near}”)" if fault.near else ""
    return f"{words['intro']} {fault.path}: {words[fault.kind]}: {fault.detail}{near}"


def decision_docx(report: Report, lang: str, today: date, templates: Path | None = None) -> bytes:
    """The draft decision recognising the units, with the annexed list."""
    return _render(templates, "decision.docx", decision_context(report, lang, today))


def report_docx(report: Report, lang: str, today: date, templates: Path | None = None) -> bytes:
    """The report to the superior's standing committee: figures by stage, the share
    against the target, the units not recognised with the reason, the late units."""
    return _render(templates, "report.docx", report_context(report, lang, today))


def template_path(templates: Path | None, name: str) -> str:
    """Where `name` is read from: the jurisdiction's folder when it holds the file, else
    the package (what an error message names)."""
    if templates is not None and (templates / name).is_file():
        return str(templates / name)
    return f"bontot:adapters/documents/templates/{name}"


# -- the contexts --------------------------------------------------------------------------
def decision_context(report: Report, lang: str, today: date) -> dict[str, Any]:
    w, spec = _w(lang), f.documents_spec(report)
    recognised = f.recognised_units(report)
    body = f.issuing_body(report, lang).upper()
    # "Số   -QĐ/ĐU" is "(Kèm theo Quyết định số   -QĐ/ĐU)" in the annex
    number = spec.decision_number.replace("Số", "số" if lang != "en" else "No.", 1).strip()
    annex_title, *annex_lines = w["annex_sub"].format(year=report.year,
                                                      number=number).split("\n")
    names = f.unit_names(report)
    annex = []
    for n, line in enumerate(recognised, start=1):
        appraised = line.dates.get("appraise")
        basis = w["recognised_by"].format(
            day=f.show_day(f.local_date(appraised))) if appraised else ""
        annex.append({"no": str(n), "unit": line.unit_name,
                      "superior": names.get(line.parent_code or "", ""),
                      "rating": spec.rating(line.rating, lang), "basis": basis})
    return {
        **_common(report, lang, today, spec.decision_number, w["decision"],
                  f.fill(spec.decision_title.get(lang), report, lang),
                  [r.get(lang) for r in spec.recipients]),
        "authority": spec.authority.get(lang).replace("{body}", body).strip(),
        "basis": w["basis"],
        "decides": w["decides"],
        "articles": [_article(w[k].format(n=len(recognised), year=report.year))
                     for k in ("article1", "article2", "article3")],
        "annex_title": annex_title,
        "annex_lines": annex_lines,
        "annex": annex,
        "recognised": len(recognised),
    }


def report_context(report: Report, lang: str, today: date) -> dict[str, Any]:
    w, spec = _w(lang), f.documents_spec(report)
    rows = f.summary_rows(report)
    totals = [r for r in rows if r.is_total]
    several = len(totals) > 1
    stage_rows, stage_totals, target_lines = [], [], []
    for total in totals:
        title = _definition_title(report, total.definition_id, lang)
        for definition_id, state in f.stage_columns(report):
            if definition_id == total.definition_id and total.states.get(state):
                label = f.state_label(report, definition_id, state, lang)
                stage_rows.append({"label": f"{label} ({title})" if several else label,
                                   "count": f.number(total.states[state], lang)})
        stage_totals.append({"label": f"{w['total']} ({title})" if several else w["total"],
                             "count": f.number(total.total, lang)})
        figures = total.figures
        gap = (w["gap"].format(n=figures["gap_units"]) if figures["gap_units"]
               else w["no_gap"])
        summary = next((s for s in report.superiors if s.unit_code == total.code), None)
        goals = summary.goals().get(total.definition_id, []) if summary else []
        said = dict(counted=f.number(figures["counted"], lang),
                    recognized=f.number(figures["recognized"], lang),
                    share=f.percent(figures["share"], lang) or "—")
        # a definition whose targets are its goals: the figures, then each goal's gap
        line = (w["count_line"].format(**said) if figures["target"] is None and goals
                else w["target_line"].format(
                    **said, target=f.percent(figures["target"], lang) or "—", gap=gap))
        target_lines.append(f"{title}: {line}" if several else line)
        target_lines += [_goal_line(goal, lang) for goal in goals]
    in_tree = f.tree_order(report)
    recipients = ([r.get(lang) for r in spec.recipients[:1]] +
                  [spec.recipients[-1].get(lang)] if spec.recipients else [])
    return {
        **_common(report, lang, today, spec.report_number, w["report"],
                  f.fill(spec.report_subject.get(lang), report, lang), recipients),
        "stage_rows": stage_rows,
        "stage_totals": stage_totals,
        "target_lines": target_lines,
        "committee_rows": [_committee(r, lang) for r in rows if not r.is_total],
        "committee_totals": [_committee(r, lang) for r in totals],
        "not_recognised": _unit_rows(report, [u for u in in_tree
                                              if u.outcome == "not_recognized"],
                                     lambda u: _reason(u, lang)),
        "late": _unit_rows(report, [u for u in in_tree if u.overdue],
                           lambda u: "; ".join(f.deadline_label(report, u.definition_id, k,
                                                                lang) for k in u.overdue)),
    }


def _goal_line(goal: GoalProgress, lang: str) -> str:
    """One goal of the year in the definition's words, with its gap in units."""
    w = _w(lang)
    share = goal.as_dict()["share"]
    return w["goal_line"].format(
        label=goal.goal.label.get(lang), meeting=f.number(goal.meeting, lang),
        counted=f.number(goal.counted, lang),
        share="—" if share is None else f.percent(share, lang),
        required=goal.required_text(),
        status=w["goal_met"] if goal.met else w["goal_gap"].format(n=goal.gap_units))


def _common(report: Report, lang: str, today: date, number: str, kind: str, title: str,
            recipients: Sequence[str]) -> dict[str, Any]:
    w, spec = _w(lang), f.documents_spec(report)
    dated = w["dated"].format(place=spec.place or "……", d=f"{today.day:02d}",
                              m=f"{today.month:02d}", y=today.year)
    return {
        "party": w["party"],
        "parent_body": spec.parent_body.get(lang).upper() if spec.parent_body else "",
        "issuing_body": f.issuing_body(report, lang).upper(),
        # the symbol is the definition's ("Số   -QĐ/ĐU"); only its first word is translated
        "number": f"No.{number[2:]}" if lang == "en" and number.startswith("Số") else number,
        "dated": dated,
        "kind": kind,
        "title": title,
        "year": report.year,
        "w": {**words(lang), **w},
        "signature": {"on_behalf": spec.signature.on_behalf.get(lang),
                      "title": spec.signature.title.get(lang),
                      "name": spec.signature.name or "……………………"},
        "recipients": list(recipients),
    }


def _article(text: str) -> dict[str, str]:
    """"Điều 1. Công nhận …" as its label ("Điều 1.", printed bold) and its text."""
    label, _, rest = text.partition(". ")
    return {"label": f"{label}.", "text": rest}


def _definition_title(report: Report, definition_id: str, lang: str) -> str:
    spec = report.definitions.get(definition_id)
    return spec.title.get(lang) if spec else definition_id


def _committee(row: f.SummaryRow, lang: str) -> dict[str, str]:
    return {"name": _w(lang)["total"] if row.is_total else row.name,
            "counted": f.number(row.figures["counted"], lang),
            "recognized": f.number(row.figures["recognized"], lang),
            "share": f.percent(row.figures["share"], lang),
            "target": f.percent(row.figures["target"], lang),
            "gap": f.number(row.figures["gap_units"], lang)}


def _unit_rows(report: Report, units: Sequence[UnitLine],
               why: Callable[[UnitLine], str]) -> list[dict[str, str]]:
    names = f.unit_names(report)
    return [{"no": str(n), "unit": line.unit_name,
             "superior": names.get(line.parent_code or "", ""), "reason": why(line)}
            for n, line in enumerate(units, start=1)]


def _reason(line: UnitLine, lang: str) -> str:
    w = _w(lang)
    if line.failing:
        return f.failing_text(line, lang).replace("\n", "; ")
    if line.verdict_passed is None:
        return w["lapsed_reason"]
    return w["not_recognised_reason"]


# -- rendering -----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Source:
    path: str
    data: bytes


def _source(templates: Path | None, name: str) -> _Source:
    path = template_path(templates, name)
    if templates is not None and (templates / name).is_file():
        try:
            return _Source(path, (templates / name).read_bytes())
        except OSError as exc:
            raise TemplateFault(path, "unreadable", exc.strerror or str(exc)) from None
    return _Source(path, resources.files("adapters.documents").joinpath(
        "templates", name).read_bytes())


def _environment() -> SandboxedEnvironment:
    # sandboxed (a jurisdiction's file is data, not code), strict (a name the context
    # lacks is an error, not an empty line in a signed document), escaped (a unit named
    # "A & B" must not break the document's XML)
    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=True)


def _render(templates: Path | None, name: str, context: dict[str, Any]) -> bytes:
    source = _source(templates, name)
    try:
        template = DocxTemplate(io.BytesIO(source.data))
        template.init_docx()
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError,
            XMLSyntaxError) as exc:
        raise TemplateFault(source.path, "not_docx", str(exc)) from None
    try:
        template.render(_printable(context), _environment(), autoescape=True)
    except TemplateSyntaxError as exc:
        raise TemplateFault(source.path, "syntax", exc.message or str(exc),
                            _near(exc)) from None
    except UndefinedError as exc:
        raise TemplateFault(source.path, "undefined", exc.message or str(exc),
                            _near(exc)) from None
    except TemplateError as exc:
        raise TemplateFault(source.path, "error", exc.message or str(exc),
                            _near(exc)) from None
    buffer = io.BytesIO()
    template.save(buffer)
    return buffer.getvalue()


def _printable(value: Any) -> Any:
    """The context with control characters (which XML cannot hold) out of every text: a
    unit's name is whatever an import said."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {k: _printable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_printable(v) for v in value]
    return value


def _near(exc: TemplateError) -> str:
    """The template's text around the fault, as docxtpl keeps it (tags stripped)."""
    lines = getattr(exc, "docx_context", None) or []
    return " ".join(" ".join(str(x).split()) for x in lines if str(x).strip())[:200]
