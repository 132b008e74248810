"""Subject and plain-text body of a reminder or escalation notice, in Vietnamese or English.

The wording lives in `templates/digest.<lang>.txt.j2`, so that it can be corrected
without touching code. The sandbox and `StrictUndefined` make a template that asks for
something the context lacks fail loudly here, rather than send "Kính gửi: ," to a
provincial board. Deciding *what* to send (grouping, ordering, dates as dd/mm/yyyy) is
the caller's; this module only words it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from functools import cache
from typing import Any

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    TemplateError,
    UndefinedError,
)
from jinja2.sandbox import SandboxedEnvironment

from adapters.holidays_vn import calendar_for
from workflow.calendar import WorkingCalendar
from workflow.spec.model import CalendarSpec

LANGS = ("vi", "en")
KINDS = ("reminder", "escalation")
#: what a context may leave out; everything else a template uses is required
_RECIPIENT_DEFAULTS: dict[str, Any] = {"unit_code": "", "unit_name": ""}
_ITEM_DEFAULTS: dict[str, Any] = {"late": False, "moved": "", "state_label": ""}
#: the web board's address; with it each unit in a digest links to its page
ENV_BASE_URL = "BONTOT_BASE_URL"
#: a jurisdiction's folder of templates (digest.vi.txt.j2, ...): its files win over ours
ENV_TEMPLATES = "BONTOT_TEMPLATES"
_OFFSET = re.compile(r"^([+-]?)(\d+)\s+(working_days?|days?)$")
_BLANK_RUNS = re.compile(r"\n{3,}")


def offset_text(offset: str, lang: str) -> str:
    """'-5 working_days' → '5 ngày làm việc trước hạn' / '5 working days before the due date'.

    Text in another form is shown as it is: a new unit in a definition must not stop mail.
    """
    match = _OFFSET.match(str(offset).strip())
    if not match:
        return str(offset)
    sign, count, unit = match.group(1), int(match.group(2)), match.group(3)
    working = unit.startswith("working")
    if lang == "vi":
        amount = f"{count} ngày làm việc" if working else f"{count} ngày"
        if count == 0:
            return "đúng ngày đến hạn"
        return f"{amount} {'trước hạn' if sign == '-' else 'sau hạn'}"
    if count == 0:
        return "on the due date"
    noun = ("working day" if working else "day") + ("" if count == 1 else "s")
    return f"{count} {noun} {'before' if sign == '-' else 'after'} the due date"


@cache
def _environment(html: bool = False, folder: str = "") -> SandboxedEnvironment:
    loader: BaseLoader = PackageLoader("adapters.notifications", "templates")
    if folder:
        loader = ChoiceLoader([FileSystemLoader(folder), loader])
    env = SandboxedEnvironment(
        loader=loader,
        # plain text: "&" in a unit's name must stay "&"; HTML: it must become "&amp;"
        autoescape=html,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["offset_text"] = offset_text
    return env


def _env(html: bool = False) -> SandboxedEnvironment:
    return _environment(html, os.environ.get(ENV_TEMPLATES, ""))


def template_lang(lang: str) -> str:
    """English when asked for ("en", "en-GB"); Vietnamese, the default, otherwise."""
    return "en" if lang.strip().lower()[:2] == "en" else "vi"


def render_digest(lang: str, context: Mapping[str, Any]) -> tuple[str, str]:
    """(subject, body) for one recipient: one item reads as a notice, several as a digest.

    `context`: {"recipient": {...}, "sent_at": "dd/mm/yyyy HH:MM", "items": [...]}, each
    item with kind ("reminder" | "escalation"), unit_code, unit_name, deadline_label, due,
    step, offset, and optionally state_label, late (False) and moved (""); the recipient
    with role_label, and optionally unit_code and unit_name; optionally "calendar" (a
    definition's calendar settings), to count working days left or late. Extra keys are
    ignored. A digest puts counts first, then groups by deadline (escalations first) and
    by stage within it, keeping the given order inside a group.
    Raises ValueError for an empty or malformed context.
    """
    view = _view(context)
    template = _env().get_template(f"digest.{template_lang(lang)}.txt.j2")
    try:
        variables = template.new_context(view)
        subject = "".join(template.blocks["subject"](variables))
        body = "".join(template.blocks["body"](template.new_context(view)))
    except UndefinedError as error:
        raise ValueError(f"notice context: {error}") from error
    except TemplateError as error:  # a broken template file: say which
        raise ValueError(f"{template.name}: {error}") from error
    subject = " ".join(subject.split())
    lines = "\n".join(line.rstrip() for line in body.strip().splitlines())
    return subject, _BLANK_RUNS.sub("\n\n", lines) + "\n"


def render_digest_html(lang: str, context: Mapping[str, Any]) -> str:
    """The same message as HTML (the e-mail's second part), escaped by the template."""
    view = _view(context)
    template = _env(html=True).get_template(f"digest.{template_lang(lang)}.html.j2")
    try:
        return template.render(view)
    except UndefinedError as error:
        raise ValueError(f"notice context: {error}") from error
    except TemplateError as error:
        raise ValueError(f"{template.name}: {error}") from error


def _view(context: Mapping[str, Any]) -> dict[str, Any]:
    items = context.get("items")
    if not isinstance(items, list | tuple) or not items:
        raise ValueError("a notice needs at least one item under 'items'")
    for index, item in enumerate(items):
        if not isinstance(item, Mapping) or item.get("kind") not in KINDS:
            kind = item.get("kind") if isinstance(item, Mapping) else item
            raise ValueError(f"items[{index}]: kind {kind!r} is not one of {KINDS}")
        for key in ("unit_code", "deadline_label", "due"):
            if key not in item:
                raise ValueError(f"notice context: items[{index}] has no '{key}'")
    recipient = context.get("recipient")
    if not isinstance(recipient, Mapping):
        raise ValueError("a notice needs a 'recipient' mapping")
    base = os.environ.get(ENV_BASE_URL, "").rstrip("/")
    sent = _day(str(context.get("sent_at", "")))
    calendar = _calendar(context.get("calendar"))
    filled = []
    for item in items:
        full = {**_ITEM_DEFAULTS, **item}
        full["url"] = f"{base}/units/{full['unit_code']}" if base else ""
        due = _day(str(full.get("due", "")))
        full["working_days"] = (
            working_days_between(calendar, sent, due) if sent and due and calendar else None
        )
        filled.append(full)
    view = dict(context)
    view.update(
        recipient={**_RECIPIENT_DEFAULTS, **recipient},
        items=filled,
        single=len(filled) == 1,
        item=filled[0],
        reminders=[i for i in filled if i["kind"] == "reminder"],
        escalations=[i for i in filled if i["kind"] == "escalation"],
        late=any(i["late"] for i in filled),
        groups=_groups(filled),
        units=len({i["unit_code"] for i in filled}),
    )
    return view


def _groups(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Escalations then reminders; within each, one group per deadline and due date, and
    within a deadline one per stage: what a board works through, with counts."""
    groups: dict[tuple[str, str, str], dict[str, Any]] = {}
    for kind in ("escalation", "reminder"):
        for item in items:
            if item["kind"] != kind:
                continue
            key = (kind, item["deadline_label"], item["due"])
            group = groups.setdefault(key, {
                "kind": kind, "deadline_label": item["deadline_label"], "due": item["due"],
                "working_days": item["working_days"], "count": 0, "stages": {},
            })
            group["count"] += 1
            group["stages"].setdefault(item["state_label"], []).append(item)
    return [
        {**g, "stages": [{"label": k, "entries": v} for k, v in g["stages"].items()]}
        for g in groups.values()
    ]


def _day(text: str) -> date | None:
    """The date of "dd/mm/yyyy[ HH:MM]"; None for anything else."""
    try:
        day, month, year = text.split()[0].split("/")
        return date(int(year), int(month), int(day))
    except (ValueError, IndexError):
        return None


def _calendar(settings: object) -> WorkingCalendar | None:
    if not isinstance(settings, Mapping):
        return None
    return _calendar_from(json.dumps(settings, sort_keys=True))


@cache
def _calendar_from(settings: str) -> WorkingCalendar:
    return calendar_for(CalendarSpec.model_validate(json.loads(settings)))


def working_days_between(calendar: WorkingCalendar, today: date, due: date) -> int:
    """Working days left until `due` (0: due today), negative once it has passed: the
    working days since, the due day not counted."""
    low, high, sign = (today, due, 1) if due >= today else (due, today, -1)
    count = 0
    day = low + timedelta(days=1)
    while day <= high:
        count += calendar.is_working(day)
        day += timedelta(days=1)
    return sign * count
