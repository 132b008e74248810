"""The demo's province and its year: ~200 grassroots organisations under four communes,
and what each does and when, drawn from a realistic mix (on time, late, returned for
revision, not recognised, never registered). Deterministic for a given random source."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from workflow.errors import BontotError
from workflow.evidence.ratings import Level, RatingRecord
from workflow.spec.model import RatingScaleSpec
from workflow.spec.registry import Definition
from workflow.timefmt import LOCAL_TZ
from workflow.units import UnitImport


@dataclass(frozen=True)
class RuleWords:
    """The recognition rule's criteria and, under criterion 1, the sub-criteria every
    organisation type adds (seed 002 §II.1.1.b): what a self-evaluation scores and ticks."""

    criteria: tuple[str, ...]
    sub_criteria: tuple[str, ...]
    #: each trigger's roles: the plan's events are checked against them, so that a
    #: version which renames a trigger or a role stops the demo instead of skewing it
    fired_by: dict[str, frozenset[str]] = field(default_factory=dict)
    definition: str = ""
    #: the rating scales by year (levels, or QĐ 366's score bands)
    rating_scales: tuple[RatingScaleSpec, ...] = ()

    def scale(self, year: int) -> RatingScaleSpec | None:
        return next(
            (s for s in self.rating_scales
             if s.first_year <= year and (s.last_year is None or year <= s.last_year)),
            None,
        )

    @classmethod
    def of(cls, definition: Definition) -> RuleWords:
        spec = definition.spec
        criteria = spec.rules["recognition"]["criteria"]
        fired_by: dict[str, frozenset[str]] = {}
        for t in spec.transitions:
            fired_by[t.trigger] = fired_by.get(t.trigger, frozenset()) | set(t.roles)
        return cls(
            tuple(criteria["keys"]),
            tuple(key for items in criteria["checklist"]["by_type"].values() for key in items),
            fired_by,
            f"{spec.id} v{spec.version}",
            tuple(spec.rating_scales),
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


def sample_province(rng: random.Random) -> tuple[list[UnitImport], dict[str, int]]:
    """A province committee, four commune committees, ~200 grassroots organisations."""
    rows = [
        UnitImport(
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
            UnitImport(
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
                    UnitImport(
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
                        UnitImport(
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
                rows[-cells - 1] = UnitImport(
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
                    UnitImport(
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


def _score(level: Level, i: int, scale: RatingScaleSpec | None) -> str | None:
    """A member's score inside its level's band, where the year's scale scores (QĐ 366
    from 2025): computed, not drawn, so the random sequence and with it every figure of
    the demo stay as they were before scores."""
    if scale is None or scale.bands is None:
        return None
    b = scale.bands
    top = {"excellent": 100.0, "good": b.excellent, "completed": b.good,
           "not_completed": b.completed}[level]
    lowest = {"excellent": b.excellent, "good": b.good, "completed": b.completed,
              "not_completed": 0.0}[level]
    width = max(1, int(top - lowest))
    return f"{int(lowest) + (i * 7) % width:d}"


def _register(
    rng: random.Random, unit: UnitImport, size: int, good_enough: bool, year: int,
    scale: RatingScaleSpec | None = None,
) -> list[RatingRecord]:
    """A cell's members as the member registry exports them, with final ratings (scores
    and the levels they fall in, on QĐ 366's scale from 2025)."""
    rated_on = date(year + 1, 1, rng.randint(5, 12))
    records = [
        RatingRecord(unit.code, f"{unit.code}-DV{i:03d}", f"Đảng viên {i}", "active",
                     date(rng.randint(1985, 2020), rng.randint(1, 12), 1), level, "final",
                     rated_on, _score(level, i, scale))
        for i, level in enumerate(_levels(rng, size, good_enough), start=1)
    ]
    if rng.random() < 0.3:  # someone exempt from activities: not rated, not counted
        records.append(RatingRecord(unit.code, f"{unit.code}-DV900", "Đảng viên cao tuổi",
                                    "exempt", date(1970, 5, 19), None, "final", None))
    return records


def plan_year(
    rng: random.Random,
    units: list[UnitImport],
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
        at: datetime, unit: UnitImport, event: str, role: str, payload: dict[str, Any] | None = None
    ) -> None:
        nonlocal n
        if role not in words.fired_by.get(event, ()):
            raise BontotError(f"{words.definition} has no {event!r} fired by {role!r}")
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
            register += _register(rng, unit, size, not weak_ratings, year, words.scale(year))
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
