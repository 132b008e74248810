"""The reports page hands an officer the papers to sign: the draft decision and the
report, as Word files for the committee's own subtree, in a real Chromium."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from docx import Document

from tests.browser.conftest import Live
from tests.browser.scenario import token_of


def _text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_a_commune_board_downloads_the_draft_decision_and_the_report_in_word(
    browser: Any, live: Live, shots: Path
) -> None:
    page = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True
                               ).new_page()  # fmt: skip
    page.goto(live.base + "/login")
    page.fill("input[name=actor]", "btc.x01")
    page.fill("input[name=token]", token_of("btc.x01"))
    page.click("button.primary")
    page.wait_for_url(live.base + "/")
    page.goto(live.base + "/reports")
    body = page.inner_text("main")
    assert "Tải dự thảo quyết định (Word)" in body and "Tải báo cáo kết quả (Word)" in body
    page.screenshot(path=str(shots / "14-reports.png"), full_page=True)

    files: dict[str, tuple[str, bytes]] = {}
    for link in ("Tải dự thảo quyết định (Word)", "Tải báo cáo kết quả (Word)"):
        with page.expect_download() as fetched:
            page.click(f"text={link}")
        download = fetched.value
        saved = Path(download.path())
        files[link] = (download.suggested_filename, saved.read_bytes())
    page.context.close()

    name, decision = files["Tải dự thảo quyết định (Word)"]
    assert name == "quyet-dinh-X01-2025.docx"
    assert "QUYẾT ĐỊNH" in _text(decision)
    name, report = files["Tải báo cáo kết quả (Word)"]
    assert name == "bao-cao-X01-2025.docx"
    said = _text(report)
    assert "BÁO CÁO" in said
    # the commune's own units, not the other commune's
    assert "Đảng bộ Trường THPT" in said
    assert "Chi bộ khu phố 3" not in said and "Hòa Bình" not in said  # X02's, not X01's
