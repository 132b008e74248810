"""A synthetic nationwide unit tree, deterministic, of the shape issue #6 names.

    python bench/nation.py --out units.csv [--scale 1.0]
    bontot units import units.csv

At scale 1: 1 nation committee -> 34 provinces -> 3,300 commune-level committees ->
52,000 grassroots organisations (two in five a grassroots committee, the others grassroots
cells) -> 250,000 subordinate cells under the grassroots committees (12 or 13 each).
The units a `bon-tot` cycle applies to: 52,000 + 250,000 = 302,000. `--scale` shrinks
every level but the provinces in proportion (0.1: 330 communes, 5,200 organisations,
25,000 cells). Parents come before their children, as `import_units` wants them.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: the repository root on the path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workflow.units import UnitImport

PROVINCES = 34
COMMUNES = 3_300
GRASSROOTS = 52_000
SUBORDINATE_CELLS = 250_000
COMMITTEE_EVERY = (0, 2)  # organisation k is a grassroots committee when k % 5 is one of these


def nation_tree(scale: float = 1.0) -> list[UnitImport]:
    communes = max(1, round(COMMUNES * scale))
    orgs = max(1, round(GRASSROOTS * scale))
    cells = round(SUBORDINATE_CELLS * scale)
    rows = [UnitImport("VN", "Ban Chấp hành Trung ương (mẫu)", "committee", "other", None, 0)]
    rows += [
        UnitImport(f"P{p:02d}", f"Đảng bộ tỉnh {p}", "committee", "other", "VN", 0)
        for p in range(PROVINCES)
    ]
    rows += [
        UnitImport(
            f"X{c:05d}", f"Đảng bộ xã {c}", "committee", "village", f"P{c % PROVINCES:02d}", 0
        )
        for c in range(communes)
    ]
    committees = [k for k in range(orgs) if k % 5 in COMMITTEE_EVERY]
    share, extra = divmod(cells, max(1, len(committees)))
    under = {k: share + (1 if i < extra else 0) for i, k in enumerate(committees)}
    for k in range(orgs):
        code, commune = f"G{k:06d}", f"X{k % communes:05d}"
        if k in under:
            rows.append(
                UnitImport(
                    code, f"Đảng bộ cơ sở {code}", "grassroots_committee", "village", commune, 0
                )
            )
            rows += [
                UnitImport(
                    f"{code}-{j:02d}", f"Chi bộ {j}", "subordinate_cell", "village", code, 10
                )
                for j in range(1, under[k] + 1)
            ]
        else:
            rows.append(
                UnitImport(code, f"Chi bộ {code}", "grassroots_cell", "village", commune, 12)
            )
    return rows


def write_csv(rows: list[UnitImport], target: Path) -> None:
    """In the format `bontot units import` reads."""
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "name", "kind", "type", "parent_code", "member_count"])
        for r in rows:
            writer.writerow(
                [r.code, r.name, r.kind, r.org_type, r.parent_code or "", r.member_count]
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="the CSV file to write")
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: the nationwide shape")
    args = parser.parse_args()
    rows = nation_tree(args.scale)
    write_csv(rows, args.out)
    kinds: dict[str, int] = {}
    for r in rows:
        kinds[r.kind] = kinds.get(r.kind, 0) + 1
    print(
        f"{len(rows):,} units to {args.out}: " + ", ".join(f"{k} {v:,}" for k, v in kinds.items())
    )


if __name__ == "__main__":
    main()
