"""Errors as `application/problem+json` (RFC 9457) in the caller's language.

Every error the API gives goes through `problem()`: a refusal of the services (its
code and reason), an error they raise on purpose (not found, ambiguous, bad input), a
request FastAPI could not validate (its 422 rewritten), an unknown route. The title and
the detail are said in the language of `Accept-Language` (Vietnamese unless English is
preferred), and so is `reason`, the service's own sentence: in Vietnamese from the
catalogues with the definitions' labels (as the command line and the pages say it), in
English as the service wrote it, byte for byte. Never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from adapters import i18n
from adapters.http.server import server_of
from adapters.i18n.said import Labeller, error_text, refusal_text, said_params
from workflow.errors import Ambiguous, BontotError, NotFound
from workflow.rules.checks import Check
from workflow.runtime.decision import Refusal
from workflow.service.actors import NotAuthenticated, Refused
from workflow.spec.model import DefinitionSpec

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "urn:bontot:problem:"

#: code -> (status, title in vi, title in en)
KINDS: dict[str, tuple[int, str, str]] = {
    "not_authenticated": (401, "Chưa xác thực", "Not authenticated"),
    "not_authorized": (403, "Không có quyền", "Not authorised"),
    "separation_of_duties": (
        403,
        "Không được tự thẩm định việc của mình",
        "Separation of duties",
    ),
    "role_not_allowed": (403, "Vai trò không được làm việc này", "Role not allowed"),
    "not_found": (404, "Không tìm thấy", "Not found"),
    "unknown_event": (404, "Không có sự kiện này", "Unknown event"),
    "wrong_state": (409, "Chu kỳ không ở trạng thái cho phép", "Wrong state"),
    "guard_failed": (409, "Chưa đủ điều kiện", "Conditions not met"),
    "ambiguous": (409, "Cần chỉ rõ quy trình", "Ambiguous"),
    "stale": (412, "Chu kỳ đã thay đổi", "The cycle has changed"),
    "out_of_order": (409, "Thời điểm trước bản ghi cuối", "Dated before the last record"),
    "payload_missing": (422, "Thiếu thông tin bắt buộc", "Payload missing"),
    "payload_not_allowed": (422, "Thông tin không được chấp nhận", "Payload not allowed"),
    "invalid_request": (422, "Yêu cầu không hợp lệ", "Invalid request"),
    "bad_request": (400, "Yêu cầu không thực hiện được", "Bad request"),
    "method_not_allowed": (405, "Phương thức không được hỗ trợ", "Method not allowed"),
}

DETAILS = i18n.table("api")  # the catalogues' `api.*` messages


def language(request: Request) -> str:
    """English when Accept-Language prefers it over Vietnamese, else Vietnamese (a
    q of 0, or one that cannot be read, asks for nothing)."""
    best, best_q = "vi", 0.0
    for part in request.headers.get("accept-language", "").split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in ("vi", "en"):
            continue
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if q > best_q:
            best, best_q = primary, q
    return best


def problem(
    code: str,
    lang: str,
    detail: str | None = None,
    reason: str | None = None,
    checks: Sequence[Check] = (),
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    status, title_vi, title_en = KINDS.get(code, KINDS["bad_request"])
    title = title_en if lang == "en" else title_vi
    body: dict[str, Any] = {
        "type": TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail or title,
        "code": code,
        "reason": reason,
    }
    failed = [c for c in checks if not c.passed]
    if failed:
        body["failed_checks"] = [c.as_dict() for c in failed]
        body["detail"] += " " + "; ".join(c.describe(lang) for c in failed)
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def refusal(
    refused: Refusal, unit: str, event: str, lang: str, spec: DefinitionSpec | None = None
) -> JSONResponse:
    """A fire the services refused (the cycle is as it was), its event and reason by the
    labels of `spec`, the cycle's definition."""
    _, title_vi, title_en = KINDS.get(refused.code, KINDS["bad_request"])
    title = title_en if lang == "en" else title_vi
    words = DETAILS[lang]
    named = spec.event_label(event, lang) if spec is not None else event
    detail = words["refused"].format(unit=unit, event=named, title=title.lower())
    reason = refused.message if lang == "en" else refusal_text(refused, spec, lang)
    return problem(refused.code, lang, detail, reason, refused.checks)


def said(request: Request, exc: BontotError, lang: str) -> str:
    """What the services raised, as `reason` says it: English as it was written; else in
    `lang` when it names its message (the code names by the served definitions' labels)."""
    if lang == "en" or exc.msgid is None:
        return str(exc)
    return error_text(lang, exc.msgid, exc.params, Labeller(server_of(request).catalog.specs))


class ApiProblem(Exception):
    """Raised by a route for an error of its own (a header it cannot read)."""

    def __init__(self, code: str, detail_key: str | None = None, **words: Any) -> None:
        super().__init__(code)
        self.code = code
        self.detail_key = detail_key
        self.words = words


def as_problem(request: Request, exc: Exception) -> JSONResponse:
    """The problem an error raised while answering stands for (None: not ours to say)."""
    lang = language(request)
    if isinstance(exc, ApiProblem):
        detail = DETAILS[lang][exc.detail_key].format(**exc.words) if exc.detail_key else None
        headers = {"WWW-Authenticate": "Bearer"} if exc.code == "not_authenticated" else None
        return problem(exc.code, lang, detail, headers=headers)
    if isinstance(exc, NotAuthenticated):
        why = exc.reason if lang == "en" else said_params({"reason": exc.reason}, lang)["reason"]
        return problem(
            "not_authenticated", lang, DETAILS[lang]["not_authenticated"], why,
            headers={"WWW-Authenticate": "Bearer"},
        )  # fmt: skip
    if isinstance(exc, Refused):
        return problem("not_authorized", lang, reason=said(request, exc, lang))
    if isinstance(exc, RequestValidationError):
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")),
             "type": str(e.get("type", ""))}
            for e in exc.errors()
        ]  # fmt: skip
        detail = DETAILS[lang]["invalid_request"].format(n=len(errors))
        return problem("invalid_request", lang, detail, errors=errors)
    code = (
        "not_found" if isinstance(exc, NotFound)
        else "ambiguous" if isinstance(exc, Ambiguous)
        else "bad_request"
    )  # fmt: skip
    return problem(code, lang, reason=said(request, exc, lang) if isinstance(exc, BontotError)
                   else str(exc))  # fmt: skip


class ProblemRoute(APIRoute):
    """A route whose errors are problems: what the services raise on purpose, and the
    request FastAPI could not validate. Scoped to the API's router, so the pages keep
    their own error pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except (ApiProblem, BontotError, RequestValidationError) as exc:
                return as_problem(request, exc)

        return answer


def no_route(request: Request, rest: str, routes: Sequence[BaseRoute]) -> JSONResponse:
    """Under /api/v1, an address none of `routes` has (404), or a method its route does
    not take (405): as problems too. `rest`: the path below the API's prefix."""
    lang = language(request)
    below = "/" + rest
    for route in routes:
        if isinstance(route, APIRoute) and route.path_regex.match(below):
            allowed = ", ".join(sorted(route.methods or ()))
            words = DETAILS[lang]["method"].format(method=request.method)
            return problem("method_not_allowed", lang, words, headers={"Allow": allowed})
    return problem("not_found", lang, DETAILS[lang]["no_route"])
