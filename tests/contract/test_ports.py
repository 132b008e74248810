"""An architecture rule: every method of every repository Protocol in
workflow/service/ports.py exists on its in-memory twin (workflow.testing.Memory<Name>)
and on its SQL adapter (adapters.persistence.*.Sql<Name>), by name and parameters; and
the units of work both offer every repository and the transaction methods."""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
from typing import Any, Protocol

import pytest

import adapters.persistence
import workflow.testing
from adapters.persistence.unit_of_work import SqlUnitOfWork
from workflow.service import ports
from workflow.testing import InMemoryUnitOfWork

NOT_REPOSITORIES = {"UnitOfWork", "Notifier"}


def _protocols() -> dict[str, type]:
    return {
        name: value
        for name, value in vars(ports).items()
        if inspect.isclass(value) and value.__module__ == ports.__name__
        and Protocol in getattr(value, "__mro__", ()) and name not in NOT_REPOSITORIES
    }


def _sql_classes() -> dict[str, type]:
    found: dict[str, type] = {}
    for module in pkgutil.iter_modules(adapters.persistence.__path__):
        loaded = importlib.import_module(f"adapters.persistence.{module.name}")
        for name, value in vars(loaded).items():
            mine = inspect.isclass(value) and value.__module__ == loaded.__name__
            if mine and name.startswith("Sql"):
                found[name] = value
    return found


def _methods(protocol: type) -> dict[str, Any]:
    return {
        name: member
        for name, member in vars(protocol).items()
        if not name.startswith("_") and callable(member)
    }


def _parameters(function: Any) -> list[tuple[str, Any, bool]]:
    """(name, kind, has a default) of each parameter after self."""
    return [
        (p.name, p.kind, p.default is not inspect.Parameter.empty)
        for p in list(inspect.signature(function).parameters.values())[1:]
    ]


PROTOCOLS = _protocols()


def test_every_repository_protocol_is_checked() -> None:
    assert sorted(PROTOCOLS) == [
        "Actors", "Audit", "Cycles", "Definitions", "Meetings", "Outbox", "Registers",
        "Timers", "Units", "Versions",
    ]


@pytest.mark.parametrize("name", sorted(PROTOCOLS))
def test_twin_and_sql_have_every_method_of_the_port(name: str) -> None:
    protocol = PROTOCOLS[name]
    twin = getattr(workflow.testing, f"Memory{name}")
    sql = _sql_classes()[f"Sql{name}"]
    methods = _methods(protocol)
    assert methods, name
    for method, declared in methods.items():
        for implementation in (twin, sql):
            found = getattr(implementation, method, None)
            assert found is not None, f"{implementation.__name__} has no {method}"
            assert _parameters(found) == _parameters(declared), (
                f"{implementation.__name__}.{method}{inspect.signature(found)} is not "
                f"{name}.{method}{inspect.signature(declared)}"
            )


@pytest.mark.parametrize("unit_of_work", [InMemoryUnitOfWork, SqlUnitOfWork])
def test_both_units_of_work_offer_every_repository(unit_of_work: type) -> None:
    declared = vars(ports.UnitOfWork)
    repositories = [n for n, v in declared.items() if isinstance(v, property)]
    assert len(repositories) == len(PROTOCOLS)
    source = inspect.getsource(unit_of_work.__init__)
    for name in repositories:
        # made in __init__, or on first use (the SQL one's rarely used repositories)
        made_on_use = isinstance(vars(unit_of_work).get(name), functools.cached_property)
        assert made_on_use or f"self.{name} = " in source, f"{unit_of_work.__name__} lacks {name}"
    for method in ("__enter__", "__exit__", "commit", "rollback"):
        assert _parameters(getattr(unit_of_work, method)) == _parameters(declared[method])
