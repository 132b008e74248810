"""The forms of the events: which fields an event asks for (from the definition: its
`requires`, and the recognition rule's criteria and the organisation type's checklist
for the self-evaluation) and the payload a submitted form makes. Never JSON typed in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workflow.errors import BontotError
from workflow.spec.model import DefinitionSpec

#: plain text fields an event may require, in the order a form shows them
TEXT_FIELDS = ("plan", "reason", "decision")


@dataclass(frozen=True)
class Criterion:
    key: str
    label_vi: str
    label_en: str


@dataclass(frozen=True)
class EventForm:
    event: str
    role: str
    label_vi: str
    label_en: str
    texts: tuple[str, ...]
    criteria: tuple[Criterion, ...]
    checklist: tuple[Criterion, ...]
    overridable: bool


def _criteria(spec: DefinitionSpec) -> Mapping[str, Any]:
    for rule in spec.rules.values():
        found = rule.get("criteria") if isinstance(rule, Mapping) else None
        if isinstance(found, Mapping):
            return found
    return {}


def event_form(spec: DefinitionSpec, event: str, role: str, org_type: str) -> EventForm:
    transition = next(t for t in spec.transitions if t.trigger == event)
    label = transition.label
    criteria: tuple[Criterion, ...] = ()
    checklist: tuple[Criterion, ...] = ()
    if "criteria" in transition.requires:
        found = _criteria(spec)
        criteria = tuple(
            Criterion(k, v["vi"], v["en"]) for k, v in dict(found.get("keys", {})).items()
        )
        by_type = dict(dict(found.get("checklist") or {}).get("by_type", {}))
        checklist = tuple(
            Criterion(k, v["vi"], v["en"]) for k, v in dict(by_type.get(org_type, {})).items()
        )
    return EventForm(
        event, role,
        label.vi if label else event, label.en if label else event,
        tuple(f for f in TEXT_FIELDS if f in transition.requires),
        criteria, checklist, transition.overridable,
    )  # fmt: skip


def payload_of(form: EventForm, fields: Mapping[str, str], lang: str) -> dict[str, Any]:
    """The event's payload from the submitted fields; a score that is not a number
    between 0 and 100 is bad input, said in the visitor's language."""
    payload: dict[str, Any] = {}
    for name in form.texts:
        value = fields.get(name, "").strip()
        if value:
            payload[name] = value
    if form.criteria:
        scores: dict[str, Any] = {}
        for c in form.criteria:
            raw = fields.get(f"score.{c.key}", "").strip().replace(",", ".")
            label = c.label_en if lang == "en" else c.label_vi
            try:
                score = float(raw)
            except ValueError:
                raise BontotError(
                    f"{label}: " + ("a score from 0 to 100 is needed" if lang == "en"
                                    else "cần nhập điểm từ 0 đến 100")
                ) from None
            if not 0 <= score <= 100:
                raise BontotError(
                    f"{label}: {raw} " + ("is not between 0 and 100" if lang == "en"
                                          else "không nằm trong khoảng 0–100")
                )
            evidence = [e.strip() for e in fields.get(f"evidence.{c.key}", "").split(",")]
            scores[c.key] = {
                "score": int(score) if score.is_integer() else score,
                "evidence": [e for e in evidence if e],
            }
        payload["criteria"] = scores
        payload["checklist"] = {c.key: fields.get(f"checklist.{c.key}") == "on"
                                for c in form.checklist}  # fmt: skip
    override = fields.get("override", "").strip()
    if form.overridable and override:
        payload["override"] = override
    return payload


def missing(form: EventForm, fields: Mapping[str, str]) -> list[str]:
    """The text fields the event requires that the submitted form left blank."""
    return [name for name in form.texts if not fields.get(name, "").strip()]
