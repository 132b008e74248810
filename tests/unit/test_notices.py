"""Composing notices into messages, in memory: one message per address, the latest
reminder of a deadline kept, every escalation listed, keys stable and per installation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from workflow.digests import compose, route
from workflow.notices import PendingNotice, UnitContact, address_for
from workflow.spec.model import DefinitionSpec
from workflow.spec.registry import Definition

UNITS = {
    1: UnitContact(1, "T01", "Tỉnh ủy", "/1/", {"superior_standing_committee": "btv.t01@x.vn"}),
    2: UnitContact(2, "X01", "Đảng ủy xã", "/1/2/", {"superior_org_board": "btc.x01@x.vn"}),
    3: UnitContact(3, "CB-1", "Chi bộ thôn 1", "/1/2/3/", {"unit_secretary": "bt1@x.vn"}),
}
DAY = datetime(2025, 12, 20, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam


def pending(notice_id: int, kind: str, step: int, due: datetime, address: str) -> PendingNotice:
    return PendingNotice(
        notice_id=notice_id,
        timer_key=f"c1:propose:{kind[0]}{step}",
        kind=kind,
        deadline="propose",
        step=step,
        offset="-1 working_day",
        role="unit_secretary" if kind == "reminder" else "superior_org_board",
        address=address,
        due_at=due,
        deadline_at=datetime(2025, 12, 31, 16, 59, tzinfo=UTC),
        moved_by="",
        fired_at=DAY,
        unit=UNITS[3],
        definition_id="bon-tot",
        definition_version=1,
        state="implementing",
        milestone=False,
    )


def echo(lang: str, context: dict[str, Any]) -> tuple[str, str]:
    return f"{lang}:{len(context['items'])}", "\n".join(i["key"] for i in context["items"])


@pytest.fixture
def specs(bon_tot: Definition) -> Any:
    def lookup(_id: str, _version: int) -> DefinitionSpec:
        return bon_tot.spec

    return lookup


def test_a_secretary_is_found_on_the_unit_and_a_board_on_the_nearest_superior() -> None:
    assert address_for("unit_secretary", "unit", "/1/2/3/", UNITS) == "bt1@x.vn"
    assert address_for("superior_org_board", "superior", "/1/2/3/", UNITS) == "btc.x01@x.vn"
    assert (
        address_for("superior_standing_committee", "superior", "/1/2/3/", UNITS)
        == "btv.t01@x.vn"
    )
    assert address_for("unit_secretary", "superior", "/1/2/3/", UNITS) == ""  # not above it


def test_routes_mail_to_mailboxes_and_everything_to_the_webhook() -> None:
    assert route("bt1@x.vn", ["log", "email", "webhook"]) == ["email", "webhook"]
    assert route("", ["log", "email"]) == ["log"]
    assert route("bt1@x.vn", ["log"]) == ["log"]


def test_the_latest_reminder_is_kept_whatever_order_the_steps_were_declared_in(
    specs: Any,
) -> None:
    # step 1 is the later reminder here: a definition may list its offsets in any order
    early = pending(1, "reminder", 2, DAY - timedelta(days=10), "bt1@x.vn")
    late = pending(2, "reminder", 1, DAY - timedelta(days=2), "bt1@x.vn")
    messages = compose([late, early], DAY, "vi", ["log"], specs, echo)
    assert len(messages) == 1
    shown = [i for i in messages[0].data["items"] if not i["collapsed"]]
    assert [i["step"] for i in shown] == [1]
    assert all(i["late"] for i in messages[0].data["items"])
    assert messages[0].subject == "vi:1"


def test_every_escalation_is_listed_and_each_address_gets_one_message(specs: Any) -> None:
    items = [
        pending(1, "escalation", 1, DAY - timedelta(days=3), "btc.x01@x.vn"),
        pending(2, "escalation", 2, DAY - timedelta(days=1), "btc.x01@x.vn"),
        pending(3, "reminder", 3, DAY, "bt1@x.vn"),
    ]
    messages = compose(items, DAY, "en", ["log", "email"], specs, echo)
    by_address = {m.address: m for m in messages}
    assert set(by_address) == {"btc.x01@x.vn", "bt1@x.vn"}
    board = by_address["btc.x01@x.vn"]
    assert [i["step"] for i in board.data["items"] if not i["collapsed"]] == [1, 2]
    assert board.notice_ids == (1, 2)
    assert by_address["bt1@x.vn"].data["items"][0]["late"] is False  # due today


def test_message_keys_are_stable_and_differ_between_installations(specs: Any) -> None:
    items = [pending(1, "reminder", 1, DAY, "bt1@x.vn")]
    first = compose(items, DAY, "vi", ["email"], specs, echo, "prov-a")
    again = compose(items, DAY + timedelta(hours=1), "vi", ["email"], specs, echo, "prov-a")
    other = compose(items, DAY, "vi", ["email"], specs, echo, "prov-b")
    assert first[0].key == again[0].key
    assert first[0].key != other[0].key
    assert first[0].key.startswith("prov-a-") and first[0].key.endswith(":email")
