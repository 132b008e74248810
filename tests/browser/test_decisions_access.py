"""Who may decide in bulk from the decisions page, over the real server: a unit's
secretary, an inspector, the administrator and a committee whose role does not take the
event are refused up front, preview or run (no job starts, no cycle moves); a superior
names no node outside its subtree, and a run over its whole subtree leaves the other
commune's units untouched. The commune: T01 > X01 (CB-THON1, DB-TRUONG > cells) and
X02 (CB-KP3)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import httpx
import pytest

from adapters import bootstrap
from tests.browser.conftest import Live
from tests.browser.scenario import NOW, YEAR, token_of
from workflow.clock import VirtualClock

REASON = "Đơn vị không còn hoạt động"


@pytest.fixture(scope="module")
def clients(live: Live) -> Iterator[dict[str, httpx.Client]]:
    found: dict[str, httpx.Client] = {}
    for actor in ("bithu.thon1", "kiemtra.t01", "quantri", "btc.x01", "btv.x01"):
        client = httpx.Client(base_url=live.base, follow_redirects=False, timeout=30)
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
        assert csrf is not None
        done = client.post("/login", data={"actor": actor, "token": token_of(actor),
                                           "csrf": csrf.group(1)})  # fmt: skip
        assert done.status_code == 303, done.text
        found[actor] = client
    yield found
    for client in found.values():
        client.close()


def _lapse(client: httpx.Client, under: str, step: str) -> httpx.Response:
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/decisions").text)
    assert csrf is not None
    return client.post("/decisions", data={
        "csrf": csrf.group(1), "event": "lapse", "under": under, "select": "all",
        "reason": REASON, "step": step, "expected": "1"})  # fmt: skip


def _states(live: Live, *units: str) -> dict[str, str]:
    with bootstrap.opened(live.url, VirtualClock(NOW)) as app:
        return {u: app.cycles.history(u, YEAR).cycle.state for u in units}


@pytest.mark.parametrize("step", ["preview", "run"])
@pytest.mark.parametrize(("actor", "under"), [
    ("bithu.thon1", "CB-THON1"),  # a secretary, on its own cell
    ("kiemtra.t01", "CB-THON1"),  # an inspector, inside its province
    ("quantri", "CB-THON1"),  # the administrator fires no event
    ("btv.x01", "CB-THON1"),  # a committee: lapsing is its organisation board's
    ("btc.x01", "X02"),  # a commune's board, on the other commune
    ("btc.x01", "CB-KP3"),
])  # fmt: skip
def test_who_may_not_decide_in_bulk_is_refused_up_front(
    live: Live, clients: dict[str, httpx.Client], actor: str, under: str, step: str
) -> None:
    before = _states(live, "CB-THON1", "CB-KP3")
    refused_before = _refusals(live, actor)
    answer = _lapse(clients[actor], under, step)
    assert answer.status_code == 403, answer.text
    assert "nằm ngoài phạm vi, quyền hạn của bạn" in answer.text
    assert "Traceback" not in answer.text and "section class=\"card job\"" not in answer.text
    assert _states(live, "CB-THON1", "CB-KP3") == before
    # the refusal is kept in the trail, once
    assert len(_refusals(live, actor)) == len(refused_before) + 1


def _refusals(live: Live, actor: str) -> list[dict[str, object]]:
    with bootstrap.opened(live.url, VirtualClock(NOW)) as app:
        return app.trail.log(None, actor, None, None, None, "refusals")


def test_a_run_over_the_whole_subtree_leaves_the_other_commune_alone(
    live: Live, clients: dict[str, httpx.Client]
) -> None:
    board = clients["btc.x01"]
    run = _lapse(board, "", "run")
    assert run.status_code == 200, run.text
    job = re.search(r'hx-get="(/jobs/[A-Za-z0-9_-]{16})"', run.text)
    assert job is not None
    for _ in range(300):
        fragment = board.get(job.group(1)).text
        if "hx-trigger" not in fragment:
            break
        time.sleep(0.1)
    assert 'class="ok"' in fragment, fragment
    assert _states(live, "CB-THON1", "CB-KP3") == {"CB-THON1": "lapsed",
                                                   "CB-KP3": "implementing"}  # fmt: skip
    link = re.search(r'href="(/jobs/[A-Za-z0-9_-]{16}\.csv)"', fragment)
    assert link is not None
    listed = board.get(link.group(1)).content.decode("utf-8-sig")
    assert "CB-THON1" in listed and "CB-KP3" not in listed


def test_a_forged_event_is_a_plain_error_and_the_trail_keeps_no_typed_text(
    live: Live, clients: dict[str, httpx.Client]
) -> None:
    secretary = clients["bithu.thon1"]
    csrf = re.search(r'name="csrf" value="([^"]+)"', secretary.get("/decisions").text)
    assert csrf is not None
    before = _refusals(live, "bithu.thon1")
    typed = "X" * 5000
    for event in ("", "no-such-event"):
        answer = secretary.post("/decisions", data={"csrf": csrf.group(1), "event": event,
                                                    "under": typed, "step": "preview"})  # fmt: skip
        assert answer.status_code == 400, answer.text
    assert _refusals(live, "bithu.thon1") == before
    # a real event its role does not decide in bulk is refused, without the typed node
    answer = secretary.post("/decisions", data={"csrf": csrf.group(1), "event": "lapse",
                                                "under": typed, "step": "preview",
                                                "reason": REASON})  # fmt: skip
    assert answer.status_code == 403
    after = _refusals(live, "bithu.thon1")
    assert len(after) == len(before) + 1 and typed not in str(after[-1])
