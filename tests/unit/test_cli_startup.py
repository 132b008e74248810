"""A quick command line: `bontot --help` lists every command without importing any, and a
command imports only the libraries it needs (the heavy ones load where they are used)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.cli.app import ENTRIES, load_entry

CLI = Path(__file__).resolve().parents[2] / "adapters" / "cli"
#: libraries no start-up should pay for unless the command needs them
HEAVY = {
    "alembic", "apscheduler", "docx", "docxtpl", "fastapi", "httpx", "jinja2", "openpyxl",
    "uvicorn", "holidays", "mako", "starlette",
}  # fmt: skip

PROBE = """
import json, sys
sys.argv = ["bontot", *json.loads(sys.argv[1])]
from adapters.cli.app import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def modules_of(*args: str) -> set[str]:
    """The modules (dotted names) a `bontot ARGS` process had imported when it ended."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def imported_by(*args: str) -> set[str]:
    """The top-level modules (libraries, packages) a `bontot ARGS` process had imported."""
    return {name.split(".")[0] for name in modules_of(*args)}


def test_the_help_table_says_what_each_command_says_of_itself() -> None:
    for name, (_, line) in ENTRIES.items():
        assert load_entry(name).get_short_help_str(limit=500) == line, name


def test_every_command_of_the_command_modules_is_in_the_table() -> None:
    offered: set[str] = set()
    for path in CLI.glob("*_cmds.py"):
        module = importlib.import_module(f"adapters.cli.{path.stem}")
        offered |= set(getattr(module, "commands", {})) | set(getattr(module, "groups", {}))
    assert offered <= set(ENTRIES)
    assert all(ENTRIES[name][0] for name in offered)


def test_help_imports_no_command_and_no_heavy_library() -> None:
    found = imported_by("--help")
    assert not found & HEAVY
    assert not found & {"sqlalchemy", "sqlmodel", "pydantic", "structlog", "yaml"}


def test_status_imports_none_of_the_libraries_it_does_not_use(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'quick.db'}"
    made = subprocess.run(
        [sys.executable, "-m", "adapters.cli.app", "init", "--db", url],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    modules = modules_of("status", "--db", url, "--year", "2025")
    found = {name.split(".")[0] for name in modules}
    assert "sqlite3" in found  # it did read the database
    # a one-shot command opens its SQLite file with the driver alone
    assert not found & (HEAVY | {"sqlalchemy", "sqlmodel"})
    # its options (text, a year, a flag) are read without typer's Pydantic adapters
    assert "typer._adapters" not in modules


@pytest.mark.parametrize("args", [("--version",), ("--log-format", "json", "--help")])
def test_the_root_options_answer_without_a_database(args: tuple[str, ...]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "adapters.cli.app", *args],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("bontot 0.") or "Lệnh:" in done.stdout  # Vietnamese by default


def test_an_unknown_log_format_is_refused() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "adapters.cli.app", "--log-format", "xml", "status"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2
    assert "--log-format" in done.stderr and "Traceback" not in done.stderr


def test_options_read_plainly_still_refuse_what_is_not_their_kind(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'none.db'}"
    for year, lang, said in (
        ("hai", "vi", "Lỗi: --year phải là một số nguyên"),
        ("2025.5", "en", "Error: --year must be a whole number"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "adapters.cli.app", "status", "--year", year,
             "--db", url, "--lang", lang],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 2 and said in done.stderr, done.stderr
    assert not (tmp_path / "none.db").exists()


def test_a_bounded_option_names_its_bounds_in_the_users_language() -> None:
    for lang, said in (
        ("vi", "Lỗi: --batch-size phải trong khoảng từ 1 đến 10000"),
        ("en", "Error: --batch-size must be from 1 to 10000"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "adapters.cli.app", "bulk", "appraise", "--under", "T01",
             "--batch-size", "0", "--lang", lang],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 2 and said in done.stderr, done.stderr
        assert "Input should" not in done.stderr
