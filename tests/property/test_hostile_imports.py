"""Mutated units, ratings and meeting files: a clean refusal with its location or a
success, never a traceback, within a memory cap (RLIMIT_AS of 1 GiB in a subprocess,
tests/property/hostile_import_cases.py) and a bound on the whole run's time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_mutated_import_files_are_refused_with_a_location_or_imported() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.property.hostile_import_cases", "80"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
    assert done.stdout.strip().endswith("ok")
