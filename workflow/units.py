"""The unit tree's vocabulary and the checks an import of units must pass (pure: rows in)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from workflow.errors import ImportRefused, Reason, RowProblem
from workflow.import_columns import (
    CONTACT_PREFIXES,
    EMPTY,
    UNIT_COLUMNS,
    ColumnNote,
    cells_of,
    fold,
    line_problem,
    map_header,
    whole_number,
)

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
#: more members than any party organisation has (a huge number is a broken cell)
MAX_MEMBERS = 10_000_000
#: levels of the tree (a real one has about six); a unit's path, which the stores index,
#: grows with its depth, and PostgreSQL cannot index a path of thousands of levels
MAX_DEPTH = 100


@dataclass(frozen=True)
class UnitImport:
    code: str
    name: str
    kind: str
    org_type: str
    parent_code: str | None
    member_count: int
    contacts: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckedUnits:
    """The rows of a units file, checked and parents first, and the columns nobody reads."""

    units: list[UnitImport]
    notes: list[ColumnNote]


def check_unit_rows(
    source: str,
    header: list[str],
    rows: Iterable[Mapping[str, str]],
    existing: Mapping[str, tuple[str, str | None]],
) -> list[UnitImport]:
    """`check_units`' rows, for callers that need no warnings."""
    return check_units(source, header, rows, existing).units


def check_units(
    source: str,
    header: list[str],
    rows: Iterable[Mapping[str, str]],
    existing: Mapping[str, tuple[str, str | None]],
    roles: Mapping[str, str] | None = None,
    kinds: Mapping[str, str] | None = None,
    org_types: Mapping[str, str] | None = None,
) -> CheckedUnits:
    """Validate every row; return them parents-first, or raise naming each bad row and column.

    `existing` maps the codes already in the database to (kind, parent code), so a file may
    hang new units under old ones; a unit whose kind changes is checked against its parent
    and its children like a new one. `roles` maps each folded spelling of a role (its name,
    its Vietnamese label) to the role: a contact column of another role is a warning (None:
    every contact column is kept). `kinds` maps each folded spelling of a kind of unit
    (its label, as the definitions write it) to the kind, and `org_types` each folded
    spelling of an organisation type likewise. Row numbers count the header as
    row 1, as a spreadsheet does; problems name the column as the file spells it.
    """
    mapped = map_header(header, UNIT_COLUMNS, REQUIRED_COLUMNS, keep=CONTACT_PREFIXES)
    if mapped.problems:
        raise ImportRefused(source, mapped.problems)
    contact_columns, notes = _contact_columns(header, roles)
    notes = [ColumnNote(column, "unread") for column in mapped.unread] + notes
    columns = mapped.columns
    problems: list[RowProblem] = []
    parsed: list[tuple[int, UnitImport]] = []
    first_row_of: dict[str, int] = {}
    for number, raw in enumerate(rows, start=2):
        row, row_problems = _parse_row(
            number, raw, columns, contact_columns, kinds or {}, org_types or {}
        )
        problems.extend(row_problems)
        if row is None:
            continue
        if row.code in first_row_of:
            problems.append(
                RowProblem(number, columns["code"], _repeats(row.code, first_row_of[row.code]))
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
                    columns["parent_code"],
                    Reason(
                        f"{row.code} is under {existing[row.code][1] or 'nothing'}; "
                        "moving a unit to another parent is a reorganisation (bontot units move)",
                        "import.moved_parent", unit=row.code,
                        parent=existing[row.code][1] or "—",
                    ),
                )
            )
            continue
        parent_kind = None if row.parent_code is None else kinds.get(row.parent_code)
        if row.parent_code is not None and parent_kind is None:
            problems.append(
                RowProblem(number, columns["parent_code"], Reason(
                    f"unknown unit {row.parent_code!r}", "import.unknown_unit",
                    value=row.parent_code,
                ))
            )
        elif parent_kind not in ALLOWED_PARENTS[row.kind]:
            allowed = ", ".join(k or "(none: a root)" for k in ALLOWED_PARENTS[row.kind])
            problems.append(
                RowProblem(
                    number,
                    columns["parent_code"],
                    Reason(
                        f"a {row.kind} cannot sit under a {parent_kind or 'nothing'}; "
                        f"allowed: {allowed}",
                        "import.cannot_sit", kind=row.kind, parent_kind=parent_kind,
                        kinds=ALLOWED_PARENTS[row.kind],
                    ),
                )
            )
    problems.extend(_children_problems(parsed, existing, kinds, columns["kind"]))
    loops = _cycle_problems(parsed, columns["parent_code"])
    problems.extend(loops or _depth_problems(parsed, existing, columns["parent_code"]))
    if problems:
        raise ImportRefused(source, sorted(problems, key=lambda p: p.row))
    return CheckedUnits(_parents_first([row for _, row in parsed]), notes)


def _contact_columns(
    header: list[str], roles: Mapping[str, str] | None
) -> tuple[dict[str, str], list[ColumnNote]]:
    """role -> the file's contact column for it, and a note for each column naming no role."""
    found: dict[str, str] = {}
    notes: list[ColumnNote] = []
    for column in header:
        folded = fold(column or "")
        prefix = next((p for p in CONTACT_PREFIXES if folded.startswith(p)), None)
        if prefix is None:
            continue
        spelled = folded[len(prefix) :]
        role = spelled if roles is None else roles.get(spelled)
        if role is None or role in found:
            notes.append(ColumnNote(column, "unknown_role" if role is None else "unread", spelled))
            continue
        found[role] = column
    return found, notes


def _parse_row(
    number: int,
    raw: Mapping[str, str],
    columns: Mapping[str, str],
    contact_columns: Mapping[str, str],
    kinds: Mapping[str, str],
    org_types: Mapping[str, str],
) -> tuple[UnitImport | None, list[RowProblem]]:
    problems: list[RowProblem] = []
    cells = cells_of(raw, columns)

    def problem(name: str, message: str) -> None:
        problems.append(RowProblem(number, columns.get(name, UNIT_COLUMNS[name][1]), message))

    code, name, kind = cells["code"], cells["name"], cells["kind"]
    kind = kinds.get(fold(kind), kind)  # "Chi bộ cơ sở" is a grassroots_cell
    org_type = cells.get("type") or "other"
    org_type = org_types.get(fold(org_type), org_type)  # "Doanh nghiệp" is an enterprise
    if not _CODE.match(code):
        problem("code", _not_code(code))
    if not name:
        problem("name", EMPTY)
    elif (why := line_problem(name)) is not None:
        problem("name", why)
    if kind not in UNIT_KINDS:
        shown = _shown(kind)
        problem("kind", Reason(f"{shown!r} is not one of {', '.join(UNIT_KINDS)}",
                               "import.not_a_kind", value=shown, kinds=UNIT_KINDS))  # fmt: skip
    if org_type not in ORG_TYPES:
        shown = _shown(org_type)
        problem("type", Reason(f"{shown!r} is not one of {', '.join(ORG_TYPES)}",
                               "import.not_an_org_type", value=shown, types=ORG_TYPES))  # fmt: skip
    member_count = 0
    try:
        member_count = whole_number(cells.get("member_count") or "0", MAX_MEMBERS)
    except ValueError as exc:
        problem("member_count", exc.args[0])
    parent = cells["parent_code"] or None
    if parent is not None and not _CODE.match(parent):
        problem("parent_code", _not_code(parent))
    contacts: dict[str, str] = {}
    for role, column in contact_columns.items():
        address = (raw.get(column) or "").strip()
        if address and (why := line_problem(address)) is not None:
            problems.append(RowProblem(number, column, why))
        elif address:
            contacts[role] = address
    if problems:
        return None, problems
    return UnitImport(code, name, kind, org_type, parent, member_count, contacts), []


def _shown(text: str) -> str:
    """A cell as a message quotes it: a 200 KB cell is not echoed whole."""
    return text if len(text) <= 40 else text[:37] + "..."


def _not_code(text: str) -> Reason:
    shown = _shown(text)
    return Reason(f"{shown!r} is not a unit code", "import.not_code", value=shown)


def _repeats(code: str, first: int) -> Reason:
    return Reason(f"{code!r} repeats row {first}", "import.repeats", value=code, first=first)


def _children_problems(
    parsed: list[tuple[int, UnitImport]],
    existing: Mapping[str, tuple[str, str | None]],
    kinds: Mapping[str, str],
    kind_column: str,
) -> list[RowProblem]:
    """A unit whose kind changes must still be a kind its children may sit under."""
    changed = {
        row.code: number
        for number, row in parsed
        if row.code in existing and existing[row.code][0] != row.kind
    }
    if not changed:
        return []
    problems = []
    for code, (_, parent) in existing.items():
        if parent in changed and kinds[parent] not in ALLOWED_PARENTS[kinds[code]]:
            problems.append(
                RowProblem(
                    changed[parent],
                    kind_column,
                    Reason(
                        f"{parent} has {code} (a {kinds[code]}) under it, which cannot sit "
                        f"under a {kinds[parent]}",
                        "import.children_kind", parent=parent, child=code,
                        child_kind=kinds[code], kind=kinds[parent],
                    ),
                )
            )
    return problems


def _cycle_problems(parsed: list[tuple[int, UnitImport]], column: str) -> list[RowProblem]:
    """Each row whose parent chain loops back (walked once per row; a file is small)."""
    parent_of = {row.code: row.parent_code for _, row in parsed}
    settled: set[str] = set()  # codes whose chain is known to end at a root
    problems = []
    for number, row in parsed:
        seen = {row.code}
        chain = [row.code]
        parent = row.parent_code
        while parent is not None and parent in parent_of and parent not in settled:
            if parent in seen:
                loops = Reason("the parent chain loops", "import.loops")
                problems.append(RowProblem(number, column, loops))
                break
            seen.add(parent)
            chain.append(parent)
            parent = parent_of[parent]
        else:
            settled.update(chain)
    return problems


def _depth_problems(
    parsed: list[tuple[int, UnitImport]],
    existing: Mapping[str, tuple[str, str | None]],
    column: str,
) -> list[RowProblem]:
    """Each row whose unit would sit deeper than MAX_DEPTH levels (chains known not to loop)."""
    parent_of = {code: parent for code, (_, parent) in existing.items()}
    parent_of.update({row.code: row.parent_code for _, row in parsed})
    depth: dict[str, int] = {}
    problems = []
    for number, row in parsed:
        chain = []
        code: str | None = row.code
        while code is not None and code not in depth and code in parent_of:
            chain.append(code)
            code = parent_of[code]
        below = depth.get(code, 0) if code is not None else 0
        for walked in reversed(chain):
            below += 1
            depth[walked] = below
        if depth[row.code] > MAX_DEPTH:
            problems.append(
                RowProblem(
                    number,
                    column,
                    Reason(
                        f"{row.code} would be {depth[row.code]} levels deep; at most {MAX_DEPTH}",
                        "import.too_deep", unit=row.code, depth=depth[row.code], most=MAX_DEPTH,
                    ),
                )
            )
    return problems


def _parents_first(rows: list[UnitImport]) -> list[UnitImport]:
    """Each unit after its parent, otherwise in file order. Iterative: 1,500 committees
    listed child-first is a chain deeper than Python's recursion limit."""
    by_code = {row.code: row for row in rows}
    ordered: list[UnitImport] = []
    placed: set[str] = set()
    for row in rows:
        chain = []
        current: UnitImport | None = row
        while current is not None and current.code not in placed:
            chain.append(current)
            placed.add(current.code)
            current = by_code.get(current.parent_code) if current.parent_code else None
        ordered.extend(reversed(chain))
    return ordered
