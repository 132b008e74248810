"""The actors repository's contract: added with their scope and each addition in the
trail, refused whole on a bad one, revoked once."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import COMMUNE, local
from tests.support.units_of_work import write
from workflow.access import Grant
from workflow.errors import BontotError, NotFound

AT = local(2025, 1, 6)


@pytest.fixture
def actors(uow: Any) -> Any:
    write(uow, lambda: uow.units.import_rows(COMMUNE))
    write(uow, lambda: uow.actors.add(
        [("btc.x01", "Ban tổ chức", "superior_org_board", "X01", "h1"),
         ("admin", "Quản trị", "administrator", None, "h0")],
        AT, "system",
    ))
    return uow.actors


def test_actors_are_found_with_their_grant_and_listed_by_id(actors: Any, uow: Any) -> None:
    assert actors.count() == 2
    assert actors.find("btc.x01") == (
        Grant("btc.x01", "superior_org_board", "X01", "/1/2/", False), "h1"
    )
    assert actors.find("admin") == (Grant("admin", "administrator", None, None, False), "h0")
    assert actors.find("nobody") is None
    assert actors.all() == [
        ("admin", "Quản trị", "administrator", None, "2025-01-06T02:00:00.000000Z", None),
        ("btc.x01", "Ban tổ chức", "superior_org_board", "X01",
         "2025-01-06T02:00:00.000000Z", None),
    ]
    added = [e for e in uow.audit.log(None, None, None, None, None, None)]
    assert [(e["kind"], e["unit"], e["code"], e["detail"]["actor"]) for e in added] == [
        ("actor_added", "X01", "superior_org_board", "btc.x01"),
        ("actor_added", None, "administrator", "admin"),
    ]


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        (("x", "X", "auditor", "NOPE", "h"), NotFound, "no unit with code 'NOPE'"),
        (("admin", "Again", "auditor", None, "h"), BontotError, "'admin' exists already"),
    ],
)
def test_a_bad_actor_refuses_the_whole_addition(
    actors: Any, uow: Any, bad: tuple[Any, ...], error: type[Exception], message: str
) -> None:
    good = ("btv.x01", "Thường vụ", "superior_standing_committee", "X01", "h2")
    with pytest.raises(error, match=message), uow:
        uow.actors.add([good, bad], AT, "admin")
        uow.commit()
    assert actors.count() == 2 and actors.find("btv.x01") is None
    assert len(list(uow.audit.fact_rows("audit_event"))) == 2


def test_an_actor_is_revoked_once(actors: Any, uow: Any) -> None:
    at = local(2025, 5, 1)
    assert write(uow, lambda: actors.revoke("btc.x01", at, "admin")) is True
    assert write(uow, lambda: actors.revoke("btc.x01", at, "admin")) is False
    assert write(uow, lambda: actors.revoke("nobody", at, "admin")) is False
    found = actors.find("btc.x01")
    assert found is not None and found[0].revoked
    assert actors.all()[1][5] == "2025-05-01T02:00:00.000000Z"
    revoked = [e for e in uow.audit.log(None, None, None, None, None, None)
               if e["kind"] == "actor_revoked"]
    assert [(e["actor"], e["detail"]) for e in revoked] == [("admin", {"actor": "btc.x01"})]
