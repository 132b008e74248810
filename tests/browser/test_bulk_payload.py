"""A bulk decision's page asks for what the event's payload needs (a reason, a decision
number: the definition's `requires`), over the real server: choosing the event brings its
fields (in a real browser); a bulk return with its reason reaches every unit's history; a
recognition without its decision number runs nothing and says so in Vietnamese; the
Vietnamese preview says why a unit is left out or refused. The tests run in order: they
share the module's installation."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from adapters import bootstrap
from tests.browser.conftest import Live
from tests.browser.scenario import NOW, YEAR, token_of
from tests.browser.test_progress import proposed
from tests.browser.test_scenario import _log_in
from workflow.clock import VirtualClock

REASON = "Thiếu biên bản họp chi bộ quý IV"


def _client(live: Live, actor: str) -> httpx.Client:
    client = httpx.Client(base_url=live.base, timeout=30)
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert csrf is not None
    signed = client.post("/login", data={"actor": actor, "token": token_of(actor),
                                         "csrf": csrf.group(1)})  # fmt: skip
    assert signed.status_code == 303
    return client


def _csrf(client: httpx.Client) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/decisions").text)
    assert found is not None
    return found.group(1)


@pytest.fixture
def board(live: Live) -> Iterator[httpx.Client]:
    client = _client(live, "btc.x01")
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def committee(live: Live) -> Iterator[httpx.Client]:
    client = _client(live, "btv.x01")
    try:
        yield client
    finally:
        client.close()


def _state(live: Live, unit: str) -> str:
    with bootstrap.opened(live.url, VirtualClock(NOW)) as app:
        return app.cycles.history(unit, YEAR).cycle.state


def test_choosing_the_event_brings_its_own_fields(browser: Any, live: Live) -> None:
    page = _log_in(browser, live, "btc.x01")
    page.goto(live.base + "/decisions")
    page.select_option("select[name=event]", "return_for_revision")
    page.wait_for_selector("#event-fields input[name=reason]")
    assert "Lý do" in page.inner_text("#event-fields")
    page.select_option("select[name=event]", "appraise")  # it asks for nothing
    page.wait_for_selector("#event-fields input[name=reason]", state="detached")
    assert page.locator("#event-fields input").count() == 0
    # without its reason, a preview of a lapse says so and shows the field
    page.select_option("select[name=event]", "lapse")
    page.wait_for_selector("#event-fields input[name=reason]")
    page.fill("input[name=under]", "X01")
    page.eval_on_selector("input[name=reason]", "e => e.removeAttribute('required')")
    page.click("button[value=preview]")
    page.wait_for_selector("p.error")
    assert "cần có: lý do" in page.inner_text("p.error")
    assert page.locator("button[value=run]").count() == 0
    page.context.close()


def test_the_vietnamese_preview_says_why_a_unit_is_left_out_or_refused(
    live: Live, board: httpx.Client
) -> None:
    csrf = _csrf(board)
    # DB-TRUONG-1 evaluated itself under the bar on criterion 1
    passing = board.post("/decisions", data={"csrf": csrf, "event": "appraise", "under": "X01",
                                             "select": "passing", "step": "preview"})  # fmt: skip
    assert passing.status_code == 200
    row = re.search(r"DB-TRUONG-1</a></td>.*?</tr>", passing.text, re.S)
    assert row is not None and "bỏ qua" in row.group(0)
    assert "không chọn: kết quả đối chiếu tiêu chuẩn là không đạt" in row.group(0)
    # chosen anyway, the rule refuses it: its reason in Vietnamese, never in English
    every = board.post("/decisions", data={"csrf": csrf, "event": "appraise", "under": "X01",
                                           "select": "all", "step": "preview"})  # fmt: skip
    row = re.search(r"DB-TRUONG-1</a></td>.*?</tr>", every.text, re.S)
    assert row is not None and "không thực hiện" in row.group(0)
    reason = re.search(r"<td>([^<]+)<div>", row.group(0))
    assert reason is not None and "Thẩm định đạt" in reason.group(1), row.group(0)
    assert "Appraise" not in row.group(0) and "refused" not in row.group(0)


def _finished(client: httpx.Client, page: str) -> str:
    """The job the page started, polled until it ends: its fragment."""
    job = re.search(r'hx-get="(/jobs/[A-Za-z0-9_-]{16})"', page)
    assert job is not None, page
    for _ in range(300):
        fragment = client.get(job.group(1)).text
        if "hx-trigger" not in fragment:
            return fragment
        time.sleep(0.1)
    raise AssertionError("the bulk run did not end")


def test_a_bulk_return_with_its_reason_reaches_both_units(
    live: Live, board: httpx.Client
) -> None:
    proposed(live, "CB-THON1", "bithu.thon1")  # DB-TRUONG-1 proposed at installation
    csrf = _csrf(board)
    # the chosen event's own field is on the page
    form = board.get("/decisions", params={"event": "return_for_revision"}).text
    assert re.search(r'<label>Lý do<input name="reason" value="" required>', form), form
    asked = {"csrf": csrf, "event": "return_for_revision", "under": "X01", "select": "all",
             "reason": REASON}  # fmt: skip
    preview = board.post("/decisions", data={**asked, "step": "preview"})
    assert preview.status_code == 200
    assert "Xác nhận thực hiện cho 2 đơn vị" in preview.text
    # the preview and its confirmation keep the reason
    assert f'<input name="reason" value="{REASON}" required>' in preview.text
    assert f'<input type="hidden" name="reason" value="{REASON}">' in preview.text
    run = board.post("/decisions", data={**asked, "step": "run", "expected": "2"})
    assert run.status_code == 200
    done = _finished(board, run.text)
    assert "Đã thực hiện cho 2 đơn vị." in done
    # the result list says the states by their labels, as the page does
    link = re.search(r'href="(/jobs/[A-Za-z0-9_-]{16}\.csv)"', done)
    assert link is not None
    listed = board.get(link.group(1)).content.decode("utf-8-sig")
    assert "Đã đề nghị công nhận" in listed and "Trả lại để bổ sung" in listed
    assert "returned" not in listed
    with bootstrap.opened(live.url, VirtualClock(NOW)) as app:
        for unit in ("CB-THON1", "DB-TRUONG-1"):
            history = app.cycles.history(unit, YEAR)
            assert history.cycle.state == "returned"
            last = history.entries[-1]
            assert last.event == "return_for_revision" and last.payload["reason"] == REASON


def test_a_recognition_without_its_decision_number_runs_nothing(
    live: Live, board: httpx.Client, committee: httpx.Client
) -> None:
    # CB-THON1 evaluated again, proposed and appraised: the committee may recognise it
    proposed(live, "CB-THON1", "bithu.thon1")
    appraised = board.post("/decisions", data={"csrf": _csrf(board), "event": "appraise",
                                               "under": "CB-THON1", "select": "passing",
                                               "step": "run", "expected": "1"})  # fmt: skip
    assert "Đã thực hiện cho 1 đơn vị." in _finished(board, appraised.text)
    assert _state(live, "CB-THON1") == "appraised"
    csrf = _csrf(committee)
    for step in ("preview", "run"):
        answer = committee.post("/decisions", data={"csrf": csrf, "event": "recognize",
                                                    "under": "X01", "select": "all",
                                                    "decision": "  ", "step": step,
                                                    "expected": "1"})  # fmt: skip
        assert answer.status_code == 400
        assert "«Quyết định công nhận» cần có: số quyết định" in answer.text
        assert "section class=\"card job\"" not in answer.text and "<table>" not in answer.text
    assert _state(live, "CB-THON1") == "appraised"
    with bootstrap.opened(live.url, VirtualClock(NOW)) as app:
        last = app.cycles.history("CB-THON1", YEAR).entries[-1]
        assert last.event == "appraise"
        refused = app.trail.log("CB-THON1", None, None, None, None, "refusals")
        assert [r for r in refused if r["event"] == "recognize"] == []  # nor a refusal
