"""What the core said, in the user's words: a refusal's message id and parameters with
the definition's labels in place of its code names (events, states, roles, rules) and
the catalogue's names for the data a step takes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.i18n import text
from workflow.runtime.decision import Refusal
from workflow.spec.model import DefinitionSpec


def field_label(name: str, lang: str) -> str:
    """A payload field's name for people (the definitions do not label them)."""
    said = text(lang, f"field.{name}")
    return name if said == f"field.{name}" else said


def labelled(params: Mapping[str, Any], spec: DefinitionSpec | None, lang: str) -> dict[str, Any]:
    """`params` with each code name replaced by its label in `lang`."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if spec is not None and key in ("event", "done"):
            out[key] = spec.event_label(str(value), lang)
        elif spec is not None and key == "state":
            out[key] = spec.state_label(str(value), lang)
        elif spec is not None and key == "states":
            out[key] = ", ".join(spec.state_label(str(v), lang) for v in value) or "—"
        elif spec is not None and key in ("role", "held"):
            out[key] = spec.role_label(str(value), lang)
        elif spec is not None and key == "roles":
            out[key] = ", ".join(spec.role_label(str(v), lang) for v in value)
        elif spec is not None and key == "rule":
            out[key] = spec.rule_label(str(value), lang)
        elif key == "fields":
            out[key] = ", ".join(field_label(str(v), lang) for v in value)
        elif key == "hint":
            out[key] = text(lang, "refusal.override_hint") if value else ""
        else:
            out[key] = value
    return out


def refusal_text(refusal: Refusal, spec: DefinitionSpec | None, lang: str) -> str:
    """The refusal's reason in `lang` (its English message if the catalogue lacks it)."""
    said = text(lang, refusal.message_id, **labelled(refusal.params, spec, lang))
    if said == refusal.message_id:
        return refusal.message
    if not refusal.msgid and not refusal.params and refusal.code == "not_authorized":
        return f"{said} ({refusal.message})"  # a refusal that names no message of its own
    return said
