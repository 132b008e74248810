"""PostgreSQL's storage check: every row of every table reads and decodes, a failure
named by table and row; a store that fails it refuses every commit until a later check
finds it sound. (A damaged page on disk shows as a read that fails; this server is shared,
so the tests damage rows past the triggers, as a holder of the database would, rather
than its files.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.audit_verify import verify_database
from adapters.cli.errors import say
from adapters.persistence.damage import StorageDamaged
from adapters.persistence.db import create_schema, make_engine
from adapters.persistence.store import SqlStore
from tests.conftest import COMMUNE, local
from tests.support.backends import database, execute, rows
from workflow.clock import VirtualClock
from workflow.service.cycles import CycleService, weekends_only
from workflow.spec.registry import Definition


@pytest.fixture
def pg(tmp_path: Path, bon_tot: Definition) -> Iterator[str]:
    with database("postgresql", tmp_path) as url:
        engine = make_engine(url)
        create_schema(engine)
        store = SqlStore(engine)
        clock = VirtualClock(local(2025, 1, 5, 8))
        store.import_units(COMMUNE, clock.now(), "quantri")
        service = CycleService(store, clock, weekends_only)
        service.open_cycles(bon_tot, 2025)
        clock.set(local(2025, 2, 20))
        assert service.fire("CB-THON1", "register", 2025, "bithu", "unit_secretary",
                            {"plan": "KH-05"}).applied  # fmt: skip
        store.close()
        engine.dispose()
        yield url


def _record(url: str) -> None:
    engine = make_engine(url)
    store = SqlStore(engine)
    try:
        store.record_event("refusal", local(2025, 3, 1), "bithu")
    finally:
        store.close()
        engine.dispose()


def test_a_sound_store_passes_its_storage_check(pg: str) -> None:
    assert verify_database(pg, workers=1).problems == []
    assert rows(pg, "SELECT COUNT(*) FROM storage_damage") == [(0,)]
    _record(pg)


def test_a_row_that_does_not_decode_is_named_and_refuses_writes_until_repaired(
    pg: str,
) -> None:
    ((record, payload),) = rows(
        pg, "SELECT id, payload FROM transition WHERE event = 'register'"
    )
    execute(pg, f"UPDATE transition SET payload = '{{\"plan\": \"KH' WHERE id = {record}",
            "UPDATE deadline SET met_at = 'hôm qua' WHERE key = 'register'",
            bypass_triggers=True)  # fmt: skip
    found = [str(p) for p in verify_database(pg, workers=1).problems]
    assert f"storage, table transition, id {record}: payload does not decode as JSON" in (
        " ".join(found)
    ), found
    assert any(
        p.startswith("storage, table deadline, id ") and "met_at 'hôm qua' is not an instant"
        in p for p in found
    ), found
    ((events,),) = rows(pg, "SELECT COUNT(*) FROM audit_event")
    with pytest.raises(StorageDamaged, match="storage check") as refused:
        _record(pg)
    assert say(refused.value, "vi").startswith(
        "cơ sở dữ liệu đã không qua kiểm tra toàn vẹn (bontot audit verify): không ghi thêm gì"
    )
    assert rows(pg, "SELECT COUNT(*) FROM audit_event") == [(events,)]
    # repaired (the rows as they were), checked again: writes go through
    execute(pg, f"UPDATE transition SET payload = '{payload}' WHERE id = {record}",
            "UPDATE deadline SET met_at = NULL WHERE key = 'register'", bypass_triggers=True)
    verify_database(pg, workers=1)
    assert rows(pg, "SELECT COUNT(*) FROM storage_damage") == [(0,)]
    _record(pg)
    assert rows(pg, "SELECT COUNT(*) FROM audit_event") == [(events + 1,)]
