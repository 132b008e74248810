"""A migration with a random state map, over cycles in random states, on a real database
(each backend): every selected cycle is moved or refused, never both, never lost; a moved cycle is
where the map says; a refused cycle is exactly as it was; the dry run said all of it; the
audit trail verifies."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.persistence.db import create_schema, make_engine
from adapters.persistence.store import SqlStore
from tests.conftest import COMMUNE, FIXTURES, local
from tests.support.backends import connect, example_database
from tests.support.backends import run_sql as run
from workflow.clock import VirtualClock
from workflow.service.auditing import verify_store
from workflow.service.cycles import CycleService, weekends_only
from workflow.service.versions import MigrationSelection, move_cycles
from workflow.spec.registry import DefinitionSet
from workflow.versions import MigrationError

VERSIONS = DefinitionSet.from_texts(
    [
        (str(p), p.read_text(encoding="utf-8"))
        for p in sorted((FIXTURES / "definitions" / "versions").glob("*.yaml"))
    ]
)
V1, V2 = VERSIONS.get("review", 1), VERSIONS.get("review", 2)
SECRETARY, BOARD = ("bithu", "unit_secretary"), ("btc", "superior_org_board")
#: how a v1 cycle reaches each of its states
PATHS = {
    "draft": [],
    "submitted": [("submit", SECRETARY)],
    "reviewed": [("submit", SECRETARY), ("review", BOARD)],
    "closed": [("submit", SECRETARY), ("review", BOARD), ("close", BOARD)],
    "withdrawn": [("withdraw", SECRETARY)],
}
UNITS = [u.code for u in COMMUNE if u.kind in V1.spec.applies_to]
# a pair may also name states neither version has: the map is then refused up front
OLD = st.sampled_from([*V1.spec.states, "nowhere"])
NEW = st.sampled_from([*V2.spec.states, "nowhere"])


def snapshot(url: str, cycle_id: int) -> tuple[Any, ...]:
    with connect(url) as conn:
        return tuple(
            tuple(map(tuple, run(conn, url, sql, (cycle_id,)).fetchall()))
            for sql in (
                "SELECT * FROM cycle WHERE id = ?",
                "SELECT * FROM transition WHERE cycle_id = ? ORDER BY seq",
                "SELECT * FROM deadline WHERE cycle_id = ? ORDER BY key",
                "SELECT * FROM timer WHERE cycle_id = ? ORDER BY key",
            )
        )


# `db_url` is the same for every example: each gets an empty database from it
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    states=st.lists(st.sampled_from(list(PATHS)), min_size=len(UNITS), max_size=len(UNITS)),
    pairs=st.dictionaries(OLD, NEW, max_size=4),
    batch_size=st.integers(1, 7),
)
def test_every_selected_cycle_is_moved_or_refused_and_a_refused_one_is_untouched(
    states: list[str], pairs: dict[str, str], batch_size: int, db_url: str
) -> None:
    with example_database(db_url) as path:
        engine = make_engine(path)
        create_schema(engine)
        store = SqlStore(engine)
        try:
            clock = VirtualClock(local(2025, 1, 5, 8))
            service = CycleService(store, clock, weekends_only)
            store.import_units(COMMUNE)
            service.open_cycles(V1, 2025)
            clock.set(local(2025, 3, 2))
            for code, state in zip(UNITS, states, strict=True):
                for event, (actor, role) in PATHS[state]:
                    assert service.fire(code, event, 2025, actor, role).applied
            clock.set(local(2025, 4, 1))
            cycles = {c.id: c for code in UNITS for c in store.find_cycles(code, 2025)}
            before = {cycle_id: snapshot(path, cycle_id) for cycle_id in cycles}

            def go(dry_run: bool) -> Any:
                return move_cycles(
                    service, MigrationSelection("review", 1), V2,
                    list(pairs.items()), dry_run=dry_run, batch_size=batch_size,
                )

            if any(old not in V1.spec.states or new not in V2.spec.states
                   for old, new in pairs.items()):
                try:
                    go(dry_run=False)
                except MigrationError:
                    pass
                else:
                    raise AssertionError("a pair naming an unknown state was accepted")
                assert all(snapshot(path, i) == before[i] for i in cycles)
                return
            dry = go(dry_run=True)
            assert all(snapshot(path, i) == before[i] for i in cycles)
            real = go(dry_run=False)
            assert real.verdicts == dry.verdicts
            moved = {v.cycle_id for v in real.verdicts if v.moved}
            refused = {v.cycle_id for v in real.verdicts if not v.moved}
            assert moved | refused == set(cycles) and not moved & refused
            expected = {
                **{s: s for s in V1.spec.states if s in V2.spec.states},
                **pairs,
            }
            for verdict in real.verdicts:
                cycle = cycles[verdict.cycle_id]
                (now,) = store.find_cycles(cycle.unit_code, 2025)
                if verdict.moved:
                    assert not V1.spec.states[cycle.state].final
                    assert verdict.to_state == expected[cycle.state] == now.state
                    assert (now.definition_version, now.version) == (2, cycle.version + 1)
                else:
                    assert V1.spec.states[cycle.state].final or cycle.state not in expected
                    assert snapshot(path, cycle.id) == before[cycle.id]
            report = verify_store(store)
            assert report.ok, report.problems
        finally:
            store.close()
            engine.dispose()
