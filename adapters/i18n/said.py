"""What the core said, in the user's words: a refusal's message id and parameters with
the definition's labels in place of its code names (events, states, roles, rules) and
the catalogue's names for the data a step takes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from adapters.i18n import number, text
from workflow.audit import ChainProblem
from workflow.errors import Reason, RowProblem
from workflow.runtime.decision import Refusal
from workflow.spec.model import DefinitionSpec, Labels
from workflow.timefmt import from_db, show_instant


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


#: parameters that hold an amount (a limit, a length), written as the language writes numbers
_AMOUNTS = ("most", "least", "length")
#: parameters that hold a register's code word, said by the catalogue's `<key>.<code>`
_WORDS = ("stage", "meeting_kind")
#: an audit finding's instants as the store writes them (a None `met`: not met)
_INSTANTS = ("due", "planned", "met", "chain_met")


def _instant(key: str, value: str | None, lang: str) -> str:
    """A stored instant as people read it (dd/mm/yyyy hh:mm, Việt Nam time)."""
    if value is None:
        return text(lang, "audit.not_met") if key in ("met", "chain_met") else "—"
    try:
        return show_instant(from_db(value))
    except ValueError:  # not an instant after all: as it was written
        return value


def role_word(specs: Iterable[DefinitionSpec], role: str, lang: str) -> str:
    """A role's label from the first definition that has it, else the engine's own
    (administrator, auditor); the code name only for a role nobody labels."""
    for spec in specs:
        if role in spec.roles:
            return spec.role_label(role, lang)
    own = text(lang, f"role.{role}")
    return role if own == f"role.{role}" else own


def no_recipient_text(
    role: str, units: Sequence[str], specs: Iterable[DefinitionSpec], lang: str
) -> str:
    """Why a message is parked with nobody to receive it, the role by its label."""
    return text(lang, "outbox.no_recipient", units=", ".join(units),
                role=role_word(specs, role, lang))  # fmt: skip


class Labeller:
    """The definitions' labels for the code names an error's parameters hold: a role
    (parameters `role`, `owner`), a kind of unit (`kind`, `child_kind`, `parent_kind`,
    and `kinds`, a list), an organisation type (`org_type`, and `types`, a list: its
    labels hold commas, so `; ` between them), and in an audit finding a state
    (`cycle_state`, `chain_state`), an outcome (`cycle_outcome`, `chain_outcome`) or a
    deadline (`deadline`) of the definition its `definition` parameter names (the
    first that has it when that one is unknown; the code when none has). The
    definitions are read when first needed (an error path)."""

    ROLE_KEYS = ("role", "owner")
    KIND_KEYS = ("kind", "child_kind", "parent_kind")
    STATE_KEYS = ("cycle_state", "chain_state")
    OUTCOME_KEYS = ("cycle_outcome", "chain_outcome")
    KEYS = (*ROLE_KEYS, *KIND_KEYS, "kinds", "org_type", "types", *STATE_KEYS,
            *OUTCOME_KEYS, "deadline")  # fmt: skip

    def __init__(self, specs: Callable[[], Iterable[DefinitionSpec]]) -> None:
        self._read = specs
        self._specs: list[DefinitionSpec] | None = None

    def specs(self) -> list[DefinitionSpec]:
        if self._specs is None:
            self._specs = list(self._read())
        return self._specs

    def role(self, role: str, lang: str) -> str:
        return role_word(self.specs(), role, lang)

    def kind(self, kind: str | None, lang: str) -> str:
        if kind is None:  # a root: nothing above it
            return text(lang, "import.no_parent")
        found = self.specs()
        return found[0].documents.unit_kind(kind, lang) if found else kind

    def org_type(self, org_type: str, lang: str) -> str:
        found = self.specs()
        return found[0].documents.org_type(org_type, lang) if found else org_type

    def _spec(
        self, definition: str | None, has: Callable[[DefinitionSpec], bool]
    ) -> DefinitionSpec | None:
        """The newest version of `definition` that has it, else the first spec that has it."""
        having = [s for s in self.specs() if has(s)]
        own = [s for s in having if s.id == definition]
        if own:
            return own[-1]  # the specs are in key order: the newest version last
        return having[0] if having else None

    def state(self, state: str, lang: str, definition: str | None = None) -> str:
        spec = self._spec(definition, lambda s: state in s.states)
        return state if spec is None else spec.state_label(state, lang)

    def outcome(self, outcome: str | None, lang: str, definition: str | None = None) -> str:
        """An outcome by the label of the state of its name (the one that gives it)."""
        if outcome is None:
            return text(lang, "audit.no_outcome")
        spec = self._spec(definition, lambda s: any(
            name == outcome or st.outcome == outcome for name, st in s.states.items()))
        if spec is None:
            return outcome
        named = outcome if outcome in spec.states else next(
            n for n, st in spec.states.items() if st.outcome == outcome)
        return spec.state_label(named, lang)

    def deadline(self, key: str, lang: str, definition: str | None = None) -> str:
        spec = self._spec(definition, lambda s: key in s.deadlines or key in s.milestones)
        if spec is None:
            return key
        own = spec.deadlines.get(key) or spec.milestones[key]
        return own.label.get(lang)

    def value(self, key: str, value: Any, lang: str, definition: str | None = None) -> Any:
        if key in self.ROLE_KEYS and isinstance(value, str):
            return self.role(value, lang)
        if key in self.KIND_KEYS and (value is None or isinstance(value, str)):
            return self.kind(value, lang)
        if key == "kinds" and isinstance(value, tuple | list):
            return ", ".join(self.kind(v, lang) for v in value)
        if key == "org_type" and isinstance(value, str):
            return self.org_type(value, lang)
        if key == "types" and isinstance(value, tuple | list):
            return "; ".join(self.org_type(v, lang) for v in value)
        if key in self.STATE_KEYS and isinstance(value, str):
            return self.state(value, lang, definition)
        if key in self.OUTCOME_KEYS and (value is None or isinstance(value, str)):
            return self.outcome(value, lang, definition)
        if key == "deadline" and isinstance(value, str):
            return self.deadline(value, lang, definition)
        return value


def error_text(
    lang: str, msgid: str, params: Mapping[str, Any], labels: Labeller | None = None
) -> str:
    """An error's message in `lang`: a policy's reason in it said in `lang` too, code
    names by their labels (`labels`), a definition's label in the language."""
    return text(lang, msgid, **said_params(params, lang, labels))


def said_params(
    params: Mapping[str, Any], lang: str, labels: Labeller | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, Reason):
            out[key] = error_text(lang, value.msgid, value.params, labels)
        elif isinstance(value, Labels):
            out[key] = value.get(lang)
        elif key in _AMOUNTS and isinstance(value, int) and not isinstance(value, bool):
            out[key] = number(value, lang, 0)  # 100.000 in Vietnamese, 100,000 in English
        elif key in _INSTANTS and (value is None or isinstance(value, str)):
            out[key] = _instant(key, value, lang)
        elif key in _WORDS and isinstance(value, str):
            said = text(lang, f"{key}.{value}")
            out[key] = value if said == f"{key}.{value}" else said
        elif key == "reason" and isinstance(value, str):  # the short ones: "bad token"
            said = text(lang, f"reason.{value}")
            out[key] = value if said == f"reason.{value}" else said
        elif labels is not None and key in labels.KEYS:
            where = params.get("definition")
            out[key] = labels.value(key, value, lang, where if isinstance(where, str) else None)
        elif key == "fields" and isinstance(value, tuple | list):  # a record's, by name
            out[key] = ", ".join(_said_or_code(lang, f"record_field.{v}", v) for v in value)
        elif key in ("kinds", "types") and isinstance(value, tuple | list):
            out[key] = ", ".join("—" if v is None else str(v) for v in value)  # the codes
        else:
            out[key] = "—" if value is None else value
    return out


def _said_or_code(lang: str, msgid: str, code: Any) -> str:
    said = text(lang, msgid)
    return str(code) if said == msgid else said


def message_text(message: str, lang: str, labels: Labeller | None = None) -> str:
    """A message that may be a policy's or an import's reason, in `lang`."""
    if isinstance(message, Reason):
        return error_text(lang, message.msgid, message.params, labels)
    return message


def chain_problem_text(problem: ChainProblem, lang: str, labels: Labeller | None = None) -> str:
    """A verification's finding in `lang`: where (chain, record) and what is wrong, the
    definitions' code names by their labels (`labels`)."""
    chain, record, message = (
        message_text(part, lang, labels)
        for part in (problem.chain, problem.record, problem.message)
    )
    return f"{chain}, {record}: {message}"


def said_problems(
    problems: Iterable[RowProblem], lang: str, labels: Labeller | None = None
) -> list[RowProblem]:
    """An import's bad cells, each message in `lang`."""
    return [replace(p, message=message_text(p.message, lang, labels)) for p in problems]
