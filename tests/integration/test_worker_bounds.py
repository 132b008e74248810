"""A worker on a bad day (issue 16): every numeric option refused out of its range with
the option named, and SIGTERM honoured within one batch by a real worker process that
has thousands of timers due."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.catalog import load_catalog
from adapters.holidays_vn import calendar_for
from adapters.persistence.db import create_schema, make_engine
from adapters.persistence.store import SqlStore
from tests.conftest import local
from tests.integration.test_delivery import commune_of, wait_until
from tests.support.backends import database, rows
from tests.support.cli import bontot
from workflow.clock import VirtualClock
from workflow.service.cycles import CycleService

MANY = 1500


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["worker", "--sweep", "-1"], "--sweep"),
        (["worker", "--sweep", "0"], "--sweep"),
        (["worker", "--sweep", "nan"], "--sweep"),
        (["worker", "--lease", "1e308"], "--lease"),
        (["worker", "--lease", "inf"], "--lease"),
        (["worker", "--batch-size", "0"], "--batch-size"),
        (["worker", "--batch-size", "-5"], "--batch-size"),
        (["tick", "--lease", "0"], "--lease"),
        (["audit", "verify", "--workers", "0"], "--workers"),
        (["audit", "verify", "--workers", "100000"], "--workers"),
        (["cycle", "open", "--year", "0"], "--year"),
        (["cycle", "open", "--year", "99999"], "--year"),
        (["status", "--year", "1"], "--year"),
        (["report", "--year", "10000"], "--year"),
    ],
)
def test_an_out_of_range_option_is_refused_naming_it(
    args: list[str], named: str, tmp_path: Path
) -> None:
    done = bontot(*args, "--db", f"sqlite:///{tmp_path / 'x.db'}", cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert named in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize("now", ["0001-01-01", "9999-12-31T23:59", "2025-13-01"])
def test_a_now_out_of_range_is_refused_not_a_traceback(now: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert bontot("init", "--db", url, cwd=tmp_path).returncode == 0
    for command in (["status", "--year", "2025"], ["worker"]):
        done = bontot(*command, "--db", url, "--now", now, cwd=tmp_path)
        assert done.returncode == 2, done.stdout + done.stderr  # a usage error
        assert f"--now {now}" in done.stderr and "Traceback" not in done.stderr


def _many_due(url: str) -> int:
    engine = make_engine(url)
    create_schema(engine)
    store = SqlStore(engine)
    store.import_units(commune_of(MANY))
    CycleService(store, VirtualClock(local(2025, 1, 5, 8)), calendar_for).open_cycles(
        load_catalog().latest("bon-tot"), 2025
    )
    store.close()
    engine.dispose()
    return int(rows(url, "SELECT COUNT(*) FROM timer WHERE due_at <= '2025-03-18'")[0][0])


def _fired(url: str) -> int:
    return int(rows(url, "SELECT COUNT(*) FROM timer WHERE fired_at IS NOT NULL")[0][0])


def test_sigterm_stops_a_worker_after_the_batch_under_way(tmp_path: Path) -> None:
    """1,500 reminders due and a batch of one timer: before, the tick under way fired
    every one of them before the worker looked at the signal."""
    with database("sqlite", tmp_path) as url:
        due = _many_due(url)
        assert due >= MANY
        worker = subprocess.Popen(
            [
                sys.executable, "-m", "adapters.cli.app", "worker", "--db", url,
                "--now", "2025-03-17T09:00", "--batch-size", "1", "--sweep", "60",
            ],
            env=dict(os.environ),
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "worker.log").open("ab"),
        )  # fmt: skip
        try:
            wait_until(lambda: _fired(url) >= 5, 120, "the first batches fired")
            before = _fired(url)
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=120) == 0
        finally:
            worker.kill()
        after = _fired(url)
        log = (tmp_path / "worker.log").read_text(encoding="utf-8")
        assert "worker.stopped" in log
        # it stopped mid-tick: the batch under way, and those that ran between the count
        # and the signal on a loaded machine (tens of milliseconds), not the 1,500
        assert after < due and after - before <= 300, (before, after, due)
        # and what it had fired is whole: each fired timer has its notice
        noticed = rows(url, "SELECT COUNT(*) FROM notice")[0][0]
        assert noticed == after
