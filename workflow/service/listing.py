"""The cycles of a subtree for a year, a page at a time, optionally in some states only:
what a program lists before it acts (the API's `GET /cycles`). A read: it changes
nothing and sees committed data."""

from __future__ import annotations

from collections.abc import Collection

from workflow.service.cycles import CycleService
from workflow.service.records import Cycle

#: cycles read per round while filling a page filtered by state
READ_AHEAD = 1000


def cycles_under(
    service: CycleService,
    year: int,
    under: str | None,
    states: Collection[str] | None = None,
    after: int = 0,
    limit: int = 100,
) -> tuple[list[Cycle], int | None]:
    """Up to `limit` cycles of `year` under `under` (None: the whole tree) whose state is
    one of `states` (None: any), after the cycle id `after`, in id order; and the id to
    pass as `after` for the next page (None: there is none)."""
    uow = service.uow
    node = uow.units.find(under) if under else None
    found: list[Cycle] = []
    cursor = after
    while len(found) < limit:
        page = uow.cycles.under(node, year, cursor, max(limit, READ_AHEAD) if states else limit)
        if not page:
            return found, None
        for cycle in page:
            if states is None or cycle.state in states:
                found.append(cycle)
                if len(found) == limit:
                    return found, cycle.id
        cursor = page[-1].id
    return found, cursor
