"""YAML parsing that remembers where every key came from, with booleans off.

Definitions name states `on`, `off`, `no`...: YAML 1.1 would turn those into booleans, so
we build Python values from the node tree ourselves: plain scalars become int, float or
null when they look like one, and strings otherwise. Pydantic later coerces "true" where
a field really is a boolean.

A definition file is also untrusted input: anchors and aliases are refused (a 509-byte
"billion laughs" file would otherwise expand to gigabytes when the node tree is walked),
and its size, nesting depth and node count are bounded before the tree is built, so a
hostile file fails fast with its line instead of taking the process down.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from workflow.spec.located import MAX_DEPTH, MAX_NODES, MAX_TEXT_CHARS, Located, Path

_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$")
_NULL = {"", "~", "null", "Null", "NULL"}


def load_located(text: str, filename: str) -> Located:
    from workflow.errors import DefinitionError, Problem

    if len(text) > MAX_TEXT_CHARS:
        message = f"the file is over {MAX_TEXT_CHARS:,} characters; a definition is far smaller"
        raise DefinitionError([Problem(filename, None, message)])
    try:
        limit = _limit_problem(text)
        root = None if limit else yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else _reader_line(text, exc)
        raise DefinitionError([Problem(filename, line, f"not valid YAML: {exc}")]) from exc
    if limit:
        raise DefinitionError([Problem(filename, limit[0], limit[1])])
    located = Located(data=None)
    located.lines[()] = (filename, 1)
    if root is not None:
        located.data = _build(root, (), filename, located.lines)
    return located


def _reader_line(text: str, exc: BaseException) -> int | None:
    """The line of a character the reader refused (a ReaderError has only its offset)."""
    position = getattr(exc, "position", None)
    return text.count("\n", 0, position) + 1 if isinstance(position, int) else None


def _limit_problem(text: str) -> tuple[int, str] | None:
    """The first line where `text` breaks a bound (alias, anchor, depth, node count).

    PyYAML's event parser is iterative, so this pass is safe on any input; the composer
    that runs after it recurses, which the depth bound keeps shallow."""
    depth = nodes = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        line = event.start_mark.line + 1 if event.start_mark is not None else 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            return line, "anchors and aliases (&name, *name) are not allowed in a definition"
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                return line, f"nested more than {MAX_DEPTH} levels deep"
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        if isinstance(event, yaml.NodeEvent):
            nodes += 1
            if nodes > MAX_NODES:
                return line, f"more than {MAX_NODES:,} values; a definition is far smaller"
    return None


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
