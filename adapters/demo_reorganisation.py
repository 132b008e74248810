"""The demo's reorganisation of 1/7/2025 (DESIGN §2: no district level since then).

The province starts the year with a district committee between it and the grassroots
organisations of three communes; on 1/7/2025 a decision of the province moves them
under those communes, merges the fourth commune into the third (its organisations with
it) and dissolves the district. The year's plan is drawn on the tree as it ends up, so
its random draws (and with them the demo's figures) are those of a tree without
districts; a superior's act before 1/7 is done by the superior of that time.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from adapters.demo_plan import Step as PlanStep
from workflow.reorganise import Decision, Step
from workflow.timefmt import LOCAL_TZ
from workflow.units import UnitImport

DISTRICT = "T01-H01"
#: the communes that take the district's organisations, and the merge of the fourth
TAKE_OVER = ("T01-X01", "T01-X02", "T01-X03")
MERGED, SURVIVOR = "T01-X04", "T01-X03"
#: the committees the decision ends
ENDED = (DISTRICT, MERGED)
DECISION = Decision("1234-QĐ/TU", date(2025, 7, 1))
#: the instant the demo records it: the morning it takes effect
RECORDED_AT = datetime(2025, 7, 1, 8, 0, tzinfo=LOCAL_TZ)


def tree_of_january(units: list[UnitImport]) -> list[UnitImport]:
    """The province before 1/7: the district under the province, the three communes'
    grassroots organisations under the district (parents first, as imports want)."""
    district = UnitImport(
        DISTRICT,
        "Huyện ủy Đông Hưng",
        "committee",
        "other",
        units[0].code,
        0,
        {
            "superior_org_board": "btc.t01-h01@example.vn",
            "superior_standing_committee": "btv.t01-h01@example.vn",
        },
    )
    moved = [replace(u, parent_code=DISTRICT) if u.parent_code in TAKE_OVER else u for u in units]
    return [moved[0], district, *moved[1:]]


def tree_of_july(units: list[UnitImport]) -> list[UnitImport]:
    """The tree the decision leaves: the fourth commune's organisations under the third."""
    return [
        replace(u, parent_code=SURVIVOR) if u.parent_code == MERGED else u
        for u in units
        if u.code != MERGED
    ]


def decision_steps(january: list[UnitImport]) -> list[Step]:
    """Every organisation under the district to the commune its code names, the fourth
    commune into the third, the district dissolved."""
    steps = [
        Step("move", u.code, u.code.rsplit("-", 1)[0], f"annex row {i}")
        for i, u in enumerate((u for u in january if u.parent_code == DISTRICT), start=1)
    ]
    return [*steps, Step("merge", MERGED, SURVIVOR), Step("dissolve", DISTRICT)]


def superiors_of_their_time(plan: list[PlanStep], january: list[UnitImport]) -> None:
    """A superior's act before the decision is its January superior's: the district's
    board for the district's organisations, the fourth commune's for its own."""
    parent = {u.code: u.parent_code for u in january}
    for step in plan:
        if step.at >= RECORDED_AT or step.role == "unit_secretary":
            continue
        then = parent.get(step.unit)
        if then is not None:
            step.actor = f"{step.actor.split('.', 1)[0]}.{then}"
