"""The SQL unit of work: rolled back unless committed, on one connection shared by its
repositories, reads outside it in autocommit; units of work do not nest."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.persistence.store import SqlStore
from adapters.persistence.unit_of_work import SqlUnitOfWork, TransactionOpen
from tests.support.backends import rows
from workflow.units import UnitImport

AT = datetime(2025, 3, 1, 2, tzinfo=UTC)


def _unit(code: str) -> UnitImport:
    return UnitImport(code, f"Chi bộ {code}", "cell", "other", None, 3)


def _audit_events(db_url: str) -> int:
    return int(rows(db_url, "SELECT COUNT(*) FROM audit_event")[0][0])


def test_what_is_not_committed_is_rolled_back(store: SqlStore, db_url: str) -> None:
    with store:
        store.units.import_rows([_unit("A1")])
        store.audit.append("note", AT, "tester")
    assert rows(db_url, "SELECT code FROM unit") == []
    assert _audit_events(db_url) == 0


def test_an_error_rolls_back_everything_written_before_it(store: SqlStore, db_url: str) -> None:
    with pytest.raises(ZeroDivisionError), store:
        store.units.import_rows([_unit("A1")])
        store.audit.append("note", AT, "tester")
        _ = 1 / 0
    assert rows(db_url, "SELECT code FROM unit") == []
    assert _audit_events(db_url) == 0
    # and the connection is usable afterwards
    with store:
        store.units.import_rows([_unit("A2")])
        store.commit()
    assert rows(db_url, "SELECT code FROM unit") == [("A2",)]


def test_committed_writes_of_several_repositories_land_together(
    store: SqlStore, db_url: str
) -> None:
    with store:
        store.units.import_rows([_unit("A1")])
        store.audit.append("note", AT, "tester", unit_code="A1")
        store.commit()
    assert rows(db_url, "SELECT code FROM unit") == [("A1",)]
    assert _audit_events(db_url) == 1
    # a read outside any unit of work sees committed data through the same connection
    assert store.units.find("A1").code == "A1"


def test_units_of_work_do_not_nest(store: SqlStore) -> None:
    with store:
        with pytest.raises(TransactionOpen):
            store.__enter__()
        store.commit()


def test_two_units_of_work_on_one_database_see_each_others_commits(
    store: SqlStore, db_url: str
) -> None:
    other = SqlUnitOfWork(store.engine)
    try:
        with other:
            other.units.import_rows([_unit("B1")])
            other.commit()
        assert [u.code for u in store.units.under(None)] == ["B1"]
    finally:
        other.close()
