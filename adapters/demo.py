"""`bontot demo`: a sample province, its 2025 cycle driven through the year on a virtual
clock, with the mix real life has: on time, late, returned for revision, not recognised,
never registered. Deterministic for a given seed."""

from __future__ import annotations

import math
import os
import random
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from adapters import bootstrap, logs
from adapters.cli import render
from adapters.identity import hash_token, issue_token
from adapters.persistence.store import SqlStore
from workflow.access import ADMINISTRATOR, Grant
from workflow.clock import VirtualClock
from workflow.deadlines import resolve_deadlines
from workflow.errors import BontotError
from workflow.evidence.ratings import Level, RatingRecord
from workflow.notices import Message
from workflow.service.auditing import verify_store
from workflow.service.engine import Engine
from workflow.spec.registry import Definition
from workflow.timefmt import LOCAL_TZ, show_date
from workflow.units import UnitRow

DEFINITION = "bon-tot"


@dataclass(frozen=True)
class RuleWords:
    """The recognition rule's criteria and, under criterion 1, the sub-criteria every
    organisation type adds (seed 002 §II.1.1.b): what a self-evaluation scores and ticks."""

    criteria: tuple[str, ...]
    sub_criteria: tuple[str, ...]

    @classmethod
    def of(cls, definition: Definition) -> RuleWords:
        criteria = definition.spec.rules["recognition"]["criteria"]
        return cls(
            tuple(criteria["keys"]),
            tuple(key for items in criteria["checklist"]["by_type"].values() for key in items),
        )

COMMUNES = ("Phường Hòa Bình", "Xã Tân Lập", "Xã Đông Hưng", "Phường Thống Nhất")
PLACES = (
    "thôn Trung",
    "thôn Đông",
    "khu phố 3",
    "Trường THCS",
    "Trạm y tế",
    "Công ty Cổ phần May",
    "Hợp tác xã",
    "Ban Chỉ huy Quân sự",
    "Công an",
    "Trường Tiểu học",
    "tổ dân phố 5",
    "thôn Bắc",
)


def fresh_demo_url(explicit: str | None) -> str:
    """The URL given (it must hold no units yet), or a new file in the current directory."""
    if explicit or os.environ.get("BONTOT_DATABASE_URL"):
        return bootstrap.database_url(explicit)
    path = Path("bontot-demo.db")
    n = 2
    while path.exists():
        path = Path(f"bontot-demo-{n}.db")
        n += 1
    return f"sqlite:///{path}"


def sample_province(rng: random.Random) -> tuple[list[UnitRow], dict[str, int]]:
    """A province committee, four commune committees, ~200 grassroots organisations."""
    rows = [
        UnitRow(
            "T01",
            "Đảng bộ tỉnh (mẫu)",
            "committee",
            "other",
            None,
            0,
            {"superior_org_board": "bantochuc@tinh.example.vn"},
        )
    ]
    members: dict[str, int] = {}
    for c, commune in enumerate(COMMUNES, start=1):
        ccode = f"T01-X{c:02d}"
        rows.append(
            UnitRow(
                ccode,
                f"Đảng bộ {commune}",
                "committee",
                "village",
                "T01",
                0,
                {
                    "superior_org_board": f"btc.{ccode.lower()}@example.vn",
                    "superior_standing_committee": f"btv.{ccode.lower()}@example.vn",
                },
            )
        )
        for g in range(1, 51):
            gcode = f"{ccode}-{g:02d}"
            org_type = rng.choice(
                ("administrative", "village", "village", "enterprise", "armed_forces")
            )
            place = f"{rng.choice(PLACES)} {g}"
            contact = {"unit_secretary": f"bithu.{gcode.lower()}@example.vn"}
            if rng.random() < 0.4:
                cells = rng.randint(3, 5)
                total = 0
                rows.append(
                    UnitRow(
                        gcode,
                        f"Đảng bộ {place}",
                        "grassroots_committee",
                        org_type,
                        ccode,
                        0,
                        contact,
                    )
                )
                for k in range(1, cells + 1):
                    kcode = f"{gcode}-{k}"
                    size = rng.randint(5, 30)
                    total += size
                    members[kcode] = size
                    rows.append(
                        UnitRow(
                            kcode,
                            f"Chi bộ {k} – {place}",
                            "subordinate_cell",
                            org_type,
                            gcode,
                            size,
                            {"unit_secretary": f"bithu.{kcode.lower()}@example.vn"},
                        )
                    )
                members[gcode] = total
                rows[-cells - 1] = UnitRow(
                    gcode,
                    f"Đảng bộ {place}",
                    "grassroots_committee",
                    org_type,
                    ccode,
                    total,
                    contact,
                )
            else:
                size = rng.randint(6, 40)
                members[gcode] = size
                rows.append(
                    UnitRow(
                        gcode, f"Chi bộ {place}", "grassroots_cell", org_type, ccode, size, contact
                    )
                )
    return rows, members


@dataclass(order=True)
class Step:
    at: datetime
    order: int
    unit: str = field(compare=False)
    event: str = field(compare=False)
    role: str = field(compare=False)
    actor: str = field(compare=False)
    payload: dict[str, Any] = field(compare=False, default_factory=dict)


def _at(rng: random.Random, start: date, end: date) -> datetime:
    day = start + timedelta(days=rng.randint(0, (end - start).days))
    return datetime(
        day.year, day.month, day.day, rng.randint(8, 16), rng.randint(0, 59), tzinfo=LOCAL_TZ
    )


def _evaluation(
    rng: random.Random, strong: bool, weak_ratings: bool, words: RuleWords
) -> dict[str, Any]:
    """The secretary's self-evaluation: the four criteria's scores and the evidence."""
    criteria: dict[str, float] = {
        k: rng.choice((95, 96, 97, 98, 99, 100)) for k in words.criteria
    }
    if not strong and not weak_ratings:
        criteria[rng.choice(words.criteria)] = rng.choice((88, 90, 93, 94.5))
    report = f"BC-{rng.randint(100, 999)}/BC-CB"
    return {
        # each score with the documents behind it
        "criteria": {
            k: {"score": v, "evidence": [report, f"bien-ban-sinh-hoat-q{rng.randint(1, 4)}.pdf"]}
            for k, v in criteria.items()
        },
        "checklist": dict.fromkeys(words.sub_criteria, True),
    }


def _levels(rng: random.Random, size: int, good_enough: bool) -> list[Level]:
    """Members' ratings: 80 % or more good (excellent within 20 % of them), or too few."""
    good = rng.randint(math.ceil(size * 0.8), size) if good_enough else int(
        size * rng.uniform(0.5, 0.78)
    )
    excellent = rng.randint(0, good // 5)
    levels: list[Level] = ["excellent"] * excellent
    return levels + ["good"] * (good - excellent) + ["completed"] * (size - good)


def _register(
    rng: random.Random, unit: UnitRow, size: int, good_enough: bool, year: int
) -> list[RatingRecord]:
    """A cell's members as the member registry exports them, with final ratings."""
    rated_on = date(year + 1, 1, rng.randint(5, 12))
    records = [
        RatingRecord(unit.code, f"{unit.code}-DV{i:03d}", f"Đảng viên {i}", "active",
                     date(rng.randint(1985, 2020), rng.randint(1, 12), 1), level, "final",
                     rated_on)
        for i, level in enumerate(_levels(rng, size, good_enough), start=1)
    ]
    if rng.random() < 0.3:  # someone exempt from activities: not rated, not counted
        records.append(RatingRecord(unit.code, f"{unit.code}-DV900", "Đảng viên cao tuổi",
                                    "exempt", date(1970, 5, 19), None, "final", None))
    return records


def plan_year(
    rng: random.Random,
    units: list[UnitRow],
    members: dict[str, int],
    year: int,
    words: RuleWords,
) -> tuple[list[Step], list[RatingRecord]]:
    """What each unit does and when, drawn from a realistic mix, and the ratings register
    the member registry will export in January."""
    steps: list[Step] = []
    register: list[RatingRecord] = []
    cells_of: dict[str, list[str]] = {}
    for unit in units:
        if unit.kind == "subordinate_cell" and unit.parent_code is not None:
            cells_of.setdefault(unit.parent_code, []).append(unit.code)
    n = 0

    def add(
        at: datetime, unit: UnitRow, event: str, role: str, payload: dict[str, Any] | None = None
    ) -> None:
        nonlocal n
        n += 1
        superior = unit.parent_code or unit.code
        actor = {
            "unit_secretary": f"bithu.{unit.code}",
            "superior_org_board": f"btc.{superior}",
            "superior_standing_committee": f"btv.{superior}",
        }[role]
        steps.append(Step(at, n, unit.code, event, role, actor, payload or {}))

    nxt = year + 1
    for unit in units:
        if unit.kind == "committee":
            continue
        size = members.get(unit.code, 10)
        luck = rng.random()
        if luck < 0.04:  # never registers: closed by the superior after the deadline
            add(
                _at(rng, date(year, 4, 10), date(year, 4, 30)),
                unit,
                "lapse",
                "superior_org_board",
                {"reason": "Không đăng ký xây dựng mô hình"},
            )
            continue
        late_register = rng.random() < 0.08
        registered = (
            _at(rng, date(year, 4, 1), date(year, 4, 25))
            if late_register
            else _at(rng, date(year, 2, 10), date(year, 3, 28))
        )
        add(
            registered,
            unit,
            "register",
            "unit_secretary",
            {
                "plan": f"KH-{rng.randint(1, 99):02d}/KH-CB",
                "meeting": registered.date().isoformat(),
            },
        )
        add(registered + timedelta(days=3), unit, "start", "unit_secretary")
        strong = rng.random() < 0.82
        weak_ratings = not strong and rng.random() < 0.5
        if unit.kind == "grassroots_committee":
            # judged on its cells' own ratings: all completed or better, 80 % good
            cells = cells_of.get(unit.code, [])
            short = 0 if not weak_ratings else max(1, math.ceil(len(cells) * 0.21))
            register += [
                RatingRecord(cell, "", "", "active", None,
                             "completed" if i < short else "good", "final", date(nxt, 1, 14))
                for i, cell in enumerate(cells)
            ]
        else:
            register += _register(rng, unit, size, not weak_ratings, year)
        if unit.kind != "subordinate_cell":  # a subordinate cell's own: set with its committee
            register.append(RatingRecord(unit.code, "", "", "active", None,
                                         "good" if strong else "completed", "final",
                                         date(nxt, 1, 20)))
        evaluated = _at(rng, date(year, 12, 1), date(year, 12, 24))
        add(evaluated, unit, "self_evaluate", "unit_secretary",
            _evaluation(rng, strong, weak_ratings, words))
        late = rng.random() < 0.12
        proposed = (
            _at(rng, date(nxt, 1, 3), date(nxt, 1, 20))
            if late
            else _at(rng, date(year, 12, 26), date(year, 12, 30))
        )
        add(proposed, unit, "propose", "unit_secretary")
        appraised = _at(rng, date(nxt, 1, 22), date(nxt, 2, 10))
        if rng.random() < 0.10:  # returned for revision, corrected and proposed again
            add(
                proposed + timedelta(days=7),
                unit,
                "return_for_revision",
                "superior_org_board",
                {"reason": "Thiếu biên bản sinh hoạt chuyên đề quý III"},
            )
            add(
                proposed + timedelta(days=12),
                unit,
                "self_evaluate",
                "unit_secretary",
                _evaluation(rng, strong, weak_ratings, words),
            )
            add(proposed + timedelta(days=13), unit, "propose", "unit_secretary")
            appraised = max(appraised, proposed + timedelta(days=15))
        if strong:
            add(appraised, unit, "appraise", "superior_org_board")
            decided = _at(rng, date(nxt, 2, 24), date(nxt, 3, 12))
            if rng.random() < 0.04:
                add(
                    decided,
                    unit,
                    "refuse",
                    "superior_standing_committee",
                    {"reason": "Đơn vị để xảy ra vi phạm kỷ luật trong năm"},
                )
            else:
                add(
                    decided,
                    unit,
                    "recognize",
                    "superior_standing_committee",
                    {"decision": f"{rng.randint(100, 999)}-QĐ/ĐU"},
                )
        else:
            add(appraised, unit, "appraise", "superior_org_board")  # refused by the rule
            add(
                appraised + timedelta(hours=1),
                unit,
                "reject",
                "superior_org_board",
                {"reason": "Chưa đạt tiêu chuẩn công nhận (mục II.2.2)"},
            )
        add(_at(rng, date(nxt, 3, 13), date(nxt, 3, 14)), unit, "report", "superior_org_board")
    return sorted(steps), register


def _checkpoint(service: Engine, definition: Definition, year: int, key: str, lang: str) -> str:
    """One line as a deadline passes: how many units missed it."""
    board = service.board(year)
    deadline = definition.spec.deadlines[key]
    missed = board.overdue.get(key, 0)
    when = show_date(service.clock.now())
    if lang == "en":
        return f"  {when}: deadline '{deadline.label.en}' passed — {missed} units overdue"
    return f"  {when}: hết hạn «{deadline.label.vi}» — {missed} đơn vị quá hạn"


class _Nowhere:
    """The demo's notifier: every message is accepted and goes nowhere."""

    def send(self, message: Message) -> None:
        return None


def _notice_counts(messages: list[tuple[datetime, Message]]) -> dict[str, int]:
    counts = {"reminder": 0, "escalation": 0, "digest": 0}
    for _at, message in messages:
        items = [i for i in message.data["items"] if not i["collapsed"]]
        counts["digest"] += len(items) > 1
        for item in items:
            counts[item["kind"]] += 1
    return counts


def _notices_line(counts: dict[str, int], messages: int, lang: str) -> str:
    if lang == "en":
        return (
            f"notifications: {counts['reminder']} reminders and {counts['escalation']} "
            f"escalations in {messages} messages ({counts['digest']} digests), "
            "on working days only, delivered to nowhere"
        )
    return (
        f"thông báo: {counts['reminder']} nhắc hạn và {counts['escalation']} cảnh báo quá hạn "
        f"trong {messages} thư ({counts['digest']} thư tổng hợp), chỉ vào ngày làm việc "
        "(bản chạy thử không gửi đi đâu)"
    )


def _create_actors(store: SqlStore, plan: list[Step], at: datetime) -> dict[str, Grant]:
    """An administrator, and every secretary, board and standing committee the year's
    plan has acting, each scoped to its unit or committee (actor names end with its code)."""
    wanted = {(step.actor, step.role) for step in plan}
    # Demo tokens are printed nowhere and thrown away: a light scrypt cost keeps the demo
    # in seconds (the CLI's `actors add` uses the full cost).
    rows: list[tuple[str, str, str, str | None, str]] = [
        ("quantri.demo", "Quản trị (demo)", ADMINISTRATOR, None,
         hash_token(issue_token(), cost=2**10)),
    ]  # fmt: skip
    rows += [
        (actor, "", role, actor.split(".", 1)[1], hash_token(issue_token(), cost=2**10))
        for actor, role in sorted(wanted)
    ]
    store.add_actors(rows, at, "quantri.demo")
    grants = {}
    for actor, _role in wanted:
        found = store.find_actor(actor)
        assert found is not None
        grants[actor] = found[0]
    return grants


def _audit_line(actors: int, records: int, chains: int, ok: bool, lang: str) -> str:
    verdict = ("ok" if ok else "BROKEN") if lang == "en" else ("toàn vẹn" if ok else "BỊ SỬA")
    if lang == "en":
        return (
            f"audit trail: {actors} actors with scoped roles; {records} records in {chains} "
            f"hash chains, verified: {verdict}"
        )
    return (
        f"nhật ký kiểm tra: {actors} người dùng theo vai trò và phạm vi; {records} bản ghi "
        f"trong {chains} chuỗi băm, kiểm tra: {verdict}"
    )


def run_demo(url: str, year: int = 2025, seed: int = 2025, lang: str = "vi") -> str:
    started = time.perf_counter()
    rng = random.Random(seed)
    clock = VirtualClock(datetime(year, 1, 5, 8, 0, tzinfo=LOCAL_TZ))
    app = bootstrap.build(url, clock, schema="create")
    store, service = app.store, app.cycles
    try:
        if store.unit_parents():
            raise BontotError(f"{url} already holds units: the demo wants a fresh database")
        units, members = sample_province(rng)
        store.import_units(units)
        notifications = app.ticks(channels=("log",), lang=lang)
        definition = app.catalog.latest(DEFINITION)
        opened = service.open_cycles(definition, year, actor="demo", role="system")
        applied = refused = 0
        checkpoints = [
            (d.due_at + timedelta(minutes=1), d.key)
            for d in resolve_deadlines(definition.spec, year, service.calendar(definition.spec))
        ]
        progress: list[str] = []
        plan, register = plan_year(rng, units, members, year, RuleWords.of(definition))
        grants = _create_actors(store, plan, clock.now())
        # the member registry's final ratings arrive once the January ratings are done
        register_at = datetime(year + 1, 1, 21, 8, 0, tzinfo=LOCAL_TZ)
        imported = False
        for step in plan:
            if not imported and step.at >= register_at:
                notifications.run_until(clock, register_at)
                store.import_ratings(
                    year, register, clock.now(), "quantri.demo", {"file": "xep-loai-demo.xlsx"}
                )
                imported = True
            while checkpoints and checkpoints[0][0] <= step.at:
                instant, key = checkpoints.pop(0)
                notifications.run_until(clock, instant)
                progress.append(_checkpoint(service, definition, year, key, lang))
            notifications.run_until(clock, step.at)
            result = service.fire(
                step.unit, step.event, year, step.actor, step.role, step.payload,
                grant=grants[step.actor],
            )
            if result.applied:
                applied += 1
            else:
                refused += 1
        for instant, key in checkpoints:
            notifications.run_until(clock, instant)
            progress.append(_checkpoint(service, definition, year, key, lang))
        last = store.last_timer_due()
        if last is not None:
            notifications.run_until(clock, last)
        # Nothing leaves the machine: the demo's messages are marked delivered to itself.
        delivered = notifications.deliver(_Nowhere(), "demo")
        sent = _notice_counts(store.outbox_messages())
        board = service.board(year)
        elapsed = time.perf_counter() - started
        logs.logger().info(
            "demo.completed",
            url=url,
            units=len(units),
            cycles=opened.opened,
            applied=applied,
            refused=refused,
            seconds=round(elapsed, 2),
        )
        summary = (
            f"{len(units)} units, {opened.opened} cycles of {definition.spec.id} "
            f"v{definition.spec.version}; {applied} events applied, {refused} refused "
            f"(appraisals the recognition rule turned down) in {elapsed:.1f} s"
        )
        summary += "\n" + _notices_line(sent, delivered.count("sent"), lang)
        audit = verify_store(store)
        summary += "\n" + _audit_line(len(grants), audit.records, audit.chains, audit.ok, lang)
        return "\n".join([summary, "", *progress, "", render.board_text(board, lang)])
    finally:
        app.close()
