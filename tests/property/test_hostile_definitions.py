"""Hostile definition files (issue 16): an alias bomb fails fast, in `definitions
validate` and in BONTOT_DEFINITIONS for every command, and mutated definitions load or
are refused with file:line, never a traceback; each in a process whose address space is
capped with resource.setrlimit, so a blow-up fails the test instead of the machine."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

from tests.support.mutated_definitions import BOMB

ROOT = Path(__file__).resolve().parents[2]
#: an address-space cap for the child: the CLI needs a few hundred MiB; the bomb took 3.9 GB
MEMORY_CAP = 1536 * 1024 * 1024
#: a guard so a runaway child is killed, not a measurement
GUARD_SECONDS = 300


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **env},
        preexec_fn=_capped,
        timeout=GUARD_SECONDS,
    )


def _bomb_file(folder: Path) -> Path:
    path = folder / "laughs.yaml"
    path.write_text(BOMB, encoding="utf-8")
    assert path.stat().st_size < 600  # the was 509 bytes
    return path


def test_validate_refuses_an_alias_bomb_naming_its_line(tmp_path: Path) -> None:
    bomb = _bomb_file(tmp_path)
    done = _run(["-m", "adapters.cli.app", "definitions", "validate", str(bomb)])
    assert done.returncode == 1
    assert f"{bomb}:1: anchors and aliases" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_alias_bomb_in_bontot_definitions_is_refused_by_any_command(tmp_path: Path) -> None:
    bomb = _bomb_file(tmp_path)
    done = _run(["-m", "adapters.cli.app", "definitions", "list"], BONTOT_DEFINITIONS=str(tmp_path))
    assert done.returncode == 1
    assert f"{bomb}:1: anchors and aliases" in done.stderr
    assert "Traceback" not in done.stderr


def test_mutated_definitions_load_or_are_refused_with_file_and_line() -> None:
    done = _run(["-m", "tests.support.mutated_definitions"], MUTANTS="80")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert done.stdout.strip().endswith("ok")
