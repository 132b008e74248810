"""My work (Việc của tôi): the cycles awaiting an event this actor may fire."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from adapters.bootstrap import App
from adapters.http.pages.render import PageRoute, page
from adapters.http.pages.session import visitor
from adapters.http.server import services
from adapters.http.years import page_year


def router() -> APIRouter:
    pages = APIRouter(route_class=PageRoute)

    @pages.get("/work")
    def my_work(request: Request, app: App = Depends(services)) -> Response:
        who = visitor(request, app, "my work")
        year = page_year(request, app)
        items = app.desk.my_work(who.grant, year)
        return page(request, "work.html", who, items=items, year=year)

    return pages
