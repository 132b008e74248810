"""A SQLite file that failed its integrity check (`audit verify`) refuses writes until
repaired: the check leaves a note beside the file (`<file>.damaged`, what it found), and
every unit of work on the file refuses to commit while the note is there. A later check
that finds the file sound removes the note."""

from __future__ import annotations

from pathlib import Path

from workflow.errors import BontotError


class StorageDamaged(BontotError):
    """The database file failed its integrity check: nothing is written into it."""


def note_for(url: str) -> Path | None:
    """Where the note of a SQLite file goes (None for another store)."""
    if not url.startswith("sqlite:///"):
        return None
    path = url.removeprefix("sqlite:///").split("?", 1)[0].removeprefix("file:")
    return None if path in ("", ":memory:") else Path(path + ".damaged")


def record(url: str, findings: list[str]) -> None:
    """Leave the note (findings found), or remove it (none found: the file is sound)."""
    note = note_for(url)
    if note is None:
        return
    try:
        if findings:
            note.write_text("\n".join(findings) + "\n", encoding="utf-8")
        else:
            note.unlink(missing_ok=True)
    except OSError:
        # a read-only folder or file system: the check still reports what it found
        pass


def refusal_pg(findings: str) -> StorageDamaged:
    first = findings.splitlines()[0] if findings else ""
    return StorageDamaged(
        "the database failed its storage check (bontot audit verify): nothing is written "
        f"until it is repaired and checked again ({first})",
        msgid="storage.damaged_pg", params={"finding": first},
    )


def refusal(note: Path) -> StorageDamaged:
    return StorageDamaged(
        f"the database file failed its integrity check (see {note}): nothing is written into "
        "it until it is repaired (restore a copy, then run audit verify again)",
        msgid="storage.damaged_file", params={"note": str(note)},
    )
