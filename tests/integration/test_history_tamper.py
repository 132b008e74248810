"""Everything that decides is history: an attacker holding the database (triggers
dropped first, as they would) changes one thing that decides who may act or what was
decided, keeping the rest consistent where they can; `audit verify` names it, by table
and key. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from adapters.persistence.db import create_schema, make_engine
from adapters.persistence.store import SqlStore
from tests.conftest import COMMUNE, local
from tests.support.backends import execute, rows
from tests.support.register import COMMUNE_RATINGS
from workflow.audit_hashing import link
from workflow.clock import VirtualClock
from workflow.service.auditing import verify_store
from workflow.service.cycles import CycleService, weekends_only
from workflow.spec.registry import Definition

ACTORS = [
    ("quantri", "Quản trị", "administrator", None, "scrypt$admin"),
    ("bithu.thon1", "Bí thư thôn 1", "unit_secretary", "CB-THON1", "scrypt$thon1"),
    ("btc.x01", "Ban tổ chức xã", "superior_org_board", "X01", "scrypt$btc"),
]


@pytest.fixture
def history(db_url: str, bon_tot: Definition) -> Iterator[str]:
    """The commune: units, the definition, cycles, ratings, a target, three actors, one
    of them revoked since."""
    engine = make_engine(db_url)
    create_schema(engine)
    store = SqlStore(engine)
    clock = VirtualClock(local(2025, 1, 5, 8))
    store.import_units(COMMUNE, clock.now(), "quantri")
    CycleService(store, clock, weekends_only).open_cycles(bon_tot, 2025)
    store.add_actors(ACTORS, clock.now(), "quantri")
    store.import_ratings(2025, COMMUNE_RATINGS, clock.now(), "btc.x01", {"file": "dv.xlsx"})
    store.set_target(2025, "X01", "bon-tot", 0.5, local(2025, 1, 5).date(), clock.now(), "btc.x01")
    assert store.revoke_actor("btc.x01", local(2025, 2, 1), "quantri")
    store.close()
    engine.dispose()
    yield db_url


def problems(url: str) -> list[str]:
    engine = make_engine(url)
    store = SqlStore(engine)
    try:
        return [str(p) for p in verify_store(store).problems]
    finally:
        store.close()
        engine.dispose()


def attack(url: str, *statements: str) -> None:
    execute(url, *statements, bypass_triggers=True)


def test_the_untouched_history_verifies(history: str) -> None:
    assert problems(history) == []


@pytest.mark.parametrize(
    ("statement", "named"),
    [
        (  # the secretary made an administrator
            "UPDATE actor SET role = 'administrator' WHERE id = 'bithu.thon1'",
            "actor register, bithu.thon1: changed outside the trail: role 'administrator' "
            "where the trail says 'unit_secretary'",
        ),
        (  # the commune's board moved onto the province, over every unit
            "UPDATE actor SET scope_unit_id = (SELECT id FROM unit WHERE code = 'T01') "
            "WHERE id = 'btc.x01'",
            "actor register, btc.x01: changed outside the trail: scope 'T01' where the trail "
            "says 'X01'",
        ),
        (  # the revocation undone
            "UPDATE actor SET revoked_at = NULL WHERE id = 'btc.x01'",
            "actor register, btc.x01: changed outside the trail: revoked None where the "
            "trail says 'revoked'",
        ),
        (  # the administrator's token given to the secretary
            "UPDATE actor SET token_hash = 'scrypt$thon1' WHERE id = 'quantri'",
            "actor register, quantri: changed outside the trail: token",
        ),
        (  # an administrator added behind the trail's back
            "INSERT INTO actor (id, name, role, scope_unit_id, token_hash, created_at) "
            "VALUES ('ke.gian', '', 'administrator', NULL, 'scrypt$x', "
            "'2025-01-05T01:00:00.000000Z')",
            "actor register, ke.gian: the table holds it but no record of the trail does",
        ),
        (  # the cell moved under the school's committee
            "UPDATE unit SET path = (SELECT path FROM unit WHERE code = 'DB-TRUONG') || "
            "'99/' WHERE code = 'CB-THON1'",
            "unit register, CB-THON1: changed outside the trail: path",
        ),
        (  # a grassroots cell made a committee
            "UPDATE unit SET kind = 'committee' WHERE code = 'CB-KP3'",
            "unit register, CB-KP3: changed outside the trail: kind 'committee' where the "
            "trail says 'grassroots_cell'",
        ),
        (  # a member's rating raised
            "UPDATE rating SET level = 'excellent' WHERE member = 'CB-THON1-DV003' "
            "AND stage = 'final'",
            "rating register, 2025/CB-THON1/CB-THON1-DV003/final: changed outside the "
            "trail: level 'excellent' where the trail says 'good'",
        ),
        (  # a member's score (QĐ 366's 100 points, revision 0006) written in
            "UPDATE rating SET score = '95' WHERE member = 'CB-THON1-DV003' AND stage = 'final'",
            "rating register, 2025/CB-THON1/CB-THON1-DV003/final: changed outside the "
            "trail: score '95' where the trail says None",
        ),
        (  # the secretary given a password behind the trail's back, to log in on the web
            "UPDATE actor SET password_hash = 'scrypt$known' WHERE id = 'bithu.thon1'",
            "actor register, bithu.thon1: changed outside the trail: password",
        ),
        (  # a rating removed
            "DELETE FROM rating WHERE member = 'CB-THON1-DV012'",
            "rating register, 2025/CB-THON1/CB-THON1-DV012/final: the trail holds it but "
            "the table does not",
        ),
        (  # the commune's target lowered
            "UPDATE target SET share = 0.25",
            "target register, 2025/X01/bon-tot: changed outside the trail: share '0.25' "
            "where the trail says '0.5'",
        ),
    ],
    ids=[
        "actor-role", "actor-scope", "actor-revocation", "actor-token", "actor-inserted",
        "unit-path", "unit-kind", "rating-edited", "rating-score", "actor-password",
        "rating-deleted", "target",
    ],
)
def test_a_register_changed_behind_the_trail_is_named(
    history: str, statement: str, named: str
) -> None:
    attack(history, statement)
    found = problems(history)
    assert found and found[0].startswith(named), found
    # a unit moved: its cycle's row no longer agrees with it either
    assert all(f.startswith("cycle ") and "unit path" in f for f in found[1:]), found


def test_the_stored_definition_rewritten_is_named(history: str) -> None:
    ((resolved,),) = rows(history, "SELECT resolved FROM definition")
    # secretaries appraise their own cells: the board's role handed to them
    rewritten = resolved.replace('"superior_org_board"', '"unit_secretary"')
    assert rewritten != resolved
    attack(history, "UPDATE definition SET resolved = '{}'".format(rewritten.replace("'", "''")))
    (found,) = problems(history)
    assert found.startswith("definition register, bon-tot@")
    assert "content" in found and "content_hash" not in found


def test_the_revocation_removed_before_an_anchor_with_the_anchor_rehashed_is_named(
    history: str,
) -> None:
    engine = make_engine(history)
    store = SqlStore(engine)
    store.anchor(local(2025, 2, 2), "quantri")
    store.close()
    engine.dispose()
    columns = "id, at, kind, unit_code, unit_path, cycle_id, year, event, actor, role, code, detail"
    facts = rows(history, f"SELECT {columns}, hash FROM audit_event ORDER BY id")
    assert [f[2] for f in facts[-2:]] == ["actor_revoked", "anchor"]
    before = facts[-3][-1]
    anchor = facts[-1]
    rehashed = link(before, anchor[1:-1])  # the anchor relinked onto the record before
    attack(
        history,
        f"DELETE FROM audit_event WHERE id = {facts[-2][0]}",
        "UPDATE actor SET revoked_at = NULL WHERE id = 'btc.x01'",
        f"UPDATE audit_event SET hash = '{rehashed}' WHERE id = {anchor[0]}",
    )
    assert json.loads(anchor[11])["event_head"] == facts[-2][-1]
    assert problems(history) == [
        "audit-event chain, its tail: the record the last anchor saw at its end is gone: "
        "records were removed"
    ]


def _cycle(url: str, code: str) -> int:
    found = rows(url, "SELECT c.id FROM cycle c JOIN unit u ON u.id = c.unit_id WHERE u.code = ?",
                 (code,))
    return int(found[0][0])


@pytest.fixture
def fired(history: str, bon_tot: Definition) -> str:
    """CB-THON1 registered (on time) and started; the others untouched."""
    engine = make_engine(history)
    store = SqlStore(engine)
    clock = VirtualClock(local(2025, 2, 20))
    service = CycleService(store, clock, weekends_only)
    assert service.fire("CB-THON1", "register", 2025, "bithu.thon1", "unit_secretary",
                        {"plan": "KH-05"}).applied
    clock.set(local(2025, 2, 21))
    assert service.fire("CB-THON1", "start", 2025, "bithu.thon1", "unit_secretary").applied
    store.close()
    engine.dispose()
    assert problems(history) == []
    return history


@pytest.mark.parametrize(
    ("statement", "named"),
    [
        ("UPDATE cycle SET outcome = 'recognized' WHERE id = {c}",
         "cycle {c}, its row: it says outcome 'recognized' but its records give None"),
        ("UPDATE cycle SET facts = '{{\"plan\":\"KH-99\"}}' WHERE id = {c}",
         "cycle {c}, its row: its facts are not what its records' payloads add up to"),
        ("UPDATE cycle SET unit_path = '/1/2/5/' WHERE id = {c}",
         "cycle {c}, its row: it says unit path '/1/2/5/'"),
        ("UPDATE cycle SET state = 'proposed' WHERE id = {c}",
         "cycle {c}, seq 3: the cycle says 'proposed' but its records end in 'implementing'"),
        ("UPDATE deadline SET met_at = NULL WHERE cycle_id = {c} AND key = 'register'",
         "cycle {c}, deadline register: met None but its records meet it"),
        ("UPDATE deadline SET due_at = '2025-12-31T16:59:00.000000Z' WHERE cycle_id = {c} "
         "AND key = 'register'",
         "cycle {c}, deadline register: due 2025-12-31T16:59:00.000000Z but planned"),
        ("DELETE FROM deadline WHERE cycle_id = {c} AND key = 'propose'",
         "cycle {c}, deadline propose: planned when it opened but the row is gone"),
        # what the boards count late by: a unit hidden from the overdue counts
        ("UPDATE deadline SET closed = 1 WHERE cycle_id = {c} AND key = 'propose'",
         "cycle {c}, deadline propose: marked closed but its records leave it open"),
        ("UPDATE deadline SET year = 2024 WHERE cycle_id = {c} AND key = 'propose'",
         "cycle {c}, deadline propose: of year 2024 but its cycle is of 2025"),
    ],
    ids=["outcome", "facts", "path", "state", "deadline-met", "deadline-due", "deadline-gone",
         "deadline-closed", "deadline-year"],
)
def test_a_cycle_row_or_deadline_changed_behind_its_chain_is_named(
    fired: str, statement: str, named: str
) -> None:
    cycle = _cycle(fired, "CB-THON1")
    attack(fired, statement.format(c=cycle))
    found = problems(fired)
    assert len(found) == 1 and found[0].startswith(named.format(c=cycle)), found


def test_a_closed_cycle_s_deadline_marked_open_again_is_named(fired: str) -> None:
    """A cycle closed as lapsed leaves its unmet deadlines closed; one reopened behind
    the chain would count the unit late again."""
    engine = make_engine(fired)
    store = SqlStore(engine)
    service = CycleService(store, VirtualClock(local(2025, 4, 2)), weekends_only)
    assert service.fire("CB-KP3", "lapse", 2025, "btc.x02", "superior_org_board",
                        {"reason": "Chi bộ không đăng ký"}).applied
    store.close()
    engine.dispose()
    assert problems(fired) == []
    cycle = _cycle(fired, "CB-KP3")
    attack(fired, f"UPDATE deadline SET closed = 0 WHERE cycle_id = {cycle} AND key = 'register'")
    found = problems(fired)
    assert len(found) == 1 and found[0].startswith(
        f"cycle {cycle}, deadline register: marked open but its records close it"
    ), found
