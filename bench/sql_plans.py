"""The query plans of every statement converted to a SQLAlchemy Core construct, before
(the hand-built text it replaced) and after (the compiled text), on SQLite and PostgreSQL.

    python bench/sql_plans.py [--pg postgresql://postgres@127.0.0.1:5432/test] \\
        [--out docs/sql-plans.md]

Each backend gets a fresh database (a SQLite file in a temporary folder; a schema of its
own in the PostgreSQL database, dropped afterwards) with the schema, a tree of
bench/nation.py at `--scale` and ANALYZE. SQLite: EXPLAIN QUERY PLAN; PostgreSQL:
EXPLAIN (COSTS OFF), the plan without the planner's estimates.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg
from nation import nation_tree

from adapters.persistence import outbox, units
from adapters.persistence.compiled import Compiled, compiled, in_list, padded
from adapters.persistence.db import create_schema, make_engine
from adapters.persistence.dialect import dialect_for
from adapters.persistence.store import SqlStore

# The texts as they were built by hand before (commit e35d936: contacts and the claim
# with the ORDER BY that commit gave them), in SQLite's placeholder style.
BEFORE_CONTACTS = (
    "SELECT id, code, name, path, contacts FROM unit WHERE id IN ({marks}) ORDER BY id"
)
BEFORE_PENDING = (
    'SELECT n.id, t.key, n.kind, n.deadline, n.step, t."offset", n.role, n.address, '
    "n.due_at, t.deadline_at, t.moved_by, n.at, u.id, u.code, u.name, u.path, "
    "u.contacts, t.definition_id, t.definition_version, c.state, t.milestone_id "
    "FROM notice_queue q JOIN notice n ON n.id = q.notice_id "
    "JOIN timer t ON t.id = n.timer_id JOIN unit u ON u.id = n.unit_id "
    "LEFT JOIN cycle c ON c.id = n.cycle_id "
    "WHERE q.address IN ({marks}) ORDER BY n.id"
)


class Converted:
    """One converted statement: its old text and its new construct, both for `values`
    padded as the new one pads them (the same values: only the statements differ)."""

    def __init__(
        self,
        name: str,
        where: str,
        before: str,
        build: Callable[[int], Any],
        prefix: str,
        values: Sequence[Any],
    ) -> None:
        self.name, self.where, self.before, self.build = name, where, before, build
        self.prefix, self.values = prefix, padded(values)

    def old(self) -> tuple[str, list[Any]]:
        return self.before.format(marks=", ".join("?" for _ in self.values)), self.values

    def new(self, dialect: Any) -> tuple[Compiled, dict[str, Any]]:
        shown = self.values
        statement = compiled(dialect, (self.name, len(shown)), self.build, len(shown))
        return statement, in_list(self.prefix, shown)


BEFORE_BY_CODE = "SELECT code, id, path FROM unit WHERE code IN ({marks})"

STATEMENTS = (
    Converted(
        "unit.ids_and_paths", "adapters/persistence/units.py `SqlUnits.ids_and_paths`",
        BEFORE_BY_CODE, units._by_code, "code", ["P01", "P02", "P03", "NOPE", "P05"],
    ),
    Converted(
        "unit.contacts", "adapters/persistence/units.py `SqlUnits.contacts`",
        BEFORE_CONTACTS, units._contacts, "id", [1, 2, 5, 40, 41],
    ),
    Converted(
        "outbox.claim_pending", "adapters/persistence/outbox.py `SqlOutbox.claim_pending`",
        BEFORE_PENDING, outbox._pending, "address", ["a@x.vn", "b@x.vn", "c@x.vn"],
    ),
)


@contextmanager
def pg_schema(server: str) -> Iterator[str]:
    schema = f"plans_{uuid.uuid4().hex[:12]}"
    with closing(psycopg.connect(server, autocommit=True)) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    parts = urlsplit(server)
    try:
        yield urlunsplit(parts._replace(query=urlencode({"options": f"-csearch_path={schema}"})))
    finally:
        with closing(psycopg.connect(server, autocommit=True)) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def plans(url: str, scale: float) -> dict[str, tuple[str, str, str]]:
    """Per statement: (plan before, plan after, the compiled text)."""
    engine = make_engine(url)
    create_schema(engine)
    store = SqlStore(engine)
    store.import_units(nation_tree(scale))
    store.close()
    name = engine.dialect.name
    dialect = dialect_for(name)
    found = {}
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("ANALYZE")
        explain = "EXPLAIN QUERY PLAN " if name == "sqlite" else "EXPLAIN (COSTS OFF) "
        for s in STATEMENTS:
            text, values = s.old()
            cursor.execute(explain + dialect.prepare(text), values)
            before = _plan(name, cursor.fetchall())
            statement, bound = s.new(engine.dialect)
            cursor.execute(explain + statement.text, statement.bind(bound))
            found[s.name] = (before, _plan(name, cursor.fetchall()), statement.text)
        raw.rollback()
    finally:
        raw.close()
        engine.dispose()
    return found


def _plan(backend: str, rows: Sequence[Any]) -> str:
    if backend == "sqlite":  # (id, parent, notused, detail)
        depth: dict[int, int] = {0: 0}
        lines = []
        for row in rows:
            depth[row[0]] = depth.get(row[1], 0) + 1
            lines.append("  " * (depth[row[0]] - 1) + str(row[3]))
        return "\n".join(lines)
    return "\n".join(str(r[0]) for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--scale", type=float, default=0.01, help="of the nationwide tree")
    parser.add_argument("--out", type=Path, default=Path("docs/sql-plans.md"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        sqlite = plans(f"sqlite:///{folder}/plans.db", args.scale)
    with pg_schema(args.pg) as url:
        pg = plans(url, args.scale)
    out = [
        "# Query plans of the statements compiled from SQLAlchemy Core",
        "",
        "Generated by `python bench/sql_plans.py` (do not edit by hand): each statement",
        "converted from hand-built text to a Core construct compiled once per (dialect,",
        "shape), with its plan before (the old text) and after (the compiled text), on a",
        f"fresh database holding bench/nation.py's tree at scale {args.scale} (the notice",
        "tables are empty), after ANALYZE. SQLite: EXPLAIN QUERY PLAN; PostgreSQL:",
        "EXPLAIN (COSTS OFF). Both sides bind the same values: the `IN` lists padded to a",
        "power of two by repeating the last value, as the compiled statements are run.",
    ]
    for s in STATEMENTS:
        out += ["", f"## `{s.name}` ({s.where})", ""]
        for backend, found in (("SQLite", sqlite), ("PostgreSQL", pg)):
            before, after, _ = found[s.name]
            same = "the same plan" if before == after else "**the plans differ**"
            out += [f"{backend}: {same}.", "", "before:", "```", before, "```", "after:"]
            out += ["```", after, "```", ""]
        out += ["Compiled text (PostgreSQL):", "```", pg[s.name][2], "```"]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(STATEMENTS)} statements", file=sys.stderr)


if __name__ == "__main__":
    main()
