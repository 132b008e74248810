"""How quickly the command line answers: `bontot --help` and `bontot status` on the demo's
database, each a fresh process, beside `python -c pass` (the interpreter's own start-up)
measured in the same run, rounds interleaved so that a change of the machine's load falls
on all three alike. A benchmark, not a test: it asserts nothing about speed.

    python bench/bench_cli.py                  # 21 rounds, a demo database made first
    python bench/bench_cli.py --runs 5 --db sqlite:///bontot-demo.db     # a quick look

Target (issue 15): `--help` and `status` within 0.35 s wall each. hyperfine (Debian's
package) measures the same thing; this script needs nothing but Python.

The commands run with their modules' bytecode, as an installation has it (`pip install`
compiles it; an editable checkout writes it on the warm-up run): PYTHONDONTWRITEBYTECODE
is dropped from their environment, since with it set every run would compile some 90
modules from source again (about 0.1 s that no user pays).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: the console script's own entry, as `bontot` runs it
BONTOT = [sys.executable, "-c", "from adapters.cli.app import main; main()"]
TARGET = 0.35


def cases(db: str, year: int) -> dict[str, list[str]]:
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "bontot --help": [*BONTOT, "--help"],
        "bontot status": [*BONTOT, "status", "--db", db, "--year", str(year)],
    }


def wall(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, env=env, check=False)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr.decode()[-2000:]}")
    return took


def demo_database(folder: Path, env: dict[str, str]) -> str:
    subprocess.run([*BONTOT, "demo"], cwd=folder, env=env, capture_output=True, check=True)
    return f"sqlite:///{folder / 'bontot-demo.db'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="rounds (each case once a round)")
    parser.add_argument("--db", help="a database with the demo's cycles (default: make one)")
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--out", type=Path, help="write the figures as JSON here too")
    args = parser.parse_args()
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # the bytecode a user has (module docstring)
    with tempfile.TemporaryDirectory(prefix="bench_cli-") as scratch:
        env.setdefault("BONTOT_CACHE_DIR", str(Path(scratch) / "cache"))
        db = args.db or demo_database(Path(scratch), env)
        commands = cases(db, args.year)
        for command in commands.values():  # warm: the definitions' cache, the OS's files
            wall(command, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                times[name].append(wall(command, env))
    load = os.getloadavg()
    print(f"{args.runs} rounds; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    baseline = statistics.median(times["python -c pass"])
    figures = {}
    for name, taken in times.items():
        median = statistics.median(taken)
        figures[name] = {"median_s": median, "min_s": min(taken), "max_s": max(taken)}
        verdict = (
            ""
            if name.startswith("python")
            else ("  target met" if median <= TARGET else f"  target {TARGET} s missed")
        )
        print(
            f"{name:<16} median {median:6.3f} s  min {min(taken):6.3f}  max {max(taken):6.3f}"
            f"  = {median / baseline:5.1f}x python -c pass{verdict}"
        )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"runs": args.runs, "load": load, **figures}, indent=2))


if __name__ == "__main__":
    main()
