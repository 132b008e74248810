"""The benchmarks, run small, so that a change of the product cannot silently break them
(bench_core stopped at its step 3 for a whole definition version before this test).
Nothing here is timed: only that every step ran and did the work it times."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from adapters.catalog import load_catalog
from workflow.evidence.ratings import check_rating_rows
from workflow.runtime.machine import CompiledDefinition

BENCH = Path(__file__).resolve().parents[2] / "bench"
#: a few hundred units: every step, two memory children, in seconds
SMALL = "--units 600 --events 200 --decisions 500 --rated 100 --memory-sizes 300,600"


def bench_core() -> ModuleType:
    """bench/bench_core.py as a module (bench/ is a folder of scripts, not a package)."""
    spec = importlib.util.spec_from_file_location("bench_core", BENCH / "bench_core.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # registered first: its dataclasses look their module up while being made
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def small_core_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """bench_core.py run small, as a user runs it: its output and its results file."""
    folder = tmp_path_factory.mktemp("bench_core")
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH / "bench_core.py"),
            *SMALL.split(),
            "--out",
            str(folder / "out"),
            "--db-dir",
            str(folder),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, folder / "out" / "bench_core.json"


def test_bench_core_runs_every_step_small(small_core_run: tuple[str, Path]) -> None:
    stdout, path = small_core_run
    for step in ("\n1. open", "\n2. fire", "\n3. decide", "\n4. peak RSS"):
        assert step in stdout
    results = json.loads(path.read_text(encoding="utf-8"))
    assert results["open"]["cells"] == 600
    assert results["open"]["same_rows"] is True
    assert results["fire"]["events"] == 200
    assert results["fire"]["same_rows_every_statement"] is True
    decide = results["decide"]
    # every five organisations are nine units (a committee, its four cells, four cells):
    # unit 99 is the committee G000055, so its four cells are rated with it
    assert decide["rated_units"] == 104
    assert decide["register_rows"] > 1000  # members of ~80 cells, and every unit's own
    assert decide["recognition_checks"] == 9  # 4 criteria, checklist, complete, 2 shares, cap
    assert decide["recognition_guard_us"] > 0
    assert [m["cells"] for m in results["memory"]] == [300, 600]


def test_bench_core_stops_rather_than_time_a_refused_appraisal() -> None:
    """A register with one member listed but unrated: the rule refuses (not overridable),
    and the bench must not go on to time the refusal as if it were an appraisal."""
    module = bench_core()
    units = module.nation(10)
    rated = module.rated_units(units, ("grassroots_cell",), 1)
    rows = module.register_rows(rated)
    rows[0]["xep_loai"] = ""  # the first member, listed without a rating
    kinds = {u.code: u.kind for u in units}
    records = check_rating_rows("bench.csv", module.REGISTER_HEADER, rows, kinds, module.YEAR)
    cell = rated[0]
    register = {"unit": cell.code, "org_type": cell.org_type, "records": records, "cells": []}
    compiled = CompiledDefinition(load_catalog().latest("bon-tot"))
    with pytest.raises(RuntimeError, match=f"appraise of {cell.code} was refused"):
        module.decide_appraise(compiled, [(cell.kind, register)])


def test_compare_flags_a_median_ratio_worse_by_more_than_the_tolerance(
    small_core_run: tuple[str, Path], tmp_path: Path
) -> None:
    _, before = small_core_run

    def compare(*after: Path) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, str(BENCH / "compare.py"), "--before", str(before)]
        command += ["--after", *map(str, after)]
        return subprocess.run(command, capture_output=True, text=True, timeout=60)

    same = compare(before)
    assert same.returncode == 0, same.stderr
    assert "no median ratio worse by more than 10%" in same.stdout
    results = json.loads(before.read_text(encoding="utf-8"))
    results["fire"]["ratio"] *= 1.11
    results["open"]["ratio"] *= 1.09
    slower = tmp_path / "slower.json"
    slower.write_text(json.dumps(results), encoding="utf-8")
    worse = compare(before, slower, slower)
    assert worse.returncode == 1
    flagged = [line.split("  ")[0] for line in worse.stdout.splitlines() if "WORSE" in line]
    assert flagged == ["fire, mean"]
    # one slow run of three is noise, not a change: the median is the other two's
    assert compare(before, slower, before).returncode == 0


def test_bench_web_runs_every_step_small(tmp_path: Path) -> None:
    """bench_web.py on a tiny tree (SQLite): both steps ran, every request was answered
    with success (a fire on each of 40 units once, the unit page signed in), and the
    figures are there; a kept database is measured again without preparing it."""
    web = [sys.executable, str(BENCH / "bench_web.py"), "--backend", "sqlite",
           "--out", str(tmp_path / "out"), "--db-dir", str(tmp_path)]  # fmt: skip
    done = subprocess.run(
        [*web, "--scale", "0.005", "--runs", "3", "--clients", "5", "--requests", "40", "--keep"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "\n1. GET /api/v1/board" in done.stdout and "\n2. load" in done.stdout
    results = json.loads((tmp_path / "out" / "bench_web.json").read_text(encoding="utf-8"))
    sqlite = results["sqlite"]
    # scale 0.005: 17 communes, 260 organisations (104 committees with 1,250 cells)
    assert sqlite["server_side"]["nation"]["cycles"] == 260 + 1250
    assert sqlite["server_side"]["province"]["api"]["n"] == 3
    load = sqlite["load"]
    assert load["fire"]["requests"] == 40 and load["fire"]["failures"] == {}
    assert load["cycle"]["failures"] == {} and load["board"]["failures"] == {}
    assert load["page"]["requests"] == 40 and load["page"]["failures"] == {}

    again = subprocess.run([*web, "--reuse", "--runs", "3", "--clients", "5", "--requests", "20"],
                           capture_output=True, text=True, timeout=300)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "reusing sqlite:///" in again.stdout and "nation's cycles in" not in again.stdout
    reused = json.loads((tmp_path / "out" / "bench_web.json").read_text(encoding="utf-8"))
    assert reused["sqlite"]["server_side"]["nation"]["cycles"] == 260 + 1250
    # the second run lapses other units than the first: none refused
    fired_again = reused["sqlite"]["load"]["fire"]
    assert fired_again["requests"] == 20 and fired_again["failures"] == {}


def test_bench_cli_times_help_and_status_beside_the_interpreter(tmp_path: Path) -> None:
    """bench_cli.py run once on a fresh database: every case ran and was reported."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    made = subprocess.run(
        [sys.executable, "-m", "adapters.cli.app", "init", "--db", url],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert made.returncode == 0, made.stderr
    out = tmp_path / "bench_cli.json"
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH / "bench_cli.py"),
            "--runs",
            "1",
            "--db",
            url,
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    for case in ("python -c pass", "bontot --help", "bontot status"):
        assert case in done.stdout
    figures = json.loads(out.read_text())
    assert figures["runs"] == 1
    assert figures["bontot status"]["median_s"] > 0


def test_bench_spiff_runs_every_side_small(tmp_path: Path) -> None:
    """bench_spiff.py on a few cycles: every side fired its events (a refusal or a
    SpiffWorkflow cycle without a ready task would stop it), and SpiffWorkflow's cycles
    ran all seven steps to their end."""
    pytest.importorskip("SpiffWorkflow", reason="SpiffWorkflow comes with the bench extra")
    done = subprocess.run(
        [
            sys.executable, str(BENCH / "bench_spiff.py"), "--cycles", "20", "--rounds", "2",
            "--closed", "3", "--out", str(tmp_path / "out"),
        ],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "out" / "bench_spiff.json").read_text(encoding="utf-8"))
    assert set(results["rounds"]) == {"raw", "bontot", "spiff_first", "spiff_every"}
    assert all(len(results["rounds"][side]) == 2 for side in ("raw", "bontot", "spiff_first"))
    assert results["spiff_closed_bytes"] > 0
    assert "mean step" in done.stdout


def test_bench_storage_measures_every_cycle_of_the_demo_closed(tmp_path: Path) -> None:
    """bench_storage.py on SQLite: the demo's cycles all closed, each table of a cycle's
    life measured, and the raw floor beside it."""
    done = subprocess.run(
        [sys.executable, str(BENCH / "bench_storage.py"), "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "out" / "bench_storage.json").read_text(encoding="utf-8"))
    sqlite = results["sqlite"]
    assert sqlite["cycles"] == sqlite["closed"] > 0
    assert sqlite["rows"]["transition"] > sqlite["cycles"]
    # a closed cycle keeps only the timers that fired: each has its notice
    assert sqlite["rows"]["timer"] == sqlite["rows"]["notice"]
    assert 0 < results["raw_bytes_per_cycle"] < sqlite["bytes_per_cycle"]


def test_bench_audit_runs_every_step_small(tmp_path: Path) -> None:
    """bench_audit.py on a small trail: the chains verified, the fire A/B ran, and the
    signed anchor's verification with --trust held (nothing timed)."""
    done = subprocess.run(
        [
            sys.executable, str(BENCH / "bench_audit.py"), "--records", "2000", "--events",
            "30", "--rounds", "1", "--out", str(tmp_path / "out"),
        ],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "\n1. verify" in done.stdout and "\n2. fire" in done.stdout
    assert "\n3. signed anchor (Ed25519)" in done.stdout
    results = json.loads((tmp_path / "out" / "bench_audit.json").read_text(encoding="utf-8"))
    assert results["verify"]["ok"] and results["verify"]["records"] >= 2000
    assert results["signed"]["ok"] and results["signed"]["notes"][0].startswith(
        "last signed anchor:"
    )
    assert results["chain_cost"]["events"] == 30


def test_bench_tick_fires_and_composes_the_instant_small(tmp_path: Path) -> None:
    """bench_tick.py on a tiny tree (SQLite): four workers took every timer of the
    reminder instant, one notice each, every unit's notice chain whole, nothing left
    queued, a message per recipient; then the rate runs took their quotas."""
    done = subprocess.run(
        [
            sys.executable, str(BENCH / "bench_tick.py"), "--backend", "sqlite",
            "--scale", "0.003", "--timers", "600", "--workers", "1,2",
            "--out", str(tmp_path / "out"), "--db-dir", str(tmp_path),
        ],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "\n1. the instant" in done.stdout and "\n2. the rate" in done.stdout
    results = json.loads((tmp_path / "out" / "bench_tick-sqlite.json").read_text("utf-8"))
    instant = results["sqlite"]["instant"]
    # scale 0.003: 906 units with a cycle, each with one reminder at the first instant
    assert instant["due"] == instant["fired"] == 906
    # the raw side's four workers each take a quarter, rounded up (the next timers)
    assert 906 <= instant["raw"]["claimed"] < 906 + 4
    checks = instant["checks"]
    assert checks == {
        "notices": 906, "chains": 906, "chain_problems": 0, "queued": 0,
        "messages": instant["composed"], "all_fired": True,
    }  # fmt: skip
    assert instant["composed"] == 906  # every secretary has a mailbox of their own
    runs = results["sqlite"]["rate"]["runs"]
    assert [(r["workers"], r["engine"]["claimed"], r["raw"]["claimed"]) for r in runs] == [
        (1, 600, 600), (2, 600, 600)
    ]
