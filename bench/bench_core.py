"""Engine-core benchmark at nationwide scale, each figure beside raw `sqlite3` in the same run.

    python bench/bench_core.py [--units 300000] [--events 100000] [--out bench/out]

Two (for firing: three) fresh SQLite files get the same schema (`create_schema`) and the
same unit tree (`SqlStore.import_units`, untimed). The engine works on one; plain stdlib
`sqlite3` with the same pragmas (WAL, synchronous=NORMAL) writes the same rows to the
other. Printed: seconds or µs for both and the ratio engine / raw (lower is better).

A benchmark, not a test: it asserts nothing about speed. It only stops if the work it
times was not done (an event refused), so that a figure never measures a refusal.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from itertools import cycle
from pathlib import Path
from typing import Any

from transitions import Machine

from adapters.catalog import load_catalog
from adapters.holidays_vn import calendar_for
from adapters.persistence.db import WAL_AUTOCHECKPOINT_PAGES, create_schema, make_engine
from adapters.persistence.store import SqlStore
from workflow.audit_hashing import cycle_genesis, link
from workflow.clock import VirtualClock
from workflow.deadlines import ladder_heads, plan_cycle_timers, resolve_deadlines
from workflow.evidence.ratings import check_rating_rows
from workflow.runtime.decision import Decision
from workflow.runtime.machine import CompiledDefinition
from workflow.service.cycles import CycleService
from workflow.spec.registry import Definition
from workflow.timefmt import to_db
from workflow.units import UnitImport

YEAR = 2025
BATCH = 5_000
OPENED_AT = datetime(2025, 1, 5, 1, 0, tzinfo=UTC)
FIRED_AT = datetime(2025, 2, 20, 2, 0, tzinfo=UTC)
FIRED_AT_DB = to_db(FIRED_AT)
EVENT, ACTOR, ROLE = "register", "bithu", "unit_secretary"
PAYLOAD = {"plan": "KH-01"}
PAYLOAD_JSON = '{"plan":"KH-01"}'  # what the store writes for PAYLOAD (compact, key order)
PROVINCES = 34
UNITS_PER_COMMUNE = 90  # 300,000 cells -> 3,333 communes
DURABILITY = "SQLite WAL, synchronous=NORMAL (no fsync per commit, only at checkpoints)"
TARGETS = {"open": 1.5, "fire": 2.0, "decide": 3.0, "peak_rss_mb": 300.0}
COMPARED_TABLES = ("cycle", "transition", "deadline", "timer")
#: A secretary's self-evaluation, as `self_evaluate` stores it in the cycle's facts: each
#: criterion's score with its documents, and the village sub-criteria ticked (the bench's
#: units are all of type "village"). Ratings are not here: the rule reads the register.
SELF_EVALUATION = {
    "criteria": {
        key: {"score": score, "evidence": ["BC-101/BC-CB", "bien-ban-sinh-hoat-q3.pdf"]}
        for key, score in (
            ("political_task", 96),
            ("meetings", 97),
            ("unity_discipline", 95),
            ("cadres_members", 98),
        )
    },
    "checklist": dict.fromkeys(
        ("development", "land_environment_order", "militia_conscription", "members_sources"),
        True,
    ),
}
#: The ratings register as the member registry exports it (the columns `bontot ratings
#: import` reads), final ratings of January after the year.
REGISTER_HEADER = (
    "ma_to_chuc",
    "ma_dang_vien",
    "ho_ten",
    "tinh_trang",
    "ngay_vao_dang",
    "xep_loai",
    "giai_doan",
    "ngay_xep_loai",
)
RATED_ON = f"12/01/{YEAR + 1}"
REGISTER_AT = datetime(YEAR + 1, 1, 21, 1, 0, tzinfo=UTC)


# -- the tree and the files -------------------------------------------------------------
def nation(cells: int) -> list[UnitImport]:
    """1 nation committee -> 34 provinces -> communes -> `cells` units that get a cycle:
    grassroots cells, and (one grassroots organisation in five) a grassroots committee
    with four subordinate cells. Parents come first, as import_units wants them."""
    rows = [UnitImport("VN", "Ban Chấp hành Trung ương (mẫu)", "committee", "other", None, 0)]
    rows += [
        UnitImport(f"P{p:02d}", f"Đảng bộ tỉnh {p}", "committee", "other", "VN", 0)
        for p in range(PROVINCES)
    ]
    communes = max(1, cells // UNITS_PER_COMMUNE)
    rows += [
        UnitImport(
            f"X{c:05d}", f"Đảng bộ xã {c}", "committee", "village", f"P{c % PROVINCES:02d}", 0
        )
        for c in range(communes)
    ]
    made, org = 0, 0
    while made < cells:
        code, commune = f"G{org:06d}", f"X{org % communes:05d}"
        if org % 5 == 0 and cells - made >= 5:
            rows.append(
                UnitImport(code, f"Đảng bộ {code}", "grassroots_committee", "village", commune, 40)
            )
            rows += [
                UnitImport(f"{code}-{k}", f"Chi bộ {k}", "subordinate_cell", "village", code, 10)
                for k in range(1, 5)
            ]
            made += 5
        else:
            rows.append(
                UnitImport(code, f"Chi bộ {code}", "grassroots_cell", "village", commune, 12)
            )
            made += 1
        org += 1
    return rows


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def fresh_file(path: Path, units: Sequence[UnitImport]) -> None:
    """A new file: the schema by create_schema, the units by SqlStore.import_units."""
    engine = make_engine(sqlite_url(path))
    create_schema(engine)
    store = SqlStore(engine)
    store.import_units(units)
    store.close()
    engine.dispose()


def copy_file(source: Path, target: Path) -> None:
    """A page-for-page copy of a database, by SQLite's online backup API."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def open_store(path: Path) -> SqlStore:
    return SqlStore(make_engine(sqlite_url(path)))


def close_store(store: SqlStore) -> None:
    store.close()
    store.engine.dispose()


def raw_connect(path: Path) -> sqlite3.Connection:
    """Plain stdlib sqlite3 in autocommit mode (we issue BEGIN and COMMIT), in the engine's
    durability mode. (The engine's connections also enforce foreign keys; with them on
    here too, the raw figures moved by less than their run-to-run noise.)"""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    # the engine's checkpoint threshold too: both sides checkpoint as rarely
    conn.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
    return conn


def same_rows(a: Path, b: Path) -> bool:
    """Whether the cycle, transition and deadline tables of both files hold the same rows."""
    with closing(sqlite3.connect(a)) as conn:
        conn.execute("ATTACH DATABASE ? AS other", (str(b),))
        for table in COMPARED_TABLES:
            count = (
                f"SELECT (SELECT COUNT(*) FROM main.{table}) - (SELECT COUNT(*) FROM other.{table})"
            )
            diff = f"SELECT EXISTS (SELECT * FROM main.{table} EXCEPT SELECT * FROM other.{table})"
            if conn.execute(count).fetchone()[0] or conn.execute(diff).fetchone()[0]:
                return False
    return True


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


@dataclass(frozen=True)
class PerCall:
    """Per-call times in µs: the mean (total / calls), the median, the 99th percentile, and
    the share of the total spent in calls over 1 ms (in SQLite: WAL checkpoints)."""

    mean_us: float
    median_us: float
    p99_us: float
    share_over_1ms: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> PerCall:
        ordered = sorted(seconds)
        total = math.fsum(ordered) or 1.0
        return cls(
            statistics.fmean(ordered) * 1e6,
            statistics.median(ordered) * 1e6,
            ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e6,
            math.fsum(t for t in ordered if t > 1e-3) / total,
        )


# -- 1. opening the year's cycles ---------------------------------------------------------
def open_with_engine(path: Path, definition: Definition) -> float:
    store = open_store(path)
    engine = CycleService(store, VirtualClock(OPENED_AT), calendar_for)
    try:
        return timed(lambda: engine.open_cycles(definition, YEAR, batch_size=BATCH))
    finally:
        close_store(store)


INSERT_CYCLE = (
    "INSERT INTO cycle (id, unit_id, unit_path, unit_kind, year, definition_id, "
    "definition_version, content_hash, state, outcome, facts, version, head_hash, opened_at, "
    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}', 1, ?, ?, ?)"
)
INSERT_TRANSITION = (
    "INSERT INTO transition (cycle_id, seq, event, from_state, to_state, actor, role, at, "
    "payload, checks, definition_id, definition_version, hash) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_DEADLINE = (
    "INSERT INTO deadline (cycle_id, key, due_at, met_at, year) VALUES (?, ?, ?, NULL, ?)"
)
INSERT_TIMER = (
    "INSERT INTO timer (key, cycle_id, milestone_id, unit_id, year, definition_id, "
    'definition_version, deadline, kind, step, role, "offset", deadline_at, due_at, moved_by) '
    "VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def timer_rows(definition: Definition) -> list[tuple[str, tuple[Any, ...]]]:
    """Each timer a cycle gets: its key suffix and its columns after (unit, year)."""
    spec = definition.spec
    calendar = calendar_for(spec.calendar)
    return [
        (
            t.suffix,
            (spec.id, spec.version, t.deadline, t.kind, t.step, t.role, t.offset,
             to_db(t.deadline_at), to_db(t.due_at), "; ".join(t.moved_by)),
        )
        # as the engine writes them: each ladder's next timer (and escalations owed)
        for t in ladder_heads(plan_cycle_timers(spec, YEAR, calendar), OPENED_AT)
    ]


def open_raw(path: Path, definition: Definition) -> float:
    """The rows open_cycles writes (a cycle, its 'open' transition, one row per deadline,
    one per reminder and escalation), with executemany, BATCH units per transaction.
    Cycle ids count from 1, as the engine's."""
    spec = definition.spec
    at = to_db(OPENED_AT)
    state, outcome = spec.initial, spec.states[spec.initial].outcome
    calendar = calendar_for(spec.calendar)
    due = [(d.key, to_db(d.due_at)) for d in resolve_deadlines(spec, YEAR, calendar)]
    timers = timer_rows(definition)
    kinds = tuple(spec.applies_to)
    cycle_row = (YEAR, spec.id, spec.version, definition.content_hash, state, outcome)
    open_row = ("open", None, state, "system", "system", at, "{}", "[]", spec.id, spec.version)

    def head(cycle_id: int, unit_id: int) -> str:  # the opening record, chained as ours
        start = cycle_genesis(cycle_id, unit_id, YEAR, spec.id, spec.version)
        return link(start, (cycle_id, 1, *open_row))

    def run(conn: sqlite3.Connection) -> None:
        units = conn.execute(
            f"SELECT id, path, kind FROM unit WHERE kind IN ({', '.join('?' * len(kinds))}) "
            "ORDER BY id",
            kinds,
        ).fetchall()
        for start in range(0, len(units), BATCH):
            chunk = list(enumerate(units[start : start + BATCH], start=start + 1))
            conn.execute("BEGIN IMMEDIATE")
            heads = {c: head(c, unit[0]) for c, unit in chunk}
            conn.executemany(
                INSERT_CYCLE, [(c, *unit, *cycle_row, heads[c], at, at) for c, unit in chunk]
            )
            conn.executemany(
                INSERT_TRANSITION, [(c, 1, *open_row, heads[c]) for c, _ in chunk]
            )
            conn.executemany(INSERT_DEADLINE, [(c, *d, YEAR) for c, _ in chunk for d in due])
            conn.executemany(
                INSERT_TIMER,
                [
                    (f"c{c}:{suffix}", c, unit[0], YEAR, *values)
                    for c, unit in chunk
                    for suffix, values in timers
                ],
            )
            conn.execute("COMMIT")

    with closing(raw_connect(path)) as conn:
        return timed(lambda: run(conn))


# -- 2. firing events, one transaction each -------------------------------------------------
def fire_with_engine(path: Path, codes: Sequence[str]) -> PerCall:
    store = open_store(path)
    engine = CycleService(store, VirtualClock(FIRED_AT), calendar_for)
    clock, spent = time.perf_counter, []
    try:
        for code in codes:
            start = clock()
            result = engine.fire(code, EVENT, YEAR, ACTOR, ROLE, PAYLOAD)
            spent.append(clock() - start)
            if not result.applied:
                raise RuntimeError(f"{code}: {result.decision.refusal}")
    finally:
        close_store(store)
    return PerCall.of(spent)


def audit_values(definition: Definition) -> tuple[Any, ...]:
    """The fired event's audit row after (cycle_id, seq), as SqlStore.apply writes it."""
    spec = definition.spec
    audit = (EVENT, spec.initial, "registered", ACTOR, ROLE, FIRED_AT_DB, PAYLOAD_JSON, "[]")
    return (*audit, spec.id, spec.version)


UPDATE_CYCLE_MINIMAL = (
    "UPDATE cycle SET state = ?, version = version + 1, updated_at = ? WHERE id = ? AND version = ?"
)


def fire_raw_minimal(path: Path, cycle_ids: Sequence[int], definition: Definition) -> PerCall:
    """Per event: BEGIN IMMEDIATE; UPDATE cycle; INSERT transition; COMMIT."""
    audit = audit_values(definition)
    clock, spent = time.perf_counter, []
    with closing(raw_connect(path)) as conn:
        cursor = conn.cursor()
        for cycle_id in cycle_ids:
            start = clock()
            cursor.execute("BEGIN IMMEDIATE")
            cursor.execute(UPDATE_CYCLE_MINIMAL, ("registered", FIRED_AT_DB, cycle_id, 1))
            if cursor.rowcount != 1:
                raise RuntimeError(f"cycle {cycle_id} moved meanwhile")
            cursor.execute(INSERT_TRANSITION, (cycle_id, 2, *audit, SOME_HASH))
            cursor.execute("COMMIT")
            spent.append(clock() - start)
    return PerCall.of(spent)


#: a hash's worth of bytes, for the minimal baseline's rows to weigh what ours weigh
SOME_HASH = "0" * 64
FIND_CYCLE = (  # SqlStore.find_cycles, verbatim
    "SELECT c.id, u.code, c.unit_kind, c.year, c.definition_id, c.definition_version, "
    "c.state, c.version, c.outcome, c.facts, c.head_hash, c.unit_path "
    "FROM cycle c JOIN unit u ON u.id = c.unit_id "
    "WHERE u.code = ? AND c.year = ? ORDER BY c.definition_id"
)
UPDATE_CYCLE_FULL = (  # SqlStore.apply, verbatim
    "UPDATE cycle SET state = ?, outcome = ?, version = version + 1, updated_at = ?, "
    "facts = COALESCE(?, facts), head_hash = ? WHERE id = ? AND version = ?"
)
MEET_DEADLINE = "UPDATE deadline SET met_at = ? WHERE cycle_id = ? AND key = ? AND met_at IS NULL"
DELETE_MOOT_TIMERS = (  # SqlCycles._settle_timers: the met deadline's timers, now moot
    "DELETE FROM timer WHERE cycle_id = ? AND deadline = ? "
    "AND fired_at IS NULL AND due_at >= ?"
)
STATEMENTS = (
    "SELECT the cycle by unit code (+ its record's hash)",
    "BEGIN IMMEDIATE",
    "UPDATE cycle",
    "INSERT transition",
    "UPDATE deadline (met)",
    "DELETE its moot timers",
    "COMMIT",
)


def _fire_every_statement(cursor: sqlite3.Cursor, code: str, audit: tuple[Any, ...]) -> list[float]:
    """One event as the engine's SQL: returns the clock before and after each statement."""
    clock = time.perf_counter
    marks = [clock()]
    row = cursor.execute(FIND_CYCLE, (code, YEAR)).fetchall()[0]
    cycle_id, version, head = row[0], row[7], row[10]
    digest = link(head, (cycle_id, version + 1, *audit))
    marks.append(clock())
    cursor.execute("BEGIN IMMEDIATE")
    marks.append(clock())
    values = ("registered", None, FIRED_AT_DB, PAYLOAD_JSON, digest, cycle_id, version)
    cursor.execute(UPDATE_CYCLE_FULL, values)
    if cursor.rowcount != 1:
        raise RuntimeError(f"cycle {cycle_id} moved meanwhile")
    marks.append(clock())
    cursor.execute(INSERT_TRANSITION, (cycle_id, version + 1, *audit, digest))
    marks.append(clock())
    cursor.execute(MEET_DEADLINE, (FIRED_AT_DB, cycle_id, EVENT))
    marks.append(clock())
    cursor.execute(DELETE_MOOT_TIMERS, (cycle_id, EVENT, FIRED_AT_DB))
    marks.append(clock())
    cursor.execute("COMMIT")
    marks.append(clock())
    return marks


def fire_raw_every_statement(
    path: Path, codes: Sequence[str], definition: Definition
) -> tuple[PerCall, dict[str, PerCall]]:
    """Every statement CycleService.fire runs, with its values: the same rows as the engine's.
    Also returns the time of each statement."""
    audit = audit_values(definition)
    totals: list[float] = []
    by_statement: list[list[float]] = [[] for _ in STATEMENTS]
    with closing(raw_connect(path)) as conn:
        cursor = conn.cursor()
        for code in codes:
            marks = _fire_every_statement(cursor, code, audit)
            totals.append(marks[-1] - marks[0])
            for i, spent in enumerate(by_statement):
                spent.append(marks[i + 1] - marks[i])
    statements = {n: PerCall.of(t) for n, t in zip(STATEMENTS, by_statement, strict=True)}
    return PerCall.of(totals), statements


def cycle_ids(path: Path, codes: Sequence[str]) -> list[int]:
    """The ids of these units' cycles, in the same order (untimed)."""
    with closing(sqlite3.connect(path)) as conn:
        found = dict(
            conn.execute("SELECT u.code, c.id FROM cycle c JOIN unit u ON u.id = c.unit_id")
        )
    return [found[code] for code in codes]


# -- 3. the decision in memory ------------------------------------------------------------
def per_call(action: Callable[[], object], count: int, repeats: int = 5) -> float:
    """µs per call: the median of `repeats` runs of count / repeats calls each."""
    each = max(1, count // repeats)

    def run() -> None:
        for _ in range(each):
            action()

    return statistics.median(timed(run) for _ in range(repeats)) / each * 1e6


def decide_register(compiled: CompiledDefinition) -> Callable[[], Decision]:
    def decide() -> Decision:
        return compiled.decide("not_registered", EVENT, ROLE, PAYLOAD, "grassroots_cell", {})

    if not decide().applied:
        raise RuntimeError("register was refused")
    return decide


def rated_units(units: Sequence[UnitImport], kinds: Sequence[str], count: int) -> list[UnitImport]:
    """The first `count` units with a cycle, and the rest of the last grassroots
    committee's cells, so that every committee rated has all its cells rated."""
    with_cycle = [u for u in units if u.kind in kinds]
    end = min(count, len(with_cycle))
    while end < len(with_cycle) and with_cycle[end].kind == "subordinate_cell":
        end += 1
    return with_cycle[:end]


def register_rows(rated: Sequence[UnitImport]) -> list[dict[str, str]]:
    """The registry's export for these units: each cell's members (80 % or more good or
    better, excellent within 20 % of those, the rest completed, all admitted years ago)
    and every unit's own rating, good. A committee's verdict reads its cells' own rows."""
    rows: list[dict[str, str]] = []

    def row(unit: str, member: str, name: str, admitted: str, level: str) -> None:
        values = (
            unit,
            member,
            name,
            "Đang sinh hoạt" if member else "",
            admitted,
            level,
            "chính thức",
            RATED_ON,
        )
        rows.append(dict(zip(REGISTER_HEADER, values, strict=True)))

    for unit in rated:
        if unit.kind != "grassroots_committee":
            good_or_better = math.ceil(unit.member_count * 0.8)
            excellent = good_or_better // 5
            for i in range(1, unit.member_count + 1):
                level = (
                    "Hoàn thành xuất sắc nhiệm vụ"
                    if i <= excellent
                    else "Hoàn thành tốt nhiệm vụ"
                    if i <= good_or_better
                    else "Hoàn thành nhiệm vụ"
                )
                admitted = f"0{1 + i % 9}/03/{1990 + i}"
                row(unit.code, f"{unit.code}-DV{i:03d}", f"Đảng viên {i}", admitted, level)
        row(unit.code, "", "", "", "Hoàn thành tốt nhiệm vụ")
    return rows


def import_register(path: Path, rated: Sequence[UnitImport]) -> tuple[int, float]:
    """Import the register into the engine's file as `bontot ratings import` does: every
    row checked by check_rating_rows, then SqlStore.import_ratings (one audit fact).
    Returns the rows imported and the seconds taken (information, untimed elsewhere)."""
    store = open_store(path)
    try:
        start = time.perf_counter()
        kinds = {code: kind for code, (kind, _) in store.unit_parents().items()}
        records = check_rating_rows(
            "bench-register.csv", REGISTER_HEADER, register_rows(rated), kinds, YEAR
        )
        added, _ = store.import_ratings(
            YEAR, records, REGISTER_AT, "bench", {"file": "bench-register.csv"}
        )
        return added, time.perf_counter() - start
    finally:
        close_store(store)


def registers(path: Path, rated: Sequence[UnitImport]) -> list[tuple[str, dict[str, Any]]]:
    """Each rated unit's kind and the register the engine loads before deciding an
    appraisal (SqlStore.rating_register, which CycleService.decide and .fire call)."""
    store = open_store(path)
    try:
        return [(u.kind, store.rating_register(u.code, YEAR)) for u in rated]
    finally:
        close_store(store)


def decide_appraise(
    compiled: CompiledDefinition, evidence: Sequence[tuple[str, dict[str, Any]]]
) -> tuple[Callable[[], Decision], int]:
    """An appraisal of each rated unit in turn, on its register. Every one must pass on
    its evidence (no override) before anything is timed. Returns the call and the most
    checks one appraisal ran."""

    def once(kind: str, register: dict[str, Any]) -> Decision:
        return compiled.decide(
            "proposed",
            "appraise",
            "superior_org_board",
            {},
            kind,
            SELF_EVALUATION,
            {"register": register},
        )

    checks = 0
    for kind, register in evidence:
        decision = once(kind, register)
        if not decision.applied:
            raise RuntimeError(f"appraise of {register['unit']} was refused: {decision.refusal}")
        checks = max(checks, len(decision.checks))
    turns: Iterator[tuple[str, dict[str, Any]]] = cycle(evidence)

    def decide() -> Decision:
        return once(*next(turns))

    return decide, checks


def bare_trigger() -> Callable[[], object]:
    """A bare transitions Machine: one transition, one model registered once."""

    class Model:
        trigger: Callable[..., bool]

    machine = Machine(model=None, states=["a", "b"], auto_transitions=False, initial=None)
    machine.add_transition("go", "a", "b")
    model = Model()
    machine.add_model(model, initial="a")

    def fire() -> object:
        machine.set_state("a", model=model)
        return model.trigger("go")

    return fire


# -- 4. peak memory of opening, in a child process per size --------------------------------
# Linux carries a parent's peak RSS into the ru_maxrss of the children it spawns (it is
# kept across fork and exec). So the children are spawned first, while this process holds
# nothing but its imports, and a separate child builds each file; the report also gives
# each child's own high-water mark since exec (VmHWM) and the floor it inherited.
def _status_kib(field: str) -> int | None:
    """A figure from /proc/self/status (Linux only), e.g. VmRSS or VmHWM, in KiB."""
    status = Path("/proc/self/status")
    if not status.exists():
        return None
    for line in status.read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return None


def _maxrss_kib() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # bytes on macOS, KiB on Linux


def prepare_child(path: Path, cells: int) -> None:
    """Run in a child: a fresh file holding the tree for `cells` units."""
    fresh_file(path, nation(cells))


def memory_child(path: Path) -> None:
    """Run in a child: open the cycles on a prepared file, print the RSS figures as JSON."""
    definition = load_catalog().latest("bon-tot")
    rss_before = _status_kib("VmRSS")
    seconds = open_with_engine(path, definition)
    figures = {"maxrss_kib": _maxrss_kib(), "vmhwm_kib": _status_kib("VmHWM")}
    print(json.dumps({**figures, "rss_before_kib": rss_before, "seconds": seconds}))


def _child(*arguments: str) -> str:
    command = [sys.executable, __file__, *arguments]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def peak_memory(folder: Path, cells: int) -> dict[str, Any]:
    path = folder / f"memory-{cells}.db"
    _child("--prepare-child", str(path), "--units", str(cells))
    inherited = _maxrss_kib()  # what the measuring child starts from
    figures = json.loads(_child("--memory-child", str(path)).strip().splitlines()[-1])
    path.unlink()
    return {"cells": cells, **figures, "inherited_floor_kib": inherited}


# -- the machine and the report -------------------------------------------------------------
def cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def filesystem(folder: Path) -> str:
    """The type of the file system holding `folder` (Linux), e.g. ext4 or tmpfs."""
    mounts = Path("/proc/mounts")
    if not mounts.exists():
        return "unknown"
    best, kind = "", "unknown"
    for line in mounts.read_text().splitlines():
        _, point, fs_type, *_ = line.split()
        inside = str(folder.resolve()).startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best):
            best, kind = point, fs_type
    return kind


def machine_info(folder: Path) -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": version("sqlalchemy"),
        "transitions": version("transitions"),
        "durability": DURABILITY,
        "filesystem": filesystem(folder),
    }


def verdict(ratio: float, target: float) -> str:
    return f"target < {target:g}×: {'met' if ratio < target else 'MISSED'}"


def print_header(info: dict[str, Any]) -> None:
    print(f"bontot core benchmark — {info['date']}")
    print(
        f"machine:    {info['platform']}, {info['cpus']} CPUs ({info['cpu']}), "
        f"Python {info['python']}, SQLite {info['sqlite']}, SQLAlchemy {info['sqlalchemy']}, "
        f"transitions {info['transitions']}"
    )
    print(f"durability: {info['durability']}, both sides; files on {info['filesystem']}")


# -- the steps ---------------------------------------------------------------------------------
def step_open(folder: Path, units: list[UnitImport], definition: Definition) -> dict[str, Any]:
    engine_db, raw_db = folder / "engine.db", folder / "raw.db"
    fresh_file(engine_db, units)
    fresh_file(raw_db, units)
    cells = sum(1 for u in units if u.kind in definition.spec.applies_to)
    ours, raw = open_with_engine(engine_db, definition), open_raw(raw_db, definition)
    timers = len(timer_rows(definition))
    rows = cells * (2 + len(definition.spec.deadlines) + timers)
    result = {
        "cells": cells,
        "rows": rows,
        "engine_s": ours,
        "raw_s": raw,
        "ratio": ours / raw,
        "same_rows": same_rows(engine_db, raw_db),
    }
    print(
        f"\n1. open the {YEAR} cycle for {cells:,} units: {rows:,} rows (a cycle, its 'open' "
        f"transition, {len(definition.spec.deadlines)} deadlines, {timers} reminders and "
        f"escalations each), {BATCH:,} units per transaction"
    )
    print(f"   {'engine  CycleService.open_cycles':<50}{ours:7.2f} s")
    print(f"   {'raw     sqlite3 executemany':<50}{raw:7.2f} s")
    print(f"   ratio   {ours / raw:.2f}×   {verdict(ours / raw, TARGETS['open'])}")
    print(f"   same rows in both files: {'yes' if result['same_rows'] else 'NO'}")
    return result


def step_fire(folder: Path, codes: list[str], definition: Definition) -> dict[str, Any]:
    engine_db, raw_db, full_db = folder / "engine.db", folder / "raw.db", folder / "raw-full.db"
    copy_file(engine_db, full_db)  # the engine's file as opened, for the every-statement run
    ids = cycle_ids(raw_db, codes)
    ours = fire_with_engine(engine_db, codes)
    raw = fire_raw_minimal(raw_db, ids, definition)
    full, statements = fire_raw_every_statement(full_db, codes, definition)
    same = same_rows(engine_db, full_db)
    result = {
        "events": len(codes),
        "engine": asdict(ours),
        "raw_update_insert": asdict(raw),
        "raw_every_statement": asdict(full),
        "raw_every_statement_by_statement": {n: asdict(f) for n, f in statements.items()},
        "ratio": ours.mean_us / raw.mean_us,
        "ratio_median": ours.median_us / raw.median_us,
        "ratio_every_statement": ours.mean_us / full.mean_us,
        "same_rows_every_statement": same,
    }
    print_fire(result, ours, raw, full, statements)
    return result


def print_fire(
    result: dict[str, Any],
    ours: PerCall,
    raw: PerCall,
    full: PerCall,
    statements: dict[str, PerCall],
) -> None:
    def line(label: str, figures: PerCall) -> str:
        return (
            f"   {label:<56}{figures.mean_us:7.1f}{figures.median_us:9.1f}{figures.p99_us:9.1f}"
            f"{figures.share_over_1ms:9.0%}"
        )

    print(f"\n2. fire {result['events']:,} events ('{EVENT}', {ROLE}), one transaction each")
    print(f"   {'µs per event:':<56}{'mean':>7}{'median':>9}{'p99':>9}   time in events > 1 ms")
    print(line("engine  CycleService.fire", ours))
    print(line("raw     BEGIN; UPDATE cycle; INSERT transition; COMMIT", raw))
    print(
        f"   ratio   {result['ratio']:.2f}× (of medians {result['ratio_median']:.2f}×)   "
        f"{verdict(result['ratio'], TARGETS['fire'])}"
    )
    print(
        "   note: the engine also SELECTs the cycle by unit code (joined to unit) before deciding"
    )
    print("   and UPDATEs the deadline the event meets, DELETEing its pending timer (only")
    print("   the next one of its ladder exists); the raw line above does neither.")
    same = "yes" if result["same_rows_every_statement"] else "NO"
    print(line("raw     every statement the engine runs (below)", full))
    print(
        f"   ratio   {result['ratio_every_statement']:.2f}× (information; same rows as the "
        f"engine's: {same}); by statement, mean and median:"
    )
    for name, figures in statements.items():
        print(f"             {name:<32}{figures.mean_us:6.1f} µs  {figures.median_us:6.1f} µs")
    print(
        "   the engine's own Python per event (engine − every statement): "
        f"{ours.mean_us - full.mean_us:.1f} µs (medians: {ours.median_us - full.median_us:.1f} µs)"
    )


def step_decide(
    folder: Path, definition: Definition, rated: Sequence[UnitImport], count: int
) -> dict[str, Any]:
    engine_db = folder / "engine.db"
    imported, import_s = import_register(engine_db, rated)
    compiled = CompiledDefinition(definition)
    ours = per_call(decide_register(compiled), count)
    bare = per_call(bare_trigger(), count)
    appraise, checks = decide_appraise(compiled, registers(engine_db, rated))
    guarded = per_call(appraise, count)
    result = {"calls": count, "engine_us": ours, "bare_transitions_us": bare, "ratio": ours / bare}
    result.update(
        recognition_guard_us=guarded,
        recognition_checks=checks,
        rated_units=len(rated),
        register_rows=imported,
        register_import_s=import_s,
    )
    print(f"\n3. decide in memory, {count:,} calls each (median of 5 runs)")
    print(f"   {'engine  CompiledDefinition.decide (' + repr(EVENT) + ')':<50}{ours:7.2f} µs")
    print(f"   {'bare    transitions set_state + trigger':<50}{bare:7.2f} µs")
    print(f"   ratio   {ours / bare:.2f}×   {verdict(ours / bare, TARGETS['decide'])}")
    print(
        f"   recognition guard path ('appraise', up to {checks} passing checks, ratings "
        f"tallied from the register): {guarded:.2f} µs (information)"
    )
    print(
        f"   its evidence: a ratings register of {imported:,} rows for {len(rated):,} units, "
        f"checked and imported as `bontot ratings import` does in {import_s:.2f} s (untimed "
        "above); each unit's register read by SqlStore.rating_register, appraised in turn"
    )
    return result


def print_memory(results: list[dict[str, Any]]) -> None:
    floor = max(r["inherited_floor_kib"] for r in results) / 1024
    print("\n4. peak RSS of a child process that opens the cycles (ru_maxrss)")
    print(f"   (a child's ru_maxrss starts at its parent's peak, here {floor:.0f} MB; VmHWM is")
    print("   the child's own high-water mark since exec)")

    def mb(kib: int | None) -> str:
        return "n/a" if kib is None else f"{kib / 1024:6.1f} MB"

    for r in results:
        print(
            f"   {r['cells']:>9,} units  ru_maxrss {mb(r['maxrss_kib'])}   VmHWM "
            f"{mb(r['vmhwm_kib'])}   RSS before opening {mb(r['rss_before_kib'])}   "
            f"opened in {r['seconds']:.1f} s"
        )
    top = max(results, key=lambda r: r["cells"])
    flat = max(r["maxrss_kib"] for r in results) / min(r["maxrss_kib"] for r in results)
    met = top["maxrss_kib"] / 1024 < TARGETS["peak_rss_mb"]
    print(
        f"   largest / smallest peak: {flat:.2f}×; target < {TARGETS['peak_rss_mb']:g} MB at "
        f"{top['cells']:,} units and roughly flat: {'met' if met else 'MISSED'}"
    )


# -- the run -------------------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=300_000, help="units that get a cycle")
    parser.add_argument("--events", type=int, default=100_000, help="events fired")
    parser.add_argument("--decisions", type=int, default=100_000, help="in-memory decisions")
    parser.add_argument(
        "--rated", type=int, default=1_000, help="units given a ratings register to appraise"
    )
    parser.add_argument(
        "--memory-sizes", default="30000,100000,300000", help="units per memory child"
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    parser.add_argument("--db-dir", type=Path, default=None, help="where the SQLite files go")
    parser.add_argument("--memory-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--prepare-child", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args()


def run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    info = machine_info(folder)
    print_header(info)
    sizes = [int(s) for s in args.memory_sizes.split(",") if s.strip()]
    print("memory:     measured first (step 4), while this process is still small")
    memory = [peak_memory(folder, cells) for cells in sizes]
    definition = load_catalog().latest("bon-tot")
    units = nation(args.units)
    print(
        f"tree:       {len(units):,} units, {PROVINCES} provinces, "
        f"{max(1, args.units // UNITS_PER_COMMUNE):,} communes"
    )
    results: dict[str, Any] = {"machine": info, "arguments": {"units": args.units}}
    results["open"] = step_open(folder, units, definition)
    codes = [u.code for u in units if u.kind in definition.spec.applies_to][: args.events]
    rated = rated_units(units, definition.spec.applies_to, args.rated)
    del units
    results["fire"] = step_fire(folder, codes, definition)
    results["decide"] = step_decide(folder, definition, rated, args.decisions)
    print_memory(memory)
    results["memory"] = memory
    results["arguments"].update(
        events=len(codes), decisions=args.decisions, rated=len(rated), memory_sizes=sizes
    )
    return results


def main() -> None:
    args = parse_args()
    if args.prepare_child:
        prepare_child(args.prepare_child, args.units)
        return
    if args.memory_child:
        memory_child(args.memory_child)
        return
    with tempfile.TemporaryDirectory(prefix="bontot-bench-", dir=args.db_dir) as name:
        results = run(args, Path(name))
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / "bench_core.json"
    target.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nresults: {target}")


if __name__ == "__main__":
    main()
