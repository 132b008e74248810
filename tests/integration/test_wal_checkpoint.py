"""SQLite's WAL is copied into the database file by the worker between ticks, not by a
request's commit: the engine's connections checkpoint only when the WAL is large."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from adapters import bootstrap
from adapters.persistence.db import WAL_AUTOCHECKPOINT_PAGES, make_engine


def in_the_file_itself(path: Path) -> list[tuple[int]]:
    """The rows the database file holds, its WAL ignored (immutable: no WAL is read)."""
    with closing(sqlite3.connect(f"file:{path}?immutable=1", uri=True)) as conn:
        return list(conn.execute("SELECT n FROM t ORDER BY n"))


def test_a_commit_leaves_its_pages_in_the_wal_until_the_worker_checkpoints(
    tmp_path: Path,
) -> None:
    path = tmp_path / "wal.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            pages = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
            assert pages == WAL_AUTOCHECKPOINT_PAGES
            conn.exec_driver_sql("CREATE TABLE t (n INTEGER)")
            conn.commit()
        bootstrap.checkpoint(engine)
        assert in_the_file_itself(path) == []
        with engine.connect() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (1), (2)")
            conn.commit()
        assert in_the_file_itself(path) == []  # committed, in the WAL only
        bootstrap.checkpoint(engine)
        assert in_the_file_itself(path) == [(1,), (2,)]
    finally:
        engine.dispose()
