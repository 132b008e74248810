"""Long work from the pages runs in the background with its progress on the page: a
bulk decision's confirmed run and the audit trail's verification. The page polls the
progress (htmx) until the work ends, then offers the result list, kept as a file of the
installation (not in the server's memory) and readable by the one who started it."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import httpx

from adapters import bootstrap
from tests.browser.conftest import Live
from tests.browser.scenario import NOW, YEAR, token_of
from tests.browser.test_scenario import _log_in
from tests.conftest import GOOD_EVALUATION
from workflow.clock import VirtualClock


def proposed(live: Live, unit: str, secretary: str) -> None:
    """`unit`'s secretary evaluated it well and proposed it (as the scenario's does
    through the form)."""
    with bootstrap.opened(live.url, VirtualClock(NOW)) as app:
        found = app.store.find_actor(secretary)
        assert found is not None
        for event, payload in (("self_evaluate", GOOD_EVALUATION), ("propose", {})):
            done = app.cycles.fire(unit, event, YEAR, secretary, "unit_secretary", payload,
                                   grant=found[0])  # fmt: skip
            assert done.applied, done.decision.refusal


def test_a_bulk_run_shows_its_progress_to_the_end_and_its_list_downloads(
    browser: Any, live: Live, shots: Path
) -> None:
    proposed(live, "CB-THON1", "bithu.thon1")
    board = _log_in(browser, live, "btc.x01")
    board.goto(live.base + "/decisions")
    board.select_option("select[name=event]", "appraise")
    board.fill("input[name=under]", "X01")
    board.select_option("select[name=select]", "passing")
    board.click("button[value=preview]")
    confirm = board.locator("button[value=run]")
    assert confirm.inner_text() == "Xác nhận thực hiện cho 1 đơn vị"
    confirm.click()
    # the run's page holds the progress fragment, which polls until the work ends
    board.wait_for_selector("section.job")
    board.wait_for_selector("section.job p.ok", timeout=60_000)
    assert "Đã thực hiện cho 1 đơn vị." in board.inner_text("section.job")
    assert board.locator("section.job[hx-trigger]").count() == 0  # polling stopped
    board.screenshot(path=str(shots / "12-bulk-progress-done.png"), full_page=True)
    with board.expect_download() as done:
        board.click("text=Tải danh sách kết quả (CSV)")
    text = Path(done.value.path()).read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    decided = {row[0]: row for row in rows[1:] if row}
    assert "đã thực hiện" in decided["CB-THON1"]

    # the list is a file of the installation, and its starter's alone
    link = board.get_attribute("a:text('(CSV)')", "href")
    assert link is not None
    job = re.fullmatch(r"/jobs/([A-Za-z0-9_-]{16})\.csv", link)
    assert job is not None
    folder = Path(live.url.removeprefix("sqlite:///")).parent / "bontot-results"
    assert (folder / f"{job.group(1)}.csv").read_bytes().decode("utf-8-sig") == text
    with httpx.Client(base_url=live.base, timeout=30) as other:
        csrf = re.search(r'name="csrf" value="([^"]+)"', other.get("/login").text)
        assert csrf is not None
        other.post("/login", data={"actor": "btv.x01", "token": token_of("btv.x01"),
                                   "csrf": csrf.group(1)})  # fmt: skip
        assert other.get(link).status_code == 404
        assert other.get(f"/jobs/{job.group(1)}").status_code == 404


def test_an_inspector_verifies_the_trail_with_progress(
    browser: Any, live: Live, shots: Path
) -> None:
    inspector = _log_in(browser, live, "kiemtra.t01")
    inspector.goto(live.base + "/audit")
    inspector.click("button[name=verify]")
    inspector.wait_for_url("**/audit?job=**")
    inspector.wait_for_selector("section.job p.ok", timeout=60_000)
    said = inspector.inner_text("section.job")
    assert re.search(r"Nhật ký toàn vẹn: \d+ bản ghi trong \d+ chuỗi\.", said), said
    inspector.screenshot(path=str(shots / "13-audit-verified.png"), full_page=True)


def test_a_secretary_may_not_verify_the_trail(live: Live) -> None:
    with httpx.Client(base_url=live.base, timeout=30) as secretary:
        csrf = re.search(r'name="csrf" value="([^"]+)"', secretary.get("/login").text)
        assert csrf is not None
        secretary.post("/login", data={"actor": "bithu.thon1", "token": token_of("bithu.thon1"),
                                       "csrf": csrf.group(1)})  # fmt: skip
        page = secretary.get("/decisions").text
        token = re.search(r'name="csrf" value="([^"]+)"', page)
        assert token is not None
        answer = secretary.post("/audit/verify", data={"csrf": token.group(1)})
        assert answer.status_code == 403
        assert "Traceback" not in answer.text
