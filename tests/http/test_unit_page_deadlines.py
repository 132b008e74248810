"""The unit page's deadlines and notices: a deadline the calendar moved shows its
effective date, the date the definition gives and why it moved; a reminder sent shows
its label and delivery, not its code word. Read as the HTML a real uvicorn serves to a
browser that logged in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.catalog import load_catalog
from tests.conftest import local
from tests.http.test_unit_page_labels import logged_in
from tests.support.api_server import Served, serving
from tests.support.backends import BACKENDS, database
from workflow.spec.registry import Definition, definition_from_resolved

#: a province's day off on the proposal's deadline (Wednesday 31/12/2025)
DAY_OFF = "Nghỉ bù cuối năm của tỉnh"


def moving_definition() -> Definition:
    """bon-tot, its deadlines on a non-working day moved to the working day before."""
    data = load_catalog().latest("bon-tot").resolved()
    data["id"] = "bon-tot-doi-han"
    data["calendar"] |= {
        "non_working_deadline": "last_working_day_before",
        "days_off": {"31/12/2025": DAY_OFF},
    }
    return definition_from_resolved(data, "bon-tot-doi-han.yaml")


@pytest.fixture(scope="module", params=BACKENDS)
def moved(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """The commune under the moving definition on 18/03/2025, the registration's first
    reminder (17/03) sent to the secretaries."""
    folder: Path = tmp_path_factory.mktemp("api")
    with (
        database(str(request.param), folder) as url,
        serving(url, definition=moving_definition()) as it,
    ):
        app = it.services()
        try:
            app.ticks().run_until(it.clock, local(2025, 3, 18, 9))
        finally:
            app.close()
        yield it


def cells(page: str, label: str) -> str:
    """The row of the deadlines' table that `label` opens, its tags dropped."""
    row = re.search(rf"<tr><td>{re.escape(label)}</td>(.*?)</tr>", page, re.S)
    assert row, label
    return re.sub(r"<[^>]+>", " ", row.group(1))


def page(served: Served, lang: str) -> str:
    client = logged_in(served, "btc.x01")
    try:
        shown = client.get("/units/CB-THON1", params={"year": 2025, "lang": lang})
    finally:
        client.close()
    assert shown.status_code == 200, shown.text
    return shown.text


def test_a_moved_deadline_shows_both_dates_and_why(moved: Served) -> None:
    vi, en = page(moved, "vi"), page(moved, "en")
    # Sunday 15/03/2026: the Friday before
    assert "13/03/2026 dời từ 15/03/2026 (rơi vào ngày nghỉ cuối tuần)" in " ".join(
        cells(vi, "Hoàn thành công nhận").split()
    )
    assert "13/03/2026 moved from 15/03/2026 (it fell on a weekend)" in " ".join(
        cells(en, "Recognition").split()
    )
    # the province's day off, by its name
    assert f"30/12/2025 dời từ 31/12/2025 ({DAY_OFF})" in " ".join(
        cells(vi, "Đề nghị công nhận").split()
    )
    # a deadline on a working day says nothing more
    assert "dời" not in cells(vi, "Đăng ký xây dựng mô hình")


def notice_rows(page: str) -> list[str]:
    """The rows of the notices' table (a page in Vietnamese), their tags dropped."""
    table = page.split("<h2>Nhắc việc đã gửi</h2>")[1]
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("</table>")[0], re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", r).split()) for r in rows]


def test_a_sent_reminder_shows_its_label_and_delivery(moved: Served) -> None:
    rows = notice_rows(page(moved, "vi"))
    reminders = [r for r in rows if "Đăng ký xây dựng mô hình" in r]
    assert reminders, rows
    assert all(r.startswith("17/03/2025 08:00 Nhắc hạn: ") for r in reminders), reminders
    assert any(s in reminders[0] for s in ("đã gửi", "chờ gửi", "chờ soạn", "gửi không được"))
    assert all(word not in " ".join(rows) for word in ("reminder", "pending", "queued"))
