"""The core stays pure: no adapters, SQL, scheduler, network or wall clock in workflow/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "workflow"
FORBIDDEN = {
    "adapters",
    "sqlalchemy",
    "sqlmodel",
    "sqlite3",
    "psycopg",
    "apscheduler",
    "httpx",
    "requests",
    "socket",
    "smtplib",
    "urllib",
    "http",
    "structlog",
    "logging",
    "typer",
    "os",
    "subprocess",
}
CORE_FILES = sorted(CORE.rglob("*.py"))


def imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: str(p.relative_to(CORE)))
def test_core_module_imports_nothing_impure(path: Path) -> None:
    assert not (imported(path) & FORBIDDEN)


def test_only_the_runtime_module_imports_transitions() -> None:
    users = {p.relative_to(CORE).as_posix() for p in CORE_FILES if "transitions" in imported(p)}
    assert users == {"runtime/machine.py"}


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: str(p.relative_to(CORE)))
def test_core_never_reads_the_wall_clock(path: Path) -> None:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in {"now", "utcnow", "today", "time"}:
            owner = node.value
            name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
            assert name not in {"datetime", "date", "time"}, f"{path}:{node.lineno}"
