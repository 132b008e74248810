"""The services every entry point calls, as bootstrap builds them: authentication keeps
each refusal in the trail before raising it, an actor is added and revoked, a milestone
outside a committee's scope is refused and recorded, a target goes to a superior only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from adapters import bootstrap
from adapters.bootstrap import App
from tests.conftest import COMMUNE
from workflow.clock import VirtualClock
from workflow.errors import BontotError
from workflow.service.actors import NotAuthenticated, Refused
from workflow.spec.registry import DefinitionSet


@pytest.fixture
def app(db_url: str, clock: VirtualClock, catalog: DefinitionSet) -> Iterator[App]:
    with bootstrap.opened(db_url, clock, schema="create", catalog=catalog) as built:
        built.store.import_units(COMMUNE)
        yield built


def refusals(app: App) -> list[dict[str, object]]:
    return app.trail.log(None, None, None, None, None, "refusals")


def test_open_mode_asks_for_no_token(app: App) -> None:
    def no_token_please() -> str | None:
        raise AssertionError("asked for a token with no actors")

    assert app.actors.authenticate("anyone", "fire x", no_token_please) is None


def test_a_bad_token_is_refused_and_the_refusal_is_in_the_trail(app: App) -> None:
    token = app.actors.add("admin", "administrator", None)
    assert app.actors.authenticate("admin", "units import", lambda: token) is not None
    with pytest.raises(NotAuthenticated) as refused:
        app.actors.authenticate("admin", "units import", lambda: "not-it")
    assert str(refused.value) == "admin: refused (bad token)"
    [row] = refusals(app)
    # an unauthenticated claim is not an act of the actor claimed: kept as the claim
    assert row["actor"] == "unauthenticated"
    assert row["code"] == "not_authenticated"
    assert row["detail"]["claimed"] == "admin"  # type: ignore[index]


def test_the_first_actor_must_be_an_administrator_and_a_revoked_one_is_refused(
    app: App,
) -> None:
    with pytest.raises(Refused, match="the first actor must be an administrator"):
        app.actors.add("bt.c01", "unit_secretary", "X01")
    admin = app.actors.add("admin", "administrator", None)
    with pytest.raises(Refused, match=r"--by ADMINISTRATOR is needed"):
        app.actors.add("bt.x01", "unit_secretary", "X01")
    secretary = app.actors.add("bt.x01", "unit_secretary", "X01", by="admin", token=lambda: admin)
    app.actors.revoke("bt.x01", "admin", lambda: admin)
    with pytest.raises(NotAuthenticated, match="revoked"):
        app.actors.authenticate("bt.x01", "fire register", lambda: secretary)
    assert [r["code"] for r in refusals(app)] == ["not_authenticated"]


def test_a_milestone_outside_the_committees_scope_is_refused_and_recorded(app: App) -> None:
    admin = app.actors.add("admin", "administrator", None)
    committee = app.actors.add(
        "btv.x01", "superior_standing_committee", "X01", by="admin", token=lambda: admin
    )
    with pytest.raises(NotAuthenticated, match="bad token"):
        app.registers.keep_milestone("T01", "launch", 2025, "bon-tot", "btv.x01", lambda: admin)
    with pytest.raises(
        Refused, match=r"^btv.x01 \(superior_standing_committee of X01\) may not act for T01$"
    ):
        app.registers.keep_milestone("T01", "launch", 2025, "bon-tot", "btv.x01", lambda: committee)
    codes = [(r["actor"], r["code"]) for r in refusals(app)]
    # (the first is dated by the machine's clock, the second by the service's: the log's
    # order by time is not the order they came in)
    assert sorted(codes) == [
        ("btv.x01", "not_authorized"),
        ("unauthenticated", "not_authenticated"),
    ]


def test_a_target_is_a_superiors(app: App) -> None:
    on = app.registers.set_target("X01", 2025, 60, date(2025, 2, 1), "bon-tot", "system")
    assert on == date(2025, 2, 1)
    leaf = next(u.code for u in app.registers.units(None) if u.kind == "grassroots_cell")
    with pytest.raises(BontotError, match="a target is a superior's"):
        app.registers.set_target(leaf, 2025, 60, None, "bon-tot", "system")
