"""A cycle's history says which deadlines the calendar moved off the definition's date,
from where and why, computed again from the definition and the calendar (on the twin);
a stored date the calendar no longer gives is left without a reason."""

from __future__ import annotations

from datetime import date

from tests.conftest import COMMUNE
from tests.http.test_unit_page_deadlines import DAY_OFF, moving_definition
from tests.support.twin import import_units
from workflow.calendar import WorkingCalendar, no_holidays
from workflow.clock import VirtualClock
from workflow.deadlines import WEEKEND
from workflow.service.cycles import CycleService, weekends_only
from workflow.spec.model import CalendarSpec
from workflow.spec.registry import Definition
from workflow.testing import InMemoryUnitOfWork


def opened(uow: InMemoryUnitOfWork, clock: VirtualClock, definition: Definition) -> None:
    service = CycleService(uow, clock, weekends_only)
    import_units(uow, COMMUNE)
    service.open_cycles(definition, 2025, actor="btc.t01")


def test_the_history_names_each_moved_deadline_with_its_date_and_why(
    uow: InMemoryUnitOfWork, clock: VirtualClock
) -> None:
    opened(uow, clock, moving_definition())
    history = CycleService(uow, clock, weekends_only).history("CB-THON1", 2025)
    moves = {k: (m.due_date, m.natural_date, m.moved_by) for k, m in history.moves.items()}
    assert moves == {
        "propose": (date(2025, 12, 30), date(2025, 12, 31), DAY_OFF),
        "appraise": (date(2026, 2, 13), date(2026, 2, 15), WEEKEND),
        "recognize": (date(2026, 3, 13), date(2026, 3, 15), WEEKEND),
        "report": (date(2026, 3, 13), date(2026, 3, 15), WEEKEND),
    }


def test_a_deadline_kept_on_its_date_is_not_moved(
    uow: InMemoryUnitOfWork, clock: VirtualClock, bon_tot: Definition
) -> None:
    opened(uow, clock, bon_tot)  # its deadlines stay on a Sunday
    assert CycleService(uow, clock, weekends_only).history("CB-THON1", 2025).moves == {}


def test_a_stored_date_the_calendar_no_longer_gives_gets_no_reason(
    uow: InMemoryUnitOfWork, clock: VirtualClock
) -> None:
    opened(uow, clock, moving_definition())

    def later(spec: CalendarSpec) -> WorkingCalendar:
        """The province has since made 30/12 a day off too: 29/12 now, 30/12 stored."""
        days_off = {**spec.days_off, "30/12/2025": "Nghỉ thêm"}
        changed = spec.model_copy(update={"days_off": days_off})
        return WorkingCalendar.from_spec(changed, no_holidays)

    history = CycleService(uow, clock, later).history("CB-THON1", 2025)
    assert "propose" not in history.moves
    assert set(history.moves) == {"appraise", "recognize", "report"}
