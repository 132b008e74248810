"""Decisions in bulk: an event on a filtered list of units, previewed first (the dry
run: what would happen to each unit and why), then confirmed with its count; the result
list downloads as Excel or CSV. A confirmed run goes on in the background with its
progress on the page (pages/jobs.py), so that a province's thousands of units do not
hold a request open."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request, Response

from adapters.bootstrap import App
from adapters.documents.lists import Table, csv_bytes, xlsx_bytes
from adapters.http.pages.jobs import Outcome, Work, jobs_of
from adapters.http.pages.render import PageRoute, page
from adapters.http.pages.session import Visitor, csrf_ok, visitor
from adapters.http.pages.words import WORDS
from adapters.http.server import Server, server_of, services
from adapters.http.years import page_year
from workflow.errors import BontotError
from workflow.progress import Progress
from workflow.service.actors import SignedIn, TokenSource, no_token
from workflow.service.bulk import BulkItem, BulkRequest, Select
from workflow.spec.registry import DefinitionSet

SELECTS: tuple[Select, ...] = ("all", "passing", "failing")


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


def applied(items: list[BulkItem]) -> int:
    return sum(1 for i in items if i.outcome in ("would_apply", "applied"))


def bulk_work(
    server: Server, wanted: BulkRequest, actor: str | None, expected: int, lang: str
) -> Work:
    """The confirmed run, as background work: its own services, progress by batch, the
    result list as Excel and CSV."""

    def work(progress: Progress) -> Outcome:
        progress.total(expected or None)
        with server.services() as app:
            _, items = app.acts.bulk(
                wanted, token=_signed(actor),
                progress=lambda _, done: progress.advance(len(done)),
            )  # fmt: skip
        table = result_table(items, lang)
        return Outcome(
            WORDS[lang]["bulk_done"].format(n=applied(items)),
            files={"xlsx": xlsx_bytes(table, "bulk"), "csv": csv_bytes(table)},
        )

    return work


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
                    fields=fields, items=None, job=None)  # fmt: skip

    @pages.post("/decisions")
    def decide(
        request: Request,
        event: str = Form(""),
        under: str = Form(""),
        select: str = Form("all"),
        step: str = Form("preview"),
        expected: int = Form(0, ge=0),
        csrf: str = Form(""),
        app: App = Depends(services),
    ) -> Response:
        who = visitor(request, app, "decisions")
        if not csrf_ok(request, csrf):
            raise BontotError(WORDS[who.lang]["csrf"])
        wanted = _request(
            who, event, page_year(request, app), under, select, dry_run=step != "run"
        )
        fields = {"event": event, "under": under, "select": select}
        if step == "run":
            work = bulk_work(server_of(request), wanted, who.actor, expected, who.lang)
            job = jobs_of(request).start("bulk", who.actor, work, WORDS[who.lang]["job_failed"])
            return page(request, "decisions.html", who, events=events_for(app.catalog, who),
                        fields=fields, items=None, job=job)  # fmt: skip
        _, items = app.acts.bulk(wanted, token=_signed(who.actor))
        count = applied(items)
        states = {name: state.label.get(who.lang)
                  for d in app.catalog for name, state in d.spec.states.items()}  # fmt: skip
        return page(request, "decisions.html", who, events=events_for(app.catalog, who),
                    fields=fields, items=items, count=count, states=states,
                    job=None)  # fmt: skip

    return pages


def _signed(actor: str | None) -> SignedIn | TokenSource:
    return no_token if actor is None else SignedIn(actor)
