"""The demo's province, run once per backend for the whole session (it takes a while,
most of all on PostgreSQL, a round trip per statement): the time commands and the demo's
own checks read it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.backends import BACKENDS, database
from tests.support.cli import UNITS_CSV, Cli


@dataclass(frozen=True)
class DemoRun:
    url: str
    done: subprocess.CompletedProcess[str]


def demo(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "BONTOT_DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli.app", "demo", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=600,
    )


@pytest.fixture(scope="session", params=BACKENDS)
def demo_run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoRun]:
    folder = tmp_path_factory.mktemp("demo")
    with database(request.param, folder, "demo") as url:
        done = demo(folder, "--db", url)
        assert done.returncode == 0, done.stderr
        yield DemoRun(url, done)


@pytest.fixture
def cli(tmp_path: Path, db_url: str) -> Cli:
    """A fresh database (on the test's backend) holding UNITS_CSV's five units."""
    runner = Cli(tmp_path, db_url)
    runner("init")
    (tmp_path / "units.csv").write_text(UNITS_CSV, encoding="utf-8")
    runner("units", "import", "units.csv")
    return runner
