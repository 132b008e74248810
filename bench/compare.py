"""Two runs of a benchmark side by side: each ratio engine / raw before and after, and
which grew by more than the tolerance (issue 11: "no ratio worse by more than 10 %").

    python bench/compare.py BEFORE.json AFTER.json [--tolerance 0.10]

Reads what bench_core.py (`bench_core.json`) or bench_nation.py (`bench_nation-*.json`)
wrote; both files must come from the same benchmark. Ratios only: absolute times on a
shared machine move more than the ratios, each of which is measured within one run.
Exits 1 if a ratio is worse by more than the tolerance, 0 otherwise.
"""

from __future__ import annotations

import argparse
import json
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


def compare(before: dict[str, float], after: dict[str, float], tolerance: float) -> list[str]:
    """Print the table; return the names of the ratios worse by more than `tolerance`."""
    worse = []
    print(f"{'ratio (engine / raw, lower is better)':<44}{'before':>9}{'after':>9}{'change':>9}")
    for name in dict.fromkeys([*before, *after]):
        if name not in before or name not in after:
            print(
                f"{name:<44}{before.get(name, float('nan')):>9.2f}"
                f"{after.get(name, float('nan')):>9.2f}   only in one run"
            )
            continue
        change = after[name] / before[name] - 1
        flag = ""
        if change > tolerance:
            worse.append(name)
            flag = f"   WORSE by more than {tolerance:.0%}"
        print(f"{name:<44}{before[name]:>9.2f}{after[name]:>9.2f}{change:>+9.1%}{flag}")
    return worse


#: arguments that name where a run wrote, not what it measured
PLACES = ("out", "db_dir", "pg", "keep")


def measured(results: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in results["arguments"].items() if k not in PLACES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--tolerance", type=float, default=0.10)
    args = parser.parse_args()
    loaded = [json.loads(p.read_text(encoding="utf-8")) for p in (args.before, args.after)]
    if ("decide" in loaded[0]) != ("decide" in loaded[1]):
        sys.exit("the two files come from different benchmarks")
    for label, results in zip(("before", "after"), loaded, strict=True):
        print(f"{label}: {results['machine']['date']}, {results['arguments']}")
    if measured(loaded[0]) != measured(loaded[1]):
        print("WARNING: the runs measured different sizes; their ratios are not comparable")
    worse = compare(ratios(loaded[0]), ratios(loaded[1]), args.tolerance)
    print(
        f"\n{len(worse)} ratio(s) worse by more than {args.tolerance:.0%}"
        if worse
        else f"\nno ratio worse by more than {args.tolerance:.0%}"
    )
    sys.exit(1 if worse else 0)


if __name__ == "__main__":
    main()
