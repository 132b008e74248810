"""Running `bontot` commands for the end-to-end tests.

A command runs in this process through the same Typer app the console script calls
(`adapters.cli.app.app`), with its own environment, working folder, stdout and stderr, and
its exit code: what a process would see, without paying the interpreter's and the
libraries' start-up (about a second) again for each of the suite's hundreds of commands.
The databases, files and servers are as real as before.

`BONTOT_TEST_CLI=process` runs every command as a real process instead (the README's demo
and the worker's signal handling are always real processes: see tests/e2e/conftest.py and
tests/integration/test_delivery.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import structlog
from typer.testing import CliRunner

from adapters.cli.app import app
from tests.support import backends

IN_PROCESS = os.environ.get("BONTOT_TEST_CLI", "in-process") != "process"


@contextmanager
def _working_folder(folder: Path | None) -> Iterator[None]:
    if folder is None:
        yield
        return
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def bontot(
    *args: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 300,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """`bontot ARGS` with `env` as its whole environment (default: this process's) in `cwd`;
    `input`: what it reads on stdin."""
    if not IN_PROCESS:
        return subprocess.run(
            [sys.executable, "-m", "adapters.cli.app", *args],
            capture_output=True,
            text=True,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            timeout=timeout,
            input=input,
        )
    wanted = dict(os.environ if env is None else env)
    # CliRunner adds to the environment; a variable the command must not see is removed
    overrides: dict[str, str | None] = {k: None for k in os.environ if k not in wanted}
    overrides.update(wanted)
    runner = CliRunner()
    # the command configures structlog onto the runner's stderr, closed once it returns:
    # what the rest of this process logs must not go there
    logging_before = structlog.get_config()
    try:
        with _working_folder(cwd):
            result = runner.invoke(
                app,
                list(args),
                input=input,
                env=overrides,
                catch_exceptions=True,
                prog_name="bontot",
            )
    finally:
        structlog.reset_defaults()
        structlog.configure(**logging_before)
    stderr = result.stderr
    code = result.exit_code
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        # as the interpreter would: the traceback on stderr, exit code 1
        error = result.exception
        stderr += "Traceback (most recent call last):\n" + "".join(
            traceback.format_exception(type(error), error, error.__traceback__)
        )
        code = 1
    return subprocess.CompletedProcess(
        ["bontot", *args], code, stdout=result.stdout, stderr=stderr
    )


#: a province, a commune under it, and below that three units a cycle runs for: a cell,
#: a grassroots committee and its subordinate cell
UNITS_CSV = """code,name,kind,type,parent_code,member_count,contact_unit_secretary
T01,Tỉnh ủy mẫu,committee,other,,0,
X01,Đảng ủy xã Tân Lập,committee,village,T01,0,
CB-THON1,Chi bộ thôn 1,grassroots_cell,village,X01,12,bithu.thon1@example.vn
DB-TRUONG,Đảng bộ Trường THPT,grassroots_committee,administrative,X01,30,
DB-TRUONG-1,Chi bộ Tổ Toán,subordinate_cell,administrative,DB-TRUONG,10,
"""


class Cli:
    """Someone at a shell in `folder`, their database at `url`: runs commands, reads rows."""

    def __init__(self, folder: Path, url: str) -> None:
        self.folder = folder
        self.url = url
        self.env = {**os.environ, "BONTOT_DATABASE_URL": url}

    def __call__(
        self, *args: str, ok: bool = True, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        done = bontot(*args, env=self.env, cwd=self.folder, timeout=120, input=input)
        if ok:
            assert done.returncode == 0, done.stderr
        return done

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json").stdout)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return backends.rows(self.url, sql)
