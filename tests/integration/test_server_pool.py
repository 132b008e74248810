"""The web server's and the worker's pool keeps a connection for each thread a server
runs requests in: forty requests at once each hold one, and when they are answered the
pool keeps all forty open for the next ones (SQLAlchemy's default kept five and closed
the other ten it let open; a sixteenth request waited for one)."""

from __future__ import annotations

import threading

from adapters.bootstrap import connect
from adapters.persistence.db import SERVER_POOL, create_schema


def test_forty_requests_at_once_each_hold_a_connection_the_pool_then_keeps(db_url: str) -> None:
    pool = connect(db_url)
    try:
        create_schema(pool.engine)
        together = threading.Barrier(SERVER_POOL, timeout=20)
        failures: list[BaseException] = []

        def request() -> None:
            try:
                driver, release = pool.checkout()
                try:
                    driver.cursor().execute("SELECT 1")
                    together.wait()  # all forty hold theirs at this moment
                finally:
                    release()
            except BaseException as exc:
                failures.append(exc)

        threads = [threading.Thread(target=request) for _ in range(SERVER_POOL)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert failures == []
        assert pool.engine.pool.checkedin() == SERVER_POOL  # type: ignore[attr-defined]
    finally:
        pool.dispose()
