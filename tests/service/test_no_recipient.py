"""A reminder or escalation nobody can receive (issue 16): parked as "no recipient",
naming the role and the unit, shown by the outbox; never marked sent."""

from __future__ import annotations

from collections import Counter

import pytest

from adapters.holidays_vn import calendar_for
from adapters.notifications.templates import render_digest
from tests.conftest import local
from tests.support.twin import import_units
from workflow.clock import VirtualClock
from workflow.service.actors import Actors, Refused
from workflow.service.cycles import CycleService
from workflow.service.desk import BoardFilter, Desk
from workflow.service.ticks import Ticks
from workflow.service.trail import Trail
from workflow.spec.registry import Definition
from workflow.testing import InMemoryUnitOfWork, RecordingNotifier
from workflow.units import UnitImport

#: the commune's board has no contact, nor has anyone above it: escalations go nowhere
NOBODY_ABOVE = [
    UnitImport("T01", "Tỉnh ủy mẫu", "committee", "other", None, 0, {}),
    UnitImport("X01", "Đảng ủy xã Tân Lập", "committee", "village", "T01", 0, {}),
    UnitImport(
        "CB-THON1", "Chi bộ thôn 1", "grassroots_cell", "village", "X01", 12,
        {"unit_secretary": "bithu.thon1@example.vn"},
    ),
    UnitImport("CB-THON2", "Chi bộ thôn 2", "grassroots_cell", "village", "X01", 12, {}),
]  # fmt: skip


def test_an_escalation_to_nobody_is_parked_naming_its_role_and_unit(
    uow: InMemoryUnitOfWork, clock: VirtualClock, bon_tot: Definition
) -> None:
    import_units(uow, NOBODY_ABOVE)
    service = CycleService(uow, clock, calendar_for)
    service.open_cycles(bon_tot, 2025)
    ticker = Ticks(service, render_digest, channels=("log", "webhook"))
    # past the 31/03 registration and its first escalation (to the board, 01/04)
    ticker.run_until(clock, local(2025, 4, 2, 9))
    notifier = RecordingNotifier()
    report = ticker.deliver(notifier, "w1")
    parked = [o for o in report.outcomes if o.result == "parked"]
    assert parked, report.outcomes
    details = {o.detail for o in parked}
    assert (
        "no recipient: no contact for role superior_org_board on CB-THON1 or above it"
        in details
    )
    # thôn 2 has no secretary either: its reminders are parked too, never sent
    assert any("unit_secretary on CB-THON2" in d for d in details)
    assert all(m.address for m in notifier.sent)  # nothing went to an empty address
    counts = uow.outbox.counts()
    assert counts.parked == len(parked)
    assert {error for _k, _c, address, error in counts.parked_items if not address} == details
    assert Counter(o.result for o in report.outcomes)["sent"] == len(notifier.sent)


def _never(token: str, stored: str) -> bool:
    return False  # no actor exists here: the retry is the open mode's "system"


def _parked(
    uow: InMemoryUnitOfWork, clock: VirtualClock, bon_tot: Definition
) -> tuple[CycleService, Ticks]:
    """The commune with nobody above, ticked past the first escalation and delivered:
    its notices to nobody are parked."""
    import_units(uow, NOBODY_ABOVE)
    service = CycleService(uow, clock, calendar_for)
    service.open_cycles(bon_tot, 2025)
    ticker = Ticks(service, render_digest, channels=("log",))
    ticker.run_until(clock, local(2025, 4, 2, 9))
    ticker.deliver(RecordingNotifier(), "w1")
    return service, ticker


def test_a_retry_sends_to_the_contact_added_since_and_refuses_one_still_without(
    uow: InMemoryUnitOfWork, clock: VirtualClock, bon_tot: Definition
) -> None:
    _service, ticker = _parked(uow, clock, bon_tot)
    parked_before = uow.outbox.counts().parked
    # the commune's board gets its mailbox; thôn 2 still has no secretary
    board = "btc.x01@example.vn"
    commune = UnitImport("X01", "Đảng ủy xã Tân Lập", "committee", "village", "T01", 0,
                         {"superior_org_board": board})  # fmt: skip
    import_units(uow, [NOBODY_ABOVE[0], commune])
    trail = Trail(uow, Actors(uow, clock, _never, lambda: ("t", "h")), clock)
    thon2 = next(k for k, _c, _a, e in uow.outbox.counts().parked_items if "CB-THON2" in e)
    with pytest.raises(Refused) as refused:
        trail.retry_parked([thon2], "system")
    assert refused.value.msgid == "refusal.still_no_recipient"
    assert refused.value.params["role"] == "unit_secretary"
    assert uow.outbox.counts().parked == parked_before  # nothing changed

    done = trail.retry_parked(None, "system")
    assert done.unparked == 0  # nothing failed on a channel: only the unaddressed
    assert done.readdressed >= 1
    assert {(role, tuple(units)) for _k, role, units in done.unreachable} == {
        ("unit_secretary", ("CB-THON2",))
    }
    assert uow.outbox.counts().parked == parked_before - done.readdressed
    notifier = RecordingNotifier()
    ticker.fire_and_compose()  # the next tick
    ticker.deliver(notifier, "w1")
    escalations = [m for m in notifier.sent if m.address == board]
    assert escalations, notifier.sent
    units = {i["unit_code"] for m in escalations for i in m.data["items"]}
    assert "CB-THON1" in units
    # a second retry finds nothing more to readdress: the first went out once
    assert trail.retry_parked(None, "system").readdressed == 0


def test_the_board_names_the_units_and_roles_whose_notices_nobody_received(
    uow: InMemoryUnitOfWork, clock: VirtualClock, bon_tot: Definition
) -> None:
    service, _ticker = _parked(uow, clock, bon_tot)
    desk = Desk(Actors(uow, clock, _never, lambda: ("t", "h")), service)
    shown = {(u.unit_code, u.role) for u in desk.board(None, 2025, None, BoardFilter()).unreachable}
    assert shown == {
        ("CB-THON1", "superior_org_board"),
        ("CB-THON2", "superior_org_board"),
        ("CB-THON2", "unit_secretary"),
    }
    # a unit's own board shows its own only
    own = desk.board(None, 2025, "CB-THON1", BoardFilter()).unreachable
    assert [(u.unit_code, u.role) for u in own] == [("CB-THON1", "superior_org_board")]
    assert own[0].notices >= 1
