"""A new user's mistakes at the command line: each is told plainly, in Vietnamese unless
English is asked for, with its own exit code (0 done, 1 failure, 2 usage error, 3
refused, 4 not found), never with a traceback, and nothing changes."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from tests.support.cli import UNITS_CSV, bontot

USAGE, FAILURE, REFUSED, NOT_FOUND = 2, 1, 3, 4


class Shell:
    """`bontot` in a folder of its own, on one SQLite file, with no language set."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.file = folder / "bontot.db"
        self.url = f"sqlite:///{self.file}"
        self.env = {k: v for k, v in os.environ.items() if k not in ("BONTOT_LANG", "BONTOT_DEBUG")}
        self.env["BONTOT_DATABASE_URL"] = self.url

    def __call__(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return bontot(*args, env={**self.env, **env}, cwd=self.folder, timeout=120)

    def ok(self, *args: str, **env: str) -> str:
        done = self(*args, **env)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def rows(self) -> list[object]:
        with closing(sqlite3.connect(self.file)) as conn:
            return (
                conn.execute("SELECT * FROM cycle ORDER BY id").fetchall()
                + conn.execute("SELECT * FROM transition ORDER BY id").fetchall()
            )


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five units and their 2025 cycles, made once; each test works on its own copy."""
    shell = Shell(tmp_path_factory.mktemp("prepared"))
    shell.ok("init")
    (shell.folder / "units.csv").write_text(UNITS_CSV, encoding="utf-8")
    shell.ok("units", "import", "units.csv")
    shell.ok("cycle", "open", "--year", "2025", "--now", "2025-01-02")  # before any act
    with closing(sqlite3.connect(shell.file)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return shell.file


@pytest.fixture
def sh(tmp_path: Path, prepared: Path) -> Shell:
    shell = Shell(tmp_path)
    shutil.copyfile(prepared, shell.file)
    shutil.copyfile(prepared.parent / "units.csv", tmp_path / "units.csv")
    return shell


def said(done: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    """Exit `code`, each of `words` on stderr, and no traceback."""
    assert done.returncode == code, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr
    for word in words:
        assert word in done.stderr


def test_a_db_option_that_is_not_a_url_is_a_usage_error(sh: Shell) -> None:
    done = sh("status", "--db", "nope.db")
    said(done, USAGE, "--db nope.db", "không phải địa chỉ cơ sở dữ liệu", "sqlite:///nope.db")


def test_a_missing_database_file_is_not_found_and_not_created(sh: Shell) -> None:
    done = sh("status", "--db", f"sqlite:///{sh.folder / 'khong-co.db'}")
    said(done, NOT_FOUND, "không có tệp cơ sở dữ liệu", "bontot init")
    assert not (sh.folder / "khong-co.db").exists()


def test_an_unknown_language_is_refused_in_vietnamese(sh: Shell) -> None:
    said(sh("status", "--lang", "fr"), USAGE, "--lang fr", "chỉ có vi (tiếng Việt) hoặc en")
    said(sh("status", BONTOT_LANG="fr"), USAGE, "--lang fr")


def test_english_is_asked_for_by_option_or_environment(sh: Shell) -> None:
    said(sh("history", "NOPE", "--year", "2025", "--lang", "en"), NOT_FOUND, "unknown unit NOPE")
    said(sh("history", "NOPE", "--year", "2025", BONTOT_LANG="en"), NOT_FOUND, "unknown unit")
    assert "Recognised" in sh.ok("status", "--year", "2025", "--lang", "en")


def test_a_missing_file_to_import_is_not_found(sh: Shell) -> None:
    said(sh("units", "import", "khong-co.csv"), NOT_FOUND, "không có tệp", "khong-co.csv")


@pytest.mark.parametrize("now", ["0001-01-01", "9999-12-31T23:59", "hôm qua", "31/02/2025"])
def test_an_impossible_now_is_a_usage_error(sh: Shell, now: str) -> None:
    said(sh("status", "--now", now), USAGE, f"--now {now}")


@pytest.mark.parametrize("year", ["0", "-1", "9999", "10000", "năm"])
def test_cycle_open_refuses_a_year_out_of_range(sh: Shell, year: str) -> None:
    before = sh.rows()
    said(sh("cycle", "open", f"--year={year}"), USAGE, "--year", "Xem hướng dẫn: bontot cycle open")
    assert sh.rows() == before


def test_an_unknown_unit_is_said_as_such_not_as_a_missing_cycle(sh: Shell) -> None:
    done = sh("fire", "NOPE", "register", "--year", "2025", "--actor", "bt", "--data", "{}")
    said(done, NOT_FOUND, "không có đơn vị mã NOPE")
    assert "chu kỳ" not in done.stderr
    said(sh("history", "NOPE", "--year", "2025"), NOT_FOUND, "không có đơn vị mã NOPE")


def test_a_year_without_a_cycle_is_not_found(sh: Shell) -> None:
    done = sh("history", "CB-THON1", "--year", "2024")
    said(done, NOT_FOUND, "đơn vị CB-THON1 chưa có chu kỳ năm 2024", "bontot cycle open")


def test_an_unknown_definition_is_not_found(sh: Shell) -> None:
    done = sh("cycle", "open", "--year", "2026", "--definition", "khong-co")
    said(done, NOT_FOUND, "không có chương trình (định nghĩa) khong-co", "bon-tot")


def test_an_unknown_event_is_not_found(sh: Shell) -> None:
    before = sh.rows()
    done = sh("fire", "CB-THON1", "dang_ky", "--year", "2025", "--actor", "bt")
    said(done, NOT_FOUND, "không có sự kiện «dang_ky»")
    assert sh.rows() == before


def test_a_refusal_by_the_rules_is_said_with_the_definitions_labels(sh: Shell) -> None:
    before = sh.rows()
    done = sh("fire", "CB-THON1", "propose", "--year", "2025", "--actor", "bt")
    said(
        done, REFUSED,
        "không thực hiện được: CB-THON1 — Đề nghị công nhận",
        "trạng thái «Chưa đăng ký»", "chỉ được khi: Đã tự đánh giá",
    )  # fmt: skip
    first = done.stderr.strip().splitlines()[-1]
    for code_name in ("propose", "not_registered", "self_evaluated"):
        assert code_name not in first
    assert sh.rows() == before


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ("{plan: KH-1}", ["--data không phải JSON hợp lệ"]),
        ('{"plan": NaN}', ["NaN không phải một số"]),
        ('{"criteria": {"meetings": Infinity}}', ["Infinity không phải một số"]),
        ('["KH-1"]', ["--data phải là một đối tượng JSON"]),
    ],
)
def test_bad_json_in_data_is_a_usage_error(sh: Shell, data: str, words: list[str]) -> None:
    before = sh.rows()
    done = sh("fire", "CB-THON1", "register", "--year", "2025", "--actor", "bt", "--data", data)
    said(done, USAGE, *words)
    assert sh.rows() == before


@pytest.mark.parametrize("plan", ["", "   ", "\t"])
def test_a_blank_plan_is_no_plan(sh: Shell, plan: str) -> None:
    data = json.dumps({"plan": plan})
    done = sh("fire", "CB-THON1", "register", "--year", "2025", "--actor", "bt", "--data", data)
    said(done, REFUSED, "cần có: kế hoạch (số văn bản)")


def test_a_read_only_database_still_shows_status_and_verifies(sh: Shell) -> None:
    read_only = f"sqlite:///file:{sh.file}?mode=ro&uri=true"
    assert "Tình hình năm 2025" in sh.ok("status", "--year", "2025", "--db", read_only)
    assert sh.ok("audit", "verify", "--db", read_only).startswith("toàn vẹn:")
    before = sh.rows()
    done = sh("cycle", "open", "--year", "2026", "--db", read_only)
    said(done, FAILURE, "cơ sở dữ liệu chỉ đọc được", "không có gì thay đổi")
    assert sh.rows() == before


@contextmanager
def writing(file: Path) -> Iterator[None]:
    """Another writer holding the database's write lock."""
    with closing(sqlite3.connect(file, isolation_level=None)) as conn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")


def test_a_database_locked_by_another_writer_is_said_after_the_busy_timeout(sh: Shell) -> None:
    before = sh.rows()
    with writing(sh.file):
        done = sh(
            "fire", "CB-THON1", "register", "--year", "2025", "--actor", "bt",
            "--data", '{"plan": "KH-1"}', BONTOT_BUSY_TIMEOUT_MS="200",
        )  # fmt: skip
    said(done, FAILURE, "cơ sở dữ liệu đang bị một tiến trình khác ghi", "thử lại")
    assert sh.rows() == before


def test_a_file_that_is_not_a_database_is_said_so(sh: Shell) -> None:
    (sh.folder / "ghi-chu.db").write_text("không phải cơ sở dữ liệu\n", encoding="utf-8")
    done = sh("status", "--db", f"sqlite:///{sh.folder / 'ghi-chu.db'}")
    said(done, FAILURE, "không phải cơ sở dữ liệu của bontot")


def test_usage_errors_of_the_command_line_itself_are_vietnamese(sh: Shell) -> None:
    said(sh("khong-co-lenh"), USAGE, "Lỗi: không có lệnh «khong-co-lenh»", "bontot --help")
    said(sh("status", "--bogus"), USAGE, "không có tùy chọn --bogus")
    said(sh("fire", "CB-THON1"), USAGE, "thiếu tham số EVENT")
    said(sh("fire", "CB-THON1", "start", "--actor", "bt"), USAGE, "thiếu tùy chọn --year")
    said(sh("status", "--year", "hai"), USAGE, "--year phải là một số nguyên")


def test_the_self_evaluation_is_given_by_criterion_without_json(sh: Shell) -> None:
    fire = ("fire", "CB-THON1")
    sh.ok(*fire, "register", "--year", "2025", "--actor", "bt", "--data", '{"plan": "KH-1"}')
    sh.ok(*fire, "start", "--year", "2025", "--actor", "bt")
    (sh.folder / "tu-danh-gia.yaml").write_text(
        "criteria:\n  political_task: 96\n  meetings: 97\nchecklist:\n  development: true\n",
        encoding="utf-8",
    )
    shown = sh.ok(
        *fire, "self_evaluate", "--year", "2025", "--actor", "bt",
        "--from-file", "tu-danh-gia.yaml",
        "--criterion", "unity_discipline=95", "--criterion", "cadres_members=98.5",
        "--check", "members_sources",
    )  # fmt: skip
    assert "Tự đánh giá — Đang thực hiện → Đã tự đánh giá" in shown
    history = sh.ok("history", "CB-THON1", "--year", "2025", "--json")
    assert '"political_task": 96' in history and '"cadres_members": 98.5' in history
    assert '"development": true' in history and '"members_sources": true' in history


@pytest.mark.parametrize("given", ["meetings", "meetings=", "=95", "meetings=nhieu", "x=nan"])
def test_a_criterion_that_is_not_key_equals_score_is_a_usage_error(sh: Shell, given: str) -> None:
    done = sh("fire", "CB-THON1", "self_evaluate", "--year", "2025", "--actor", "bt",
              "--criterion", given)  # fmt: skip
    said(done, USAGE, f"--criterion {given}", "TIÊU_CHÍ=ĐIỂM")


def test_a_self_evaluation_file_that_is_missing_or_not_a_mapping(sh: Shell) -> None:
    fire = ("fire", "CB-THON1", "self_evaluate", "--year", "2025", "--actor", "bt")
    said(sh(*fire, "--from-file", "khong-co.yaml"), NOT_FOUND, "không có tệp khong-co.yaml")
    (sh.folder / "list.yaml").write_text("- 95\n- 96\n", encoding="utf-8")
    said(sh(*fire, "--from-file", "list.yaml"), USAGE, "tên: giá trị")
    (sh.folder / "nan.yaml").write_text("criteria:\n  meetings: .nan\n", encoding="utf-8")
    said(sh(*fire, "--from-file", "nan.yaml"), USAGE, "không phải một số")


def test_help_is_vietnamese_unless_english_is_asked_for(sh: Shell) -> None:
    assert "Bảng theo dõi: số chu kỳ theo trạng thái" in sh.ok("--help")
    shown = sh.ok("fire", "--help")
    assert "Điểm tự đánh giá một tiêu chí" in shown and "Địa chỉ cơ sở dữ liệu" in shown
    english = sh.ok("fire", "--help", "--lang", "en", COLUMNS="200")  # one line a help
    assert "A criterion's self-evaluated score" in english
    assert "The board: cycles by state" in sh.ok("--help", BONTOT_LANG="en")


def test_an_act_dated_before_the_cycles_last_record_is_refused(sh: Shell) -> None:
    """Before any actor exists `--now` may date an act (catching up on paper), but never
    before what the cycle already holds: its history keeps its order."""
    sh.ok("fire", "CB-THON1", "register", "--year", "2025", "--actor", "bt",
          "--data", '{"plan": "KH-1"}', "--now", "2025-03-02")  # fmt: skip
    before = sh.rows()
    done = sh("fire", "CB-THON1", "start", "--year", "2025", "--actor", "bt", "--now", "01/03/2025")
    assert done.returncode == 3
    assert "ghi thời điểm 01/03/2025 00:00, trước bản ghi cuối của chu kỳ (02/03/2025 00:00)" \
        in done.stderr
    assert sh.rows() == before
    sh.ok("fire", "CB-THON1", "start", "--year", "2025", "--actor", "bt", "--now", "03/03/2025")
