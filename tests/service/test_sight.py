"""Who sees what, and a signed-in session, through the actors' service on the twin: a
secretary sees their own cell only, a commune's board its commune, the administrator all;
a session stands for its actor until the actor is revoked."""

from __future__ import annotations

import pytest

from tests.conftest import COMMUNE
from tests.support.twin import import_units
from workflow.clock import VirtualClock
from workflow.service.actors import Actors, NotAuthenticated, Refused, SignedIn
from workflow.testing import InMemoryUnitOfWork


def plain(token: str, stored: str) -> bool:
    return stored == f"hash:{token}"


@pytest.fixture
def actors(uow: InMemoryUnitOfWork, clock: VirtualClock) -> Actors:
    import_units(uow, COMMUNE)
    issued = iter(["t-admin", "t-thon1", "t-board"])

    def issue() -> tuple[str, str]:
        token = next(issued)
        return token, f"hash:{token}"

    service = Actors(uow, clock, plain, issue)
    service.add("quantri", "administrator", None)
    service.add("bithu.thon1", "unit_secretary", "CB-THON1", by="quantri",
                token=lambda: "t-admin")  # fmt: skip
    service.add("btc.x01", "superior_org_board", "X01", by="quantri", token=lambda: "t-admin")
    return service


def refusal_codes(uow: InMemoryUnitOfWork) -> list[tuple[str, str]]:
    found = uow.audit.log(None, None, None, None, None, "refusals")
    return [(r["actor"], r["code"]) for r in found]


def test_a_secretary_sees_their_cell_and_not_the_school(
    actors: Actors, uow: InMemoryUnitOfWork
) -> None:
    secretary = actors.authenticate("bithu.thon1", "sign in", lambda: "t-thon1")
    assert actors.sight(secretary, "CB-THON1", "unit page").name == "Chi bộ thôn 1"
    with pytest.raises(Refused, match="DB-TRUONG"):
        actors.sight(secretary, "DB-TRUONG", "unit page")
    assert refusal_codes(uow) == [("bithu.thon1", "not_authorized")]


def test_a_board_reads_its_commune_by_default_and_nothing_above(actors: Actors) -> None:
    board = actors.authenticate("btc.x01", "sign in", lambda: "t-board")
    assert actors.scope(board, None, "board") == "X01"
    assert actors.scope(board, "DB-TRUONG-2", "board") == "DB-TRUONG-2"
    with pytest.raises(Refused):
        actors.scope(board, "T01", "board")


def test_the_administrator_sees_the_whole_tree(actors: Actors) -> None:
    admin = actors.authenticate("quantri", "sign in", lambda: "t-admin")
    assert actors.scope(admin, None, "board") is None
    assert actors.sight(admin, "DB-TRUONG-3", "unit page").code == "DB-TRUONG-3"


def test_a_session_stands_for_its_actor_until_revoked(actors: Actors) -> None:
    assert actors.authenticate("btc.x01", "board", SignedIn("btc.x01")) is not None
    with pytest.raises(NotAuthenticated, match="bad token"):
        actors.authenticate("btc.x01", "board", SignedIn("bithu.thon1"))
    actors.revoke("btc.x01", by="quantri", token=lambda: "t-admin")
    with pytest.raises(NotAuthenticated, match="revoked"):
        actors.authenticate("btc.x01", "board", SignedIn("btc.x01"))
