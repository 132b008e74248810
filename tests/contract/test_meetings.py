"""The meeting register's contract: keyed by (unit, date, kind); the same file again
changes nothing, a corrected one overwrites, an import never removes; reads in order."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.conftest import COMMUNE, local
from tests.support.units_of_work import write
from workflow.rules.meeting_record import Meeting
from workflow.service.cycles import CycleService

AT = local(2025, 7, 1)


def _meeting(unit: str, day: date, present: int = 10, kind: Any = "regular") -> Meeting:
    return Meeting(unit, day, kind, 90, present, 1, 1, 4, ("DV1",), ())


def _import(uow: Any, meetings: list[Meeting], sha: str = "s1") -> Any:
    units = uow.units.ids_and_paths(sorted({m.unit_code for m in meetings}))
    return write(uow, lambda: uow.meetings.import_meetings(
        meetings, units, source="sohoa.xlsx", sha256=sha, actor="bithu", role="unit_secretary",
        at=AT,
    ))


@pytest.fixture
def meetings(uow: Any) -> Any:
    write(uow, lambda: uow.units.import_rows(COMMUNE))
    return uow.meetings


def test_imports_add_overwrite_and_never_remove(meetings: Any, uow: Any) -> None:
    january = [_meeting("CB-THON1", date(2025, 1, 5)),
               _meeting("CB-THON1", date(2025, 1, 20), kind="thematic")]
    first = _import(uow, january)
    assert (first.rows, first.added, first.updated, first.unchanged, first.units) == (
        2, 2, 0, 0, 1
    )
    same = _import(uow, january)
    assert (same.added, same.updated, same.unchanged) == (0, 0, 2)
    corrected = _import(uow, [_meeting("CB-THON1", date(2025, 1, 5), present=11),
                              _meeting("CB-KP3", date(2025, 2, 3))], sha="s2")
    assert (corrected.added, corrected.updated, corrected.unchanged, corrected.units) == (
        1, 1, 0, 2
    )
    assert meetings.count() == 3
    kept = meetings.meetings("CB-THON1", 2025)
    assert [(m.held_on, m.kind, m.present) for m in kept] == [
        (date(2025, 1, 5), "regular", 11), (date(2025, 1, 20), "thematic", 10)
    ]
    assert kept[0].absent_excused_ids == ("DV1",) and kept[0].absent_unexcused_ids == ()
    facts = [e for e in uow.audit.log(None, None, None, None, None, None)]
    assert [(e["kind"], e["unit"], e["year"], e["role"]) for e in facts] == [
        ("meetings_import", "CB-THON1", 2025, "unit_secretary")
    ] * 2 + [("meetings_import", None, 2025, "unit_secretary")]
    assert facts[-1]["detail"] == {
        "file": "sohoa.xlsx", "sha256": "s2", "rows": 2, "added": 1, "updated": 1,
        "unchanged": 0, "units": 2, "years": [2025],
    }


def test_the_reads_of_the_check(
    meetings: Any, uow: Any, service: CycleService, bon_tot: Any
) -> None:
    _import(uow, [_meeting("DB-TRUONG-2", date(2025, 3, 1)),
                  _meeting("DB-TRUONG", date(2025, 3, 1)),
                  _meeting("DB-TRUONG-1", date(2025, 2, 1)),
                  _meeting("CB-KP3", date(2024, 12, 1))])
    under = meetings.meetings_under(uow.units.find("DB-TRUONG"), 2025)
    assert list(under) == ["DB-TRUONG", "DB-TRUONG-1", "DB-TRUONG-2"]  # by path
    assert meetings.meetings_under(None, 2024)["CB-KP3"][0].held_on == date(2024, 12, 1)
    assert meetings.meetings("CB-KP3", 2025) == []
    service.open_cycles(bon_tot, 2025)
    versions = meetings.cycle_definitions(uow.units.find("X02"), 2025, "bon-tot")
    assert versions == {"CB-KP3": bon_tot.spec.version}
    assert len(meetings.cycle_definitions(None, 2025, "bon-tot")) == 6
    assert meetings.cycle_definitions(None, 2025, "other") == {}
