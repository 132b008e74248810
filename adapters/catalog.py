"""Reading definition files: the shipped ones plus any in BONTOT_DEFINITIONS folders."""

from __future__ import annotations

import os
from pathlib import Path

from definitions import shipped_sources
from workflow.spec.registry import DefinitionSet

ENV_DIRS = "BONTOT_DEFINITIONS"


def extra_sources() -> list[tuple[str, str]]:
    sources = []
    for folder in filter(None, os.environ.get(ENV_DIRS, "").split(os.pathsep)):
        for path in sorted(Path(folder).glob("*.yaml")):
            sources.append((str(path), path.read_text(encoding="utf-8")))
    return sources


def load_catalog(also: list[Path] | None = None) -> DefinitionSet:
    """Shipped definitions, extra folders, and `also` files (which may extend any of them)."""
    sources = shipped_sources() + extra_sources()
    for path in also or []:
        text = path.read_text(encoding="utf-8")
        sources = [s for s in sources if Path(s[0]).name != path.name] + [(str(path), text)]
    return DefinitionSet.from_texts(sources)
