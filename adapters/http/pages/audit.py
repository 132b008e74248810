"""The audit log for inspectors: applied events and recorded facts with filters, and
the filtered log downloaded as Excel; verifying the trail's hash chains in the background,
with its progress on the page (pages/jobs.py). Auditors and administrators only."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from adapters.audit_verify import verify_database
from adapters.bootstrap import App
from adapters.documents.lists import (
    ENGINE_EVENTS,
    LIST_WORDS,
    Table,
    audit_log_table,
    csv_bytes,
    xlsx_bytes,
)
from adapters.http.pages.jobs import Job, Outcome, Work, jobs_of
from adapters.http.pages.render import PageRoute, download, labeller, page
from adapters.http.pages.session import Visitor, csrf_ok, finish, visitor
from adapters.http.pages.words import WORDS
from adapters.http.server import server_of, services
from adapters.i18n.said import Labeller, chain_problem_text, role_word
from workflow.access import SYSTEM_ROLES
from workflow.errors import BontotError
from workflow.progress import Progress
from workflow.timefmt import LOCAL_TZ, parse_user_date

ONLY = ("late", "refusals", "overrides")


def _day(text: str, end: bool) -> datetime | None:
    """A dd/mm/yyyy day as its first (or, for `end`, next day's first) instant."""
    if not text.strip():
        return None
    day = parse_user_date(text.strip())
    start = datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ)
    return start + timedelta(days=1) if end else start


def _auditor(request: Request, app: App, purpose: str) -> Visitor:
    who = visitor(request, app, purpose)
    if who.grant is not None and who.grant.role not in SYSTEM_ROLES:
        raise app.actors.refuse(
            who.grant, purpose, "the audit log is for auditors",
            f"{who.grant.actor}: the audit log is for auditors and administrators",
        )
    return who


def verify_work(url: str, under: str | None, lang: str, labels: Labeller | None = None) -> Work:
    """Verifying the chains as background work. One reading process: forking worker
    processes from a threaded web server is not safe, so the progress is one step. The
    findings name states, outcomes and deadlines by `labels`."""

    def work(progress: Progress) -> Outcome:
        report = verify_database(url, under, workers=1, progress=progress)
        w = WORDS[lang]
        if report.ok:
            return Outcome(w["verify_ok"].format(records=report.records, chains=report.chains))
        rows = [[chain_problem_text(p, lang, labels)] for p in report.problems]
        table = Table([w["reason"]], rows, w["verify"])
        files = {"xlsx": xlsx_bytes(table, "verify"), "csv": csv_bytes(table)}
        return Outcome(w["verify_bad"].format(n=len(report.problems)), ok=False, files=files)

    return work


def _log(request: Request, app: App, purpose: str) -> tuple[Visitor, dict[str, str], Any]:
    who = _auditor(request, app, purpose)
    q = {k: request.query_params.get(k, "") for k in ("actor", "event", "from", "to", "only")}
    try:
        since, until = _day(q["from"], False), _day(q["to"], True)
    except ValueError as exc:
        raise BontotError(f"{WORDS[who.lang]['from']}/{WORDS[who.lang]['to']}: {exc}") from None
    only = q["only"] if q["only"] in ONLY else None
    under = app.actors.scope(who.grant, None, purpose)
    rows = app.trail.log(under, q["actor"] or None, q["event"] or None, since, until, only)
    return who, q, rows


def _labels(app: App, lang: str) -> dict[str, str]:
    return {t.trigger: t.label.get(lang) for d in app.catalog
            for t in d.spec.transitions if t.label is not None}  # fmt: skip


def _event_choices(app: App, lang: str) -> list[tuple[str, str]]:
    """The events the log can be filtered by, (name, label): the engine's own steps (a
    cycle's opening, a reorganisation, a version move), then the definitions' events in
    the order they define them (a year's order), each once."""
    words = LIST_WORDS["en" if lang == "en" else "vi"]
    return [*((e, words[e]) for e in ENGINE_EVENTS), *_labels(app, lang).items()]


def _log_table(app: App, lang: str, rows: list[dict[str, Any]]) -> Table:
    """The log's cells as the Excel export and `bontot audit log` write them: events,
    stages and roles by their labels (the engine's own roles too), kinds in words."""
    labels = _labels(app, lang)
    specs = [d.spec for d in app.catalog]
    states = {name: state.label.get(lang) for spec in specs for name, state in spec.states.items()}
    return audit_log_table(
        rows, lang, lambda name: labels.get(name, name), lambda name: states.get(name, name),
        lambda role: role_word(specs, role, lang),
    )


def router() -> APIRouter:
    pages = APIRouter(route_class=PageRoute)

    @pages.get("/audit")
    def audit(request: Request, app: App = Depends(services)) -> Response:
        who, q, rows = _log(request, app, "audit log")
        job: Job | None = None
        if request.query_params.get("job"):
            job = jobs_of(request).find(request.query_params["job"], who.actor)
        shown = rows[-500:]
        # when (as stored: the page writes it local), kind, unit, event, actor, role, reason
        table = _log_table(app, who.lang, shown)
        cells = [(row["at"], *(c[i] for i in (1, 2, 3, 6, 7, 8)))
                 for row, c in zip(shown, table.rows, strict=True)]  # fmt: skip
        return page(request, "audit.html", who, fields=q, rows=cells, total=len(rows), job=job,
                    events=_event_choices(app, who.lang))  # fmt: skip

    @pages.post("/audit/verify")
    def verify(request: Request, csrf: str = Form(""), app: App = Depends(services)) -> Response:
        """Start verifying the chains of the actor's scope; back to the log, which shows
        the progress."""
        who = _auditor(request, app, "audit verify")
        if not csrf_ok(request, csrf):
            raise BontotError(WORDS[who.lang]["csrf"])
        under = app.actors.scope(who.grant, None, "audit verify")
        work = verify_work(server_of(request).url, under, who.lang, labeller(request))
        job = jobs_of(request).start("verify", who.actor, work, WORDS[who.lang]["job_failed"])
        return finish(request, RedirectResponse(f"/audit?job={job.id}", status_code=303))

    @pages.get("/audit.xlsx")
    def audit_export(request: Request, app: App = Depends(services)) -> Response:
        who, _, rows = _log(request, app, "export audit-log")
        table = _log_table(app, who.lang, rows)
        return download(xlsx_bytes(table, WORDS[who.lang]["audit"]), "nhat-ky.xlsx")

    return pages
