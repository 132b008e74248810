"""Verifying a database's audit trail with several processes: the cycle chains are split
by cycle id across them (each chain is checked whole by one), the global chains and the
anchor are checked once. Reading the rows is most of the cost, so it scales with cores."""

from __future__ import annotations

import gc
import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from adapters import bootstrap
from workflow.audit import ChainCheck, check_anchor, check_cycle_chains
from workflow.service.auditing import Verification, verify_global_chains, verify_store


def _shard(url: str, under: str | None, shard: tuple[int, int], limit: int) -> ChainCheck:
    # A connection of the child's own: one inherited through fork (the parent's store is
    # open) must never be used by two processes; the child only ever touches this one,
    # and leaves through os._exit, which does not close the parent's.
    with bootstrap.reading(url) as store:
        node = store.find_unit(under) if under else None
        heads = store.cycle_heads(node, None, shard)
        return check_cycle_chains(store.transition_rows(node, None, shard), heads, limit)


def verify_database(url: str, under: str | None = None, workers: int | None = None) -> Verification:
    workers = workers or min(os.cpu_count() or 1, 8)
    with bootstrap.reading(url) as store:
        if workers <= 1:
            return verify_store(store, store.find_unit(under) if under else None)
        anchor = store.last_anchor() if under is None else None
        limit = anchor[0] if anchor else -1
        # The objects the children inherit (every module the composition root imports)
        # are kept out of their collectors: a collection there writes to each object's
        # header and so copies every page of the parent's heap into each child.
        gc.freeze()
        with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
            futures = [
                pool.submit(_shard, url, under, (k, workers), limit) for k in range(workers)
            ]
            gc.unfreeze()  # a fork context starts every child at the first submit
            report = Verification()
            if under is None:
                verify_global_chains(store, report)  # meanwhile, in this process
            at_anchor: dict[int, str] = {}
            for future in futures:
                found = future.result()
                report.records += found.records
                report.chains += found.chains
                report.problems += found.problems
                at_anchor.update(found.at_anchor)
        report.problems.sort(key=lambda p: _order(p.chain))
        if anchor is not None:
            late = check_anchor(at_anchor, anchor)
            if late is not None:
                report.problems.append(late)
        return report


def _order(chain: str) -> tuple[int, str]:
    kind, _, number = chain.partition(" ")
    return (int(number), kind) if number.isdigit() else (0, chain)
