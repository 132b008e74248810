"""The unit page says what the unit is, its kind and its organisation type, by the
definition's labels in the visitor's language; read as the HTML a real uvicorn serves
to a browser that logged in (no browser here: the markup is the test)."""

from __future__ import annotations

import html
import re
from datetime import date

import httpx

from tests.support.api_server import Served
from workflow.reorganise import Decision, Step

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def logged_in(served: Served, actor: str) -> httpx.Client:
    client = httpx.Client(base_url=served.base, timeout=60)
    form = client.get("/login")
    match = CSRF.search(form.text)
    assert match, form.text
    done = client.post("/login", data={"actor": actor, "token": served.tokens[actor],
                                       "csrf": html.unescape(match.group(1))})  # fmt: skip
    assert done.status_code == 303, done.text
    return client


def move_thon1_to_x02(served: Served) -> None:
    """Decision 99-QĐ/TU of 01/03/2025: the village cell CB-THON1 goes to Phường Hòa Bình."""
    app = served.services()
    try:
        app.reorganisations.reorganise(
            Decision("99-QĐ/TU", date(2025, 3, 1)), [Step("move", "CB-THON1", "X02")],
            "quantri", lambda: served.tokens["quantri"],
        )  # fmt: skip
    finally:
        app.close()


def test_the_unit_page_names_its_kind_and_organisation_type(served_once: Served) -> None:
    client = logged_in(served_once, "btc.x01")
    try:
        vi = client.get("/units/CB-THON1", params={"year": 2025, "lang": "vi"})
        en = client.get("/units/DB-TRUONG", params={"year": 2025, "lang": "en"})
    finally:
        client.close()
    assert vi.status_code == 200 and en.status_code == 200
    assert "Chi bộ cơ sở · Loại hình: Thôn, khu phố, phường, xã</p>" in vi.text
    assert (
        "Grassroots party committee · Organisation type: "
        "Administrative agency, public service unit</p>"
    ) in en.text
    assert "village" not in vi.text and "administrative" not in en.text


def test_the_verdict_shows_the_evidence_its_checks_rest_on(served_once: Served) -> None:
    """The ratings register's counts and the meeting register's breaches, as the API's
    verdict gives them, beside the checks."""
    client = logged_in(served_once, "btc.x01")
    try:
        vi = client.get("/units/CB-THON1", params={"year": 2025, "lang": "vi"})
        en = client.get("/units/DB-TRUONG", params={"year": 2025, "lang": "en"})
    finally:
        client.close()
    assert vi.status_code == 200 and en.status_code == 200
    shown = " ".join(re.sub(r"<[^>]+>", " ", vi.text.split("<h3>Căn cứ đối chiếu</h3>")[1]).split())
    assert shown.startswith(
        "Sổ xếp loại: 12/12 đã có xếp loại; không tính (miễn, đình chỉ): không; thiếu: không "
        "Sổ sinh hoạt (tiêu chí 2): 0 buổi, 2 vi phạm "
        "tháng 01/2025 — Số buổi sinh hoạt thường kỳ trong tháng: 0 (yêu cầu ≥ 1) "
        "tháng 02/2025 — "
    ), shown[:400]
    # a committee's register counts its cells; it keeps no meeting register of its own
    assert "Ratings register: 3/3 rated; left out (exempt, suspended): none; missing: none" in (
        en.text
    )
    assert "Meeting register" not in en.text


def test_the_board_leads_a_superior_to_bulk_decisions_for_its_node(served_once: Served) -> None:
    board = logged_in(served_once, "btc.x01")
    secretary = logged_in(served_once, "bithu.thon1")
    try:
        shown = board.get("/", params={"lang": "vi"}).text
        own = secretary.get("/", params={"lang": "vi"}).text
        form = board.get("/decisions", params={"under": "X01"}).text
    finally:
        board.close()
        secretary.close()
    assert '<a class="button" href="/decisions?under=X01&amp;year=2025">' in shown
    assert "Quyết định hàng loạt cho X01" in shown
    assert "/decisions?under=" not in own  # a secretary decides nothing in bulk
    assert 'name="under" value="X01"' in form  # the decisions page opens on that node


def test_a_reorganisation_on_the_timeline_is_said_in_words(served: Served) -> None:
    """The tree's reorganisation writes a step of its own into each moved cycle: the page
    names it, dates its decision dd/mm/yyyy and shows the tree before and after, never
    the paths and unit ids it also keeps."""
    move_thon1_to_x02(served)
    client = logged_in(served, "quantri")
    try:
        html_text = client.get("/units/CB-THON1", params={"year": 2025, "lang": "vi"}).text
    finally:
        client.close()
    timeline = html_text.split("Diễn biến", 1)[1].split("Thời hạn", 1)[0]
    assert "<td>Tổ chức lại</td>" in timeline
    assert "Số quyết định: 99-QĐ/TU" in timeline and "Ngày hiệu lực: 01/03/2025" in timeline
    assert "Trước: T01 › X01 › CB-THON1" in timeline, timeline
    for code_name in ("reorganise", "from_path", "to_path", "from_unit", "effective"):
        assert code_name not in timeline, code_name
