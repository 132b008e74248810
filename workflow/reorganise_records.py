"""The `reorganise` records a decision chains onto the trails of the cycles it moves, and
the steps a decision's annex lists (a spreadsheet: old code, new code, new parent), both
pure: rows and cycles in, records and steps out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from workflow.audit_hashing import canonical_json, link
from workflow.errors import ImportRefused, Reason, RowProblem
from workflow.import_columns import EMPTY, not_one_of
from workflow.reorganise import ACTIONS, REORGANISE_EVENT, Plan, Step


@dataclass(frozen=True)
class ChainedCycle:
    """A cycle whose chain gets a `reorganise` record: what the record is written from."""

    id: int
    unit: str
    unit_path: str
    state: str
    version: int
    head: str
    definition_id: str
    definition_version: int


@dataclass(frozen=True)
class CycleRecord:
    cycle_id: int
    expected_version: int
    seq: int
    state: str
    unit_path: str
    unit_id: int | None  # a new unit (carried over), else None
    payload_text: str
    hash: str
    definition_id: str
    definition_version: int


def cycle_records(
    plan: Plan,
    cycles: Iterable[ChainedCycle],
    at_text: str,
    actor: str,
    role: str,
    spell: Callable[[str, bool], str] | None = None,
) -> list[CycleRecord]:
    """One `reorganise` record per cycle whose unit moved, was renamed or absorbed: its
    path before and after, the unit before and after, the decision. The state stays.
    `spell(path, after)`: the path as the codes of its units, before or after the
    decision (what a reader of the history sees: "T01 › H01 › CB-A1")."""
    by_path = sorted(((c.old_path, c) for c in plan.changes if c.moved), key=lambda p: -len(p[0]))
    carried = {k.cycle_id: k for k in plan.carries}
    renamed = plan.renamed
    records = []
    for cycle in cycles:
        carry = carried.get(cycle.id)
        new_path = cycle.unit_path
        unit = renamed.get(cycle.unit, cycle.unit)
        unit_id: int | None = None
        if carry is not None:
            unit = carry.to_unit
            unit_id = carry.to_unit_id
            new_path = carry.to_path
        else:
            for old, change in by_path:
                if cycle.unit_path.startswith(old):
                    new_path = change.path + cycle.unit_path[len(old) :]
                    break
        if new_path == cycle.unit_path and unit == cycle.unit:
            continue
        payload = {
            "decision": plan.decision.number,
            "effective": plan.decision.effective.isoformat(),
            "from_unit": cycle.unit,
            "to_unit": unit,
            "from_path": cycle.unit_path,
            "to_path": new_path,
        }
        if spell is not None:
            payload["from_tree"] = spell(cycle.unit_path, False)
            payload["to_tree"] = spell(new_path, True)
        text = canonical_json(payload)
        seq = cycle.version + 1
        fields = (
            cycle.id,
            seq,
            REORGANISE_EVENT,
            cycle.state,
            cycle.state,
            actor,
            role,
            at_text,
            text,
            "[]",
            cycle.definition_id,
            cycle.definition_version,
        )
        records.append(
            CycleRecord(
                cycle.id,
                cycle.version,
                seq,
                cycle.state,
                new_path,
                unit_id,
                text,
                link(cycle.head, fields),
                cycle.definition_id,
                cycle.definition_version,
            )
        )
    return records


#: a decision's annex: `code` and, for each row, a new parent, a new code, or both
MAPPING_COLUMNS = ("code", "new_code", "new_parent", "action")
#: the order a decision's steps are done in, whatever the annex's row order: units move
#: first, then merge, then what is left empty is dissolved, and codes change last (the
#: annex names every unit by the code it has today)
_ORDER = {"move": 0, "merge": 1, "dissolve": 2, "rename": 3}


def steps_from_rows(
    source: str, header: list[str], rows: Iterable[Mapping[str, str]], existing: set[str]
) -> list[Step]:
    """The steps of an annex, in the order they are done; or ImportRefused naming each
    bad row and column. A row with `new_parent` moves the unit; with `new_code`, it is
    merged into that unit when one has that code, else renamed; `action` says it
    outright (`dissolve` needs it). Rows count the header as row 1."""
    if "code" not in header:
        missing = Reason("required column is missing", "import.missing_column_only")
        raise ImportRefused(source, [RowProblem(1, "code", missing)])
    if "new_code" not in header and "new_parent" not in header:
        raise ImportRefused(
            source, [RowProblem(1, "new_parent", Reason(
                "give a new_parent or a new_code column", "import.mapping_columns"))]
        )
    problems: list[RowProblem] = []
    steps: list[tuple[int, int, Step]] = []
    first_row_of: dict[str, int] = {}
    for number, raw in enumerate(rows, start=2):

        def cell(column: str, raw: Mapping[str, str] = raw) -> str:
            return (raw.get(column) or "").strip()

        code, new_code, parent, action = (cell(c) for c in MAPPING_COLUMNS)
        if not any((code, new_code, parent, action)):
            continue  # a blank line
        where = f"{source} row {number}"
        if not code:
            problems.append(RowProblem(number, "code", EMPTY))
            continue
        if code in first_row_of:
            problems.append(
                RowProblem(number, "code", Reason(
                    f"{code!r} repeats row {first_row_of[code]}", "import.repeats", value=code,
                    first=first_row_of[code],
                ))
            )
            continue
        first_row_of[code] = number
        if action and action not in ACTIONS:
            problems.append(
                RowProblem(number, "action", not_one_of(action, ACTIONS))
            )
            continue
        found: list[Step] = []
        if action == "dissolve":
            found.append(Step("dissolve", code, None, where))
        elif action == "move" or (not action and parent):
            if not parent:
                problems.append(RowProblem(number, "new_parent", EMPTY))
                continue
            found.append(Step("move", code, parent, where))
        if action in ("merge", "rename") or (not action and new_code):
            if not new_code:
                problems.append(RowProblem(number, "new_code", EMPTY))
                continue
            merge = action == "merge" or (not action and new_code in existing)
            found.append(Step("merge" if merge else "rename", code, new_code, where))
        if not found:
            idle = Reason("nothing to do: no new parent and no new code", "import.nothing_to_do")
            problems.append(RowProblem(number, "new_parent", idle))
        steps += [(_ORDER[s.action], number, s) for s in found]
    if problems:
        raise ImportRefused(source, problems)
    return [step for _, _, step in sorted(steps, key=lambda t: (t[0], t[1]))]
