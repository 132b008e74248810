"""What the core said, in the user's words: a refusal's message id and parameters with
the definition's labels in place of its code names (events, states, roles, rules) and
the catalogue's names for the data a step takes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from adapters.i18n import text
from workflow.errors import Reason
from workflow.runtime.decision import Refusal
from workflow.spec.model import DefinitionSpec, Labels

#: a role's code name -> its label in a language
RoleWords = Callable[[str, str], str]


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


def role_word(specs: Iterable[DefinitionSpec], role: str, lang: str) -> str:
    """A role's label from the first definition that has it, else the engine's own
    (administrator, auditor); the code name only for a role nobody labels."""
    for spec in specs:
        if role in spec.roles:
            return spec.role_label(role, lang)
    own = text(lang, f"role.{role}")
    return role if own == f"role.{role}" else own


def error_text(
    lang: str, msgid: str, params: Mapping[str, Any], roles: RoleWords | None = None
) -> str:
    """An error's message in `lang`: a policy's reason in it said in `lang` too, a role by
    its label (`roles`), a definition's label in the language."""
    return text(lang, msgid, **said_params(params, lang, roles))


def said_params(
    params: Mapping[str, Any], lang: str, roles: RoleWords | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, Reason):
            out[key] = error_text(lang, value.msgid, value.params, roles)
        elif isinstance(value, Labels):
            out[key] = value.get(lang)
        elif key == "reason" and isinstance(value, str):  # the short ones: "bad token"
            said = text(lang, f"reason.{value}")
            out[key] = value if said == f"reason.{value}" else said
        elif key in ("role", "owner") and roles is not None and isinstance(value, str):
            out[key] = roles(value, lang)
        else:
            out[key] = value
    return out
