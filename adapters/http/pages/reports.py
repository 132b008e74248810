"""Overdue (grouped by deadline and superior, in working days) and the yearly report's
downloads, for the actor's subtree."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from adapters.bootstrap import App
from adapters.http.pages.render import PageRoute, page
from adapters.http.pages.session import visitor
from adapters.http.server import services
from adapters.http.years import page_year
from adapters.report_files import write_report
from workflow.errors import BontotError
from workflow.timefmt import LOCAL_TZ

TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


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

    @pages.get("/reports/report.{fmt}")
    def report_file(fmt: str, request: Request, app: App = Depends(services)) -> Response:
        who = visitor(request, app, "report")
        if fmt not in TYPES:
            raise BontotError(f"{fmt!r}: xlsx, csv")
        year = page_year(request, app)
        under = app.actors.scope(who.grant, request.query_params.get("under") or None, "report")
        built = app.cycles.report(year, under)
        today = app.clock.now().astimezone(LOCAL_TZ).date()
        body = write_report(built, fmt, who.lang, None, today, ";")
        name = f"bao-cao-{under or 'toan-bo'}-{year}.{fmt}"
        return Response(body, media_type=TYPES[fmt],
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    return pages
