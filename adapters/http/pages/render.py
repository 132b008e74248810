"""Rendering a page: the Jinja2 templates (autoescaped), the words of the interface in
both languages, dates and numbers as Vietnamese write them, and the error pages a
refusal, an unknown unit or bad input get (never a traceback)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import date, datetime
from typing import Any

from babel.numbers import format_decimal
from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from adapters.http.pages.nav import PAGES
from adapters.http.pages.session import LoginRequired, Visitor, finish, language
from adapters.http.pages.words import WORDS
from adapters.http.server import server_of
from adapters.i18n.said import Labeller, error_text
from workflow.errors import BontotError, NotFound
from workflow.service.actors import Refused
from workflow.timefmt import LOCAL_TZ, from_db, show_date

ENV = Environment(
    loader=PackageLoader("adapters.http", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def number(value: float | int | None, digits: int = 1, lang: str = "vi") -> str:
    """As the page's language writes it: 74,0 in Vietnamese, 74.0 in English."""
    if value is None:
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return str(format_decimal(value, pattern, locale="en" if lang == "en" else "vi"))


def percent(value: float | None, lang: str = "vi") -> str:
    # a no-break space: "74,0 %" never splits across two lines
    return "—" if value is None else f"{number(value, lang=lang)}\u00a0%"


@pass_context
def _number(context: Context, value: float | int | None, digits: int = 1) -> str:
    return number(value, digits, context.get("lang", "vi"))


@pass_context
def _percent(context: Context, value: float | None) -> str:
    return percent(value, context.get("lang", "vi"))


def day(value: date | datetime | None) -> str:
    return "—" if value is None else show_date(value)


def moment(value: datetime | None) -> str:
    return "—" if value is None else value.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M")


def stored(text: str | None) -> str:
    """An instant as the database keeps it, shown in Vietnam's time."""
    return "—" if not text else moment(from_db(text))


#: the files pages hand out, by extension
MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def download(body: bytes, name: str) -> Response:
    """`body` as the file `name` to save (its media type from its extension)."""
    return Response(body, media_type=MEDIA[name.rsplit(".", 1)[-1]],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


def isodate(value: object) -> object:
    """A payload's yyyy-mm-dd date as dd/mm/yyyy; any other value as it is."""
    if isinstance(value, str) and len(value) == 10 and value[4] == value[7] == "-":
        try:
            return show_date(date.fromisoformat(value))
        except ValueError:
            return value
    return value


ENV.filters.update(number=_number, percent=_percent, day=day, moment=moment, stored=stored,
                   isodate=isodate)  # fmt: skip
ENV.globals["nav_pages"] = PAGES


def page(
    request: Request, template: str, who: Visitor, status: int = 200, **context: Any
) -> Response:
    words = WORDS[who.lang]
    html = ENV.get_template(template).render(
        w=words, who=who, lang=who.lang, path=request.url.path, query=request.url.query,
        **context,
    )  # fmt: skip
    return finish(request, HTMLResponse(html, status_code=status))


def error_page(request: Request, status: int, message: str) -> Response:
    lang = language(request)
    who = Visitor(None, None, lang, "")
    title = WORDS[lang][f"error_{status}"]
    return page(request, "error.html", who, status, title=title, message=message)


def _said(request: Request, key: str, exc: Exception) -> str:
    """The error in the visitor's words: the service's own reason (in English) only
    for an English page."""
    lang = language(request)
    if isinstance(exc, BontotError) and exc.msgid is not None:
        return WORDS[lang][key] + f" ({_error_text(request, exc, lang)})"
    return WORDS[lang][key] + (f" ({exc})" if lang == "en" else "")


def _error_text(request: Request, exc: BontotError, lang: str) -> str:
    assert exc.msgid is not None
    return error_text(lang, exc.msgid, exc.params, labeller(request))


def labeller(request: Request) -> Labeller:
    """The served definitions' labels for an error's code names."""
    catalog = server_of(request).catalog
    return Labeller(catalog.specs)


class PageRoute(APIRoute):
    """A page route whose refusals, unknown units and bad input render as pages in the
    visitor's language, and whose missing session sends to the log-in page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                return RedirectResponse("/login", status_code=303)
            except Refused as exc:
                return error_page(request, 403, _said(request, "refused_page", exc))
            except NotFound as exc:
                return error_page(request, 404, _said(request, "not_found_page", exc))
            except BontotError as exc:
                lang = language(request)
                said = _error_text(request, exc, lang) if exc.msgid else str(exc)
                return error_page(request, 400, said)

        return guarded
