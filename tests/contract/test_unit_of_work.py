"""The unit of work's contract, on the twin, SQLite and PostgreSQL alike: rolled back
unless committed, every repository's writes together, usable after an error, no nesting."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from workflow.testing import InMemoryUnitOfWork, OutsideUnitOfWork
from workflow.units import UnitImport

AT = datetime(2025, 3, 1, 2, tzinfo=UTC)


def _unit(code: str) -> UnitImport:
    return UnitImport(code, f"Chi bộ {code}", "cell", "other", None, 3)


def _codes(uow: Any) -> list[str]:
    return [u.code for u in uow.units.under(None)]


def test_what_is_not_committed_is_rolled_back(uow: Any) -> None:
    with uow:
        uow.units.import_rows([_unit("A1")])
        uow.audit.append("note", AT, "tester")
        assert _codes(uow) == ["A1"]  # the unit of work reads its own writes
    assert _codes(uow) == []
    assert list(uow.audit.fact_rows("audit_event")) == []


def test_an_error_rolls_back_and_the_next_unit_of_work_works(uow: Any) -> None:
    with pytest.raises(ZeroDivisionError), uow:
        uow.units.import_rows([_unit("A1")])
        uow.audit.append("note", AT, "tester")
        _ = 1 / 0
    assert _codes(uow) == []
    with uow:
        uow.units.import_rows([_unit("A2")])
        uow.audit.append("note", AT, "tester")
        uow.commit()
    assert _codes(uow) == ["A2"]
    assert [r.id for r in uow.audit.fact_rows("audit_event")] != []


def test_an_explicit_rollback_undoes_and_a_commit_after_it_keeps_nothing(uow: Any) -> None:
    with uow:
        uow.units.import_rows([_unit("A1")])
        uow.rollback()
    assert _codes(uow) == []


def test_writes_of_several_repositories_commit_together(uow: Any) -> None:
    with uow:
        uow.units.import_rows([_unit("A1")])
        uow.actors.add([("admin", "Quản trị", "admin", None, "h")], AT, "system")
        uow.commit()
    assert _codes(uow) == ["A1"]
    assert uow.actors.count() == 1
    assert [e["kind"] for e in uow.audit.log(None, None, None, None, None, None)] == [
        "actor_added"
    ]


def test_units_of_work_do_not_nest(uow: Any) -> None:
    with uow:
        with pytest.raises(RuntimeError, match="already open"):
            uow.__enter__()
        uow.units.import_rows([_unit("A1")])
        uow.commit()
    assert _codes(uow) == ["A1"]


def test_the_twin_refuses_a_write_outside_a_unit_of_work() -> None:
    twin = InMemoryUnitOfWork()
    with pytest.raises(OutsideUnitOfWork):
        twin.units.import_rows([_unit("A1")])
    with pytest.raises(OutsideUnitOfWork):
        twin.audit.append("note", AT, "tester")
    assert _codes(twin) == []
    assert (twin.commits, twin.rollbacks) == (0, 0)
