"""The layering holds: a pure core, commands that never reach the database, one
composition root, no module leaning on another's private names, no circle in the CLI.

Each rule is a function from source files to the violations found, run on the tree and
on a planted violation, so that a rule which silently stopped seeing anything fails too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "workflow"
ADAPTERS = ROOT / "adapters"
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
SOURCE_FILES = sorted([*CORE_FILES, *ADAPTERS.rglob("*.py")])
#: the constructors of the SQL unit of work, which only the composition root calls
SQL_ROOTS = {"SqlStore", "SqlUnitOfWork"}
COMPOSITION_ROOT = "adapters/bootstrap.py"
#: private names still imported across modules (none since the persistence split)
PENDING_PRIVATE: set[tuple[str, str, str]] = set()


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, root: Path = ROOT) -> set[str]:
    """Every module a file imports, anywhere in it (a function body's import counts):
    `from a.b import c` gives a.b and a.b.c (c may be a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path, root).rsplit(".", 1)[0] if path.name != "__init__.py" else (
        module_name(path, root)
    )
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def imported(path: Path) -> set[str]:
    return {name.split(".")[0] for name in imported_modules(path)}


def relative(path: Path, root: Path = ROOT) -> str:
    return path.relative_to(root).as_posix()


# -- the rules -------------------------------------------------------------------------
def core_importing_adapters(files: Iterable[Path], root: Path = ROOT) -> list[str]:
    return [
        f"{relative(p, root)} imports {name}"
        for p in files
        for name in sorted(imported_modules(p, root))
        if name == "adapters" or name.startswith("adapters.")
    ]


def commands_reaching_persistence(files: Iterable[Path], root: Path = ROOT) -> list[str]:
    return [
        f"{relative(p, root)} imports {name}"
        for p in files
        # the web board and the API call the services, as the commands do
        if relative(p, root).startswith(("adapters/cli/", "adapters/http/"))
        for name in sorted(imported_modules(p, root))
        if name == "adapters.persistence" or name.startswith("adapters.persistence.")
    ]


def private_imports(files: Iterable[Path], root: Path = ROOT) -> set[tuple[str, str, str]]:
    """(file, module, name) of each `from module import _name` of another module."""
    found = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module != "__future__":
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        found.add((relative(path, root), node.module or ".", alias.name))
    return found


def sql_roots_outside_bootstrap(files: Iterable[Path], root: Path = ROOT) -> list[str]:
    found = []
    for path in files:
        if relative(path, root) == COMPOSITION_ROOT:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name in SQL_ROOTS:
                    found.append(f"{relative(path, root)}:{node.lineno} builds {name}")
    return found


#: a module a maintainer can hold in mind at once; Alembic revisions are history, not code
MAX_LINES = 400


def oversized(files: Iterable[Path], root: Path = ROOT) -> list[str]:
    found = []
    for path in files:
        if "schema_migrations" in path.relative_to(root).parts:
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            found.append(f"{relative(path, root)} has {lines} lines")
    return found


def circles(files: Iterable[Path], package: str, root: Path = ROOT) -> list[list[str]]:
    """The import circles among the modules of `package` (each once, as a path)."""
    modules = {module_name(p, root): p for p in files if module_name(p, root).startswith(package)}
    edges = {
        name: sorted(m for m in imported_modules(path, root) if m in modules and m != name)
        for name, path in modules.items()
    }
    found: list[list[str]] = []
    seen: set[frozenset[str]] = set()

    def walk(node: str, trail: list[str]) -> None:
        for target in edges[node]:
            if target in trail:
                loop = trail[trail.index(target) :]
                if frozenset(loop) not in seen:
                    seen.add(frozenset(loop))
                    found.append([*loop, target])
            elif len(trail) < len(modules):
                walk(target, [*trail, target])

    for start in sorted(modules):
        walk(start, [start])
    return found


# -- on the tree -----------------------------------------------------------------------
@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: str(p.relative_to(CORE)))
def test_core_module_imports_nothing_impure(path: Path) -> None:
    assert not (imported(path) & FORBIDDEN)


def test_the_core_imports_nothing_from_the_adapters() -> None:
    assert core_importing_adapters(CORE_FILES) == []


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


def test_commands_import_no_persistence_module() -> None:
    assert commands_reaching_persistence(SOURCE_FILES) == []


def test_no_module_imports_another_modules_private_names() -> None:
    found = private_imports(SOURCE_FILES)
    assert found - PENDING_PRIVATE == set()
    assert PENDING_PRIVATE - found == set(), "fixed: take it off PENDING_PRIVATE"


def test_only_the_composition_root_builds_the_sql_store() -> None:
    assert sql_roots_outside_bootstrap(SOURCE_FILES) == []


def test_no_module_of_the_core_or_the_adapters_is_over_400_lines() -> None:
    assert oversized(SOURCE_FILES) == []


def test_the_command_line_package_has_no_import_circle() -> None:
    assert circles(SOURCE_FILES, "adapters.cli") == []


# -- each rule sees a planted violation ------------------------------------------------
def plant(root: Path, files: dict[str, str]) -> list[Path]:
    paths = []
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def test_the_rules_see_planted_violations(tmp_path: Path) -> None:
    files = plant(
        tmp_path,
        {
            "workflow/leak.py": "def f():\n    from adapters.clock import SystemClock\n",
            "adapters/cli/a_cmds.py": (
                "from adapters.cli import b_cmds\nfrom adapters.persistence.db import x\n"
            ),
            "adapters/cli/b_cmds.py": "def g():\n    from adapters.cli.a_cmds import y\n",
            "adapters/cli/c_cmds.py": "from adapters.persistence import store\n",
            "adapters/demo.py": "from adapters.cli.render import _words\nstore = SqlStore(e)\n",
            "adapters/bootstrap.py": "store = SqlStore(e)\n",
            "adapters/worker.py": "from . import store\nuow = store.SqlUnitOfWork(e)\n",
            "adapters/big.py": "x = 1\n" * 401,
            "adapters/persistence/schema_migrations/versions/0099_big.py": "x = 1\n" * 900,
        },
    )
    assert oversized(files, tmp_path) == ["adapters/big.py has 401 lines"]
    assert core_importing_adapters(files[:1], tmp_path) == [
        "workflow/leak.py imports adapters.clock",
        "workflow/leak.py imports adapters.clock.SystemClock",
    ]
    assert commands_reaching_persistence(files, tmp_path) == [
        "adapters/cli/a_cmds.py imports adapters.persistence.db",
        "adapters/cli/a_cmds.py imports adapters.persistence.db.x",
        "adapters/cli/c_cmds.py imports adapters.persistence",
        "adapters/cli/c_cmds.py imports adapters.persistence.store",
    ]
    assert private_imports(files, tmp_path) == {
        ("adapters/demo.py", "adapters.cli.render", "_words")
    }
    assert sql_roots_outside_bootstrap(files, tmp_path) == [
        "adapters/demo.py:2 builds SqlStore",
        "adapters/worker.py:2 builds SqlUnitOfWork",
    ]
    assert circles(files, "adapters.cli", tmp_path) == [
        ["adapters.cli.a_cmds", "adapters.cli.b_cmds", "adapters.cli.a_cmds"]
    ]
