"""Imports: units, ratings and meeting registers uploaded as .csv or .xlsx. Every row is
checked first by the service; one bad row shows its row and column, and nothing is
imported."""

from __future__ import annotations

import hashlib
import tempfile
from functools import partial
from pathlib import Path

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from adapters.bootstrap import App
from adapters.http.pages.render import PageRoute, labeller, page
from adapters.http.pages.session import Visitor, csrf_ok, visitor
from adapters.http.pages.uploads import received
from adapters.http.pages.words import WORDS
from adapters.http.server import services
from adapters.http.years import page_year
from adapters.i18n.said import said_problems
from adapters.tabular import read_sheet
from workflow.errors import BontotError, ImportRefused
from workflow.import_columns import ColumnNote
from workflow.service.actors import Credential, SignedIn, no_token

KINDS = ("units", "ratings", "meetings")


def _credential(who: Visitor) -> Credential:
    return no_token if who.actor is None else SignedIn(who.actor)


def router() -> APIRouter:
    pages = APIRouter(route_class=PageRoute)

    @pages.get("/imports")
    def imports(request: Request, app: App = Depends(services)) -> Response:
        who = visitor(request, app, "imports")
        return page(request, "imports.html", who, kinds=KINDS, done=None, error=None)

    @pages.post("/imports")
    async def upload(request: Request, app: App = Depends(services)) -> Response:
        form = await request.form()
        who = await run_in_threadpool(visitor, request, app, "imports")
        kind, file = str(form.get("kind", "")), form.get("file")
        if not csrf_ok(request, str(form.get("csrf", ""))):
            raise BontotError(WORDS[who.lang]["csrf"])
        if kind not in KINDS or not isinstance(file, UploadFile):
            raise BontotError(WORDS[who.lang]["import_what"])
        with tempfile.TemporaryDirectory() as folder:
            path, data = await received(file, Path(folder), who.lang)
            name = Path(file.filename or path.name).name
            try:
                done = await run_in_threadpool(
                    _import, app, who, kind, page_year(request, app), path, name, data
                )
            except ImportRefused as exc:
                # each bad cell by the row and column the service names; nothing imported
                problems = said_problems(exc.problems, who.lang, labeller(request))
                return page(request, "imports.html", who, 422, kinds=KINDS, done=None,
                            error=name, problems=problems)  # fmt: skip
        return page(request, "imports.html", who, kinds=KINDS, done=done, error=None)

    return pages


def _import(
    app: App, who: Visitor, kind: str, year: int, path: Path, name: str, data: bytes
) -> str:
    actor, credential = who.actor or "web", _credential(who)
    w = WORDS[who.lang]
    reader = partial(read_sheet, path, data, name, who.lang)
    if kind == "units":
        done = app.registers.import_units(name, reader, actor, credential)
        return _with_notes(w["imported"].format(added=done.added, updated=done.updated),
                           done.notes, who.lang)  # fmt: skip
    sha256 = hashlib.sha256(data).hexdigest()
    if kind == "ratings":
        detail = {"file": name, "sha256": sha256}
        done = app.registers.import_ratings(name, reader, year, detail, actor, credential)
        return _with_notes(w["imported"].format(added=done.added, updated=done.updated),
                           done.notes, who.lang)  # fmt: skip
    result = app.registers.import_meetings(name, name, sha256, reader, actor, credential)
    return _with_notes(w["imported"].format(added=result.added, updated=result.updated),
                       result.notes, who.lang)  # fmt: skip


def _with_notes(done: str, notes: tuple[ColumnNote, ...], lang: str) -> str:
    """What was imported, then each column nobody read (the template escapes the text)."""
    said = "warning" if lang == "en" else "cảnh báo"
    return " ".join([done, *(f"({said}: {note.describe(lang)})" for note in notes)])
