"""The unit tree's vocabulary and the checks an import of units must pass (pure: rows in)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from workflow.errors import ImportRefused, RowProblem

#: Kinds of unit, top to bottom. The tree's depth is not fixed: committees nest freely.
UNIT_KINDS: tuple[str, ...] = (
    "committee",  # a committee above grassroots level (province, commune, district before 7/2025)
    "grassroots_committee",  # đảng bộ cơ sở
    "grassroots_cell",  # chi bộ cơ sở
    "subordinate_cell",  # chi bộ trực thuộc đảng ủy cơ sở
)
#: Organisation types (loại hình); each adds its own sub-criteria under criterion 1.
ORG_TYPES: tuple[str, ...] = ("administrative", "armed_forces", "village", "enterprise", "other")

#: Which kinds may sit directly under which.
ALLOWED_PARENTS: dict[str, tuple[str | None, ...]] = {
    "committee": (None, "committee"),
    "grassroots_committee": ("committee",),
    "grassroots_cell": ("committee",),
    "subordinate_cell": ("grassroots_committee",),
}

REQUIRED_COLUMNS = ("code", "name", "kind", "parent_code")
CONTACT_PREFIX = "contact_"
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class UnitImport:
    code: str
    name: str
    kind: str
    org_type: str
    parent_code: str | None
    member_count: int
    contacts: dict[str, str] = field(default_factory=dict)


def check_unit_rows(
    source: str,
    header: list[str],
    rows: Iterable[Mapping[str, str]],
    existing: Mapping[str, tuple[str, str | None]],
) -> list[UnitImport]:
    """Validate every row; return them parents-first, or raise naming each bad row and column.

    `existing` maps the codes already in the database to (kind, parent code), so a file may
    hang new units under old ones. Row numbers count the header as row 1, as a spreadsheet does.
    """
    problems: list[RowProblem] = [
        RowProblem(1, column, "required column is missing")
        for column in REQUIRED_COLUMNS
        if column not in header
    ]
    if problems:
        raise ImportRefused(source, problems)

    parsed: list[tuple[int, UnitImport]] = []
    first_row_of: dict[str, int] = {}
    for number, raw in enumerate(rows, start=2):
        row, row_problems = _parse_row(number, raw)
        problems.extend(row_problems)
        if row is None:
            continue
        if row.code in first_row_of:
            problems.append(
                RowProblem(number, "code", f"{row.code!r} repeats row {first_row_of[row.code]}")
            )
            continue
        first_row_of[row.code] = number
        parsed.append((number, row))

    kinds = {code: kind for code, (kind, _) in existing.items()}
    kinds.update({row.code: row.kind for _, row in parsed})
    for number, row in parsed:
        if row.code in existing and existing[row.code][1] != row.parent_code:
            problems.append(
                RowProblem(
                    number,
                    "parent_code",
                    f"{row.code} is under {existing[row.code][1] or 'nothing'}; "
                    "moving a unit to another parent is a reorganisation (bontot units move)",
                )
            )
            continue
        parent_kind = None if row.parent_code is None else kinds.get(row.parent_code)
        if row.parent_code is not None and parent_kind is None:
            problems.append(RowProblem(number, "parent_code", f"unknown unit {row.parent_code!r}"))
        elif parent_kind not in ALLOWED_PARENTS[row.kind]:
            allowed = ", ".join(k or "(none: a root)" for k in ALLOWED_PARENTS[row.kind])
            problems.append(
                RowProblem(
                    number,
                    "parent_code",
                    f"a {row.kind} cannot sit under a {parent_kind or 'nothing'}; "
                    f"allowed: {allowed}",
                )
            )
    problems.extend(_cycle_problems(parsed))
    if problems:
        raise ImportRefused(source, sorted(problems, key=lambda p: p.row))
    return _parents_first([row for _, row in parsed])


def _parse_row(number: int, raw: Mapping[str, str]) -> tuple[UnitImport | None, list[RowProblem]]:
    problems: list[RowProblem] = []

    def cell(column: str) -> str:
        return (raw.get(column) or "").strip()

    code, name, kind = cell("code"), cell("name"), cell("kind")
    org_type = cell("type") or "other"
    if not _CODE.match(code):
        problems.append(RowProblem(number, "code", f"{code!r} is not a unit code"))
    if not name:
        problems.append(RowProblem(number, "name", "is empty"))
    if kind not in UNIT_KINDS:
        problems.append(
            RowProblem(number, "kind", f"{kind!r} is not one of {', '.join(UNIT_KINDS)}")
        )
    if org_type not in ORG_TYPES:
        problems.append(
            RowProblem(number, "type", f"{org_type!r} is not one of {', '.join(ORG_TYPES)}")
        )
    members_text = cell("member_count") or "0"
    member_count = 0
    if not members_text.isdigit():
        problems.append(
            RowProblem(number, "member_count", f"{members_text!r} is not a whole number")
        )
    else:
        member_count = int(members_text)
    contacts = {
        column[len(CONTACT_PREFIX) :]: value.strip()
        for column, value in raw.items()
        if column and column.startswith(CONTACT_PREFIX) and value and value.strip()
    }
    if problems:
        return None, problems
    parent = cell("parent_code") or None
    return UnitImport(code, name, kind, org_type, parent, member_count, contacts), []


def _cycle_problems(parsed: list[tuple[int, UnitImport]]) -> list[RowProblem]:
    parent_of = {row.code: row.parent_code for _, row in parsed}
    problems = []
    for number, row in parsed:
        seen = {row.code}
        parent = row.parent_code
        while parent is not None and parent in parent_of:
            if parent in seen:
                problems.append(RowProblem(number, "parent_code", "the parent chain loops"))
                break
            seen.add(parent)
            parent = parent_of[parent]
    return problems


def _parents_first(rows: list[UnitImport]) -> list[UnitImport]:
    by_code = {row.code: row for row in rows}
    ordered: list[UnitImport] = []
    placed: set[str] = set()

    def place(row: UnitImport) -> None:
        if row.code in placed:
            return
        if row.parent_code in by_code:
            place(by_code[row.parent_code])
        placed.add(row.code)
        ordered.append(row)

    for row in rows:
        place(row)
    return ordered
