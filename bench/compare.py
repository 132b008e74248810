"""Two runs of a benchmark side by side: each ratio engine / raw before and after, and
which grew by more than the tolerance (issue 11: "no ratio worse by more than 10 %").

    python bench/compare.py --before B1.json [B2.json ...] --after A1.json [A2.json ...]

Reads what bench_core.py (`bench_core.json`) or bench_nation.py (`bench_nation-*.json`)
wrote; all files must come from the same benchmark and sizes. Ratios only: absolute
times on a shared machine move more than the ratios, each measured within one run. Even
so, two runs of the same commit here moved some ratios by 30-130 %, so give each side
several runs, interleaved: the median of each side is compared, and each side's range is
shown beside it. Exits 1 if a median ratio is worse by more than the tolerance.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any


def core_ratios(results: dict[str, Any]) -> dict[str, float]:
    fire = results["fire"]
    return {
        "open": results["open"]["ratio"],
        "fire, mean": fire["ratio"],
        "fire, median": fire["ratio_median"],
        "fire vs every statement, mean": fire["ratio_every_statement"],
        "decide (register)": results["decide"]["ratio"],
    }


def nation_ratios(results: dict[str, Any]) -> dict[str, float]:
    found: dict[str, float] = {}
    for backend in ("sqlite", "postgresql"):
        run = results.get(backend)
        if run is None:
            continue
        found[f"{backend}: open"] = run["open"]["ratio"]
        if "fire" in run:
            found[f"{backend}: fire, mean"] = run["fire"]["ratio"]
            found[f"{backend}: fire, median"] = run["fire"]["ratio_median"]
        for scope, f in run.get("queries", {}).items():
            found[f"{backend}: board, {scope}"] = f["board_ms"] / f["board_raw_ms"]
            found[f"{backend}: overdue, {scope}"] = f["overdue_ms"] / f["overdue_raw_ms"]
        if "verify" in run:
            found[f"{backend}: verify"] = run["verify"]["ratio"]
        for row in run.get("tick", {}).get("runs", []):
            found[f"{backend}: tick, {row['workers']} worker(s)"] = row["ratio"]
    return found


def ratios(results: dict[str, Any]) -> dict[str, float]:
    return core_ratios(results) if "decide" in results else nation_ratios(results)


def median_ratios(runs: list[dict[str, Any]]) -> dict[str, tuple[float, float, float]]:
    """Per ratio over several runs of one side: (median, lowest, highest)."""
    found: dict[str, list[float]] = {}
    for results in runs:
        for name, value in ratios(results).items():
            found.setdefault(name, []).append(value)
    return {n: (statistics.median(v), min(v), max(v)) for n, v in found.items()}


def spread(low: float, high: float) -> str:
    return f"{low:.2f}–{high:.2f}"


def compare(
    before: dict[str, tuple[float, float, float]],
    after: dict[str, tuple[float, float, float]],
    tolerance: float,
) -> list[str]:
    """Print the table of medians (and each side's range); return the names of the ratios
    whose median is worse by more than `tolerance`."""
    worse = []
    print(
        f"{'ratio (engine / raw, lower is better)':<40}{'before':>8}{'after':>8}{'change':>9}"
        f"{'before range':>15}{'after range':>15}"
    )
    for name in dict.fromkeys([*before, *after]):
        if name not in before or name not in after:
            print(f"{name:<40}   only in one side's runs")
            continue
        (b, b_low, b_high), (a, a_low, a_high) = before[name], after[name]
        change = a / b - 1
        flag = ""
        if change > tolerance:
            worse.append(name)
            flag = f"   WORSE by more than {tolerance:.0%}"
        print(
            f"{name:<40}{b:>8.2f}{a:>8.2f}{change:>+9.1%}{spread(b_low, b_high):>15}"
            f"{spread(a_low, a_high):>15}{flag}"
        )
    return worse


#: arguments that name where a run wrote, not what it measured
PLACES = ("out", "db_dir", "pg", "keep")


def measured(results: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in results["arguments"].items() if k not in PLACES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, nargs="+", required=True, help="results files")
    parser.add_argument("--after", type=Path, nargs="+", required=True, help="results files")
    parser.add_argument("--tolerance", type=float, default=0.10)
    args = parser.parse_args()
    sides = {
        label: [json.loads(p.read_text(encoding="utf-8")) for p in paths]
        for label, paths in (("before", args.before), ("after", args.after))
    }
    every = [*sides["before"], *sides["after"]]
    if len({"decide" in r for r in every}) > 1:
        sys.exit("the files come from different benchmarks")
    for label, runs in sides.items():
        for results in runs:
            print(f"{label}: {results['machine']['date']}, {measured(results)}")
    if any(measured(r) != measured(every[0]) for r in every):
        print("WARNING: the runs measured different sizes; their ratios are not comparable")
    worse = compare(median_ratios(sides["before"]), median_ratios(sides["after"]), args.tolerance)
    print(
        f"\n{len(worse)} median ratio(s) worse by more than {args.tolerance:.0%}"
        if worse
        else f"\nno median ratio worse by more than {args.tolerance:.0%}"
    )
    sys.exit(1 if worse else 0)


if __name__ == "__main__":
    main()
