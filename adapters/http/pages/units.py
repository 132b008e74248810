"""The unit page: timeline, deadlines, reminders, the verdict check by check, and the
forms of the events this actor may fire there."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from adapters.bootstrap import App
from adapters.cli.evidence_render import meetings_line, register_line
from adapters.http.pages.forms import EventForm, event_form, payload_of
from adapters.http.pages.render import PageRoute, page
from adapters.http.pages.session import csrf_ok, visitor
from adapters.http.pages.words import WORDS
from adapters.http.server import services
from adapters.http.years import page_year
from adapters.i18n.said import refusal_text
from workflow.errors import BontotError
from workflow.service.desk import UnitView


def _forms(view: UnitView) -> list[EventForm]:
    spec = view.history.definition.spec
    return [event_form(spec, e, r, view.unit.org_type) for e, r in view.events]


def _evidence(view: UnitView, lang: str) -> dict[str, str | None]:
    """The verdict's evidence in the visitor's language: the ratings register's counts,
    the meeting register's (its breaches the template lists)."""
    meetings = view.meetings
    return {
        "register": register_line(view.verdict, lang),
        "meetings": None if meetings is None else meetings_line(meetings, lang),
    }


def router() -> APIRouter:
    pages = APIRouter(route_class=PageRoute)

    @pages.get("/units/{code}")
    def unit_page(code: str, request: Request, app: App = Depends(services)) -> Response:
        who = visitor(request, app, "unit page")
        view = app.desk.unit(who.grant, code, page_year(request, app))
        done = request.query_params.get("done")
        return page(request, "unit.html", who, view=view, forms=_forms(view), done=done,
                    message=None, evidence=_evidence(view, who.lang))  # fmt: skip

    @pages.post("/units/{code}/fire")
    async def fire(code: str, request: Request, app: App = Depends(services)) -> Response:
        fields = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        return await run_in_threadpool(_fire, code, request, app, fields)

    return pages


def _fire(code: str, request: Request, app: App, fields: dict[str, str]) -> Response:
    who = visitor(request, app, "fire")
    words = WORDS[who.lang]
    if not csrf_ok(request, fields.get("csrf")):
        raise BontotError(words["csrf"])
    year = page_year(request, app)
    view = app.desk.unit(who.grant, code, year)
    form = next((f for f in _forms(view) if f.event == fields.get("event")), None)
    if form is None:
        raise BontotError(words["fire_refused"] + f": {fields.get('event')}")
    fired = app.cycles.fire(
        code, form.event, year, who.actor or "web", form.role,
        payload_of(form, fields, who.lang), view.history.cycle.definition_id,
        grant=who.grant,
    )  # fmt: skip
    if fired.applied:
        return RedirectResponse(f"/units/{code}?year={year}&done={form.event}", status_code=303)
    view = app.desk.unit(who.grant, code, year)
    refusal = fired.decision.refusal
    return page(request, "unit.html", who, 409, view=view, forms=_forms(view), done=None,
                message=refusal_text(refusal, view.history.definition.spec, who.lang)
                if refusal else words["fire_refused"],
                checks=fired.decision.checks, evidence=_evidence(view, who.lang))  # fmt: skip
