"""What an authenticated actor does to cycles: open a year, fire one event, decide many
at once, move cycles to another version of their definition.

Each call authenticates the actor first (`Actors`), then hands the act to the cycle
service; an entry point makes one call here and renders what comes back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from typing import Any

from workflow.access import acting_refusal
from workflow.errors import InvalidInput, NotFound, Reason
from workflow.service.actors import Actors, Credential, Refused, TokenSource, no_token
from workflow.service.bulk import BulkItem, BulkRequest, bulk_fire, outcome_counts
from workflow.service.cycles import CycleService
from workflow.service.records import Cycle, MigrationSelection
from workflow.service.results import FireResult, OpenResult
from workflow.service.versions import MigrationReport, move_cycles
from workflow.spec.registry import Definition, DefinitionSet
from workflow.versions import parse_pairs

#: told each batch of a bulk decision, with the request as decided
BulkProgress = Callable[[BulkRequest, list[BulkItem]], None]
#: given how many cycles will open, a context whose value is told each batch's count
ProgressFor = Callable[[int], AbstractContextManager[Callable[[int], None]]]


@dataclass(frozen=True)
class Fired:
    result: FireResult
    definition: Definition
    role: str


class Acts:
    def __init__(
        self,
        actors: Actors,
        cycles: CycleService,
        catalog: DefinitionSet,
    ) -> None:
        self.actors = actors
        self.cycles = cycles
        self.uow = cycles.uow
        self.catalog = catalog

    def open_cycles(
        self,
        definition_id: str,
        year: int,
        under: str | None,
        actor: str,
        progress_for: ProgressFor,
        token: TokenSource = no_token,
        backdated: str | None = None,
    ) -> tuple[Definition, OpenResult]:
        """Open the year's cycle for every unit under a node (again: nothing more)."""
        self.actors.authenticate(actor, "cycle open", token, backdated, administrator=True)
        definition = self.catalog.latest(definition_id)
        node = self.uow.units.find(under) if under else None
        spec = definition.spec
        todo = self.uow.cycles.count_units_without_cycle(node, spec.applies_to, year, spec.id)
        with progress_for(todo) as progress:
            result = self.cycles.open_cycles(
                definition, year, under, actor=actor, progress=progress
            )
        return definition, result

    def fire(
        self,
        unit: str,
        event: str,
        year: int,
        actor: str,
        role: str | None,
        payload: dict[str, Any],
        definition_id: str | None = None,
        if_version: int | None = None,
        token: Credential = no_token,
        backdated: str | None = None,
    ) -> Fired:
        """Fire `event` on the unit's cycle of `year`, as the actor's role (`role` None:
        the actor's own, or the one role the event allows). A refusal is in the result."""
        grant = self.actors.authenticate(actor, f"fire {event}", token, backdated)
        cycle = self.cycles.cycle(unit, year, definition_id)
        definition = self.cycles.definition(cycle.definition_id, cycle.definition_version)
        if role is None:
            role = grant.role if grant is not None else self._default_role(cycle, event)
        result = self.cycles.fire_on(cycle, event, actor, role, payload, if_version, grant)
        return Fired(result, definition, role)

    def _default_role(self, cycle: Cycle, event: str) -> str:
        definition = self.cycles.definition(cycle.definition_id, cycle.definition_version)
        roles = self.cycles.machine(definition).roles_for(cycle.state, event)
        if len(roles) == 1:
            return roles[0]
        if not roles:
            # Let the cycle service refuse it with the full reason (wrong state, unknown event).
            return "-"
        raise InvalidInput(
            f"{event!r} may be fired by {', '.join(roles)}: say which with --role",
            msgid="usage.which_role",
            params={"event": event, "roles": ", ".join(roles)},
        )

    def trigger(self, word: str) -> str:
        """The definitions' trigger a word names (see `trigger_named`)."""
        known = {t.trigger for d in self.catalog for t in d.spec.transitions}
        return trigger_named(word, known)

    def bulk(
        self,
        request: BulkRequest,
        token: Credential = no_token,
        backdated: str | None = None,
        progress: BulkProgress | None = None,
    ) -> tuple[BulkRequest, list[BulkItem]]:
        """Decide one event (a trigger, or a word for it) on many cycles as the
        authenticated actor (`request.role` empty: the actor's own role); a real run is
        kept in the trail as one fact. The request as decided, and each cycle's outcome."""
        request = replace(request, event=self.trigger(request.event))
        grant = self.actors.authenticate(request.actor, f"bulk {request.event}", token, backdated)
        why = acting_refusal(grant)
        if why is not None:
            assert grant is not None
            raise self.actors.refuse(
                grant, f"bulk {request.event}", why, f"{grant.actor}: {why}",
                year=request.year, event=request.event, unit_code=request.under,
            )  # fmt: skip
        role = request.role
        if not role:
            if grant is None:
                raise InvalidInput("say which role acts with --role", msgid="usage.role_needed")
            role = grant.role
        request = replace(request, role=role, grant=grant)
        decided = request
        items = bulk_fire(
            self.cycles, request, None if progress is None else lambda b: progress(decided, b)
        )
        if not request.dry_run:
            self.actors.record(
                "bulk_decision", request.actor, role=role,
                year=request.year, event=request.event, unit_code=request.under,
                detail={"select": request.select, "states": sorted(request.states or []),
                        **outcome_counts(items)},
            )  # fmt: skip
        return request, items

    def migrate(
        self,
        definition_id: str,
        from_version: int,
        to_version: int,
        mapping: Sequence[str],
        under: str | None,
        year: int | None,
        actor: str,
        dry_run: bool,
        batch_size: int,
        token: TokenSource = no_token,
        backdated: str | None = None,
    ) -> MigrationReport:
        """Move running cycles to another version of their definition, by a state map."""
        grant = self.actors.authenticate(
            actor, "definitions migrate", token, backdated, administrator=True
        )
        role = grant.role if grant is not None else "system"
        pairs = parse_pairs(list(mapping))
        target = self._target(definition_id, to_version)
        node = self.uow.units.find(under) if under else None
        return move_cycles(
            self.cycles,
            MigrationSelection(definition_id, from_version, node, year),
            target,
            pairs,
            actor=actor,
            role=role,
            dry_run=dry_run,
            batch_size=batch_size,
        )

    def _target(self, definition_id: str, version: int) -> Definition:
        """The target version as stored, else from the definition files."""
        try:
            return self.uow.definitions.load(definition_id, version)
        except NotFound:
            pass
        try:
            return self.catalog.get(definition_id, version)
        except NotFound:
            raise Refused(Reason(
                f"definition {definition_id!r} version {version} is neither in the database "
                "nor among the definition files",
                "reason.unknown_version", definition=definition_id, version=version,
            )) from None  # fmt: skip


def trigger_named(word: str, triggers: Iterable[str]) -> str:
    """The trigger among `triggers` that `word` names: itself, or the word as people say
    it (British spelling "recognise", the noun "recognition" or "appraisal"). A word that
    names none is returned as it is, for the cycle service to refuse with its reason."""
    known = set(triggers)
    candidates = [word]
    if word.endswith("ise"):
        candidates.append(word[: -len("ise")] + "ize")
    if word.endswith("tion"):
        candidates.append(word[: -len("tion")] + "ze")
    if word.endswith("al"):
        candidates.append(word[: -len("al")] + "e")
    return next((c for c in candidates if c in known), word)
