"""The board (Bảng theo dõi): a row per child node of the actor's node, filters in the
URL, drill-down, and the list exported to Excel."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from adapters.bootstrap import App
from adapters.documents.lists import Table, xlsx_bytes
from adapters.http.pages.render import PageRoute, download, page
from adapters.http.pages.session import visitor
from adapters.http.pages.words import WORDS
from adapters.http.server import services
from adapters.http.years import page_year
from adapters.i18n.said import role_word
from workflow.service.desk import BoardFilter, BoardView


def _filter(request: Request, app: App) -> tuple[int, str | None, BoardFilter]:
    q = request.query_params
    year = page_year(request, app)
    number = int(q["page"]) if q.get("page", "").isdigit() and int(q["page"]) > 0 else 1
    wanted = BoardFilter(
        definition=q.get("definition") or None,
        state=q.get("state") or None,
        overdue_only=q.get("overdue") == "1",
        recognized=q.get("recognized") or None,
        org_type=q.get("type") or None,
        search=q.get("q", ""),
        page=number,
    )
    return year, q.get("under") or None, wanted


def export_table(view: BoardView, lang: str) -> Table:
    w = WORDS[lang]
    spec = view.definition.spec if view.definition else None
    labels = [spec.states[s].label.get(lang) for s in view.states] if spec else []
    header = [w["code"], w["name"], w["total"], w["overdue"], w["recognized_share"], w["gap"],
              *labels]  # fmt: skip
    rows = [
        [r.code, r.name, r.total, r.overdue,
         None if r.share() is None else round(r.share() or 0, 1), r.gap(view.target),
         *(r.by_state.get(s, 0) for s in view.states)]
        for r in view.rows
    ]  # fmt: skip
    return Table(header, rows, w["board"])


def router() -> APIRouter:
    pages = APIRouter(route_class=PageRoute)

    @pages.get("/")
    def board(request: Request, app: App = Depends(services)) -> Response:
        who = visitor(request, app, "board")
        year, under, wanted = _filter(request, app)
        view = app.desk.board(who.grant, year, under, wanted)
        specs = app.catalog.specs()

        def role_label(definition_id: str, role: str) -> str:
            own = [s for s in specs if s.id == definition_id]
            return role_word(own + specs, role, who.lang)

        return page(
            request, "board.html", who, view=view, wanted=wanted, year=year,
            role_label=role_label,
        )  # fmt: skip

    @pages.get("/board.xlsx")
    def board_export(request: Request, app: App = Depends(services)) -> Response:
        who = visitor(request, app, "board export")
        year, under, wanted = _filter(request, app)
        view = app.desk.board(who.grant, year, under, BoardFilter(**{**wanted.__dict__,
                              "page": 1, "per_page": 1_000_000}))  # fmt: skip
        body = xlsx_bytes(export_table(view, who.lang), WORDS[who.lang]["board"])
        name = f"bang-theo-doi-{view.node.code if view.node else 'toan-bo'}-{year}.xlsx"
        return download(body, name)

    return pages
