"""Decisions in bulk: an event on a filtered list of units, previewed first (the dry
run: what would happen to each unit and why), then confirmed with its count; the result
list downloads as Excel."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Form, Request, Response

from adapters.bootstrap import App
from adapters.documents.lists import Table, xlsx_bytes
from adapters.http.pages.render import PageRoute, page
from adapters.http.pages.session import Visitor, csrf_ok, visitor
from adapters.http.pages.words import WORDS
from adapters.http.server import services
from adapters.http.years import page_year
from workflow.errors import BontotError
from workflow.service.actors import SignedIn, TokenSource, no_token
from workflow.service.bulk import BulkItem, BulkRequest, Select
from workflow.spec.registry import DefinitionSet

SELECTS: tuple[Select, ...] = ("all", "passing", "failing")
#: result lists kept for download, newest last (a run's list is asked for right after it)
KEPT_RESULTS = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def events_for(catalog: DefinitionSet, who: Visitor) -> list[tuple[str, str]]:
    """(trigger, label) of the events the visitor's role fires on units below it."""
    found: dict[str, str] = {}
    for definition in catalog:
        spec = definition.spec
        for t in spec.transitions:
            role = spec.roles.get(t.roles[0])
            mine = who.grant is None or who.grant.role in t.roles
            if mine and role is not None and role.acts_for == "superior":
                found.setdefault(t.trigger, t.label.get(who.lang) if t.label else t.trigger)
    return sorted(found.items(), key=lambda kv: kv[1])


def result_table(items: list[BulkItem], lang: str) -> Table:
    w = WORDS[lang]
    rows = [[i.unit_code, i.from_state, w.get(i.outcome, i.outcome), i.to_state or "",
             i.reason or ""] for i in items]  # fmt: skip
    return Table([w["code"], w["from"], w["result"], w["to"], w["reason"]], rows, w["decisions"])


def _request(
    who: Visitor, event: str, year: int, under: str, select: str, dry_run: bool
) -> BulkRequest:
    if select not in SELECTS:
        raise BontotError(f"{select!r}")
    chosen: Select = next(s for s in SELECTS if s == select)
    return BulkRequest(
        event=event, year=year, under=under.strip() or None,
        actor=who.actor or "web", role=who.grant.role if who.grant else "",
        payload={}, grant=who.grant, select=chosen, dry_run=dry_run,
    )  # fmt: skip


def router() -> APIRouter:
    pages = APIRouter(route_class=PageRoute)

    @pages.get("/decisions")
    def decisions(request: Request, app: App = Depends(services)) -> Response:
        who = visitor(request, app, "decisions")
        fields = {"event": "", "under": "", "select": "all", **request.query_params}
        return page(request, "decisions.html", who, events=events_for(app.catalog, who),
                    fields=fields, items=None, ran=False, result_id=None)  # fmt: skip

    @pages.post("/decisions")
    def decide(
        request: Request,
        event: str = Form(""),
        under: str = Form(""),
        select: str = Form("all"),
        step: str = Form("preview"),
        csrf: str = Form(""),
        app: App = Depends(services),
    ) -> Response:
        who = visitor(request, app, "decisions")
        if not csrf_ok(request, csrf):
            raise BontotError(WORDS[who.lang]["csrf"])
        wanted = _request(
            who, event, page_year(request, app), under, select, dry_run=step != "run"
        )
        _, items = app.acts.bulk(wanted, token=_signed(who.actor))
        fields = {"event": event, "under": under, "select": select}
        result_id = None
        if step == "run":
            result_id = secrets.token_urlsafe(8)
            kept = _results(request)
            kept[result_id] = xlsx_bytes(result_table(items, who.lang), "bulk")
            while len(kept) > KEPT_RESULTS:
                kept.pop(next(iter(kept)))
        count = sum(1 for i in items if i.outcome in ("would_apply", "applied"))
        states = {name: state.label.get(who.lang)
                  for d in app.catalog for name, state in d.spec.states.items()}  # fmt: skip
        return page(request, "decisions.html", who, events=events_for(app.catalog, who),
                    fields=fields, items=items, ran=step == "run", count=count, states=states,
                    result_id=result_id)  # fmt: skip

    @pages.get("/decisions/{result_id}.xlsx")
    def result(result_id: str, request: Request, app: App = Depends(services)) -> Response:
        visitor(request, app, "decisions")
        body = _results(request).get(result_id)
        if body is None:
            raise BontotError(result_id)
        return Response(body, media_type=XLSX, headers={
            "Content-Disposition": f'attachment; filename="ket-qua-{result_id}.xlsx"'})

    return pages


def _results(request: Request) -> dict[str, bytes]:
    state = request.app.state
    if not hasattr(state, "bulk_results"):
        state.bulk_results = {}
    found: dict[str, bytes] = state.bulk_results
    return found


def _signed(actor: str | None) -> SignedIn | TokenSource:
    return no_token if actor is None else SignedIn(actor)
