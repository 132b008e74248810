"""Decisions in bulk: an event on a filtered list of units, previewed first (the dry
run: what would happen to each unit and why), then confirmed with its count; the result
list downloads as Excel or CSV. A confirmed run goes on in the background with its
progress on the page (pages/jobs.py), so that a province's thousands of units do not
hold a request open."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from adapters import i18n
from adapters.bootstrap import App
from adapters.documents.lists import Table, csv_bytes, xlsx_bytes
from adapters.http.pages.forms import TEXT_FIELDS, EventForm, event_form, missing, payload_of
from adapters.http.pages.jobs import Outcome, Work, jobs_of
from adapters.http.pages.render import PageRoute, page
from adapters.http.pages.session import Visitor, csrf_ok, visitor
from adapters.http.pages.words import WORDS
from adapters.http.server import Server, server_of, services
from adapters.http.years import page_year
from adapters.i18n.said import field_label, refusal_text, role_word
from workflow.errors import BontotError
from workflow.progress import Progress
from workflow.service.actors import SignedIn, TokenSource, no_token
from workflow.service.bulk import BulkItem, BulkRequest, Select
from workflow.spec.model import DefinitionSpec, Labels
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


def bulk_form(catalog: DefinitionSet, who: Visitor, event: str) -> EventForm | None:
    """The fields `event` asks for in bulk: the text fields any definition requires for
    it (a unit's scores and an override of its verdict are its own page's, never a
    list's). None for an event no definition has."""
    role = who.grant.role if who.grant else ""
    forms = [event_form(d.spec, event, role, "") for d in catalog
             if any(t.trigger == event for t in d.spec.transitions)]  # fmt: skip
    if not forms:
        return None
    texts = tuple(f for f in TEXT_FIELDS if any(f in form.texts for form in forms))
    return replace(forms[0], texts=texts, criteria=(), checklist=(), overridable=False)


def spec_of(catalog: DefinitionSet, event: str) -> DefinitionSpec | None:
    """The first definition that has `event`, for the labels of what its items say."""
    return next((d.spec for d in catalog
                 if any(t.trigger == event for t in d.spec.transitions)), None)  # fmt: skip


def item_reason(item: BulkItem, spec: DefinitionSpec | None, lang: str) -> str:
    """Why a unit was refused or left out, in `lang` (the service's own English reason
    only when the catalogue has no words for it and the page is English)."""
    if item.refusal is not None:
        return refusal_text(item.refusal, spec, lang)
    if item.outcome == "skipped":
        said = i18n.text(lang, f"bulk.skip.{item.code}")
        return WORDS[lang]["skipped_why"] if said == f"bulk.skip.{item.code}" else said
    return (item.reason or "") if lang == "en" else ""


def outcome_word(outcome: str, lang: str) -> str:
    """What became of a unit ("refused" is a unit's own word: `pages.refused` heads a
    page's refusal)."""
    w = WORDS[lang]
    return w["refused_item"] if outcome == "refused" else w.get(outcome, w["refused_item"])


def result_table(items: list[BulkItem], lang: str, spec: DefinitionSpec | None = None) -> Table:
    """The result list, as the page says it: states by their labels, reasons in `lang`."""
    w = WORDS[lang]

    def state(code: str | None) -> str:
        return "" if not code else spec.state_label(code, lang) if spec else code

    rows = [[i.unit_code, state(i.from_state), outcome_word(i.outcome, lang), state(i.to_state),
             item_reason(i, spec, lang)] for i in items]  # fmt: skip
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
            table = result_table(items, lang, spec_of(app.catalog, wanted.event))
        return Outcome(
            WORDS[lang]["bulk_done"].format(n=applied(items)),
            files={"xlsx": xlsx_bytes(table, "bulk"), "csv": csv_bytes(table)},
        )

    return work


def _request(
    who: Visitor, event: str, year: int, under: str | None, select: str, dry_run: bool,
    payload: dict[str, Any],
) -> BulkRequest:  # fmt: skip
    if select not in SELECTS:
        raise BontotError(f"{select!r}")
    chosen: Select = next(s for s in SELECTS if s == select)
    return BulkRequest(
        event=event, year=year, under=under,
        actor=who.actor or "web", role=who.grant.role if who.grant else "",
        payload=payload, grant=who.grant, select=chosen, dry_run=dry_run,
    )  # fmt: skip


def _missing_text(form: EventForm, lacking: list[str], lang: str) -> str:
    """What the event still needs, as the refusal of a single unit says it."""
    return i18n.text(lang, "refusal.payload_missing",
                     event=form.label_en if lang == "en" else form.label_vi,
                     fields=", ".join(field_label(n, lang) for n in lacking))  # fmt: skip


def _covered(app: App, who: Visitor, event: str, under: str) -> str | None:
    """The node a bulk `event` covers (the visitor's own when none is given); refused up
    front, and the refusal kept in the trail, when the visitor's role does not decide it
    in bulk (a secretary, an inspector) or the node lies outside its subtree."""
    if spec_of(app.catalog, event) is None:  # a forged form: nothing to refuse or record
        raise BontotError(f"{event[:64]!r}: {WORDS[who.lang]['event']}?")
    purpose, grant = f"bulk {event}", who.grant
    if grant is not None and event not in dict(events_for(app.catalog, who)):
        why = f"role {grant.role} does not decide {event} in bulk"
        # the refusal is of the role, whatever the node: the form's `under` is the
        # visitor's own text, not yet looked up, and stays out of the append-only trail
        raise app.actors.refuse(
            grant, purpose, why, f"{grant.actor}: {why}",
            said=("refusal.role_not_allowed", _not_allowed(app.catalog, grant.role, event)),
            event=event,
        )  # fmt: skip
    return app.actors.scope(grant, under.strip() or None, purpose)


def _not_allowed(catalog: DefinitionSet, role: str, event: str) -> dict[str, Any]:
    """The parameters of `refusal.role_not_allowed`: the event and its roles by label."""
    specs = [d.spec for d in catalog]
    roles = sorted({r for spec in specs for t in spec.transitions if t.trigger == event
                    for r in t.roles})  # fmt: skip
    spec = spec_of(catalog, event)

    def said(lang: str) -> str:
        return ", ".join(role_word(specs, r, lang) for r in roles) or "—"

    def named(lang: str) -> str:
        return spec.event_label(event, lang) if spec else event

    return {"role": role, "event": Labels(vi=named("vi"), en=named("en")),
            "roles": Labels(vi=said("vi"), en=said("en"))}  # fmt: skip


def _expected(raw: str) -> int:
    try:
        n = int(raw or 0)
    except ValueError:
        raise BontotError(f"expected: {raw!r}") from None
    if n < 0:
        raise BontotError(f"expected: {raw!r}")
    return n


def router() -> APIRouter:
    pages = APIRouter(route_class=PageRoute)

    @pages.get("/decisions")
    def decisions(request: Request, app: App = Depends(services)) -> Response:
        who = visitor(request, app, "decisions")
        events = events_for(app.catalog, who)
        fields = {"event": "", "under": "", "select": "all", **request.query_params}
        # the fields of the event chosen, else of the list's first (the one shown chosen)
        chosen = fields["event"] or (events[0][0] if events else "")
        return page(request, "decisions.html", who, events=events, fields=fields,
                    form=bulk_form(app.catalog, who, chosen), items=None, job=None,
                    message=None)  # fmt: skip

    @pages.post("/decisions")
    async def decide(request: Request, app: App = Depends(services)) -> Response:
        fields = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        return await run_in_threadpool(_decide, request, app, fields)

    return pages


def _decide(request: Request, app: App, sent: dict[str, str]) -> Response:
    who = visitor(request, app, "decisions")
    if not csrf_ok(request, sent.get("csrf")):
        raise BontotError(WORDS[who.lang]["csrf"])
    event, step = sent.get("event", ""), sent.get("step", "preview")
    form = bulk_form(app.catalog, who, event)
    texts = form.texts if form else ()
    fields = {"event": event, "under": sent.get("under", ""), "select": sent.get("select", "all"),
              **{t: sent.get(t, "").strip() for t in texts}}  # fmt: skip
    shown: dict[str, Any] = {"events": events_for(app.catalog, who), "fields": fields,
                             "form": form}
    under = _covered(app, who, event, fields["under"])
    lacking = missing(form, sent) if form else []
    if form is not None and lacking:  # nothing is previewed nor run without them
        return page(request, "decisions.html", who, 400, **shown, items=None, job=None,
                    message=_missing_text(form, lacking, who.lang))  # fmt: skip
    payload = payload_of(form, sent, who.lang) if form else {}
    wanted = _request(who, event, page_year(request, app), under, fields["select"],
                      dry_run=step != "run", payload=payload)  # fmt: skip
    if step == "run":
        expected = _expected(sent.get("expected", ""))
        work = bulk_work(server_of(request), wanted, who.actor, expected, who.lang)
        job = jobs_of(request).start("bulk", who.actor, work, WORDS[who.lang]["job_failed"])
        return page(request, "decisions.html", who, **shown, items=None, job=job,
                    message=None)  # fmt: skip
    _, items = app.acts.bulk(wanted, token=_signed(who.actor))
    spec = spec_of(app.catalog, event)
    states = {name: state.label.get(who.lang)
              for d in app.catalog for name, state in d.spec.states.items()}  # fmt: skip
    said = {i.cycle_id: (outcome_word(i.outcome, who.lang), item_reason(i, spec, who.lang))
            for i in items}  # fmt: skip
    return page(request, "decisions.html", who, **shown, items=items, count=applied(items),
                states=states, said=said, job=None, message=None)  # fmt: skip


def _signed(actor: str | None) -> SignedIn | TokenSource:
    return no_token if actor is None else SignedIn(actor)
