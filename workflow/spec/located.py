"""A parsed definition and where each of its keys came from (file, line), apart from the
parser (yamlsrc.py): what checks and overlays read, without importing PyYAML, which only
compiling a text needs (a command reading the compiled catalogue from its cache never
parses YAML)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: where a value sits in a definition: its keys and list indexes from the top
Path = tuple[str | int, ...]

#: bounds on one definition file; the largest shipped definition is about 12 KiB,
#: 6 levels deep and under 2,000 nodes
MAX_TEXT_CHARS = 1_000_000
MAX_DEPTH = 40
MAX_NODES = 100_000


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
