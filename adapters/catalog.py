"""Reading definition files: the shipped ones plus any in BONTOT_DEFINITIONS folders."""

from __future__ import annotations

import os
from pathlib import Path

from definitions import shipped_sources
from workflow.errors import DefinitionError, Problem
from workflow.spec.registry import DefinitionSet
from workflow.spec.yamlsrc import MAX_TEXT_CHARS

ENV_DIRS = "BONTOT_DEFINITIONS"


def extra_sources() -> list[tuple[str, str]]:
    sources = []
    for folder in filter(None, os.environ.get(ENV_DIRS, "").split(os.pathsep)):
        for path in sorted(Path(folder).glob("*.yaml")):
            sources.append((str(path), read_definition_text(path)))
    return sources


def read_definition_text(path: Path) -> str:
    """A definition file's text, read no further than the loader accepts (one char over,
    so that it can say the file is too large) and refused cleanly when not UTF-8."""
    try:
        with path.open(encoding="utf-8") as handle:
            return handle.read(MAX_TEXT_CHARS + 1)
    except UnicodeDecodeError as exc:
        problem = Problem(str(path), None, f"not UTF-8 text ({exc.reason})")
        raise DefinitionError([problem]) from exc
    except OSError as exc:
        raise DefinitionError(
            [Problem(str(path), None, f"cannot be read: {exc.strerror}")]
        ) from exc


def load_catalog(also: list[Path] | None = None) -> DefinitionSet:
    """Shipped definitions, extra folders, and `also` files (which may extend any of them)."""
    sources = shipped_sources() + extra_sources()
    for path in also or []:
        text = read_definition_text(path)
        sources = [s for s in sources if Path(s[0]).name != path.name] + [(str(path), text)]
    return DefinitionSet.from_texts(sources)
