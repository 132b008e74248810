"""The audit trail against an attacker who holds the database (a SQLite file, or a
PostgreSQL superuser): triggers refuse edits; with the triggers dropped or bypassed,
every edit, deletion, insertion and reordering is found, and named; an export verifies
offline, and an edited export does not."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import pytest

from adapters.notifications.log import LogChannel
from adapters.notifications.notifier import ChannelNotifier
from adapters.notifications.templates import render_digest
from adapters.persistence.db import APPEND_ONLY, create_schema, make_engine
from adapters.persistence.store import SqlStore
from tests.conftest import COMMUNE, GOOD_EVALUATION, local
from tests.support.backends import connect, database_error, execute, rows
from tests.support.register import COMMUNE_RATINGS
from workflow.clock import VirtualClock
from workflow.service.auditing import export_lines, verify_export, verify_store
from workflow.service.cycles import CycleService, weekends_only
from workflow.service.ticks import Ticks
from workflow.spec.registry import Definition

SECRETARY = ("bithu.thon1", "unit_secretary")
BOARD = ("btc.x01", "superior_org_board")
STANDING = ("btv.x01", "superior_standing_committee")
YEAR_OF_CB_THON1 = [
    (local(2025, 2, 20), "register", SECRETARY, {"plan": "KH-05"}),
    (local(2025, 2, 21), "start", SECRETARY, {}),
    (local(2025, 12, 10), "self_evaluate", SECRETARY, GOOD_EVALUATION),
    (local(2025, 12, 28), "propose", SECRETARY, {}),
    (local(2026, 1, 20), "appraise", BOARD, {}),
    (local(2026, 3, 2), "recognize", STANDING, {"decision": "125-QĐ/ĐU"}),
]


@pytest.fixture
def trail(db_url: str, bon_tot: Definition) -> Iterator[str]:
    """A real database: the commune's 2025 cycles, one cell's whole year, a refusal."""
    engine = make_engine(db_url)
    create_schema(engine)
    store = SqlStore(engine)
    clock = VirtualClock(local(2025, 1, 5, 8))
    service = CycleService(store, clock, weekends_only)
    store.import_units(COMMUNE)
    service.open_cycles(bon_tot, 2025)
    store.import_ratings(2025, COMMUNE_RATINGS, clock.now(), "btc.x01", {"file": "dv.xlsx"})
    for when, event, (actor, role), payload in YEAR_OF_CB_THON1:
        clock.set(when)
        assert service.fire("CB-THON1", event, 2025, actor, role, payload).applied
    clock.set(local(2026, 3, 3))
    assert not service.fire("CB-KP3", "propose", 2025, "bithu.kp3", "unit_secretary").applied
    # the year's reminders and escalations, fired and delivered (to the log)
    notifications = Ticks(service, render_digest)
    notifications.fire_and_compose()
    notifications.deliver(ChannelNotifier({"log": LogChannel()}), "test")
    store.close()
    engine.dispose()
    yield db_url


def verify(url: str) -> Any:
    engine = make_engine(url)
    store = SqlStore(engine)
    try:
        return verify_store(store)
    finally:
        store.close()
        engine.dispose()


def attack(url: str, *statements: str) -> None:
    """What someone holding the database can do: get past the triggers, then write."""
    execute(url, *statements, bypass_triggers=True)


def cycle_of(url: str, code: str) -> int:
    found = rows(
        url, "SELECT c.id FROM cycle c JOIN unit u ON u.id = c.unit_id WHERE u.code = ?", (code,)
    )
    return int(found[0][0])


def test_an_untouched_trail_verifies(trail: str) -> None:
    report = verify(trail)
    assert report.ok, report.problems
    ((notices,),) = rows(trail, "SELECT COUNT(*) FROM notice")
    assert notices > 0
    # 6 cycles opened, the cell's year, the notices, the ratings import and one refusal;
    # and the facts of the units imported, the definition saved, the deadlines planned
    assert report.records == 6 + len(YEAR_OF_CB_THON1) + notices + 1 + 1 + 3
    # 6 cycle chains, a notice chain per unit notified, the audit-event chain
    ((units,),) = rows(trail, "SELECT COUNT(DISTINCT unit_id) FROM notice")
    assert report.chains == 6 + units + 1


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_the_database_refuses_to_change_or_remove_audit_records(
    trail: str, table: str
) -> None:
    ((count,),) = rows(trail, f"SELECT COUNT(*) FROM {table}")
    assert count > 0  # a trigger on an empty table would prove nothing
    statements = [f"UPDATE {table} SET id = id", f"DELETE FROM {table}"]
    if not trail.startswith("sqlite"):
        statements.append(f"TRUNCATE {table} CASCADE")  # SQLite has no TRUNCATE
    with connect(trail) as conn:
        for statement in statements:
            with pytest.raises(database_error(trail), match="append-only"):
                conn.execute(statement)
    assert rows(trail, f"SELECT COUNT(*) FROM {table}") == [(count,)]


def test_an_edited_record_is_named(trail: str) -> None:
    cycle = cycle_of(trail, "CB-THON1")
    attack(trail, f"UPDATE transition SET actor = 'btc.khac' WHERE cycle_id = {cycle} AND seq = 6")
    report = verify(trail)
    assert [str(p) for p in report.problems] == [
        f"cycle {cycle}, seq 6: its content or its place does not match its hash: edited, "
        "inserted or moved"
    ]


def test_a_deleted_record_is_named(trail: str) -> None:
    cycle = cycle_of(trail, "CB-THON1")
    attack(trail, f"DELETE FROM transition WHERE cycle_id = {cycle} AND seq = 3")
    (problem,) = verify(trail).problems
    assert (problem.chain, problem.record) == (f"cycle {cycle}", "seq 4")
    assert "missing" in problem.message


def test_the_last_record_deleted_is_caught_by_the_head(trail: str) -> None:
    cycle = cycle_of(trail, "CB-THON1")
    attack(trail, f"DELETE FROM transition WHERE cycle_id = {cycle} AND seq = 7")
    problem, *row = verify(trail).problems
    assert (problem.chain, problem.record) == (f"cycle {cycle}", "seq 6")
    # and the row's outcome and facts, still the recognition's, follow from no record
    assert {p.chain for p in row} <= {f"cycle {cycle}"}


def test_the_tail_deleted_with_the_head_rewritten_is_caught_by_the_anchor(trail: str) -> None:
    engine = make_engine(trail)
    store = SqlStore(engine)
    store.anchor(local(2026, 3, 4), "kiemtra.tinh")
    store.close()
    engine.dispose()
    cycle = cycle_of(trail, "CB-THON1")
    ((previous,),) = rows(
        trail, f"SELECT hash FROM transition WHERE cycle_id = {cycle} AND seq = 6"
    )
    attack(
        trail,
        f"DELETE FROM transition WHERE cycle_id = {cycle} AND seq = 7",
        f"UPDATE cycle SET version = 6, head_hash = '{previous}', state = 'appraised' "
        f"WHERE id = {cycle}",
    )
    problems = verify(trail).problems
    # the anchor names it; the row's outcome and facts, still the recognition's, too
    chains = [p.chain for p in problems]
    assert "anchor" in chains and set(chains) == {"anchor", f"cycle {cycle}"}


def test_an_inserted_record_is_named(trail: str) -> None:
    cycle = cycle_of(trail, "CB-THON1")
    # room is made at seq 4 by moving the later records up, then a forged one goes in
    attack(
        trail,
        f"UPDATE transition SET seq = seq + 100 WHERE cycle_id = {cycle} AND seq >= 4",
        f"UPDATE transition SET seq = seq - 99 WHERE cycle_id = {cycle} AND seq >= 104",
        "INSERT INTO transition (cycle_id, seq, event, from_state, to_state, actor, role, at, "
        "payload, checks, definition_id, definition_version, hash) SELECT cycle_id, 4, "
        "'self_evaluate', 'implementing', 'self_evaluated', 'gia.mao', 'unit_secretary', at, "
        f"payload, checks, definition_id, definition_version, hash FROM transition "
        f"WHERE cycle_id = {cycle} AND seq = 5",
        f"UPDATE cycle SET version = 8 WHERE id = {cycle}",
    )
    (problem,) = verify(trail).problems
    # read in the table's order, the chain breaks at the first record that moved: the
    # forged one was written last, so seq 5 comes where seq 4 was due
    assert (problem.chain, problem.record) == (f"cycle {cycle}", "seq 5")
    assert "expected seq 4" in problem.message


def test_reordered_records_are_named(trail: str) -> None:
    cycle = cycle_of(trail, "CB-THON1")
    attack(  # the appraisal and the recognition swap places
        trail,
        f"UPDATE transition SET seq = 99 WHERE cycle_id = {cycle} AND seq = 6",
        f"UPDATE transition SET seq = 6 WHERE cycle_id = {cycle} AND seq = 7",
        f"UPDATE transition SET seq = 7 WHERE cycle_id = {cycle} AND seq = 99",
    )
    (problem,) = verify(trail).problems
    # the appraisal, first in the table, now says seq 7 where seq 6 was due
    assert (problem.chain, problem.record) == (f"cycle {cycle}", "seq 7")
    assert "expected seq 6" in problem.message


def test_an_erased_refusal_breaks_the_audit_event_chain(trail: str) -> None:
    kinds = [k for (k,) in rows(trail, "SELECT kind FROM audit_event ORDER BY id")]
    assert kinds == [
        "units_imported", "definition_saved", "deadlines_planned", "ratings_imported", "refusal"
    ]
    attack(trail, "INSERT INTO audit_event (at, kind, actor, detail, hash) "
           "VALUES ('2026-03-05T00:00:00.000000Z', 'refusal', 'x', '{}', 'f00')",
           "DELETE FROM audit_event WHERE id = 5")
    problems = verify(trail).problems
    assert [p.chain for p in problems] == ["audit-event chain"]


def export(url: str) -> list[str]:
    engine = make_engine(url)
    store = SqlStore(engine)
    try:
        node = store.find_unit("X01")
        return list(
            export_lines(
                {"year": 2025, "under": "X01", "cycles": 5},  # as Trail.export says it
                store.chain_heads(node, 2025),
                store.transition_rows(node, 2025),
            )
        )
    finally:
        store.close()
        engine.dispose()


def test_an_export_verifies_offline_and_an_edited_one_does_not(trail: str) -> None:
    lines = export(trail)
    report = verify_export(lines)
    assert report.ok and report.records == 5 + len(YEAR_OF_CB_THON1)  # 5 cycles under X01
    edited = []
    for line in lines:
        item = json.loads(line)
        if item.get("event") == "recognize":
            item["payload"] = item["payload"].replace("125-QĐ/ĐU", "126-QĐ/ĐU")
        edited.append(json.dumps(item, ensure_ascii=False))
    (problem,) = verify_export(edited).problems
    assert problem.record.startswith("seq 7 (line ")
    dropped = [line for line in lines if '"seq": 3' not in line or "CB-THON1" in line]
    assert not verify_export(dropped).ok


def test_several_processes_find_what_one_finds(trail: str) -> None:
    from adapters.audit_verify import verify_database

    cycle = cycle_of(trail, "CB-THON1")
    attack(
        trail,
        f"UPDATE transition SET actor = 'btc.khac' WHERE cycle_id = {cycle} AND seq = 6",
        "DELETE FROM transition WHERE cycle_id = (SELECT c.id FROM cycle c JOIN unit u "
        "ON u.id = c.unit_id WHERE u.code = 'CB-KP3')",
    )
    one = [str(p) for p in verify(trail).problems]
    two = verify_database(trail, None, workers=2)
    assert len(one) == 2 and [str(p) for p in two.problems] == one
    assert two.records == verify(trail).records


def test_a_cycle_row_edited_to_another_state_or_unit_is_named(trail: str) -> None:
    cycle = cycle_of(trail, "CB-THON1")
    kp3 = cycle_of(trail, "CB-KP3")
    attack(
        trail,
        f"UPDATE cycle SET state = 'recognized' WHERE id = {kp3}",  # never proposed
        # and CB-THON1's recognition handed to the school's committee: swap the units
        f"UPDATE cycle SET unit_id = -1 WHERE id = {cycle}",
        "UPDATE cycle SET unit_id = (SELECT id FROM unit WHERE code = 'CB-THON1') WHERE "
        "unit_id = (SELECT id FROM unit WHERE code = 'DB-TRUONG')",
        "UPDATE cycle SET unit_id = (SELECT id FROM unit WHERE code = 'DB-TRUONG') "
        "WHERE unit_id = -1",
    )
    found: dict[str, str] = {}
    for p in verify(trail).problems:
        found[p.chain] = found.get(p.chain, "") + p.message + "; "
    assert "the cycle row was edited" in found[f"cycle {kp3}"]
    assert "moved to another unit" in found[f"cycle {cycle}"]
    school = cycle_of(trail, "CB-THON1")  # the school's cycle, now under CB-THON1
    assert "moved to another unit" in found[f"cycle {school}"]


def test_notices_removed_from_the_tail_before_an_anchor_are_caught(trail: str) -> None:
    engine = make_engine(trail)
    store = SqlStore(engine)
    store.anchor(local(2026, 3, 4), "kiemtra.tinh")
    store.close()
    engine.dispose()
    ((unit, seq),) = rows(trail, "SELECT unit_id, chain_seq FROM notice ORDER BY id DESC LIMIT 1")
    attack(trail, "DELETE FROM notice WHERE id = (SELECT MAX(id) FROM notice)")
    problems = [str(p) for p in verify(trail).problems]
    assert len(problems) == 2
    assert problems[0].startswith(
        f"notice chain of unit {unit}, seq {seq - 1}: the chain ends at seq {seq - 1}"
    ) and problems[0].endswith("records were removed or added")
    assert problems[1].startswith("notice chains, records up to id")
    # the unit's head row rewound as well: the anchor still saw the record
    attack(
        trail,
        f"UPDATE notice_chain SET seq = {seq - 1}, head = (SELECT hash FROM notice "
        f"WHERE unit_id = {unit} ORDER BY id DESC LIMIT 1) WHERE unit_id = {unit}",
    )
    assert [p.chain for p in verify(trail).problems] == ["notice chains"]


def test_an_export_emptied_cut_short_or_without_some_cycles_is_refused(trail: str) -> None:
    lines = export(trail)
    assert verify_export(lines).ok
    assert [str(p) for p in verify_export([]).problems] == [
        "export, line 1: empty: no header, nothing to verify"
    ]
    header_only = [str(p) for p in verify_export(lines[:1]).problems]
    assert header_only == [
        "export, header: it says 5 cycles but the file holds 0: cycles were removed or added",
        "export, line 1: no end line: the file was cut short (truncated)",
    ]
    cut = verify_export(lines[:-3]).problems  # its last records and the end line gone
    assert any("cut short" in p.message for p in cut)
    # one cycle taken out whole: its line and its records, the end line's counts kept
    school = next(
        json.loads(line)["cycle_id"] for line in lines if '"unit": "DB-TRUONG"' in line
    )
    without = [
        line for line in lines
        if json.loads(line).get("cycle_id") != school
    ]
    found = [str(p) for p in verify_export(without).problems]
    assert found[0] == (
        "export, header: it says 5 cycles but the file holds 4: cycles were removed or added"
    )
    assert "end line" in found[1]
    # and with the end line dropped as well, the header still says 5
    assert not verify_export(without[:-1]).ok


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("page", ["table", "index"])
def test_flipped_bits_in_a_data_or_index_page_are_named_by_table(
    trail: str, page: str
) -> None:
    from adapters.audit_verify import verify_database

    path = trail.removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        ((root,),) = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE tbl_name = 'transition' AND type = ? "
            "ORDER BY name LIMIT 1",
            (page,),
        ).fetchall()
    with open(path, "r+b") as file:  # 12 bits of the page's header flipped, one a byte
        for offset in range(3, 15):
            file.seek((root - 1) * size + offset)
            byte = file.read(1)[0]
            file.seek((root - 1) * size + offset)
            file.write(bytes([byte ^ 0x10]))
    report = verify_database(trail, None, workers=1)
    assert not report.ok
    first = report.problems[0]
    assert (first.chain, first.record) == ("storage", "table transition"), report.problems
    # from now on nothing commits into the file, not even into a table still readable
    from adapters.cli.errors import say
    from adapters.persistence.damage import StorageDamaged

    ((events,),) = rows(trail, "SELECT COUNT(*) FROM audit_event")
    engine = make_engine(trail)
    store = SqlStore(engine)
    try:
        with pytest.raises(StorageDamaged, match="failed its integrity check") as refused:
            store.record_event("refusal", local(2026, 3, 5), "bithu.thon1")
        said = say(refused.value, "vi")
        assert said.startswith("tệp cơ sở dữ liệu đã không qua kiểm tra toàn vẹn (xem ")
        assert said.endswith("hãy khôi phục từ bản sao rồi chạy lại bontot audit verify")
    finally:
        store.close()
        engine.dispose()
    assert rows(trail, "SELECT COUNT(*) FROM audit_event") == [(events,)]
