"""Subject and plain-text body of a reminder or escalation notice, in Vietnamese or English.

The wording lives in `templates/digest.<lang>.txt.j2`, so that it can be corrected
without touching code. The sandbox and `StrictUndefined` make a template that asks for
something the context lacks fail loudly here, rather than send "Kính gửi: ," to a
provincial board. Deciding *what* to send (grouping, ordering, dates as dd/mm/yyyy) is
the caller's; this module only words it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from jinja2 import PackageLoader, StrictUndefined, TemplateError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

LANGS = ("vi", "en")
KINDS = ("reminder", "escalation")
#: what a context may leave out; everything else a template uses is required
_RECIPIENT_DEFAULTS: dict[str, Any] = {"unit_code": "", "unit_name": ""}
_ITEM_DEFAULTS: dict[str, Any] = {"late": False, "moved": "", "state_label": ""}
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


def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=PackageLoader("adapters.notifications", "templates"),
        autoescape=False,  # plain text: "&" in a unit's name must stay "&"
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["offset_text"] = offset_text
    return env


_ENV = _environment()


def template_lang(lang: str) -> str:
    """English when asked for ("en", "en-GB"); Vietnamese, the default, otherwise."""
    return "en" if lang.strip().lower()[:2] == "en" else "vi"


def render_digest(lang: str, context: Mapping[str, Any]) -> tuple[str, str]:
    """(subject, body) for one recipient: one item reads as a notice, several as a digest.

    `context`: {"recipient": {...}, "sent_at": "dd/mm/yyyy HH:MM", "items": [...]}, each
    item with kind ("reminder" | "escalation"), unit_code, unit_name, deadline_label, due,
    step, offset, and optionally state_label, late (False) and moved (""); the recipient
    with role_label, and optionally unit_code and unit_name. Extra keys are ignored.
    Items keep the given order within their group; escalations come before reminders.
    Raises ValueError for an empty or malformed context.
    """
    items = context.get("items")
    if not isinstance(items, list | tuple) or not items:
        raise ValueError("a notice needs at least one item under 'items'")
    for index, item in enumerate(items):
        if not isinstance(item, Mapping) or item.get("kind") not in KINDS:
            kind = item.get("kind") if isinstance(item, Mapping) else item
            raise ValueError(f"items[{index}]: kind {kind!r} is not one of {KINDS}")
    recipient = context.get("recipient")
    if not isinstance(recipient, Mapping):
        raise ValueError("a notice needs a 'recipient' mapping")
    filled = [{**_ITEM_DEFAULTS, **item} for item in items]
    view = dict(context)
    view.update(
        recipient={**_RECIPIENT_DEFAULTS, **recipient},
        items=filled,
        single=len(filled) == 1,
        item=filled[0],
        reminders=[i for i in filled if i["kind"] == "reminder"],
        escalations=[i for i in filled if i["kind"] == "escalation"],
        late=any(i["late"] for i in filled),
    )
    template = _ENV.get_template(f"digest.{template_lang(lang)}.txt.j2")
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
