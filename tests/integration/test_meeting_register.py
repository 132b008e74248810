"""The meeting register on a real SQLite file: an import is all or nothing, recorded
once in the audit chain, and importing the same export again changes nothing."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from adapters.persistence.meeting_register import IMPORT_EVENT
from adapters.persistence.store import SqlStore
from tests.conftest import COMMUNE, local
from workflow.audit import verify_fact_chain
from workflow.errors import ImportRefused, NotFound
from workflow.meeting_rows import check_meeting_rows
from workflow.rules.meeting_record import Meeting
from workflow.service.records import MeetingImport, UnitRef

EXPORT = (
    "ma_to_chuc,ngay,loai,thoi_luong_phut,co_mat,vang_co_ly_do,vang_khong_ly_do,so_y_kien,"
    "ds_vang_co_ly_do,ds_vang_khong_ly_do\n"
    "CB-THON1,06/01/2025,thuong_ky,95,11,1,0,5,DV-04,\n"
    "CB-THON1,05/02/2025,ket_hop,125,12,0,0,6,,\n"
    "CB-KP3,07/01/2025,thuong_ky,100,24,0,1,8,,DV-KP3-11\n"
)


class MeetingRepository:
    """The meeting register of the store's unit of work, each import one unit of work
    (the units looked up first, as the service does)."""

    def __init__(self, store: SqlStore) -> None:
        self.uow = store

    def import_meetings(self, meetings: list[Meeting], **options: Any) -> MeetingImport:
        codes = sorted({m.unit_code for m in meetings})
        units = self.uow.units.ids_and_paths(codes)
        missing = [code for code in codes if code not in units]
        if missing:
            raise NotFound(f"no unit with code {missing[0]!r}")
        with self.uow:
            done = self.uow.meetings.import_meetings(meetings, units, **options)
            self.uow.commit()
        return done

    def meetings(self, unit_code: str, year: int) -> list[Meeting]:
        return self.uow.meetings.meetings(unit_code, year)

    def meetings_under(self, under: UnitRef | None, year: int) -> dict[str, list[Meeting]]:
        return self.uow.meetings.meetings_under(under, year)

    def count(self) -> int:
        return self.uow.meetings.count()


@pytest.fixture
def register(store: SqlStore) -> MeetingRepository:
    store.import_units(COMMUNE)
    return MeetingRepository(store)


def parse(text: str) -> list[Meeting]:
    lines = text.splitlines()
    header = lines[0].split(",")
    rows = [dict(zip(header, line.split(","), strict=True)) for line in lines[1:]]
    return check_meeting_rows("so-tay.csv", header, rows, {u.code for u in COMMUNE})


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def do_import(register: MeetingRepository, text: str, at_day: int = 10) -> object:
    return register.import_meetings(
        parse(text),
        source="so-tay.csv",
        sha256=sha(text),
        actor="btc.x01",
        role=None,
        at=local(2025, 2, at_day),
    )


def import_events(store: SqlStore) -> list[tuple[str, str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT kind, detail FROM audit_event WHERE kind = :kind ORDER BY id"),
            {"kind": IMPORT_EVENT},
        )
        return [(row[0], row[1]) for row in rows]


def test_an_import_stores_the_meetings_and_one_audit_event(
    register: MeetingRepository, store: SqlStore
) -> None:
    result = do_import(register, EXPORT)
    assert (result.rows, result.added, result.updated, result.unchanged) == (3, 3, 0, 0)
    thon1 = register.meetings("CB-THON1", 2025)
    assert [(m.held_on, m.kind) for m in thon1] == [
        (date(2025, 1, 6), "regular"),
        (date(2025, 2, 5), "combined"),
    ]
    assert thon1[0].absent_excused_ids == ("DV-04",)
    by_unit = register.meetings_under(store.find_unit("X02"), 2025)
    assert list(by_unit) == ["CB-KP3"]
    assert by_unit["CB-KP3"][0].absent_unexcused_ids == ("DV-KP3-11",)
    events = import_events(store)
    assert len(events) == 1
    assert f'"sha256":"{sha(EXPORT)}"' in events[0][1]
    assert '"rows":3' in events[0][1]
    assert list(verify_fact_chain("audit-event chain", store.fact_rows("audit_event"))) == []


def test_the_same_export_again_changes_nothing(
    register: MeetingRepository, store: SqlStore
) -> None:
    do_import(register, EXPORT)
    before = register.meetings_under(None, 2025)
    again = do_import(register, EXPORT, at_day=11)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 3)
    assert register.count() == 3
    assert register.meetings_under(None, 2025) == before
    assert len(import_events(store)) == 2  # each import is on record, even an empty one


def test_a_corrected_export_overwrites_only_the_meeting_it_changes(
    register: MeetingRepository,
) -> None:
    do_import(register, EXPORT)
    first = "CB-THON1,06/01/2025,thuong_ky,95,11,1,0,"
    corrected = EXPORT.replace(first + "5", first + "6")
    result = do_import(register, corrected)
    assert (result.added, result.updated, result.unchanged) == (0, 1, 2)
    assert register.meetings("CB-THON1", 2025)[0].speakers == 6
    march = EXPORT.splitlines()[0] + "\nCB-THON1,04/03/2025,thuong_ky,92,12,0,0,5,,\n"
    assert do_import(register, march).added == 1
    assert len(register.meetings("CB-THON1", 2025)) == 3  # monthly exports add up


def test_a_bad_row_imports_nothing(register: MeetingRepository, store: SqlStore) -> None:
    do_import(register, EXPORT)
    bad = EXPORT + "CB-THON1,12/03/2025,thuong_ky,90,11,1,0,mười,DV-04,\n"
    with pytest.raises(ImportRefused) as caught:
        parse(bad)
    assert [(p.row, p.column) for p in caught.value.problems] == [(5, "so_y_kien")]
    assert "row 5, column 'so_y_kien'" in str(caught.value)
    assert register.count() == 3
    assert len(import_events(store)) == 1


def test_a_failure_inside_the_transaction_rolls_everything_back(
    register: MeetingRepository, store: SqlStore
) -> None:
    meetings = parse(EXPORT)
    ghost = replace(meetings[0], unit_code="CB-GONE")
    with pytest.raises(NotFound):
        register.import_meetings(
            [*meetings, ghost], source="x.csv", sha256="0" * 64, actor="btc.x01", role=None,
            at=local(2025, 2, 10),
        )  # fmt: skip
    assert register.count() == 0
    assert import_events(store) == []
