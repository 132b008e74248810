"""Overdue (grouped by deadline and superior, in working days) and the yearly report's
downloads, for the actor's subtree."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from fastapi import APIRouter, Depends, Request, Response

from adapters.bootstrap import App
from adapters.documents.word import (
    TEMPLATES_ENV,
    TemplateFault,
    decision_docx,
    fault_text,
    report_docx,
)
from adapters.http.pages.render import PageRoute, download, page
from adapters.http.pages.session import Visitor, visitor
from adapters.http.server import services
from adapters.http.years import page_year
from adapters.report_files import write_report
from workflow.errors import BontotError
from workflow.service.reports import Report
from workflow.timefmt import LOCAL_TZ

#: the Word documents a standing committee signs, as `bontot documents` writes them
DOCUMENTS = {"decision": ("quyet-dinh", decision_docx), "report": ("bao-cao", report_docx)}


def _report(request: Request, app: App, who: Visitor) -> tuple[int, str | None, Report, date]:
    """The year's report for the node asked for (default: the actor's), and today."""
    year = page_year(request, app)
    under = app.actors.scope(who.grant, request.query_params.get("under") or None, "report")
    return year, under, app.cycles.report(year, under), app.clock.now().astimezone(LOCAL_TZ).date()


def router() -> APIRouter:
    pages = APIRouter(route_class=PageRoute)

    @pages.get("/overdue")
    def overdue(request: Request, app: App = Depends(services)) -> Response:
        who = visitor(request, app, "overdue")
        year = page_year(request, app)
        groups = app.desk.overdue(who.grant, year, request.query_params.get("under") or None)
        return page(request, "overdue.html", who, groups=groups, year=year)

    @pages.get("/reports")
    def reports(request: Request, app: App = Depends(services)) -> Response:
        who = visitor(request, app, "report")
        return page(request, "reports.html", who, year=page_year(request, app))

    @pages.get("/reports/{kind}.docx")
    def document(kind: str, request: Request, app: App = Depends(services)) -> Response:
        """The draft decision or the report, in Word, for the actor's committee (or the
        node asked for inside its subtree); the jurisdiction's templates, if the server
        was given $BONTOT_TEMPLATES, as for `bontot documents`."""
        who = visitor(request, app, "report")
        if kind not in DOCUMENTS:
            raise BontotError(f"{kind!r}: {', '.join(DOCUMENTS)}")
        year, under, built, today = _report(request, app, who)
        prefix, make = DOCUMENTS[kind]
        templates = os.environ.get(TEMPLATES_ENV)
        try:
            body = make(built, who.lang, today, Path(templates) if templates else None)
        except TemplateFault as fault:
            raise BontotError(fault_text(fault, who.lang)) from None
        return download(body, f"{prefix}-{under or 'toan-bo'}-{year}.docx")

    # after the Word route: report.docx is a document, not a list
    @pages.get("/reports/report.{fmt}")
    def report_file(fmt: str, request: Request, app: App = Depends(services)) -> Response:
        who = visitor(request, app, "report")
        if fmt not in ("xlsx", "csv"):
            raise BontotError(f"{fmt!r}: xlsx, csv")
        year, under, built, today = _report(request, app, who)
        body = write_report(built, fmt, who.lang, None, today, ";")
        return download(body, f"bao-cao-{under or 'toan-bo'}-{year}.{fmt}")

    return pages
