"""Terminal manners: on a terminal a long command draws a progress bar and logs lines for
a reader; piped, it draws nothing and logs JSON lines (a script's file holds no control
characters). The terminal is a real pseudo-terminal (pty) on the command's stderr."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

UNITS = "code,name,kind,type,parent_code,member_count\nT01,Tỉnh ủy mẫu,committee,other,,0\n" + (
    "".join(f"CB{i:03d},Chi bộ {i},grassroots_cell,village,T01,12\n" for i in range(40))
)


def bontot(*args: str, cwd: Path) -> list[str]:
    return [sys.executable, "-m", "adapters.cli.app", *args]


def on_a_terminal(
    args: list[str], cwd: Path, env: dict[str, str], stdout_too: bool = False
) -> tuple[int, str, bytes]:
    """Run `args` with stderr (and stdout, if `stdout_too`) on a pty: (exit code, stdout
    when piped, what the terminal received)."""
    leader, follower = pty.openpty()
    out = follower if stdout_too else subprocess.PIPE
    process = subprocess.Popen(
        args, cwd=cwd, env=env, stdout=out, stderr=follower, stdin=subprocess.DEVNULL
    )
    os.close(follower)
    seen = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 1.0)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the other side closed: the process is gone
                break
            if not chunk:
                break
            seen += chunk
        elif process.poll() is not None:
            break
    piped = process.stdout.read().decode() if process.stdout else ""
    code = process.wait(timeout=300)
    os.close(leader)
    return code, piped, seen


@pytest.fixture
def province(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    env = {**os.environ, "BONTOT_DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"}
    env.pop("BONTOT_LOG_FORMAT", None)
    (tmp_path / "units.csv").write_text(UNITS, encoding="utf-8")
    for step in (["init"], ["units", "import", "units.csv"]):
        done = subprocess.run(
            bontot(*step, cwd=tmp_path), cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
    return tmp_path, env


OPEN = ["cycle", "open", "--year", "2025", "--now", "2025-01-05"]


def test_opening_cycles_on_a_terminal_draws_a_bar_and_readable_logs(
    province: tuple[Path, dict[str, str]],
) -> None:
    folder, env = province
    code, out, seen = on_a_terminal(bontot(*OPEN, cwd=folder), folder, env)
    assert code == 0, seen.decode(errors="replace")
    assert "40" in out
    text = seen.decode(errors="replace")
    assert "Mở chu kỳ" in text  # the bar's label
    assert "40/40" in text  # the bar reached its end
    assert "\x1b[" in text  # drawn with the terminal's control sequences
    # the log line is for a reader, not a JSON object
    logged = [line for line in text.splitlines() if "cycles.opened" in line]
    assert logged and not logged[0].lstrip().startswith("{")


def test_piped_there_is_no_bar_and_the_logs_are_json_lines(
    province: tuple[Path, dict[str, str]],
) -> None:
    folder, env = province
    done = subprocess.run(
        bontot(*OPEN, cwd=folder), cwd=folder, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stderr and "\r" not in done.stderr
    assert "Mở chu kỳ" not in done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert any(line["event"] == "cycles.opened" for line in lines)


def test_json_logs_on_a_terminal_when_asked(province: tuple[Path, dict[str, str]]) -> None:
    folder, env = province
    code, _, seen = on_a_terminal(bontot("--log-format", "json", *OPEN, cwd=folder), folder, env)
    assert code == 0
    logged = [line for line in seen.decode().splitlines() if "cycles.opened" in line]
    assert json.loads(logged[0][logged[0].index("{") :])["opened"] == 40


def test_the_board_is_a_drawn_table_on_a_terminal_and_plain_text_piped(
    province: tuple[Path, dict[str, str]],
) -> None:
    folder, env = province
    opened = subprocess.run(bontot(*OPEN, cwd=folder), cwd=folder, env=env, capture_output=True)
    assert opened.returncode == 0
    status = ["status", "--year", "2025", "--now", "2025-01-06"]
    code, _, seen = on_a_terminal(bontot(*status, cwd=folder), folder, env, stdout_too=True)
    assert code == 0
    drawn = seen.decode()
    assert "│" in drawn and "┌" in drawn  # a table's borders
    assert "Chưa đăng ký" in drawn and "40" in drawn
    piped = subprocess.run(
        bontot(*status, cwd=folder), cwd=folder, env=env, capture_output=True, text=True
    )
    assert piped.returncode == 0
    assert "│" not in piped.stdout and "\x1b" not in piped.stdout
    assert "Chưa đăng ký" in piped.stdout
