"""Every page route × every role × inside and outside its scope, over the real server
(no browser needed: the status and where it sends are what is pinned). The commune:
T01 > X01 (CB-THON1, DB-TRUONG > cells) and X02 (CB-KP3)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.browser.conftest import Live
from tests.browser.scenario import token_of

ROLES = ("anonymous", "bithu.thon1", "btc.x01", "btv.x01", "kiemtra.t01", "quantri")
#: route -> expected status per role, in the order of ROLES (303: sent to log in)
TABLE: dict[str, tuple[int, ...]] = {
    "/": (303, 200, 200, 200, 200, 200),
    "/?under=X01": (303, 403, 200, 200, 200, 200),
    "/?under=X02": (303, 403, 403, 403, 200, 200),
    "/board.xlsx": (303, 200, 200, 200, 200, 200),
    "/board.xlsx?under=X02": (303, 403, 403, 403, 200, 200),
    "/units/CB-THON1": (303, 200, 200, 200, 200, 200),
    "/units/CB-KP3": (303, 403, 403, 403, 200, 200),
    "/units/DB-TRUONG-2": (303, 403, 200, 200, 200, 200),
    "/units/NO-SUCH-UNIT": (303, 404, 404, 404, 404, 404),
    "/work": (303, 200, 200, 200, 200, 200),
    "/decisions": (303, 200, 200, 200, 200, 200),
    "/audit": (303, 403, 403, 403, 200, 200),
    "/audit.xlsx": (303, 403, 403, 403, 200, 200),
    "/overdue": (303, 200, 200, 200, 200, 200),
    "/overdue?under=X02": (303, 403, 403, 403, 200, 200),
    "/reports": (303, 200, 200, 200, 200, 200),
    "/reports/report.xlsx": (303, 200, 200, 200, 200, 200),
    "/reports/report.csv?under=X02": (303, 403, 403, 403, 200, 200),
    "/reports/decision.docx": (303, 200, 200, 200, 200, 200),
    "/reports/report.docx?under=X02": (303, 403, 403, 403, 200, 200),
    "/reports/minutes.docx": (303, 400, 400, 400, 400, 400),
    "/imports": (303, 200, 200, 200, 200, 200),
    "/login": (200, 200, 200, 200, 200, 200),
    # background work is its starter's alone: nobody started this one
    "/jobs/AAAAAAAAAAAAAAAA": (303, 404, 404, 404, 404, 404),
    "/jobs/AAAAAAAAAAAAAAAA.xlsx": (303, 404, 404, 404, 404, 404),
}


def _client(live: Live, actor: str) -> httpx.Client:
    client = httpx.Client(base_url=live.base, follow_redirects=False, timeout=30)
    if actor == "anonymous":
        return client
    form = client.get("/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf is not None
    done = client.post("/login", data={"actor": actor, "token": token_of(actor),
                                       "csrf": csrf.group(1)})  # fmt: skip
    assert done.status_code == 303, done.text
    return client


@pytest.fixture(scope="module")
def clients(live: Live) -> Iterator[dict[str, httpx.Client]]:
    found = {actor: _client(live, actor) for actor in ROLES}
    yield found
    for client in found.values():
        client.close()


@pytest.mark.parametrize("route", list(TABLE))
@pytest.mark.parametrize("actor", ROLES)
def test_page_access(clients: dict[str, httpx.Client], route: str, actor: str) -> None:
    expected = TABLE[route][ROLES.index(actor)]
    answer = clients[actor].get(route)
    assert answer.status_code == expected, (route, actor, answer.text[:300])
    if expected == 303:
        assert answer.headers["location"] == "/login"
    if expected in (403, 404):
        assert "Traceback" not in answer.text and "<h1>" in answer.text


#: the links the top of each role's pages offers: what it may open and has work on
NAV = {
    "bithu.thon1": ["/", "/work", "/overdue", "/imports", "/reports"],
    "btc.x01": ["/", "/work", "/overdue", "/decisions", "/reports"],
    "btv.x01": ["/", "/work", "/overdue", "/decisions", "/reports"],
    "kiemtra.t01": ["/", "/overdue", "/audit", "/reports"],
    "quantri": ["/", "/overdue", "/audit", "/imports", "/reports"],
}


def _nav(html: str) -> list[str]:
    found = re.search(r"<nav>(.*?)</nav>", html, re.S)
    return re.findall(r'href="([^"]+)"', found.group(1)) if found else []


@pytest.mark.parametrize("actor", list(NAV))
def test_each_role_is_offered_only_the_pages_it_may_open(
    clients: dict[str, httpx.Client], actor: str
) -> None:
    client = clients[actor]
    for page in ("/", "/reports"):
        assert _nav(client.get(page).text) == NAV[actor], page
    for link in NAV[actor]:
        assert client.get(link).status_code == 200, link


def test_the_log_in_page_links_to_no_page(live: Live) -> None:
    with httpx.Client(base_url=live.base) as client:
        assert _nav(client.get("/login").text) == []


def _csrf(client: httpx.Client, route: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(route).text)
    assert found is not None
    return found.group(1)


def test_a_secretary_fires_nothing_on_another_unit(clients: dict[str, httpx.Client]) -> None:
    client = clients["bithu.thon1"]
    answer = client.post("/units/CB-KP3/fire", data={
        "csrf": _csrf(client, "/units/CB-THON1"), "event": "self_evaluate"})  # fmt: skip
    assert answer.status_code == 403
    assert "Đang thực hiện" in clients["quantri"].get("/units/CB-KP3").text


def test_an_auditor_fires_nothing(clients: dict[str, httpx.Client]) -> None:
    client = clients["kiemtra.t01"]
    page = client.get("/units/CB-THON1").text
    assert 'class="event"' not in page  # no form offered
    answer = client.post("/units/CB-THON1/fire", data={
        "csrf": _csrf(client, "/units/CB-THON1"), "event": "self_evaluate"})  # fmt: skip
    assert answer.status_code == 400
    assert "Đang thực hiện" in client.get("/units/CB-THON1").text


def test_a_form_without_its_csrf_token_changes_nothing(
    clients: dict[str, httpx.Client],
) -> None:
    client = clients["bithu.thon1"]
    answer = client.post("/units/CB-THON1/fire", data={"event": "self_evaluate"})
    assert answer.status_code == 400
    assert "Biểu mẫu đã hết hạn" in answer.text


def test_log_in_is_limited_after_five_failures(live: Live) -> None:
    with httpx.Client(base_url=live.base, follow_redirects=False) as client:
        csrf = _csrf(client, "/login")
        statuses = [
            client.post("/login", data={"actor": "btv.x01", "token": "wrong", "csrf": csrf})
            .status_code
            for _ in range(6)
        ]
        # the right token is refused too while the limit holds
        right = client.post("/login", data={"actor": "btv.x01", "token": token_of("btv.x01"),
                                            "csrf": csrf})  # fmt: skip
    assert statuses == [401] * 5 + [429]
    assert right.status_code == 429
    # every attempt is in the trail (a log-in names no unit: the whole tree's log shows it)
    administrator = _client(live, "quantri")
    log = administrator.get("/audit?actor=btv.x01&only=refusals").text
    # a failed log-in is not btv.x01's act: it is kept as an unauthenticated claim
    claims = administrator.get("/audit?actor=unauthenticated&only=refusals").text
    administrator.close()
    # the reason said in words (not_authenticated, rate_limited)
    assert claims.count("<td>không xác thực được</td>") == 5
    assert log.count("<td>không xác thực được</td>") == 0
    assert log.count("<td>đăng nhập quá nhiều lần</td>") == 2


def test_log_out_ends_the_session(live: Live) -> None:
    client = _client(live, "btc.x01")
    csrf = _csrf(client, "/")
    assert client.post("/logout", data={"csrf": csrf}).status_code == 303
    assert client.get("/").status_code == 303
    client.close()
