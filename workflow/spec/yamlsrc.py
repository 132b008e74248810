"""YAML parsing that remembers where every key came from, with booleans off.

Definitions name states `on`, `off`, `no`...: YAML 1.1 would turn those into booleans, so
we build Python values from the node tree ourselves: plain scalars become int, float or
null when they look like one, and strings otherwise. Pydantic later coerces "true" where
a field really is a boolean.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]

_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$")
_NULL = {"", "~", "null", "Null", "NULL"}


@dataclass
class Located:
    """Parsed YAML plus the file and 1-based line of every mapping key and list item."""

    data: Any
    lines: dict[Path, tuple[str, int]] = field(default_factory=dict)

    def where(self, path: Path) -> tuple[str, int | None]:
        """The location of `path`, or of its nearest ancestor that has one."""
        probe = tuple(path)
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            # A mapping key like 2023 was read as text here but validated as a number.
            as_text = tuple(str(part) for part in probe)
            if as_text in self.lines:
                return self.lines[as_text]
            probe = probe[:-1]
        return self.lines.get((), ("<definition>", None))


def load_located(text: str, filename: str) -> Located:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        from workflow.errors import DefinitionError, Problem

        raise DefinitionError([Problem(filename, line, f"not valid YAML: {exc}")]) from exc
    located = Located(data=None)
    located.lines[()] = (filename, 1)
    if root is not None:
        located.data = _build(root, (), filename, located.lines)
    return located


def _build(node: yaml.Node, path: Path, filename: str, lines: dict[Path, tuple[str, int]]) -> Any:
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = (*path, key)
            lines[child] = (filename, key_node.start_mark.line + 1)
            out[key] = _build(value_node, child, filename, lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        items: list[Any] = []
        for index, item in enumerate(node.value):
            child = (*path, index)
            lines[child] = (filename, item.start_mark.line + 1)
            items.append(_build(item, child, filename, lines))
        return items
    assert isinstance(node, yaml.ScalarNode)
    text = str(node.value)
    if node.style is not None:  # quoted: always a string
        return text
    if text in _NULL:
        return None
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text
