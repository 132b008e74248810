"""The time commands end to end: calendar, simulate on the demo's data, overdue,
milestones, tick. Expectations come from the calendar's facts, not from the code."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import holidays
import pytest

from tests.conftest import GOOD_EVALUATION
from tests.e2e.conftest import DemoRun
from tests.e2e.test_cli import RATINGS_CSV
from tests.support.backends import rows, tables
from tests.support.cli import UNITS_CSV, Cli, bontot
from workflow.timefmt import parse_user_date

TET_2026 = (date(2026, 2, 14), date(2026, 2, 22))  # the 2026 Tết break, both included


def is_working(day: date) -> bool:
    return day.weekday() < 5 and day not in holidays.country_holidays("VN", years=day.year)


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Any:
    done = bontot(*args, env=env, cwd=cwd, timeout=300)
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture
def demo_db(demo_run: DemoRun) -> str:
    return demo_run.url


@pytest.fixture(scope="session")
def simulated(demo_run: DemoRun) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = json.loads(
        run("simulate", "--year", "2025", "--db", demo_run.url, "--json").stdout
    )
    return items


def test_simulate_on_the_demo_lists_reminders_for_both_deadlines_on_working_days_only(
    simulated: list[dict[str, Any]],
) -> None:
    reminders = [i for i in simulated if i["kind"] == "reminder"]
    deadlines = {i["deadline"] for i in reminders}
    assert {"propose", "appraise"} <= deadlines
    for item in simulated:
        day = datetime.fromisoformat(item["at"]).date()
        assert is_working(day), item
        assert not TET_2026[0] <= day <= TET_2026[1], item
    propose = [i for i in reminders if i["deadline"] == "propose"]
    assert all(datetime.fromisoformat(i["at"]).date() <= date(2025, 12, 31) for i in propose)
    appraise = [i for i in reminders if i["deadline"] == "appraise"]
    assert all(datetime.fromisoformat(i["at"]).date() < date(2026, 2, 15) for i in appraise)


def test_simulate_escalations_climb_the_ladder_after_each_breach(
    simulated: list[dict[str, Any]],
) -> None:
    ladders: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for item in simulated:
        if item["kind"] == "escalation":
            ladders[(item["unit"], item["deadline"])].append(item)
    assert ladders, "the demo has late units: escalations were expected"
    climbed = [steps for steps in ladders.values() if len(steps) > 1]
    assert climbed, "no unit stayed late long enough to climb a second step"
    for steps in climbed:
        assert [s["step"] for s in steps] == sorted(s["step"] for s in steps)
        assert [s["at"] for s in steps] == sorted(s["at"] for s in steps)
    propose = [s for (u, d), steps in ladders.items() if d == "propose" for s in steps]
    roles = {s["step"]: s["recipient_role"] for s in propose}
    assert roles[1] == "superior_org_board" and roles[2] == "superior_standing_committee"
    # 01/01/2026 is a holiday: the first step after 31/12/2025 goes out on 02/01/2026
    first = {datetime.fromisoformat(s["at"]).date() for s in propose if s["step"] == 1}
    assert first == {date(2026, 1, 2)}


def _sent_items(url: str) -> list[tuple[Any, ...]]:
    """What the demo's outbox really sent, item by item, read from its rows: one entry per
    reminder or escalation a message showed (a collapsed one was not shown)."""
    items = []
    for created, address, role, data, sent in rows(
        url, "SELECT created_at, address, recipient_role, data, sent_at FROM outbox"
    ):
        assert sent is not None, (address, data)  # the demo delivers everything it composes
        at = datetime.fromisoformat(str(created)).replace(tzinfo=UTC)
        for item in json.loads(data)["items"]:
            if not item["collapsed"]:
                items.append(
                    (item["kind"], at, item["deadline"], item["unit_code"], address,
                     item.get("role", role), item["step"], item["late"])
                )  # fmt: skip
    return sorted(items, key=repr)


def test_simulate_replays_the_past_exactly_as_the_outbox_sent_it(demo_run: DemoRun) -> None:
    """The demo's year holds ratings, meetings and the reorganisation of 1/7/2025: its
    appraisals need the registers and its escalations before 1/7 went to the district."""
    done = run("simulate", "--year", "2025", "--db", demo_run.url, "--json")
    assert "bản sao từ chối" not in done.stderr  # no replayed event was refused
    sent = _sent_items(demo_run.url)
    last = max(item[1] for item in sent)
    simulated = sorted(
        (
            (i["kind"], datetime.fromisoformat(i["at"]).astimezone(UTC), i["deadline"],
             i["unit"], i["recipient"], i["recipient_role"], i["step"], i["late"])
            for i in json.loads(done.stdout)
            if i["kind"] != "digest" and datetime.fromisoformat(i["at"]) <= last
        ),
        key=repr,
    )  # fmt: skip
    assert len(sent) > 3000
    assert {i[0] for i in sent} == {"reminder", "escalation"}
    # escalations before the reorganisation reached the district's board
    assert any(i[0] == "escalation" and i[4] == "btc.t01-h01@example.vn" for i in sent)
    assert simulated == sent


def test_simulate_sends_nothing_and_changes_nothing(demo_db: str, tmp_path: Path) -> None:
    def content() -> Any:
        if demo_db.startswith("sqlite:///"):  # the file, byte for byte
            return Path(demo_db.removeprefix("sqlite:///")).read_bytes()
        return {t: sorted(rows(demo_db, f"SELECT * FROM {t}"), key=repr) for t in tables(demo_db)}

    before = content()
    text = run("simulate", "--year", "2025", "--db", demo_db, "--until", "31/12/2025").stdout
    assert content() == before
    assert "Đề nghị công nhận" in text
    assert "/2026" not in text.split("\n")[-1]  # --until cut it at the end of 2025


def test_calendar_shows_what_tet_moved(tmp_path: Path) -> None:
    text = run("calendar", "--year", "2025", "--lang", "en").stdout
    assert "15/02/2026" in text
    escalation = next(
        line for line in text.splitlines() if line.strip().startswith("23/02/2026")
    )
    assert "Tết" in escalation  # the first working day after the break, and why
    data = json.loads(run("calendar", "--year", "2025", "--json").stdout)
    for deadline in data["deadlines"]:
        for timer in deadline["timers"]:
            day = parse_user_date(timer["date"])
            assert is_working(day), timer


@pytest.fixture
def cli(tmp_path: Path, db_url: str) -> Cli:
    cli = Cli(tmp_path, db_url)
    (tmp_path / "units.csv").write_text(UNITS_CSV, encoding="utf-8")
    cli("init")
    cli("units", "import", "units.csv")
    return cli


def test_overdue_lists_late_units_until_they_move(cli: Cli) -> None:
    cli("cycle", "open", "--year", "2025", "--now", "2025-01-05T08:00")
    late = cli.json("overdue", "--year", "2025", "--now", "2025-04-02T09:00")
    assert {i["unit"]["code"] for i in late} == {"CB-THON1", "DB-TRUONG", "DB-TRUONG-1"}
    assert {i["deadline"] for i in late} == {"register"}
    assert all(i["days_late"] == 1 for i in late)
    cli(
        "fire", "CB-THON1", "register", "--year", "2025", "--actor", "bithu.thon1",
        "--data", '{"plan": "KH-05"}', "--now", "2025-04-03T09:00",
    )
    later = cli.json("overdue", "--year", "2025", "--now", "2025-04-03T10:00")
    assert "CB-THON1" not in {i["unit"]["code"] for i in later}


def test_tick_twice_at_the_same_instant_sends_nothing_the_second_time(cli: Cli) -> None:
    cli("cycle", "open", "--year", "2025", "--now", "2025-01-05T08:00")
    first = json.loads(cli("tick", "--now", "2025-03-17T09:00", "--json").stdout)
    second = json.loads(cli("tick", "--now", "2025-03-17T09:00", "--json").stdout)
    assert first["timers_fired"] > 0 and first["sent"] > 0
    # the units with no secretary's contact are parked as "no recipient", never sent
    assert first["sent"] + first["parked"] == first["messages_composed"]
    parked = json.loads(cli("outbox", "--json").stdout)["parked_items"]
    assert len(parked) == first["parked"]
    assert all(p["error"].startswith("no recipient: ") for p in parked)
    assert (second["timers_fired"], second["messages_composed"], second["sent"]) == (0, 0, 0)
    history = json.loads(cli("history", "CB-THON1", "--year", "2025", "--json").stdout)
    assert [n["kind"] for n in history["notices"]] == ["reminder"]
    assert history["notices"][0]["address"] == "bithu.thon1@example.vn"
    assert history["notices"][0]["delivery"] == "sent"  # on the log channel


def test_a_milestone_is_reminded_until_kept(tmp_path: Path, db_url: str) -> None:
    cli = Cli(tmp_path, db_url)
    (tmp_path / "units.csv").write_text(
        "code,name,kind,type,parent_code,member_count,contact_district_standing_committee\n"
        "T01,Tỉnh ủy mẫu,committee,other,,0,\n"
        "H01,Huyện ủy mẫu,committee,other,T01,0,btv.h01@example.vn\n"
        "CB-1,Chi bộ 1,grassroots_cell,village,H01,12,\n",
        encoding="utf-8",
    )
    cli("init")
    cli("units", "import", "units.csv")
    cli(
        "cycle", "open", "--year", "2025", "--definition", "bon-tot-003-province-2023",
        "--now", "2025-01-05T08:00",
    )
    tick = json.loads(cli("tick", "--now", "2025-06-16T09:00", "--json").stdout)
    assert tick["timers_fired"] >= 1  # the district's six-monthly review, -10 working days
    cli(
        "milestone", "done", "H01", "interim_review_h1", "--year", "2025",
        "--definition", "bon-tot-003-province-2023", "--actor", "btv.h01",
        "--now", "2025-06-20T10:00",
    )
    cli("tick", "--now", "2025-07-10T09:00", "--json")
    late = cli.json("overdue", "--year", "2025", "--now", "2025-07-10T09:00")
    assert "interim_review_h1" not in {i["deadline"] for i in late if i["milestone"]}
    # kept on 20/06: the -3 working days reminder (25/06) and the escalation never went
    sent = cli.rows(
        "SELECT kind, step, address FROM notice WHERE deadline = 'interim_review_h1'"
    )
    assert sent == [("reminder", 1, "btv.h01@example.vn")]
    again = cli(
        "milestone", "done", "H01", "interim_review_h1", "--year", "2025",
        "--definition", "bon-tot-003-province-2023", "--actor", "btv.h01", ok=False,
    )
    assert again.returncode == 3 and "interim_review_h1" in again.stderr


def test_simulate_says_when_its_copy_cannot_replay_what_happened(cli: Cli) -> None:
    """Thôn 1 was appraised on its 12 members' ratings; the register was corrected after
    (eight of them not completed): the copy, holding the register as it is now, refuses
    that appraisal, so its past is not what was sent, and simulate says so."""
    cli("cycle", "open", "--year", "2025", "--now", "2025-01-05")
    (cli.folder / "xep-loai-2025.csv").write_text(RATINGS_CSV, encoding="utf-8-sig")
    cli("ratings", "import", "xep-loai-2025.csv", "--year", "2025")
    evaluation = ["--data", json.dumps(GOOD_EVALUATION)]
    steps = [
        ("register", "bithu.thon1", "2025-02-20T09:00", ["--data", '{"plan": "KH-05/KH-CB"}']),
        ("start", "bithu.thon1", "2025-02-21T09:00", []),
        ("self_evaluate", "bithu.thon1", "2025-12-10T09:00", evaluation),
        ("propose", "bithu.thon1", "2025-12-28T15:30", []),
        ("appraise", "btc.x01", "2026-01-20T10:00", []),
    ]  # fmt: skip
    for event, actor, now, extra in steps:
        cli("fire", "CB-THON1", event, "--year", "2025", "--actor", actor, "--now", now, *extra)
    exact = cli("simulate", "--year", "2025", "--json")
    assert "bản sao từ chối" not in exact.stderr

    corrected = RATINGS_CSV.replace("Hoàn thành tốt nhiệm vụ", "Không hoàn thành nhiệm vụ")
    (cli.folder / "sua-xep-loai.csv").write_text(corrected, encoding="utf-8-sig")
    cli("ratings", "import", "sua-xep-loai.csv", "--year", "2025")
    done = cli("simulate", "--year", "2025", "--json", ok=False)
    assert done.returncode == 1, done.stderr
    assert "bản sao từ chối CB-THON1 «" in done.stderr
    assert "mô phỏng không khớp với những gì đã diễn ra: bản sao từ chối 1 sự kiện" in done.stderr
    assert json.loads(done.stdout)  # the schedule is still printed, for what it is worth
    assert "Traceback" not in done.stderr
