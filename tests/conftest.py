"""Shared fixtures: real databases on both backends (a SQLite file; a schema of its own on
the PostgreSQL server of BONTOT_TEST_DATABASE_URL, skipped with the reason when there is
none), the shipped definitions, a virtual clock, and a small commune whose units read
like the domain (a cell of 12 members, 10 rated good...)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from adapters.catalog import load_catalog
from adapters.persistence.db import create_schema, make_engine
from adapters.persistence.store import SqlStore
from tests.support.backends import BACKENDS, database
from tests.support.register import COMMUNE_RATINGS
from workflow.clock import VirtualClock
from workflow.service.cycles import CycleService, weekends_only
from workflow.spec.registry import Definition, DefinitionSet
from workflow.timefmt import LOCAL_TZ
from workflow.units import UnitImport

FIXTURES = Path(__file__).parent / "fixtures"


def local(
    year: int, month: int, day: int, hour: int = 9, minute: int = 0, second: int = 0,
    microsecond: int = 0,
) -> datetime:
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=LOCAL_TZ)


#: A commune committee with a grassroots cell and a grassroots committee of three cells.
COMMUNE = [
    UnitImport("T01", "Tỉnh ủy mẫu", "committee", "other", None, 0, {}),
    UnitImport(
        "X01",
        "Đảng ủy xã Tân Lập",
        "committee",
        "village",
        "T01",
        0,
        {"superior_org_board": "btc.x01@example.vn"},
    ),
    UnitImport(
        "CB-THON1",
        "Chi bộ thôn 1",
        "grassroots_cell",
        "village",
        "X01",
        12,
        {"unit_secretary": "bithu.thon1@example.vn"},
    ),
    UnitImport(
        "DB-TRUONG", "Đảng bộ Trường THPT", "grassroots_committee", "administrative", "X01", 30, {}
    ),
    UnitImport(
        "DB-TRUONG-1", "Chi bộ Tổ Toán", "subordinate_cell", "administrative", "DB-TRUONG", 10, {}
    ),
    UnitImport(
        "DB-TRUONG-2", "Chi bộ Tổ Văn", "subordinate_cell", "administrative", "DB-TRUONG", 11, {}
    ),
    UnitImport(
        "DB-TRUONG-3",
        "Chi bộ Tổ Hành chính",
        "subordinate_cell",
        "administrative",
        "DB-TRUONG",
        9,
        {},
    ),
    UnitImport("X02", "Đảng ủy phường Hòa Bình", "committee", "village", "T01", 0, {}),
    UnitImport("CB-KP3", "Chi bộ khu phố 3", "grassroots_cell", "village", "X02", 25, {}),
]

#: A cell's self-evaluation: the four criteria at 95 % or more. Its 12 members' ratings
#: (all "completed" or better, 10 "good": 83 %) come from the register (COMMUNE_RATINGS);
#: the figures here are the secretary's own, which the rule no longer reads.
#: every sub-criterion of every organisation type ticked (§II.1.1.b): a unit's type picks its own
SUB_CRITERIA = {
    key: True
    for items in load_catalog().latest("bon-tot").spec.rules["recognition"]["criteria"][
        "checklist"
    ]["by_type"].values()
    for key in items
}
GOOD_EVALUATION = {
    "criteria": {
        "political_task": 96,
        "meetings": 97,
        "unity_discipline": 95,
        "cadres_members": 98,
    },
    "checklist": SUB_CRITERIA,
    "ratings": {"rated": 12, "completed_or_better": 12, "good_or_better": 10},
}


@pytest.fixture(scope="session")
def catalog() -> DefinitionSet:
    return load_catalog()


@pytest.fixture(scope="session")
def bon_tot(catalog: DefinitionSet) -> Definition:
    return catalog.latest("bon-tot")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Every test that touches a database runs on each backend."""
    return str(request.param)


@pytest.fixture
def db_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the test's own, as the URL the application takes."""
    with database(backend, tmp_path) as url:
        yield url


@pytest.fixture
def store(db_url: str) -> Iterator[SqlStore]:
    engine = make_engine(db_url)
    create_schema(engine)
    sql_store = SqlStore(engine)
    yield sql_store
    sql_store.close()
    engine.dispose()


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(local(2025, 1, 5, 8))


@pytest.fixture
def engine(store: SqlStore, clock: VirtualClock) -> CycleService:
    return CycleService(store, clock, weekends_only)


@pytest.fixture
def commune(engine: CycleService, store: SqlStore, bon_tot: Definition) -> CycleService:
    """The commune imported and its 2025 cycles opened."""
    store.import_units(COMMUNE)
    engine.open_cycles(bon_tot, 2025, actor="btc.t01")
    store.import_ratings(2025, COMMUNE_RATINGS, engine.clock.now(), "btc.x01", {"file": "fixture"})
    return engine
