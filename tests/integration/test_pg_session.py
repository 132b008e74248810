"""Every PostgreSQL connection bontot opens runs with JIT off (db.pg_session): compiling
a nation's board to machine code cost more than the board itself."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters import bootstrap
from adapters.persistence.db import make_engine
from tests.support.backends import connect, pg_schema, pg_server_url


@pytest.fixture
def pg_url() -> Iterator[str]:
    with pg_schema(pg_server_url()) as url:
        yield url


def test_bontot_s_postgresql_connections_run_with_jit_off(pg_url: str) -> None:
    with connect(pg_url) as own:  # a connection of the test's, not bontot's
        if own.execute("SHOW jit").fetchone()[0] != "on":
            pytest.skip("this server has JIT off for every session: nothing to turn off")
    for engine in (make_engine(pg_url), bootstrap.connect(pg_url).engine):
        try:
            with engine.connect() as first, engine.connect() as second:
                for conn in (first, second):
                    assert conn.exec_driver_sql("SHOW jit").scalar() == "off"
                    # the search path the URL chose is kept: the SET added to it
                    assert conn.exec_driver_sql("SHOW search_path").scalar().startswith("t_")
        finally:
            engine.dispose()
