"""The registers that decide who may act and what counts (actors, the unit tree, stored
definitions, ratings, targets), checked against the audit-event chain (pure).

Access decisions read the current rows. Every change to them is a fact in the audit-event
chain that carries the row's new values (an actor added or revoked, units imported, a
definition saved, ratings imported or corrected, a target set); a database brought over
from before starts from one dated `baseline` fact holding what it had. Replaying the
chain gives what each register must hold now; a row that differs, is missing, or was
added outside the chain is named, by table and key. An earlier value is never lost: a
correction is a new fact, the one before it stays in the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from workflow.audit import ChainProblem, FactRow
from workflow.audit_hashing import canonical_json
from workflow.errors import Reason

REGISTERS = ("actor", "unit", "definition", "rating", "target", "key")

#: what each register's value lists hold, in order (the names said when one differs)
COLUMNS: dict[str, tuple[str, ...]] = {
    "actor": ("name", "role", "scope", "revoked", "token", "password"),
    "unit": ("kind", "parent", "path", "ended"),
    "definition": ("content_hash", "content"),
    "rating": ("name", "status", "admitted_on", "level", "rated_on", "score"),
    "target": ("share", "assigned_on"),
    "key": ("fingerprint", "revoked"),
}

#: a value the trail did not keep when its fact was written (a rating's score in facts
#: older than revision 0006's column): not compared
UNKNOWN = "\x00not kept"
#: what a value missing from an older fact's list stands for, per register (an actor's
#: password did not exist before: none; a rating's score was not kept: unknown)
_PAD: dict[str, str | None] = {"rating": UNKNOWN}

#: register -> key -> values (strings or None)
State = dict[str, dict[str, list[str | None]]]

_FIELD = {name: i for i, name in enumerate(
    ("at", "kind", "unit_code", "unit_path", "cycle_id", "year", "event", "actor", "role",
     "code", "detail")
)}


def _values(values: Iterable[Any]) -> list[str | None]:
    return [None if v is None else str(v) for v in values]


def _unit_values(values: Sequence[Any]) -> list[str | None]:
    """A unit's register values; facts written before units could end hold three (kind,
    parent, path): such a unit has not ended."""
    found = _values(values)
    return found + [None] * (len(COLUMNS["unit"]) - len(found))


def token_print(token_hash: str) -> str:
    """What the trail keeps of an actor's stored token hash: enough to see it swapped."""
    return hashlib.sha256(token_hash.encode()).hexdigest()[:32]


def content_print(resolved: Any) -> str:
    """A stored definition's content, as the trail keeps it: the hash of its canonical
    JSON (a text as stored, or the value itself)."""
    value = json.loads(resolved) if isinstance(resolved, str) else resolved
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


def rating_fact(r: Any) -> list[Any]:
    """What a ratings fact keeps of one imported row (a RatingRecord): unit code, member,
    stage, name, status, admitted on, level, rated on."""
    return [
        r.unit_code, r.member, r.stage, r.name, r.status,
        r.admitted_on.isoformat() if r.admitted_on else None, r.level,
        r.rated_on.isoformat() if r.rated_on else None,
        r.score,
    ]


def rating_key(year: Any, unit: Any, member: Any, stage: Any) -> str:
    return f"{year}/{unit}/{member}/{stage}"


def target_key(year: Any, unit: Any, definition: Any) -> str:
    return f"{year}/{unit}/{definition}"


def current_state(rows: Mapping[str, Sequence[Sequence[Any]]]) -> State:
    """The registers as the store holds them. Rows, as `register_rows` reads them:
    actor (id, name, role, scope code, revoked at, token hash); unit (code, kind, parent
    code, path); definition (id, version, content hash, resolved text); rating (year,
    unit code, member, stage, name, status, admitted on, level, rated on); target (year,
    unit code, definition id, share, assigned on)."""
    state: State = {name: {} for name in REGISTERS}
    for a in rows.get("actor", ()):
        password = a[6] if len(a) > 6 else None
        state["actor"][str(a[0])] = _values(
            (
                a[1],
                a[2],
                a[3],
                "revoked" if a[4] is not None else None,
                token_print(str(a[5])),
                None if password is None else token_print(str(password)),
            )
        )
    for u in rows.get("unit", ()):
        state["unit"][str(u[0])] = _unit_values(u[1:5])
    for d in rows.get("definition", ()):
        state["definition"][f"{d[0]}@{d[1]}"] = _values((d[2], content_print(d[3])))
    for r in rows.get("rating", ()):
        state["rating"][rating_key(*r[:4])] = _values((*r[4:9], r[9] if len(r) > 9 else None))
    for t in rows.get("target", ()):
        state["target"][target_key(*t[:3])] = _values((float(t[3]), t[4]))
    for k in rows.get("key", ()):
        state["key"][str(k[0])] = _values((k[1], "revoked" if k[2] is not None else None))
    return state


def expected_state(facts: Iterable[FactRow]) -> State:
    """What the registers must hold, replayed from the audit-event chain (in id order)."""
    state: State = {name: {} for name in REGISTERS}
    for fact in facts:
        f = fact.fields
        kind = f[_FIELD["kind"]]
        try:
            detail = json.loads(f[_FIELD["detail"]] or "{}")
        except ValueError:
            continue  # the chain's own check names an unreadable record
        if not isinstance(detail, dict):
            continue
        if kind == "baseline":
            for name, rows in detail.get("registers", {}).items():
                if name in state:
                    state[name] = {str(k): _padded(name, _values(v)) for k, v in rows.items()}
        elif kind == "actor_added":
            state["actor"][str(detail["actor"])] = _values(
                (detail.get("name", ""), f[_FIELD["code"]], f[_FIELD["unit_code"]], None,
                 detail.get("token"), None)
            )
        elif kind == "actor_password_set":
            known = state["actor"].get(str(detail["actor"]))
            if known is not None:
                known[5] = detail.get("password")
        elif kind == "actor_revoked":
            known = state["actor"].get(str(detail["actor"]))
            if known is not None:
                known[3] = "revoked"
        elif kind == "units_imported":
            for code, values in detail.get("units", {}).items():
                state["unit"][str(code)] = _unit_values(values)
        elif kind == "reorganisation":
            replay_reorganisation(state, detail)
        elif kind == "definition_saved":
            key = f"{detail['definition']}@{detail['version']}"
            state["definition"][key] = _values((detail["content_hash"], detail["content"]))
        elif kind == "ratings_imported" and "records" in detail:
            year = f[_FIELD["year"]]
            for r in detail["records"]:
                state["rating"][rating_key(year, *r[:3])] = _padded("rating", _values(r[3:9]))
        elif kind == "target_set":
            key = target_key(f[_FIELD["year"]], f[_FIELD["unit_code"]], detail["definition"])
            state["target"][key] = _values((float(detail["share"]), detail["assigned_on"]))
        elif kind == "inspector_key_added":
            state["key"][str(detail["key"])] = _values((detail["fingerprint"], None))
        elif kind == "inspector_key_revoked":
            known = state["key"].get(str(detail["key"]))
            if known is not None:
                known[1] = "revoked"
    return state


def replay_reorganisation(state: State, detail: Mapping[str, Any]) -> None:
    """A reorganisation's fact: renamed units take their new code in every register
    that names a unit (the tree, actors' scopes, ratings' and targets' keys), then every
    unit it changed holds its new values (kind, parent, path, the day it ended)."""
    renamed = {str(k): str(v) for k, v in detail.get("renamed", {}).items()}
    if renamed:
        units = state["unit"]
        for old, new in renamed.items():
            if old in units:
                units[new] = units.pop(old)
        for values in units.values():
            if values[1] in renamed:
                values[1] = renamed[values[1]]
        for values in state["actor"].values():
            if values[2] in renamed:
                values[2] = renamed[values[2]]
        for name in ("rating", "target"):
            rekeyed: dict[str, list[str | None]] = {}
            for key, values in state[name].items():
                year, unit, rest = key.split("/", 2)
                rekeyed[f"{year}/{renamed.get(unit, unit)}/{rest}"] = values
            state[name] = rekeyed
    for code, values in detail.get("units", {}).items():
        state["unit"][str(code)] = _unit_values(values)


def _padded(name: str, values: list[str | None]) -> list[str | None]:
    """An older fact's values, with what it did not keep filled in."""
    return values + [_PAD.get(name)] * (len(COLUMNS[name]) - len(values))


@dataclass(frozen=True)
class RegisterCheck:
    problems: list[ChainProblem]
    rows: int


def check_registers(expected: State, current: State) -> RegisterCheck:
    """Every register row that does not follow from the chain: changed (naming the
    columns), missing, or added outside it. An actor's token print is compared only when
    the chain knows it (facts written before it was kept do not)."""
    problems: list[ChainProblem] = []
    rows = 0
    for name in REGISTERS:
        want, have = expected.get(name, {}), current.get(name, {})
        register = Reason(f"{name} register", f"audit.at.register_{name}")
        rows += len(have)
        # most rows follow from the chain: find the others first, then name them in order
        odd = [k for k in want.keys() | have.keys() if want.get(k) != have.get(k)]
        for key in sorted(odd):
            if key not in have:
                problems.append(ChainProblem(register, key, Reason(
                    "the trail holds it but the table does not: the row was deleted",
                    "audit.register_deleted",
                )))
                continue
            if key not in want:
                problems.append(ChainProblem(register, key, Reason(
                    "the table holds it but no record of the trail does: written behind "
                    "the trail's back",
                    "audit.register_added",
                )))
                continue
            differ = [
                column
                for column, w, h in zip(COLUMNS[name], want[key], have[key], strict=True)
                if w != h
                and w != UNKNOWN
                and not (name == "actor" and column == "token" and w is None)
            ]
            if differ:
                said = ", ".join(
                    f"{c} {have[key][COLUMNS[name].index(c)]!r} where the trail says "
                    f"{want[key][COLUMNS[name].index(c)]!r}"
                    for c in differ
                )
                problems.append(ChainProblem(register, key, Reason(
                    f"changed outside the trail: {said}", "audit.register_changed",
                    columns=", ".join(differ),
                )))
    return RegisterCheck(problems, rows)


def baseline_detail(rows: Mapping[str, Sequence[Sequence[Any]]]) -> dict[str, Any]:
    """The `baseline` fact's detail: every register as it is, to replay from."""
    return {"registers": current_state(rows)}
