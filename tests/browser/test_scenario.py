"""The web board end to end in a real headless Chromium: a secretary self-evaluates
through the form and proposes; the appraiser sees the verdict and appraises a filtered
list in bulk after its preview; the board's counts move; an inspector filters the log
and downloads it; a secretary cannot open another unit's page."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from tests.browser.conftest import Live
from tests.browser.scenario import token_of


def _log_in(browser: Any, live: Live, actor: str) -> Any:
    page = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True
                               ).new_page()  # fmt: skip
    page.goto(live.base + "/login")
    page.fill("input[name=actor]", actor)
    page.fill("input[name=token]", token_of(actor))
    page.click("button.primary")
    page.wait_for_url(live.base + "/")
    return page


def _cell(page: Any, code: str, state: str) -> str:
    """A row's count in a stage ("": none; a stage no row has gets no column)."""
    cell = page.locator(f'tr[data-code="{code}"] td[data-state="{state}"]')
    return str(cell.inner_text()).strip() if cell.count() else ""


def test_a_year_through_the_web_board(browser: Any, live: Live, shots: Path) -> None:
    # the secretary of Chi bộ thôn 1 (village type: four sub-criteria under criterion 1)
    secretary = _log_in(browser, live, "bithu.thon1")
    secretary.goto(live.base + "/units/CB-THON1")
    assert "Đang thực hiện" in secretary.inner_text("main")
    secretary.screenshot(path=str(shots / "01-unit-before-self-evaluation.png"), full_page=True)
    form = secretary.locator("form.event", has_text="Tự đánh giá")
    for key, score in (("political_task", "96"), ("meetings", "97"),
                       ("unity_discipline", "95,5"), ("cadres_members", "98")):  # fmt: skip
        form.locator(f'input[name="score.{key}"]').fill(score)
        form.locator(f'input[name="evidence.{key}"]').fill("BC-12/BC-CB, bien-ban-q4.pdf")
    for box in form.locator('input[type=checkbox]').all():
        box.check()
    form.locator("button[type=submit]").click()
    secretary.wait_for_url("**/units/CB-THON1?year=2025&done=self_evaluate")
    main = secretary.inner_text("main")
    assert "Đã tự đánh giá" in main and "95,5 %" in main and "BC-12/BC-CB" in main
    secretary.locator("form.event", has_text="Đề nghị công nhận").locator("button").click()
    secretary.wait_for_url("**done=propose")
    assert "Đã đề nghị công nhận" in secretary.inner_text("main")
    secretary.screenshot(path=str(shots / "02-unit-proposed.png"), full_page=True)
    # another unit's page is refused, in Vietnamese
    refused = secretary.goto(live.base + "/units/CB-KP3")
    assert refused is not None and refused.status == 403
    assert "Không được phép" in secretary.inner_text("main")
    secretary.screenshot(path=str(shots / "03-refused-403.png"), full_page=True)
    secretary.goto(live.base + "/work")
    secretary.screenshot(path=str(shots / "04-my-work-secretary.png"), full_page=True)

    # the commune's organisation board: the board, the verdict, the bulk appraisal
    board = _log_in(browser, live, "btc.x01")
    assert _cell(board, "CB-THON1", "proposed") == "1"
    assert _cell(board, "DB-TRUONG", "proposed") == "1"
    assert _cell(board, "CB-THON1", "appraised") == ""
    board.screenshot(path=str(shots / "05-board-before.png"), full_page=True)
    board.goto(live.base + "/work")
    assert "CB-THON1" in board.inner_text("main table")
    board.screenshot(path=str(shots / "05b-my-work-appraiser.png"), full_page=True)
    board.goto(live.base + "/units/CB-THON1")
    verdict = board.inner_text("section.card:has(h2:text('Kết quả đối chiếu tiêu chuẩn'))")
    assert "Kết quả đối chiếu tiêu chuẩn: Đạt" in verdict
    board.screenshot(path=str(shots / "06-unit-verdict-appraiser.png"), full_page=True)
    board.goto(live.base + "/decisions")
    board.select_option("select[name=event]", "appraise")
    board.fill("input[name=under]", "X01")
    board.select_option("select[name=select]", "passing")
    board.click("button[value=preview]")
    preview = board.inner_text("main")
    # the weak self-evaluation of DB-TRUONG-1 is left out, with the reason
    assert "DB-TRUONG-1" in preview and "bỏ qua" in preview and "sẽ thực hiện" in preview
    board.screenshot(path=str(shots / "07-bulk-preview.png"), full_page=True)
    confirm = board.locator("button[value=run]")
    assert confirm.inner_text() == "Xác nhận thực hiện cho 1 đơn vị"
    confirm.click()
    board.wait_for_selector("p.ok")
    assert "Đã thực hiện cho 1 đơn vị." in board.inner_text("p.ok")
    with board.expect_download() as done:
        board.click("text=Tải danh sách kết quả")
    sheet = load_workbook(BytesIO(Path(done.value.path()).read_bytes())).active
    values = [c for row in sheet.iter_rows(values_only=True) for c in row]
    assert "CB-THON1" in values and "đã thực hiện" in values
    board.screenshot(path=str(shots / "08-bulk-done.png"), full_page=True)
    board.goto(live.base + "/")
    assert _cell(board, "CB-THON1", "appraised") == "1"
    assert _cell(board, "CB-THON1", "proposed") == ""
    board.screenshot(path=str(shots / "09-board-after.png"), full_page=True)
    with board.expect_download() as done:
        board.click("text=Xuất danh sách ra Excel")
    sheet = load_workbook(BytesIO(Path(done.value.path()).read_bytes())).active
    listed = {row[0]: row for row in sheet.iter_rows(values_only=True) if row and row[0]}
    # code, name, total, overdue, recognised share, gap: DB-TRUONG's four cycles, three late
    assert listed["DB-TRUONG"][:4] == ("DB-TRUONG", "Đảng bộ Trường THPT", 4, 3)
    board.goto(live.base + "/overdue")
    # 10/12/2025: the registration deadline (31/03) passed for DB-TRUONG's own cycle and
    # two of its cells; 1/4 to 10/12/2025 holds 177 working days (weekdays less 7/4 Giỗ
    # Tổ, 30/4, 1/5, 1/9 and 2/9)
    overdue = board.inner_text("main")
    assert "Đăng ký xây dựng mô hình" in overdue and "DB-TRUONG-2" in overdue
    late = board.inner_text('tr:has(a:text-is("DB-TRUONG-2")) td.num')
    assert late.strip() == "177"
    board.screenshot(path=str(shots / "09b-overdue.png"), full_page=True)
    board.goto(live.base + "/?lang=en")
    assert "Proposed for recognition" in board.inner_text("table.board")
    # English writes a decimal point: the commune's target of 50 %
    assert "Target: 50.0\u00a0%" in board.inner_text("main")
    board.screenshot(path=str(shots / "10-board-english.png"), full_page=True)

    # the inspector: the log filtered by actor, and its export
    inspector = _log_in(browser, live, "kiemtra.t01")
    inspector.goto(live.base + "/audit")
    inspector.fill("input[name=actor]", "btc.x01")
    inspector.click("form.filters button[type=submit]")
    inspector.wait_for_url("**actor=btc.x01**")
    rows = inspector.locator("main table tbody tr")
    assert rows.count() >= 1
    assert all("btc.x01" in r.inner_text() for r in rows.all())
    assert "Thẩm định đạt" in inspector.inner_text("main table")
    # and by event, chosen by its label: only the appraisals are left
    inspector.select_option("select[name=event]", label="Thẩm định đạt")
    inspector.click("form.filters button[type=submit]")
    inspector.wait_for_url("**event=appraise**")
    events = {r.locator("td").nth(3).inner_text() for r in rows.all()}
    assert events == {"Thẩm định đạt"}
    inspector.screenshot(path=str(shots / "11-audit-filtered.png"), full_page=True)
    with inspector.expect_download() as done:
        inspector.click("text=Tải nhật ký (Excel)")
    sheet = load_workbook(BytesIO(Path(done.value.path()).read_bytes())).active
    rows_read = list(sheet.iter_rows(values_only=True))
    header = next(i for i, row in enumerate(rows_read) if "Người thực hiện" in row)
    column = rows_read[header].index("Người thực hiện")
    actors = {row[column] for row in rows_read[header + 1 :]}
    assert actors == {"btc.x01"}
