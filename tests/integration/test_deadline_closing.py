"""A deadline carries its cycle's year and whether that cycle is closed (revision 0014),
so that the year's late count reads no cycle. The store marks them as it closes a cycle;
the revision marks them in a database written before it, the same way."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import command

from adapters.persistence import schema
from adapters.persistence.db import make_engine
from adapters.persistence.store import SqlStore
from workflow.service.cycles import CycleService

DEADLINES = (
    "SELECT u.code, d.key, d.year, d.closed, d.met_at IS NULL FROM deadline d "
    "JOIN cycle c ON c.id = d.cycle_id JOIN unit u ON u.id = c.unit_id ORDER BY 1, 2"
)


def rows(engine: sa.Engine, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql))]


def test_a_closed_cycle_s_unmet_deadlines_are_closed_by_the_store_and_by_the_revision(
    commune: CycleService, store: SqlStore, db_url: str
) -> None:
    commune.fire("CB-THON1", "register", 2025, "bithu.thon1", "unit_secretary", {"plan": "KH-1"})
    lapsed = commune.fire("DB-TRUONG-1", "lapse", 2025, "btc.x01", "superior_org_board",
                          {"reason": "Chi bộ không đăng ký"})  # fmt: skip
    assert lapsed.applied
    engine = make_engine(db_url)
    try:
        written = rows(engine, DEADLINES)
        # six cycles of five deadlines, all of 2025; the lapsed cell's five are closed
        assert len(written) == 30 and {r[2] for r in written} == {2025}
        assert {(r[0], r[1]) for r in written if r[3] == 1} == {
            ("DB-TRUONG-1", k) for k in ("register", "propose", "appraise", "recognize", "report")
        }
        # CB-THON1's met registration is not closed: its cycle is open
        assert ("CB-THON1", "register", 2025, 0, False) in written

        with engine.begin() as conn:  # the database as a store before 0014 left it
            command.downgrade(schema.config(conn), "0013")
        columns = {c["name"] for c in sa.inspect(engine).get_columns("deadline")}
        assert not {"year", "closed"} & columns
        schema.upgrade(engine)

        assert rows(engine, DEADLINES) == written
    finally:
        engine.dispose()
