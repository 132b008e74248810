"""The subtree range of a materialised path, and the dialects' statement preparation."""

from __future__ import annotations

from adapters.persistence.dialect import PostgresDialect, SqliteDialect, pg_sql
from workflow.tree import covers, subtree_bounds


def test_a_subtree_is_the_range_of_paths_starting_with_the_node() -> None:
    lo, hi = subtree_bounds("/1/7/")
    inside = ["/1/7/", "/1/7/42/", "/1/7/9/3/"]
    outside = ["/1/", "/1/70/", "/1/8/", "/1/6/99/", "/2/"]
    assert all(lo <= path < hi for path in inside)
    assert not any(lo <= path < hi for path in outside)
    assert all(covers("/1/7/", path) for path in inside)
    assert not any(covers("/1/7/", path) for path in outside)
    assert covers(None, "/5/")


def test_sqlite_statements_are_sent_as_written() -> None:
    sql = "SELECT x FROM t WHERE a = ? AND b = :b AND c LIKE '%x%'"
    assert SqliteDialect().prepare(sql) == sql


def test_postgres_placeholders_are_translated_and_literals_left_alone() -> None:
    sql = "SELECT 'a?:b' || x::text FROM t WHERE a = ? AND b = :b AND c LIKE '%x%' AND d % 2 = 0"
    assert PostgresDialect().prepare(sql) == (
        "SELECT 'a?:b' || x::text FROM t WHERE a = %s AND b = %(b)s AND c LIKE '%%x%%' "
        "AND d %% 2 = 0"
    )
    assert pg_sql(sql) == PostgresDialect().prepare(sql)


def test_postgres_translates_a_statement_once() -> None:
    dialect = PostgresDialect()
    sql = "SELECT 1 FROM t WHERE a = ? AND b = ?  -- prepared once"
    first = dialect.prepare(sql)
    assert dialect.prepare(sql) is first  # the cached text, not a new translation


def test_only_postgres_has_locks_and_sequences() -> None:
    sqlite, pg = SqliteDialect(), PostgresDialect()
    assert sqlite.begin == "BEGIN IMMEDIATE" and pg.begin == "BEGIN"
    assert sqlite.serialize("open") is None and sqlite.lock_chain("notice") is None
    assert sqlite.for_update_skip_locked("t") == "" and sqlite.for_update_of("m") == ""
    assert pg.for_update_skip_locked("t") == " FOR UPDATE OF t SKIP LOCKED"
    assert pg.for_update_skip_locked() == " FOR UPDATE SKIP LOCKED"
    assert pg.lock_chain("audit_event") == "LOCK TABLE audit_event IN SHARE ROW EXCLUSIVE MODE"
    statement = pg.serialize("open")
    assert statement is not None and statement[1] == pg.serialize("open")[1]  # type: ignore[index]
    assert sqlite.sync_sequence("unit", 5) is None
    assert pg.sync_sequence("unit", 5) == (
        "SELECT setval(pg_get_serial_sequence('unit', 'id'), ?)", (5,)
    )
