"""Opening a year finds its next batch of units with a probe per unit of the cycles'
unique (unit, year, definition) index, whatever PostgreSQL's statistics say.

The case: statistics taken while the cycle table was empty (a fresh installation; a
server with autovacuum off, or not yet run), then the year opened. Written as NOT
EXISTS, the generic plan PostgreSQL settles on after five executions materialised the
year's cycles and rescanned them for every unit: 40 s a batch at 240,000 cycles, so the
nation's opening never ended. The plan looked at is that generic plan (PREPARE with
`plan_cache_mode = force_generic_plan`), of the very statement the store runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from adapters.persistence.cycles import NEXT_UNITS, without_cycle_sql
from adapters.persistence.db import create_schema, make_engine
from adapters.persistence.store import SqlStore
from tests.conftest import local
from tests.support.backends import connect, pg_schema, pg_server_url
from workflow.clock import VirtualClock
from workflow.service.cycles import CycleService, weekends_only
from workflow.spec.registry import Definition
from workflow.units import UnitImport

CELLS = 400


def tree() -> list[UnitImport]:
    """A commune's committee and 400 cells under it."""
    commune = UnitImport("X01", "Đảng ủy xã Tân Lập", "committee", "village", None, 0, {})
    cells = [
        UnitImport(f"CB-{i:03d}", f"Chi bộ thôn {i}", "subordinate_cell", "village", "X01", 12, {})
        for i in range(1, CELLS + 1)
    ]
    return [commune, *cells]


@pytest.fixture
def pg_url() -> Iterator[str]:
    with pg_schema(pg_server_url()) as url:
        yield url


def generic_plan(url: str, kinds: list[str]) -> str:
    """EXPLAIN of the batch statement's generic plan, its parameters as $1, $2, …"""
    units, params = without_cycle_sql(None, kinds)
    names: list[str] = []

    def numbered(found: re.Match[str]) -> str:
        names.append(found.group(1))
        return f"${len(names)}"

    statement = re.sub(r":(\w+)", numbered, NEXT_UNITS.format(units=units))
    values = {**params, "year": 2025, "definition_id": "bon-tot", "after": 0, "limit": 1000}
    with connect(url) as conn:
        conn.execute("SET plan_cache_mode = force_generic_plan")
        conn.execute(f"PREPARE next_units AS {statement}")
        args = ", ".join(
            str(values[n]) if isinstance(values[n], int) else f"'{values[n]}'" for n in names
        )
        rows = conn.execute(f"EXPLAIN (COSTS OFF) EXECUTE next_units({args})").fetchall()
    return "\n".join(r[0] for r in rows)


def test_the_next_units_to_open_are_probed_one_by_one_even_with_statistics_of_an_empty_year(
    pg_url: str, bon_tot: Definition
) -> None:
    engine = make_engine(pg_url)
    create_schema(engine)
    store = SqlStore(engine)
    try:
        store.import_units(tree())
        with connect(pg_url) as conn:
            conn.execute("ANALYZE")  # the statistics of a year with no cycle yet
        service = CycleService(store, VirtualClock(local(2025, 1, 5, 8)), weekends_only)
        service.open_cycles(bon_tot, 2025, actor="btc.x01", batch_size=100)
        with connect(pg_url) as conn:
            assert conn.execute("SELECT COUNT(*) FROM cycle").fetchone()[0] == CELLS

        plan = generic_plan(pg_url, list(bon_tot.spec.applies_to))
    finally:
        store.close()
        engine.dispose()
    # one index probe per unit, as a correlated subplan; nothing rescanned per unit
    assert "SubPlan" in plan, plan
    assert "cycle_unit_id_year_definition_id_key" in plan, plan
    assert "Materialize" not in plan, plan
    assert "Seq Scan on cycle" not in plan and "Bitmap Heap Scan on cycle" not in plan, plan
