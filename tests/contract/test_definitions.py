"""The definitions repository's contract: a version saved once, read back whole, the
newest by number; the installation id written once."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import local
from tests.support.units_of_work import write
from workflow.errors import NotFound
from workflow.spec.registry import DefinitionSet

AT = local(2025, 1, 5)


def test_a_version_is_saved_once_and_read_back(uow: Any, catalog: DefinitionSet) -> None:
    definition = catalog.latest("bon-tot")
    spec = definition.spec
    assert uow.definitions.stored(spec.id, spec.version) is None
    assert write(uow, lambda: uow.definitions.add(definition, AT)) is True
    assert write(uow, lambda: uow.definitions.add(definition, AT)) is False
    stored = uow.definitions.stored(spec.id, spec.version)
    assert stored is not None
    assert stored[0] == definition.content_hash
    assert stored[1].content_hash == definition.content_hash
    loaded = uow.definitions.load(spec.id, spec.version)
    assert loaded.spec == spec and loaded.filename == definition.filename


def test_load_without_a_version_is_the_newest(uow: Any, catalog: DefinitionSet) -> None:
    older = catalog.get("chi-bo-kieu-mau", 4)
    assert older.spec.version == 4
    first = older.spec.model_copy(update={"version": 1})
    from workflow.spec.registry import Definition, content_hash

    v1 = Definition(first, content_hash(first), "v1.yaml")
    write(uow, lambda: uow.definitions.add(older, AT))
    write(uow, lambda: uow.definitions.add(v1, AT))  # saved after, still older
    assert uow.definitions.load("chi-bo-kieu-mau", None).spec.version == 4
    assert uow.definitions.load("chi-bo-kieu-mau", 1).filename == "v1.yaml"
    with pytest.raises(NotFound, match="version 7 is not in the database"):
        uow.definitions.load("chi-bo-kieu-mau", 7)
    with pytest.raises(NotFound):
        uow.definitions.load("nope", None)


def test_the_installation_id_is_written_once(uow: Any) -> None:
    assert uow.definitions.installation_id() is None
    write(uow, uow.definitions.add_installation_id)
    first = uow.definitions.installation_id()
    assert first is not None and len(first) == 12
    write(uow, uow.definitions.add_installation_id)
    assert uow.definitions.installation_id() == first
