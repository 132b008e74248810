"""The audit trail as its readers see it: the auditor's export, the log of who did what,
the anchor an administrator records, and the outbox's counts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from workflow.clock import Clock
from workflow.errors import NotFound, Reason
from workflow.notices import UnaddressedNotice, readdress
from workflow.service.actors import Actors, Refused, TokenSource, no_token
from workflow.service.auditing import export_lines
from workflow.service.ports import UnitOfWork
from workflow.service.records import OutboxCounts, UnitRef
from workflow.service.ticks import installation_id
from workflow.timefmt import to_db


@dataclass(frozen=True)
class Export:
    """An export's cycles and its JSONL lines (read while the connection is open)."""

    cycles: int
    lines: Iterator[str]


@dataclass(frozen=True)
class Retried:
    """What a retry of parked messages did."""

    #: parked after failing, due again now as they were
    unparked: int
    #: parked with no recipient, their notices now queued to the contact the tree holds
    readdressed: int
    #: parked with no recipient and still nobody: (message key, role, unit codes)
    unreachable: list[tuple[str, str, list[str]]]


class Trail:
    def __init__(self, uow: UnitOfWork, actors: Actors, clock: Clock) -> None:
        self.uow = uow
        self.actors = actors
        self.clock = clock

    def _node(self, under: str | None) -> UnitRef | None:
        return self.uow.units.find(under) if under else None

    def export(self, year: int, under: str | None = None) -> Export:
        """The year's cycle chains under a node: a header, each chain's head, its records."""
        node = self._node(under)
        cycles = self.uow.audit.chain_heads(node, year)
        header = {
            "installation": installation_id(self.uow),
            "under": under,
            "year": year,
            "exported_at": to_db(self.clock.now()),
            "cycles": len(cycles),
        }
        rows = self.uow.audit.transition_rows(node, year)
        return Export(len(cycles), export_lines(header, cycles, rows))

    def log(
        self,
        under: str | None,
        actor: str | None,
        event: str | None,
        since: datetime | None,
        until: datetime | None,
        only: str | None,
    ) -> list[dict[str, Any]]:
        """Applied events and recorded facts, filtered. `only`: late | refusals | overrides."""
        return self.uow.audit.log(self._node(under), actor, event, since, until, only)

    def anchor(
        self, by: str, token: TokenSource = no_token, backdated: str | None = None
    ) -> dict[str, Any]:
        """One hash over every chain's head as of now, recorded by an administrator."""
        return self.actors.anchor(by, token, backdated)

    def outbox(self) -> OutboxCounts:
        return replace(
            self.uow.outbox.counts(), unaddressed=_by_message(self.uow.outbox.unaddressed(None))
        )

    def retry_parked(
        self, keys: Sequence[str] | None, by: str, token: TokenSource = no_token
    ) -> Retried:
        """Parked messages sent again by the next tick (`keys`, or all when None): an
        administrator's act once actors exist. A message parked with no recipient goes to
        the contact its role has now (added since by `units import`); one that still has
        nobody stays parked, and a key naming it is refused (NotFound for a key that is
        not parked): nothing changes then."""
        self.actors.authenticate(by, "outbox retry", token, administrator=True)
        now, uow = self.clock.now(), self.uow
        with uow:
            waiting = uow.outbox.unaddressed(keys)
            found = readdress(
                waiting,
                uow.units.contacts({n.unit_path for n in waiting}),
                lambda definition_id, version: uow.definitions.load(definition_id, version).spec,
            )
            for key, queued in found.items():
                uow.outbox.readdress(key, queued, now)
            unparked = uow.outbox.unpark(keys, now)
            unreachable = _by_message(n for n in waiting if n.message_key not in found)
            if keys is not None and unreachable:
                key, (role, units) = next(iter(unreachable.items()))
                raise Refused(Reason(
                    f"{key}: still no contact for role {role} on {', '.join(units)} or above it",
                    "refusal.still_no_recipient", key=key, role=role, units=", ".join(units),
                ))  # fmt: skip
            if keys is not None and unparked + len(found) < len(set(keys)):
                raise NotFound(f"not every key given is a parked message: {', '.join(keys)}")
            uow.commit()
        return Retried(unparked, len(found), [(k, r, u) for k, (r, u) in unreachable.items()])


def _by_message(notices: Iterable[UnaddressedNotice]) -> dict[str, tuple[str, list[str]]]:
    """Message key -> (its role, the units its notices are about)."""
    found: dict[str, tuple[str, list[str]]] = {}
    for n in notices:
        units = found.setdefault(n.message_key, (n.role, []))[1]
        if n.unit_code not in units:
            units.append(n.unit_code)
    return found
