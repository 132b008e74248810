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

import os
import subprocess
import sys
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import structlog
from typer.testing import CliRunner

from adapters.cli.app import app

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
