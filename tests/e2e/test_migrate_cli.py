"""`bontot definitions migrate`, end to end on a real database (each backend): v2 of
a definition is deployed beside v1 while cycles run on v1, then the running cycles are
moved."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES
from tests.e2e.test_audit_cli import add_actor, as_actor
from tests.support import backends
from tests.support.cli import UNITS_CSV, Cli

VERSIONS = FIXTURES / "definitions" / "versions"
MIGRATE = ("definitions", "migrate", "review", "--from", "1", "--to", "2")


@pytest.fixture
def cli(tmp_path: Path, db_url: str) -> Cli:
    """Cycles of `review` v1 (the only version deployed): CB-THON1 a draft, DB-TRUONG-1
    reviewed, DB-TRUONG withdrawn (closed)."""
    # not "definitions": the CLI runs in tmp_path, where that name would shadow the package
    folder = tmp_path / "deployed"
    folder.mkdir()
    shutil.copy(VERSIONS / "review-v1.yaml", folder)
    runner = Cli(tmp_path, db_url)
    runner.env["BONTOT_DEFINITIONS"] = str(folder)
    runner("init")
    (tmp_path / "units.csv").write_text(UNITS_CSV, encoding="utf-8")
    runner("units", "import", "units.csv")
    opened = runner("cycle", "open", "--year", "2025", "--definition", "review",
                    "--now", "2025-01-05T08:00")
    assert "đã mở 3 chu kỳ năm" in opened.stdout and "(review v1)" in opened.stdout
    for unit, event, actor in [
        ("DB-TRUONG-1", "submit", "bithu"),
        ("DB-TRUONG-1", "review", "btc.x01"),
        ("DB-TRUONG", "withdraw", "bithu"),
    ]:
        runner("fire", unit, event, "--year", "2025", "--actor", actor, "--definition", "review",
               "--now", "2025-03-02T09:00")
    return runner


def deploy_v2(cli: Cli) -> None:
    shutil.copy(VERSIONS / "review-v2.yaml", Path(cli.env["BONTOT_DEFINITIONS"]))


def dump(cli: Cli) -> Any:
    return backends.dump(cli.url)


def test_running_cycles_move_to_a_newly_deployed_version(cli: Cli) -> None:
    unknown = cli(*MIGRATE, "--dry-run", ok=False)
    assert unknown.returncode == 3 and "phiên bản 2 không có trong cơ sở dữ liệu" in unknown.stderr

    deploy_v2(cli)
    before = dump(cli)
    bad = cli(*MIGRATE, "--map", "reviewed=nowhere", ok=False)
    assert bad.returncode == 1 and "'nowhere' is not a state of review v2" in bad.stderr
    dry = cli.json(*MIGRATE, "--map", "reviewed=checked", "--dry-run", "--now", "2025-04-01")
    assert dump(cli) == before
    assert dry["dry_run"] is True
    assert {c["unit"]: (c["status"], c["to_state"], c["reason"]) for c in dry["cycles"]} == {
        "CB-THON1": ("moved", "draft", None),
        "DB-TRUONG-1": ("moved", "checked", None),
        "DB-TRUONG": ("refused", None, "closed"),
    }
    assert dry["totals"] == {
        "selected": 3, "moved": 2, "refused": 1, "refused_by_reason": {"closed": 1},
    }
    assert dry["mapping"]["reviewed"] == "checked" and dry["explicit"] == ["reviewed"]

    real = cli.json(*MIGRATE, "--map", "reviewed=checked", "--now", "2025-04-01")
    assert real["cycles"] == dry["cycles"] and real["dry_run"] is False
    assert cli.rows(
        "SELECT u.code, c.definition_version, c.state FROM cycle c JOIN unit u "
        "ON u.id = c.unit_id ORDER BY u.code"
    ) == [("CB-THON1", 2, "draft"), ("DB-TRUONG", 1, "withdrawn"), ("DB-TRUONG-1", 2, "checked")]
    assert "toàn vẹn:" in cli("audit", "verify").stdout
    history = cli("history", "DB-TRUONG-1", "--year", "2025", "--lang", "en").stdout
    assert "Moved to another version" in history and "to_version: 2" in history

    # v2 decides what happens next: `check` is done, `close` follows
    closed = cli("fire", "DB-TRUONG-1", "close", "--year", "2025", "--actor", "btc.x01",
                 "--now", "2025-04-02T09:00", "--lang", "en")
    assert "Closed" in closed.stdout
    # nothing left on v1 but the closed cycle, said in the user's language
    again = cli(*MIGRATE, "--dry-run", "--lang", "en").stdout
    assert "DB-TRUONG" in again and "refused — the cycle is closed" in again
    assert "would move 0" in again
    vi = cli(*MIGRATE, "--dry-run").stdout
    assert "chu kỳ đã kết thúc" in vi


def test_once_actors_exist_only_an_administrator_migrates(cli: Cli) -> None:
    deploy_v2(cli)
    admin = add_actor(cli, "quantri", "--role", "administrator")
    secretary = add_actor(
        cli, "bithu", "--role", "unit_secretary", "--scope", "CB-THON1", "--by", "quantri",
        token=admin,
    )
    anonymous = cli(*MIGRATE, "--dry-run", ok=False)
    assert anonymous.returncode == 3 and "không có người dùng này" in anonymous.stderr
    not_admin = as_actor(cli, secretary, *MIGRATE, "--actor", "bithu", ok=False)
    assert "for administrators" in not_admin.stderr  # type: ignore[attr-defined]
    done = as_actor(cli, admin, *MIGRATE, "--actor", "quantri", "--map", "reviewed=checked")
    assert "chuyển 2; từ chối 1 (đã kết thúc: 1)" in done.stdout  # type: ignore[attr-defined]
    (actor, role) = cli.rows("SELECT actor, role FROM transition WHERE event = 'migrate'")[0]
    assert (actor, role) == ("quantri", "administrator")
