"""Actors on a bad day (issue 16): the last administrator stays, a role no definition has
is refused, a refusal to an unauthenticated claim is the machine's fact at the machine's
time, and an unknown id costs the same token check as a known one."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from adapters import bootstrap
from adapters.bootstrap import App
from adapters.clock import SystemClock
from tests.conftest import COMMUNE
from workflow.clock import VirtualClock
from workflow.errors import BontotError
from workflow.service.actors import Actors, NotAuthenticated, Refused
from workflow.spec.registry import DefinitionSet
from workflow.testing import InMemoryUnitOfWork
from workflow.timefmt import from_db


@pytest.fixture
def app(db_url: str, clock: VirtualClock, catalog: DefinitionSet) -> Iterator[App]:
    with bootstrap.opened(db_url, clock, schema="create", catalog=catalog) as built:
        built.store.import_units(COMMUNE)
        yield built


def test_the_last_administrator_cannot_be_revoked(app: App) -> None:
    first = app.actors.add("admin", "administrator", None)
    with pytest.raises(Refused, match="admin is the last administrator"):
        app.actors.revoke("admin", "admin", lambda: first)
    second = app.actors.add("admin2", "administrator", None, by="admin", token=lambda: first)
    app.actors.revoke("admin", "admin2", lambda: second)  # another is left: allowed
    with pytest.raises(Refused, match="admin2 is the last administrator"):
        app.actors.revoke("admin2", "admin2", lambda: second)
    active = [row[0] for row in app.actors.every() if row[5] is None]
    assert active == ["admin2"]


@pytest.mark.parametrize("role", ["superintendent", "unit_secretaries", "unit_secretary2"])
def test_a_role_no_definition_has_is_refused(app: App, role: str) -> None:
    admin = app.actors.add("admin", "administrator", None)
    with pytest.raises(Refused, match=f"unknown role {role!r}"):
        app.actors.add("x.01", role, "X01", by="admin", token=lambda: admin)
    assert [row[0] for row in app.actors.every()] == ["admin"]


def test_a_role_of_a_definition_is_accepted(app: App) -> None:
    admin = app.actors.add("admin", "administrator", None)
    app.actors.add("btv.x01", "superior_standing_committee", "X01", by="admin", token=lambda: admin)
    assert {row[0] for row in app.actors.every()} == {"admin", "btv.x01"}


def test_an_unauthenticated_refusal_names_no_actor_and_is_dated_by_the_machine(
    app: App, clock: VirtualClock
) -> None:
    """The service's clock says 2025 (a `--now`); the refusal is dated when it happened."""
    app.actors.add("admin", "administrator", None)
    before = SystemClock().now()
    with pytest.raises(NotAuthenticated):
        app.actors.authenticate("admin", "units import", lambda: "a guess", backdated="2020-01-01")
    after = SystemClock().now()
    [row] = app.trail.log(None, None, None, None, None, "refusals")
    assert row["actor"] == "unauthenticated" and row["detail"]["claimed"] == "admin"  # type: ignore[index]
    assert clock.now().year == 2025
    at = row["at"]
    at = from_db(at) if isinstance(at, str) else at
    assert before <= at <= after  # type: ignore[operator]


def test_an_unknown_id_costs_the_same_token_check_as_a_known_one() -> None:
    checked: list[str] = []

    def check(token: str, stored: str) -> bool:
        checked.append(stored)
        return token == "right" and stored == "hash-of-right"

    uow = InMemoryUnitOfWork()
    actors = Actors(uow, VirtualClock(SystemClock().now()), check, lambda: ("s", "decoy"))
    with uow:
        uow.actors.add(
            [("admin", "", "administrator", None, "hash-of-right")], actors.clock.now(), "admin"
        )
        uow.commit()
    for claimed in ("admin", "nobody"):
        with pytest.raises(NotAuthenticated):
            actors.authenticate(claimed, "units import", lambda: "wrong")
    assert checked == ["hash-of-right", "decoy"]  # one scrypt each, known or not


def test_a_milestone_is_kept_only_by_its_owner_role(app: App) -> None:
    """Seed 003's six-monthly review is the district standing committee's: the board of
    the same committee, though it holds it in scope, may not mark it kept."""
    admin = app.actors.add("admin", "administrator", None)
    board = app.actors.add("btc.x01", "superior_org_board", "X01", by="admin", token=lambda: admin)
    owner = app.actors.add(
        "btv.x01", "district_standing_committee", "X01", by="admin", token=lambda: admin
    )
    review = ("X01", "interim_review_h1", 2025, "bon-tot-003-province-2023")
    with pytest.raises(Refused, match="it is kept by district_standing_committee"):
        app.registers.keep_milestone(*review, "btc.x01", lambda: board)
    # the owner passes the check (this commune has no open milestone to keep)
    with pytest.raises(Refused, match="has no open milestone"):
        app.registers.keep_milestone(*review, "btv.x01", lambda: owner)


def together(threads: list[threading.Thread], apps: list[App]) -> None:
    """Run the threads to their end, then close each one's services."""
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        for app in apps:
            app.close()


def test_twenty_simultaneous_first_administrators_make_exactly_one(
    db_url: str, clock: VirtualClock, catalog: DefinitionSet
) -> None:
    """Twenty `actors add --role administrator` on an empty installation at once, each on
    its own connection: before, 19 of 20 trials let two or more in."""
    first = bootstrap.build(db_url, clock, schema="create", catalog=catalog)
    apps = [first, *(bootstrap.build(db_url, clock, catalog=catalog) for _ in range(19))]
    start = threading.Barrier(len(apps))
    outcomes: list[str] = []

    def add(index: int, app: App) -> None:
        start.wait()
        try:
            app.actors.add(f"admin{index:02d}", "administrator", None)
            outcomes.append("added")
        except BontotError as exc:
            outcomes.append(f"refused: {exc}")

    threads = [threading.Thread(target=add, args=(i, a)) for i, a in enumerate(apps)]
    together(threads, apps)
    assert outcomes.count("added") == 1, outcomes
    assert len(outcomes) == 20
    with bootstrap.opened(db_url, clock, catalog=catalog) as app:
        assert len(app.actors.every()) == 1



def test_two_administrators_revoking_each_other_at_once_leave_one(
    db_url: str, clock: VirtualClock, catalog: DefinitionSet
) -> None:
    """quantri.a and quantri.b, the only administrators, each revoke the other at the same
    moment on their own connection, ten times over: each time one revocation applies and
    the other is refused as the last administrator's, never both."""
    with bootstrap.opened(db_url, clock, schema="create", catalog=catalog) as setup:
        survivor = ("quantri", setup.actors.add("quantri", "administrator", None))
    for trial in range(10):
        survivor = _race(db_url, clock, catalog, trial, survivor)


def _race(
    db_url: str, clock: VirtualClock, catalog: DefinitionSet, trial: int,
    keeper: tuple[str, str],
) -> tuple[str, str]:
    """The keeper adds two administrators and is revoked; they race; who is left."""
    a, b = f"quantri.a{trial}", f"quantri.b{trial}"
    with bootstrap.opened(db_url, clock, catalog=catalog) as setup:
        token_a = setup.actors.add(a, "administrator", None, by=keeper[0],
                                   token=lambda: keeper[1])  # fmt: skip
        token_b = setup.actors.add(b, "administrator", None, by=keeper[0],
                                   token=lambda: keeper[1])  # fmt: skip
        setup.actors.revoke(keeper[0], a, lambda: token_a)
    apps = [bootstrap.build(db_url, clock, catalog=catalog) for _ in range(2)]
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def revoke(app: App, target: str, by: str, token: str) -> None:
        start.wait()
        try:
            app.actors.revoke(target, by, lambda: token)
            outcomes.append("revoked")
        except Refused as exc:
            outcomes.append(str(exc))

    pairs = [(apps[0], b, a, token_a), (apps[1], a, b, token_b)]
    threads = [threading.Thread(target=revoke, args=pair) for pair in pairs]
    together(threads, apps)
    assert outcomes.count("revoked") == 1, outcomes
    assert any("is the last administrator" in said for said in outcomes), outcomes
    with bootstrap.opened(db_url, clock, catalog=catalog) as app:
        active = [r[0] for r in app.actors.every() if r[2] == "administrator" and r[5] is None]
    assert len(active) == 1 and active[0] in (a, b), active
    return (a, token_a) if active == [a] else (b, token_b)
