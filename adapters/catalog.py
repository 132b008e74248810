"""Reading definition files: the shipped ones plus any in BONTOT_DEFINITIONS folders.

Compiling them (YAML parsed, overlays resolved, every rule checked) takes a fifth of a
second, on every command; so the compiled set is kept in the user's cache folder
(`$BONTOT_CACHE_DIR`, else `$XDG_CACHE_HOME/bontot`, else `~/.cache/bontot`; `off`
keeps none), under the sha256 of the texts and of the code that compiles them: an edited
file or a new release is a different key, never a stale answer. A cache file that cannot
be read (corrupt, truncated, from another Python) is ignored and rewritten; a folder that
cannot be written leaves the command as slow as before, never failing.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path

import workflow
from adapters.persistence.definitions import remember, stored_text
from definitions import shipped_sources
from workflow.errors import DefinitionError, Problem
from workflow.spec.located import MAX_TEXT_CHARS
from workflow.spec.registry import DefinitionSet

ENV_DIRS = "BONTOT_DEFINITIONS"
ENV_CACHE = "BONTOT_CACHE_DIR"
#: bumped when the cache file's layout changes
CACHE_FORMAT = "2"
#: compiled sets kept (one per set of texts and code: an upgrade or an edit adds one)
KEEP = 8


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
    return compiled(sources)


def cache_folder() -> Path | None:
    chosen = os.environ.get(ENV_CACHE)
    if chosen is not None:
        return None if chosen in ("", "off") else Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bontot"


def _compiler_code() -> list[Path]:
    """The modules whose code may decide what a text compiles to: the whole core (the
    checks reach into the units' kinds and the evidence; reading its sixty files costs a
    few milliseconds, and a stale answer would cost far more)."""
    return sorted(Path(workflow.__file__).parent.rglob("*.py"))


def cache_key(sources: list[tuple[str, str]]) -> str:
    digest = hashlib.sha256(f"{CACHE_FORMAT} {sys.version}".encode())
    for path in _compiler_code():
        digest.update(path.read_bytes())
    for filename, text in sources:
        digest.update(b"\0" + filename.encode() + b"\0" + text.encode())
    return digest.hexdigest()


def compiled(sources: list[tuple[str, str]]) -> DefinitionSet:
    """`DefinitionSet.from_texts(sources)`, from the cache when it holds them. A text that
    fails to compile raises as ever (errors are not cached)."""
    folder = cache_folder()
    if folder is None:
        return DefinitionSet.from_texts(sources)
    path = folder / f"definitions-{cache_key(sources)}.pickle"
    try:
        # our own file in the user's own cache folder, keyed by content: trusted as much
        # as the code beside it
        found, texts = pickle.loads(path.read_bytes())
        if isinstance(found, DefinitionSet) and isinstance(texts, list):
            _remember(found, texts)
            return found
    except Exception:  # missing or unreadable: compile, and write it anew
        pass
    result = DefinitionSet.from_texts(sources)
    # each definition's text as the database stores it: a command that reads a stored
    # version the catalog holds then skips validating it (persistence.definitions)
    texts = [(d.key, stored_text(d)) for d in result]
    _write(path, pickle.dumps((result, texts), protocol=pickle.HIGHEST_PROTOCOL))
    return result


def _remember(found: DefinitionSet, texts: list[tuple[tuple[str, int], str]]) -> None:
    for (definition_id, version), text in texts:
        remember(text, found.get(definition_id, version))


def _write(path: Path, data: bytes) -> None:
    """`data` into `path` at once (a reader sees the old file or the new, never half),
    or not at all when the folder cannot be written."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, scratch = tempfile.mkstemp(dir=path.parent, prefix=".definitions-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(scratch, path)
        except BaseException:
            Path(scratch).unlink(missing_ok=True)
            raise
        kept = sorted(path.parent.glob("definitions-*.pickle"), key=lambda p: p.stat().st_mtime)
        for old in kept[:-KEEP]:
            old.unlink(missing_ok=True)
    except OSError:
        pass
