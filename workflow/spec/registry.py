"""A set of definitions read from YAML texts: overlays resolved, every one validated, hashed.

Input is (filename, text) pairs, so the core never opens a file; adapters read them.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from workflow.errors import DefinitionError, NotFound, Problem
from workflow.spec.check import semantic_problems, structural_problems
from workflow.spec.located import Located, Path
from workflow.spec.model import DefinitionSpec


@dataclass(frozen=True)
class Definition:
    """A validated, fully resolved definition and the hash of its content."""

    spec: DefinitionSpec
    content_hash: str
    filename: str

    @property
    def key(self) -> tuple[str, int]:
        return (self.spec.id, self.spec.version)

    def resolved(self) -> dict[str, Any]:
        return self.spec.model_dump(mode="json")


def content_hash(spec: DefinitionSpec) -> str:
    # Defaults are left out, so that a new optional field in the schema does not change
    # the hash of every definition already in use.
    canonical = json.dumps(
        spec.model_dump(mode="json", exclude_defaults=True), sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def definition_from_resolved(data: dict[str, Any], filename: str = "<stored>") -> Definition:
    """Rebuild a definition from its stored resolved form (what a cycle was opened with)."""
    spec = DefinitionSpec.model_validate(data)
    return Definition(spec, content_hash(spec), filename)


#: the definition a command or use case works with when none is named: the yearly
#: "bốn tốt" cycle (definitions/bon-tot*.yaml)
DEFAULT_DEFINITION = "bon-tot"


class DefinitionSet:
    """All definitions known to a process, by id (latest version) and by (id, version).
    `default`: the id meant when a caller names none."""

    def __init__(
        self, definitions: Iterable[Definition], default: str = DEFAULT_DEFINITION
    ) -> None:
        self.default = default
        self._by_key: dict[tuple[str, int], Definition] = {}
        for definition in definitions:
            self._by_key[definition.key] = definition

    @classmethod
    def from_texts(cls, sources: Iterable[tuple[str, str]]) -> DefinitionSet:
        from workflow.spec.yamlsrc import load_located  # lazy: PyYAML (workflow.spec.located)

        located = [load_located(text, filename) for filename, text in sources]
        return cls(resolve_all(located))

    def __iter__(self) -> Any:
        return iter(sorted(self._by_key.values(), key=lambda d: d.key))

    def specs(self) -> list[DefinitionSpec]:
        """Every version's spec, in key order: where a label for a code name is looked up."""
        return [definition.spec for definition in self]

    def latest(self, definition_id: str | None = None) -> Definition:
        """The newest version of `definition_id` (the catalogue's default when None)."""
        definition_id = self.default if definition_id is None else definition_id
        versions = [d for key, d in self._by_key.items() if key[0] == definition_id]
        if not versions:
            known = ", ".join(sorted({key[0] for key in self._by_key})) or "none"
            raise NotFound(
                f"no definition {definition_id!r} (known: {known})",
                msgid="error.unknown_definition",
                params={"definition": definition_id, "known": known},
            )
        return max(versions, key=lambda d: d.spec.version)

    def get(self, definition_id: str, version: int) -> Definition:
        try:
            return self._by_key[(definition_id, version)]
        except KeyError:
            raise NotFound(
                f"no definition {definition_id!r} version {version}",
                msgid="error.unknown_version",
                params={"definition": definition_id, "version": version},
            ) from None


def resolve_all(sources: list[Located]) -> list[Definition]:
    """Resolve every source's `extends:` chain and validate it; raise with every problem."""
    problems: list[Problem] = []
    raw_by_id: dict[str, Located] = {}
    for source in sources:
        if not isinstance(source.data, dict):
            file, line = source.where(())
            problems.append(Problem(file, line, "a definition must be a mapping"))
            continue
        definition_id = source.data.get("id")
        if not isinstance(definition_id, str):
            file, line = source.where(("id",))
            problems.append(Problem(file, line, "a definition needs a string `id`"))
            continue
        key = f"{definition_id}@{source.data.get('version')}"
        if key in raw_by_id:
            file, line = source.where(("id",))
            other, _ = raw_by_id[key].where(())
            problems.append(Problem(file, line, f"{key} is also defined in {other}"))
            continue
        raw_by_id[key] = source
    latest_raw = _latest_by_id(raw_by_id)
    definitions = []
    for source in raw_by_id.values():
        try:
            merged = _flatten(source, latest_raw, chain=())
            definitions.append(_validate(merged))
        except DefinitionError as exc:
            problems.extend(exc.problems)
    if problems:
        raise DefinitionError(problems)
    return definitions


def _latest_by_id(raw_by_id: dict[str, Located]) -> dict[str, Located]:
    latest: dict[str, Located] = {}
    for source in raw_by_id.values():
        definition_id = source.data["id"]
        version = source.data.get("version")
        current = latest.get(definition_id)
        if current is None or _as_int(version) > _as_int(current.data.get("version")):
            latest[definition_id] = source
    return latest


def _as_int(value: Any) -> int:
    return value if isinstance(value, int) else 0


def _flatten(source: Located, by_id: dict[str, Located], chain: tuple[str, ...]) -> Located:
    parent_id = source.data.get("extends")
    if parent_id is None:
        return source
    if parent_id not in by_id:
        file, line = source.where(("extends",))
        raise DefinitionError([Problem(file, line, f"extends unknown definition {parent_id!r}")])
    if parent_id in chain:
        file, line = source.where(("extends",))
        raise DefinitionError([Problem(file, line, f"extends loops: {' -> '.join(chain)}")])
    base = _flatten(by_id[parent_id], by_id, (*chain, source.data["id"]))
    merged = Located(copy.deepcopy(base.data), dict(base.lines))
    _overlay(merged, source.data, source, ())
    merged.data["extends"] = parent_id
    return merged


def _overlay(target: Located, overlay: dict[str, Any], origin: Located, path: Path) -> None:
    """Deep-merge `overlay` into `target.data` at `path`: mappings merge, anything else
    replaces, and null deletes. Line numbers follow whichever file supplied the value."""
    node = target.data
    for part in path:
        node = node[part]
    for key, value in overlay.items():
        child = (*path, key)
        if value is None:
            node.pop(key, None)
            _drop_lines(target, child)
        elif isinstance(value, dict) and isinstance(node.get(key), dict):
            target.lines[child] = origin.lines.get(child, target.lines.get(child, ("", 0)))
            _overlay(target, value, origin, child)
        else:
            node[key] = copy.deepcopy(value)
            _drop_lines(target, child)
            for line_path, where in origin.lines.items():
                if line_path[: len(child)] == child:
                    target.lines[line_path] = where


def _drop_lines(target: Located, prefix: Path) -> None:
    for line_path in [p for p in target.lines if p[: len(prefix)] == prefix]:
        del target.lines[line_path]


def _validate(source: Located) -> Definition:
    try:
        spec = DefinitionSpec.model_validate(source.data)
    except ValidationError as exc:
        raise DefinitionError(structural_problems(exc, source)) from None
    problems = semantic_problems(spec, source)
    if problems:
        raise DefinitionError(problems)
    filename, _ = source.where(("id",))
    return Definition(spec, content_hash(spec), filename)
