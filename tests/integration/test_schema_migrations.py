"""Schema migrations (Alembic) on real databases: SQLite files, and PostgreSQL when
$BONTOT_TEST_DATABASE_URL names a server (a scratch database per test, dropped after).

The legacy database is the one release 7a2cb4e made, rows and all (a SQL dump made by
that release's own code: tests/fixtures/legacy/make_7a2cb4e.py). On PostgreSQL that
release's schema is the baseline revision (equal to it: the first test) with the same
rows copied in."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from adapters.persistence import schema
from adapters.persistence.db import APPEND_ONLY, create_schema
from tests.support.schema_db import (
    all_rows,
    copy_rows,
    dated,
    deadline_years,
    end_of_day,
    engine_for,
    legacy_sqlite,
    scratch_url,
    snapshot,
)

BACKENDS = ["sqlite", "postgresql"]
NEW_TABLES = {"rating", "target", "meeting", "inspector_key", "storage_damage"}
#: tables a revision after the recognised ones added (0009: where units stood)
LATER_TABLES = {"unit_place", "notice_chain"}
ROOT = Path(__file__).resolve().parents[2]


def metadata_diff(engine: sa.Engine) -> list[object]:
    with engine.connect() as conn:
        here = conn.dialect.name

        def made_here(item: object, name: object, kind: str, reflected: bool, to: object) -> bool:
            # Alembic compares an index made for one backend only (`ddl_if`) on every
            # backend: it is looked for only where it is made
            only = getattr(getattr(item, "_ddl_if", None), "dialect", None)
            return reflected or kind != "index" or only is None or only == here

        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": made_here}
        )
        return list(compare_metadata(context, SQLModel.metadata))


def assert_append_only(engine: sa.Engine) -> None:
    """Each audit table refuses UPDATE and DELETE of a row it holds."""
    for table in APPEND_ONLY:
        with engine.connect() as conn:
            row_id = conn.execute(sa.text(f"SELECT min(id) FROM {table}")).scalar()
        assert row_id is not None, f"{table} holds no row to try"
        for statement in (
            f"UPDATE {table} SET id = id WHERE id = {row_id}",
            f"DELETE FROM {table} WHERE id = {row_id}",
        ):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(sa.text(statement))


def legacy_database(backend: str, tmp_path: Path, url: str) -> None:
    """The database release 7a2cb4e left: its file on SQLite; on PostgreSQL its schema
    (the baseline revision, without alembic_version) holding the same rows."""
    if backend == "sqlite":
        legacy_sqlite(Path(sa.make_url(url).database or ""))
        return
    with engine_for(url) as engine, engine_for(legacy_sqlite(tmp_path / "src.db")) as source:
        schema.upgrade(engine, "0001")
        with engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE alembic_version"))
        assert copy_rows(source, engine) > 300


def test_a_legacy_database_s_deadlines_move_to_the_end_of_their_day(tmp_path: Path) -> None:
    """The legacy proposal deadline of 31/12/2025 23:59 ends at 23:59:59.999999 local;
    the audit trail keeps every row as recorded."""
    with engine_for(legacy_sqlite(tmp_path / "old.db")) as engine:
        audit_before = {t: all_rows(engine)[t] for t in APPEND_ONLY}
        with engine.connect() as conn:
            old = conn.execute(sa.text(
                "SELECT count(*) FROM deadline WHERE key = 'propose' "
                "AND due_at = '2025-12-31T16:59:00.000000Z'"
            )).scalar()
        assert old and old > 0
        schema.upgrade(engine)
        with engine.connect() as conn:
            dues = {r[0] for r in conn.execute(sa.text(
                "SELECT due_at FROM deadline WHERE key = 'propose'"
            ))}
            resolved = [r[0] for r in conn.execute(sa.text("SELECT resolved FROM definition"))]
        assert dues == {"2025-12-31T16:59:59.999999Z"}
        assert all('"time":"23:59"' not in text for text in resolved)
        audit_after = {t: all_rows(engine)[t] for t in APPEND_ONLY}
        # every record kept as recorded; revision 0007 appends its baseline fact only
        assert audit_after["audit_event"][:-1] == audit_before["audit_event"]
        assert audit_after["audit_event"][-1][2] == "baseline"
        # revision 0011 adds each notice's place in a unit's chain: none for these, which
        # stay in the global chain they were written in
        notices = audit_after.pop("notice")
        assert [r[:-1] for r in notices] == audit_before["notice"]
        assert {r[-1] for r in notices} == {None}
        assert {t: r for t, r in audit_after.items() if t != "audit_event"} == {
            t: r for t, r in audit_before.items() if t not in ("audit_event", "notice")
        }


def test_the_baseline_revision_is_the_schema_release_7a2cb4e_made(tmp_path: Path) -> None:
    with (
        engine_for(legacy_sqlite(tmp_path / "old.db")) as old,
        engine_for(f"sqlite:///{tmp_path / 'baseline.db'}") as baseline,
    ):
        schema.upgrade(baseline, "0001")
        migrated = snapshot(baseline)
        assert migrated["tables"].pop("alembic_version")
        assert migrated == snapshot(old)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_database_of_release_7a2cb4e_upgrades_in_place_and_loses_nothing(
    backend: str, tmp_path: Path
) -> None:
    with scratch_url(backend, tmp_path) as url:
        legacy_database(backend, tmp_path, url)
        with engine_for(url) as engine:
            before = all_rows(engine)
            assert {t for t, rows in before.items() if rows} >= {
                "unit", "definition", "cycle", "transition", "deadline", "milestone",
                "timer", "notice", "outbox", "delivery", "audit_event", "actor", "meta",
            }
            assert schema.status(engine) == (None, "0001")
            with engine.connect() as conn:
                fired = {r[0] for r in conn.execute(
                    sa.text("SELECT id FROM timer WHERE fired_at IS NOT NULL"))}  # fmt: skip
            years = deadline_years(engine)

            done = schema.upgrade(engine)

            assert (done.stamped, done.before, done.after) == ("0001", "0001", schema.head())
            after = all_rows(engine)
            assert set(after) == set(before) | NEW_TABLES | LATER_TABLES
            # every row unchanged, but for the deadlines that now end with their day
            # (0005); the audit-event chain gains its baseline fact (0007: what the
            # registers hold, for `audit verify` to replay); notices gain their place in
            # a unit's chain (0011), none for these: they stay in the global chain
            expected = end_of_day(before)
            expected["notice"] = [(*r, None) for r in expected["notice"]]
            # an actor gains its password (0008), none set
            expected["actor"] = [(*row, None) for row in expected["actor"]]
            # units gain the day they ended (0009): none has
            expected["unit"] = [(*row, None) for row in expected["unit"]]
            # a message gains the instant a retry readdressed it (0013): none was
            expected["outbox"] = [(*row, None) for row in expected["outbox"]]
            # deadlines gain their cycle's year and whether it is closed (0014)
            expected["deadline"] = dated(expected["deadline"], years)
            assert {t: after[t] for t in before if t not in ("audit_event", "timer")} == {
                t: rows for t, rows in expected.items() if t not in ("audit_event", "timer")
            }
            # the timers that could no longer fire are gone (0010); every one kept is as
            # it was, and every fired one is kept (its notice names it)
            kept = set(after["timer"])
            assert kept < set(expected["timer"])
            assert fired <= {row[0] for row in kept}
            assert after["audit_event"][:-1] == expected["audit_event"]
            assert after["audit_event"][-1][2] == "baseline"
            assert all(after[t] == [] for t in NEW_TABLES | LATER_TABLES)
            assert metadata_diff(engine) == []
            assert_append_only(engine)


@pytest.mark.parametrize("backend", BACKENDS)
def test_migrating_an_empty_database_gives_what_create_schema_gives(
    backend: str, tmp_path: Path
) -> None:
    """create_schema builds an empty database from the metadata and stamps it (fast, for
    tests and scratch files); `init` runs the revisions. Both must be the same schema."""
    with (
        scratch_url(backend, tmp_path, "migrated.db") as migrated_url,
        scratch_url(backend, tmp_path, "created.db") as created_url,
        engine_for(migrated_url) as migrated,
        engine_for(created_url) as created,
    ):
        assert schema.upgrade(migrated).after == schema.head()
        create_schema(created)
        assert metadata_diff(migrated) == []
        assert metadata_diff(created) == []
        assert snapshot(migrated) == snapshot(created)
        assert schema.status(created) == (schema.head(), None)
        triggers = {table for _, table, _ in snapshot(migrated)["triggers"]}
        assert triggers == set(APPEND_ONLY)


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrading_twice_changes_nothing(backend: str, tmp_path: Path) -> None:
    with scratch_url(backend, tmp_path) as url:
        legacy_database(backend, tmp_path, url)
        with engine_for(url) as engine:
            schema.upgrade(engine)
            shape, rows = snapshot(engine), all_rows(engine)
            again = schema.upgrade(engine)
            assert (again.changed, again.stamped, again.after) == (False, None, schema.head())
            create_schema(engine)  # on a versioned database: the same no-op upgrade
            assert snapshot(engine) == shape
            assert all_rows(engine) == rows


def test_revision_by_revision_equals_all_at_once(tmp_path: Path) -> None:
    with (
        engine_for(f"sqlite:///{tmp_path / 'steps.db'}") as steps,
        engine_for(f"sqlite:///{tmp_path / 'once.db'}") as once,
    ):
        revisions = tuple(f"{n:04d}" for n in range(1, 15))  # 0001 … 0014
        seen = [schema.upgrade(steps, revision).after for revision in revisions]
        assert seen == list(revisions)
        schema.upgrade(once)
        assert snapshot(steps) == snapshot(once)


def test_a_database_from_main_before_migrations_is_recognised_at_its_revision(
    tmp_path: Path,
) -> None:
    """main between 7a2cb4e and this change made rating/target (and later meeting) with
    create_all: such a file is stamped where it stands, not replayed from the baseline."""
    with engine_for(f"sqlite:///{tmp_path / 'main.db'}") as engine:
        schema.upgrade(engine, "0002")
        with engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE alembic_version"))
        assert schema.status(engine) == (None, "0002")
        done = schema.upgrade(engine)
        assert (done.stamped, done.after) == ("0002", schema.head())
        assert metadata_diff(engine) == []


def test_recognition_by_tables() -> None:
    baseline = set(schema.HISTORY[0][1])
    assert schema.recognise(set()) is None
    assert schema.recognise({"somebody_elses_table"}) is None
    assert schema.recognise(baseline) == "0001"
    assert schema.recognise(baseline | {"rating", "target"}) == "0002"
    assert schema.recognise(baseline | NEW_TABLES | {"x"}) == "0003"
    with pytest.raises(schema.SchemaError, match="lacks audit_event"):
        schema.recognise(baseline - {"audit_event"})
    with pytest.raises(schema.SchemaError, match="holds revision 0001, and meeting"):
        schema.recognise(baseline | {"meeting"})
    with pytest.raises(schema.SchemaError, match="holds revision 0001, and rating"):
        schema.recognise(baseline | {"rating"})


def test_the_history_is_the_schema_before_migrations(tmp_path: Path) -> None:
    """HISTORY (how an unversioned database is recognised) names exactly the tables of
    the revisions it covers."""
    named = {"alembic_version"}
    with engine_for(f"sqlite:///{tmp_path / 'db.db'}") as engine:
        for revision, tables in schema.HISTORY:
            schema.upgrade(engine, revision)
            named |= tables
            assert set(sa.inspect(engine).get_table_names()) == named


def test_an_upgrade_never_goes_back(tmp_path: Path) -> None:
    with engine_for(f"sqlite:///{tmp_path / 'db.db'}") as engine:
        schema.upgrade(engine)
        with pytest.raises(schema.SchemaError, match="past 0001"):
            schema.upgrade(engine, "0001")
        with pytest.raises(schema.SchemaError, match="'nope'"):
            schema.upgrade(engine, "nope")
        assert schema.status(engine) == (schema.head(), None)


def test_the_package_ships_every_file_of_the_migration_environment() -> None:
    """`pip install .` (not editable) must carry env.py and the revisions."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["adapters.persistence"]
    base = ROOT / "adapters" / "persistence"
    files = [
        p.relative_to(base).as_posix()
        for p in (base / "schema_migrations").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ]
    assert "schema_migrations/env.py" in files
    assert [f for f in files if not any(fnmatch(f, pattern) for pattern in patterns)] == []
