"""Moving running cycles from one version of a definition to another (pure).

Camunda's process instance migration is the model: a migration plan maps each state of
the source version to a state of the target version, and every cycle is moved by that
map or refused with the reason.

The map. Every state whose name exists in both versions maps to itself (Camunda's
`mapEqualActivities`); explicit `old=new` pairs add to it and override it. A pair that
names a state the source or the target does not have is an error before anything moves.

A cycle is refused (and left exactly as it was) when
- its state has no counterpart in the target and no pair maps it (`unmapped_state`);
- it is closed: its state is final in the source version (`closed`). A closed cycle's
  result was decided by the source's rules; relabelling it with the target would claim
  the target decided it, and it has nothing left to move through. Like Camunda, which
  migrates active instances only, a migration leaves finished cycles where they ended;
- the target does not apply to its unit's kind (`not_applicable`): the target would
  never have opened it;
- its state is not even a state of the source (`unknown_state`: a row out of step with
  its definition, for an administrator to look at).

Errors of the request as a whole (the same version twice, another definition, a pair
that names an unknown state) raise MigrationError before any cycle is looked at.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from workflow.errors import BontotError
from workflow.spec.model import DefinitionSpec

RefusalCode = Literal["unmapped_state", "closed", "unknown_state", "not_applicable"]

#: the event a migration record carries in a cycle's audit trail
MIGRATE_EVENT = "migrate"


class MigrationError(BontotError):
    """A migration request that cannot be carried out at all; nothing was changed."""


@dataclass(frozen=True)
class StateMap:
    """Which target state each source state moves to."""

    definition_id: str
    source: int
    target: int
    #: source state -> target state, for every state that has one
    states: Mapping[str, str]
    #: the source states the operator mapped explicitly (the others map by name)
    explicit: frozenset[str]

    def target_of(self, state: str) -> str | None:
        return self.states.get(state)

    def as_dict(self) -> dict[str, str]:
        return dict(self.states)


def parse_pairs(texts: Iterable[str]) -> list[tuple[str, str]]:
    """`old=new` texts as pairs. A malformed text, or one source state given two
    different targets, is an error."""
    pairs: dict[str, str] = {}
    problems = []
    for text in texts:
        old, sep, new = text.partition("=")
        old, new = old.strip(), new.strip()
        if not sep or not old or not new:
            problems.append(f"{text!r} is not OLD=NEW")
            continue
        if old in pairs and pairs[old] != new:
            problems.append(f"{old!r} is mapped twice ({pairs[old]!r} and {new!r})")
            continue
        pairs[old] = new
    if problems:
        raise MigrationError("state mapping: " + "; ".join(problems))
    return list(pairs.items())


def state_map(
    source: DefinitionSpec, target: DefinitionSpec, pairs: Sequence[tuple[str, str]] = ()
) -> StateMap:
    """The map from `source` to `target`: same names, then the explicit pairs. Every
    problem with the request is reported at once."""
    problems = []
    if source.id != target.id:
        problems.append(f"the versions are of different definitions ({source.id!r}, {target.id!r})")
    if source.version == target.version:
        problems.append(f"source and target are the same version ({source.version})")
    for old, new in pairs:
        if old not in source.states:
            problems.append(
                f"{old}={new}: {old!r} is not a state of {source.id} v{source.version} "
                f"(states: {', '.join(source.states)})"
            )
        if new not in target.states:
            problems.append(
                f"{old}={new}: {new!r} is not a state of {target.id} v{target.version} "
                f"(states: {', '.join(target.states)})"
            )
    if problems:
        raise MigrationError(
            f"cannot migrate {source.id} v{source.version} -> v{target.version}: "
            + "; ".join(problems)
        )
    states = {name: name for name in source.states if name in target.states}
    states.update(pairs)
    return StateMap(
        source.id, source.version, target.version, states, frozenset(old for old, _ in pairs)
    )


@dataclass(frozen=True)
class MoveVerdict:
    """What a migration does with one cycle: moves it (to_state) or refuses (reason)."""

    cycle_id: int
    unit_code: str
    year: int
    from_state: str
    to_state: str | None
    reason: RefusalCode | None = None

    @property
    def moved(self) -> bool:
        return self.reason is None

    def message(self, source: int, target: int) -> str:
        """The reason in English, for logs (the CLI says it in the user's language)."""
        if self.reason == "unmapped_state":
            return (
                f"state {self.from_state!r} of v{source} is not in v{target} and no pair maps "
                f"it (--map {self.from_state}=STATE)"
            )
        if self.reason == "closed":
            return (
                f"the cycle is closed ({self.from_state!r} is final in v{source}): it stays on "
                "the version that decided it"
            )
        if self.reason == "unknown_state":
            return f"state {self.from_state!r} is not a state of v{source}"
        if self.reason == "not_applicable":
            return f"v{target} does not apply to this unit's kind"
        return f"{self.from_state} -> {self.to_state}"


def judge(
    cycle_id: int,
    unit_code: str,
    year: int,
    state: str,
    source: DefinitionSpec,
    mapping: StateMap,
    unit_kind: str | None = None,
    target: DefinitionSpec | None = None,
) -> MoveVerdict:
    """Move or refuse one cycle of the source version, in state `state` (of a unit of
    `unit_kind`, checked against what `target` applies to when both are given)."""
    own = source.states.get(state)
    if own is None:
        return MoveVerdict(cycle_id, unit_code, year, state, None, "unknown_state")
    if own.final:
        return MoveVerdict(cycle_id, unit_code, year, state, None, "closed")
    if target is not None and unit_kind is not None and unit_kind not in target.applies_to:
        return MoveVerdict(cycle_id, unit_code, year, state, None, "not_applicable")
    to_state = mapping.target_of(state)
    if to_state is None:
        return MoveVerdict(cycle_id, unit_code, year, state, None, "unmapped_state")
    return MoveVerdict(cycle_id, unit_code, year, state, to_state)


def met_deadlines(target: DefinitionSpec, state: str) -> frozenset[str]:
    """The target's deadlines a cycle in `state` has met (the state is in their met_in)."""
    return frozenset(key for key, d in target.deadlines.items() if state in d.met_in)
