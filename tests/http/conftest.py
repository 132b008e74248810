"""A served API per test (function scope: tests that act change the database) or per
module (the tests that only read or are refused, which write no cycle)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.api_server import Served, serving
from tests.support.backends import BACKENDS, database


@pytest.fixture
def served(db_url: str) -> Iterator[Served]:
    with serving(db_url) as it:
        yield it


@pytest.fixture(scope="module", params=BACKENDS)
def served_once(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    folder: Path = tmp_path_factory.mktemp("api")
    with database(str(request.param), folder) as url, serving(url) as it:
        yield it
