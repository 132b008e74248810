"""`bontot db upgrade`, `bontot db current` and `bontot init` end to end: the file
release 7a2cb4e left is upgraded in place, and today's code reads it and acts on it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from adapters.persistence import schema
from tests.support.cli import Cli
from tests.support.schema_db import LEGACY_TOKEN, dated, deadline_years, end_of_day, legacy_sqlite


def everything(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: conn.execute(f'SELECT * FROM "{t}" ORDER BY rowid').fetchall() for t in tables}


class FileCli(Cli):
    """The CLI on a SQLite file of its own: these tests are about files releases made."""

    def __init__(self, folder: Path) -> None:
        self.db = folder / "cli.db"
        super().__init__(folder, f"sqlite:///{self.db}")


def log_events(stderr: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


@pytest.fixture
def legacy(tmp_path: Path) -> FileCli:
    runner = FileCli(tmp_path)
    legacy_sqlite(runner.db)
    return runner


def test_the_file_of_release_7a2cb4e_upgrades_in_place_and_keeps_working(legacy: FileCli) -> None:
    head = schema.head()
    before = everything(legacy.db)
    files = create_engine(f"sqlite:///{legacy.db}")
    years = deadline_years(files)
    files.dispose()
    assert "nhận ra là 0001" in legacy("db", "current").stdout

    upgraded = legacy("db", "upgrade")

    assert f"0001 -> {head}" in upgraded.stdout
    events = {e["event"]: e for e in log_events(upgraded.stderr)}
    assert events["schema.stamped"]["revision"] == "0001"
    upgrade_log = events["schema.upgraded"]
    assert (upgrade_log["from_revision"], upgrade_log["to_revision"]) == ("0001", head)
    after = everything(legacy.db)
    # every row as it was, but for the deadlines that now end with their day (0005);
    # the audit-event chain gains its baseline fact (0007); an actor its password (0008,
    # none set)
    expected = end_of_day(before)
    expected["actor"] = [(*row, None) for row in expected["actor"]]
    # notices gain their place in a unit's chain (0011): none, they stay in the global one
    expected["notice"] = [(*row, None) for row in expected["notice"]]
    # units gain the day they ended (0009): none has
    expected["unit"] = [(*row, None) for row in expected["unit"]]
    # a message gains the instant a retry readdressed it (0013): none was
    expected["outbox"] = [(*row, None) for row in expected["outbox"]]
    # deadlines gain their cycle's year and whether it is closed (0014)
    expected["deadline"] = dated(expected["deadline"], years)
    assert {t: after[t] for t in before if t not in ("audit_event", "timer")} == {
        t: rows for t, rows in expected.items() if t not in ("audit_event", "timer")
    }
    # the timers that could no longer fire are gone (0010); every one kept is as it was
    assert set(after["timer"]) < set(expected["timer"])
    assert after["audit_event"][:-1] == expected["audit_event"]
    assert after["audit_event"][-1][2] == "baseline"
    assert set(after) - set(before) == {
        "alembic_version", "rating", "target", "meeting", "unit_place", "inspector_key",
        "storage_damage", "notice_chain",
    }
    assert legacy.json("db", "current") == {
        "revision": head, "recognised": None, "head": head, "up_to_date": True,
    }

    # today's code reads what the old one wrote ...
    status = legacy.json("status", "--year", "2025")
    counts = {(s["definition"], s["state"]): s["count"] for s in status["states"]}
    assert counts[("bon-tot", "appraised")] == 1 and counts[("bon-tot", "returned")] == 1
    history = legacy.json("history", "CB-THON1", "--year", "2025", "--definition", "bon-tot")
    assert [e["event"] for e in history["entries"]] == [
        "open", "register", "start", "self_evaluate", "propose", "appraise",
    ]
    legacy.env["BONTOT_TOKEN"] = LEGACY_TOKEN
    # 71 records, and the baseline fact the upgrade chained
    verified = legacy("audit", "verify").stdout
    assert "toàn vẹn: 72 bản ghi trong 10 chuỗi; 9 dòng sổ theo dõi khớp" in verified

    # ... and acts on it: the old administrator adds an actor, who recognises the cell
    token = legacy(
        "actors", "add", "btv.x01", "--role", "superior_standing_committee", "--scope", "X01",
        "--by", "quantri",
    ).stdout.strip().splitlines()[-1]
    legacy.env["BONTOT_TOKEN"] = token
    fired = legacy(
        "fire", "CB-THON1", "recognize", "--year", "2025", "--definition", "bon-tot",
        "--actor", "btv.x01", "--data", '{"decision": "125-QĐ/ĐU"}', "--json",
    )
    assert json.loads(fired.stdout)["applied"] is True
    assert len(legacy.rows("SELECT * FROM transition")) == len(before["transition"]) + 1
    # the chains go on from the old records: the actor's addition and the recognition
    # (in encoding version 2 after the old records: the baseline, the addition, the
    # recognition), and the new actor follows from its fact
    assert "toàn vẹn: 74 bản ghi trong 10 chuỗi; 10 dòng sổ theo dõi khớp" in legacy(
        "audit", "verify"
    ).stdout
    with sqlite3.connect(legacy.db) as conn, pytest.raises(sqlite3.DatabaseError, match="append"):
        conn.execute("DELETE FROM transition")
    assert len(legacy.rows("SELECT * FROM transition")) == len(before["transition"]) + 1


def test_init_on_an_old_file_upgrades_it_too(legacy: FileCli) -> None:
    done = legacy("init")
    assert "đã khởi tạo cơ sở dữ liệu" in done.stdout
    assert [e["event"] for e in log_events(done.stderr)][:2] == [
        "schema.stamped", "schema.upgraded",
    ]
    assert legacy.json("db", "current")["up_to_date"] is True


def test_a_fresh_init_is_at_head_and_a_second_upgrade_does_nothing(tmp_path: Path) -> None:
    cli = FileCli(tmp_path)
    assert "ở đây không có lược đồ bontot" in cli("db", "current").stdout
    first = cli("init")
    assert [e["event"] for e in log_events(first.stderr)] == ["schema.upgraded"]
    assert cli("db", "current").stdout.strip() == f"{schema.head()} (mới nhất)"
    before = everything(cli.db)
    again = cli("db", "upgrade")
    assert "không có gì phải làm" in again.stdout
    assert [e["event"] for e in log_events(again.stderr)] == ["schema.unchanged"]
    assert everything(cli.db) == before


def test_upgrade_to_a_named_revision_and_refusals(tmp_path: Path) -> None:
    cli = FileCli(tmp_path)
    assert "trống -> 0001" in cli("db", "upgrade", "--to", "0001").stdout
    assert cli("db", "current").stdout.strip() == f"0001 (mới nhất là {schema.head()})"
    assert f"0001 -> {schema.head()}" in cli("db", "upgrade", "--db", f"sqlite:///{cli.db}").stdout
    back = cli("db", "upgrade", "--to", "0001", ok=False)
    assert back.returncode == 1 and "never goes back" in back.stderr
    odd = FileCli(tmp_path / "odd")
    odd.folder.mkdir()
    with sqlite3.connect(odd.db) as conn:
        conn.execute("CREATE TABLE cycle (id INTEGER PRIMARY KEY)")
    refused = odd("db", "upgrade", ok=False)
    assert refused.returncode == 1 and "cannot recognise" in refused.stderr
    assert "lacks" in refused.stderr and "audit_event" in refused.stderr
