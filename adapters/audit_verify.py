"""Verifying a database's audit trail with several processes: the cycle chains are split
by cycle id across them (each chain is checked whole by one), the global chains and the
anchor are checked once. Reading the rows is most of the cost, so it scales with cores."""

from __future__ import annotations

import gc
import os
import re
import sqlite3
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import closing
from multiprocessing import get_context
from typing import Any

from adapters import bootstrap
from adapters.persistence import damage as damage_note
from adapters.persistence.pg_check import pg_checked
from workflow.audit import ChainProblem, check_anchor
from workflow.audit_cycles import RowContext
from workflow.progress import SILENT, Progress
from workflow.service.auditing import (
    CycleCheck,
    Verification,
    check_cycles,
    read_global,
    verify_global_chains,
    verify_store,
)

#: what a worker checks its cycle rows against (None: their chains only), set by the
#: pool's initializer: a forked child inherits it from the parent, nothing is pickled
_context: RowContext | None = None


def _hold(context: RowContext | None) -> None:
    global _context
    _context = context


def _shard(url: str, under: str | None, shard: tuple[int, int], limit: int) -> CycleCheck:
    # A connection of the child's own: one inherited through fork (the parent's store is
    # open) must never be used by two processes; the child only ever touches this one,
    # and leaves through os._exit, which does not close the parent's.
    with bootstrap.reading(url) as store:
        node = store.find_unit(under) if under else None
        return check_cycles(
            store.chain_heads(node, None, shard),
            store.transition_rows(node, None, shard),
            limit,
            _context,
            lambda: store.deadline_rows(shard),
        )


def storage_problems(url: str) -> list[ChainProblem]:
    """The store's own integrity check (SQLite `PRAGMA integrity_check`), each damage
    named by the table (or index) it is in. Empty when the file is sound (and on
    PostgreSQL, where a row that does not read fails the chains' reading itself)."""
    if not url.startswith("sqlite:///"):
        return []
    path = url.removeprefix("sqlite:///").split("?", 1)[0].removeprefix("file:")
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            roots = {int(p): f"{k} {n}" for k, n, p in conn.execute(
                "SELECT type, name, rootpage FROM sqlite_master WHERE rootpage > 0"
            ).fetchall()}
            tables = sorted(n.split(" ", 1)[1] for n in roots.values() if n.startswith("table"))
            try:
                found = _lines(conn.execute("PRAGMA integrity_check").fetchall())
            except sqlite3.DatabaseError:
                # the check itself stops at the damage: table by table, to name it
                found = []
                for table in tables:
                    try:
                        said = _lines(conn.execute(f'PRAGMA integrity_check("{table}")'))
                    except sqlite3.DatabaseError as exc:
                        said = [f"{table} (or one of its indexes) cannot be read: {exc}"]
                    found += [] if said == ["ok"] else [f"in table {table}: {m}" for m in said]
    except sqlite3.DatabaseError as exc:
        return [ChainProblem("storage", "the file", f"it cannot be read: {exc}")]
    if found == ["ok"]:
        return []
    problems = [
        ChainProblem("storage", _damaged_in(message, roots), f"damaged: {message}")
        for message in found[:20]
    ]
    if len(found) > 20:
        problems.append(ChainProblem("storage", "the file", f"and {len(found) - 20} more"))
    return problems


def _lines(rows: Any) -> list[str]:
    return [line for row in rows for line in str(row[0]).splitlines() if not line.startswith("***")]


def _damaged_in(message: str, roots: dict[int, str]) -> str:
    """The table or index a line of integrity_check names (by name, or by its root page)."""
    for pattern in (r"in table (\w+)", r"index (\w+)"):
        match = re.search(pattern, message)
        if match:
            kind = "table" if pattern.startswith("in table") else "index"
            return f"{kind} {match.group(1)}"
    match = re.search(r"(?:Tree|Page) (\d+)", message)
    if match and int(match.group(1)) in roots:
        return roots[int(match.group(1))]
    return "the file"


def check_storage(url: str) -> list[ChainProblem]:
    """The store's own check (SQLite's every page; PostgreSQL's note of its last check),
    its finding noted for the commit path."""
    if not url.startswith("sqlite"):
        return pg_checked(url)
    damage = storage_problems(url)
    damage_note.record(url, [str(p) for p in damage])
    return damage


def verify_database(
    url: str,
    under: str | None = None,
    workers: int | None = None,
    progress: Progress = SILENT,
) -> Verification:
    """Every chain of the database checked; `progress` counts the shards read (one per
    worker process). The storage check runs beside the chains, in a thread: SQLite's
    holds no lock on the interpreter while it reads the file."""
    with ThreadPoolExecutor(1, thread_name_prefix="storage-check") as side:
        started: list[Future[list[ChainProblem]]] = []

        def start_storage_check() -> None:
            # once every worker is forked: a child forked beside a running thread may
            # inherit a lock that thread holds (SQLite's own among them)
            if not started:
                started.append(side.submit(check_storage, url))

        try:
            report = _verify_chains(url, under, workers, progress, start_storage_check)
        except Exception as exc:  # a damaged page fails the reading: named, not a traceback
            start_storage_check()
            damage = started[0].result()
            if not damage:
                raise
            report = Verification()
            damage.append(
                ChainProblem("storage", "reading", f"the chains could not be read: {exc}")
            )
        else:
            damage = started[0].result()
    report.problems[:0] = damage
    return report


def _verify_chains(
    url: str,
    under: str | None,
    workers: int | None,
    progress: Progress,
    start_storage_check: Callable[[], None],
) -> Verification:
    workers = workers or min(os.cpu_count() or 1, 8)
    progress.total(workers)
    with bootstrap.reading(url) as store:
        if workers <= 1:
            start_storage_check()
            alone = verify_store(store, store.find_unit(under) if under else None)
            progress.advance(1)
            return alone
        anchor = store.last_anchor() if under is None else None
        limit = anchor[0] if anchor else -1
        # read before the fork: what the workers check their cycle rows against
        held = read_global(store) if under is None else None
        # The objects the children inherit (every module the composition root imports)
        # are kept out of their collectors: a collection there writes to each object's
        # header and so copies every page of the parent's heap into each child.
        gc.freeze()
        with ProcessPoolExecutor(
            workers, mp_context=get_context("fork"), initializer=_hold,
            initargs=(held.context() if held is not None else None,),
        ) as pool:
            futures = [
                pool.submit(_shard, url, under, (k, workers), limit) for k in range(workers)
            ]
            gc.unfreeze()  # a fork context starts every child at the first submit
            start_storage_check()
            report = Verification()
            if held is not None:
                verify_global_chains(store, report, held)  # meanwhile, in this process
            at_anchor: dict[int, str] = {}
            for future in futures:
                found = future.result()
                report.records += found.chains.records
                report.chains += found.chains.chains
                report.problems += found.rows + found.chains.problems
                at_anchor.update(found.chains.at_anchor)
                progress.advance(1)
        report.problems.sort(key=lambda p: _order(p.chain))
        if anchor is not None:
            late = check_anchor(at_anchor, anchor)
            if late is not None:
                report.problems.append(late)
        return report


def _order(chain: str) -> tuple[int, str]:
    kind, _, number = chain.partition(" ")
    return (int(number), kind) if number.isdigit() else (0, chain)
