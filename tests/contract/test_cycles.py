"""The cycles repository's contract: opening in pages of units, transitions under the row
version, deadlines met and reopened, and the reads of boards and reports, in order."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tests.conftest import COMMUNE, local
from tests.support.units_of_work import write
from workflow.service.cycles import CycleService
from workflow.service.records import OpenBatch
from workflow.spec.registry import Definition

SECRETARY = ("bithu.thon1", "unit_secretary")
BOARD = ("btc.x01", "superior_org_board")
#: cycle ids as opened: units by id, those the definition applies to
CYCLES = {"CB-THON1": 1, "DB-TRUONG": 2, "DB-TRUONG-1": 3, "DB-TRUONG-2": 4,
          "DB-TRUONG-3": 5, "CB-KP3": 6}


def _register(service: CycleService, unit: str = "CB-THON1") -> Any:
    cycle = service.cycle(unit, 2025)
    decision, change = service.prepare(cycle, "register", *SECRETARY, {"plan": "KH-1"})
    assert change is not None, decision.refusal
    return change


def test_find_reads_the_opened_cycle(commune: CycleService, uow: Any) -> None:
    (cycle,) = uow.cycles.find("CB-THON1", 2025)
    assert (cycle.id, cycle.unit_code, cycle.unit_kind, cycle.year) == (
        1, "CB-THON1", "grassroots_cell", 2025
    )
    assert (cycle.definition_id, cycle.state, cycle.version, cycle.outcome, cycle.facts) == (
        "bon-tot", "not_registered", 1, None, {}
    )
    assert cycle.unit_path == "/1/2/3/" and cycle.head.startswith("v2:")
    assert len(cycle.head) == 3 + 64
    assert uow.cycles.find("X01", 2025) == [] and uow.cycles.find("CB-THON1", 2026) == []
    assert {c: uow.cycles.find(c, 2025)[0].id for c in CYCLES} == CYCLES


def test_opening_takes_units_by_id_in_pages(
    service: CycleService, uow: Any, bon_tot: Definition
) -> None:
    write(uow, lambda: uow.units.import_rows(COMMUNE))
    write(uow, lambda: uow.definitions.add(bon_tot, service.clock.now()))
    kinds = bon_tot.spec.applies_to
    assert uow.cycles.count_units_without_cycle(None, kinds, 2025, "bon-tot") == 6
    assert uow.cycles.count_units_without_cycle(
        uow.units.find("DB-TRUONG"), kinds, 2025, "bon-tot"
    ) == 4
    due = local(2025, 3, 31, 23, 59)

    def batch(after: int, limit: int) -> OpenBatch:
        return OpenBatch(
            bon_tot, 2025, None, "not_registered", None, [("register", due)], [],
            service.clock.now(), "btc.t01", "system", after, limit,
        )

    first = write(uow, lambda: uow.cycles.open_batch(batch(0, 2)))
    assert (first.count, first.last_unit_id) == (2, 4)
    rest = write(uow, lambda: uow.cycles.open_batch(batch(4, 10)))
    assert (rest.count, rest.last_unit_id) == (4, 9)
    none = write(uow, lambda: uow.cycles.open_batch(batch(9, 10)))
    assert (none.count, none.last_unit_id) == (0, None)
    assert uow.cycles.count_units_without_cycle(None, kinds, 2025, "bon-tot") == 0
    assert uow.cycles.count_units_without_cycle(None, ["committee"], 2025, "bon-tot") == 3
    (opened,) = uow.cycles.history(6)
    assert (opened.seq, opened.event, opened.from_state, opened.to_state, opened.actor) == (
        1, "open", None, "not_registered", "btc.t01"
    )
    assert [(d.key, d.due_at, d.met_at) for d in uow.cycles.deadlines(6)] == [
        ("register", due, None)
    ]


def test_an_applied_change_moves_the_row_version_once(commune: CycleService, uow: Any) -> None:
    change = _register(commune)
    assert write(uow, lambda: uow.cycles.apply(change)) is True
    # the same change again holds version 1: stale, nothing written
    assert write(uow, lambda: uow.cycles.apply(change)) is False
    (cycle,) = uow.cycles.find("CB-THON1", 2025)
    assert (cycle.state, cycle.version, cycle.head) == ("registered", 2, change.hash)
    assert cycle.facts == (change.facts if change.facts is not None else {})
    assert [e.event for e in uow.cycles.history(1)] == ["open", "register"]
    entry = uow.cycles.history(1)[1]
    assert (entry.actor, entry.role, entry.payload) == (*SECRETARY, {"plan": "KH-1"})


def test_a_change_not_committed_leaves_the_cycle_as_it_was(
    commune: CycleService, uow: Any
) -> None:
    change = _register(commune)
    with uow:
        assert uow.cycles.apply(change)
        assert uow.cycles.find("CB-THON1", 2025)[0].version == 2
    assert uow.cycles.find("CB-THON1", 2025)[0].version == 1
    assert len(uow.cycles.history(1)) == 1
    assert all(d.met_at is None for d in uow.cycles.deadlines(1))


def test_deadlines_are_met_once_and_reopened(commune: CycleService, uow: Any) -> None:
    change = replace(_register(commune), met=("register", "propose"))
    write(uow, lambda: uow.cycles.apply(change))
    met = {d.key: d.met_at for d in uow.cycles.deadlines(1)}
    assert met["register"] == met["propose"] == change.entry.at
    assert met["appraise"] is None
    # in due order, ties by key (recognize and report fall on one day)
    assert [d.key for d in uow.cycles.deadlines(1)] == [
        "register", "propose", "appraise", "recognize", "report"
    ]
    commune.clock.set(local(2025, 4, 2))
    cycle = commune.cycle("CB-THON1", 2025)
    _, start = commune.prepare(cycle, "start", *SECRETARY, {})
    assert start is not None
    later = replace(start, met=("register",), reopened=("propose",))
    write(uow, lambda: uow.cycles.apply(later))
    met = {d.key: d.met_at for d in uow.cycles.deadlines(1)}
    # met_at is kept when met again, and cleared when reopened
    assert met["register"] == change.entry.at and met["propose"] is None


def test_counts_and_overdue_lists(commune: CycleService, uow: Any) -> None:
    write(uow, lambda: uow.cycles.apply(replace(_register(commune), met=("register",))))
    counts = [
        (s.definition_id, s.unit_kind, s.state, s.outcome, s.count)
        for s in uow.cycles.count_states(None, 2025)
    ]
    # by definition, kind and state, in that order, on every backend
    assert counts == [
        ("bon-tot", "grassroots_cell", "not_registered", None, 1),
        ("bon-tot", "grassroots_cell", "registered", None, 1),
        ("bon-tot", "grassroots_committee", "not_registered", None, 1),
        ("bon-tot", "subordinate_cell", "not_registered", None, 3),
    ]
    x02 = uow.units.find("X02")
    assert [(s.state, s.count) for s in uow.cycles.count_states(x02, 2025)] == [
        ("not_registered", 1)
    ]
    at = local(2026, 1, 1)
    assert uow.cycles.count_overdue(None, 2025, at) == {"register": 5, "propose": 6}
    assert uow.cycles.count_overdue(x02, 2025, at) == {"register": 1, "propose": 1}
    overdue = uow.cycles.list_overdue(None, 2025, at)
    # oldest first, then by unit code
    assert [(o.deadline, o.unit_code) for o in overdue] == [
        ("register", "CB-KP3"), ("register", "DB-TRUONG"), ("register", "DB-TRUONG-1"),
        ("register", "DB-TRUONG-2"), ("register", "DB-TRUONG-3"),
        ("propose", "CB-KP3"), ("propose", "CB-THON1"), ("propose", "DB-TRUONG"),
        ("propose", "DB-TRUONG-1"), ("propose", "DB-TRUONG-2"), ("propose", "DB-TRUONG-3"),
    ]
    first = overdue[0]
    assert (first.unit_name, first.parent_code, first.parent_name, first.state,
            first.milestone) == (
        "Chi bộ khu phố 3", "X02", "Đảng ủy phường Hòa Bình", "not_registered", False
    )  # fmt: skip
    assert uow.cycles.list_overdue(None, 2025, local(2025, 3, 1)) == []


def test_pages_and_reports_of_a_subtree(commune: CycleService, uow: Any) -> None:
    assert [c.id for c in uow.cycles.under(None, 2025, 0, 4)] == [1, 2, 3, 4]
    assert [c.id for c in uow.cycles.under(None, 2025, 4, 4)] == [5, 6]
    assert [c.id for c in uow.cycles.under(uow.units.find("DB-TRUONG"), 2025, 2, 10)] == [3, 4, 5]
    assert uow.cycles.under(None, 2026, 0, 10) == []
    report = uow.cycles.report_cycles(None, 2025)
    assert [(r.unit_code, r.parent_code, r.unit_path) for r in report] == [
        ("CB-THON1", "X01", "/1/2/3/"), ("DB-TRUONG", "X01", "/1/2/4/"),
        ("DB-TRUONG-1", "DB-TRUONG", "/1/2/4/5/"), ("DB-TRUONG-2", "DB-TRUONG", "/1/2/4/6/"),
        ("DB-TRUONG-3", "DB-TRUONG", "/1/2/4/7/"), ("CB-KP3", "X02", "/1/8/9/"),
    ]
    assert report[0].unit_name == "Chi bộ thôn 1" and report[0].state == "not_registered"
    write(uow, lambda: uow.cycles.apply(_register(commune, "CB-KP3")))
    events = uow.cycles.report_events(uow.units.find("X02"), 2025)
    assert [(e.cycle_id, e.event, e.payload) for e in events] == [
        (6, "open", {}), (6, "register", {"plan": "KH-1"})
    ]
    assert len(uow.cycles.report_events(None, 2025)) == 7
