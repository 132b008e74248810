"""The HTTP API over a real uvicorn on loopback, with httpx, on a real SQLite file and on
PostgreSQL: a cell's year acted through the API as its secretary and its superiors act
it, the row version as an ETag (a stale If-Match gets 412 and writes nothing), errors as
problem+json in the caller's language, and a revoked token refused at the next request
although its verification is remembered."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import GOOD_EVALUATION
from tests.support.api_server import Served
from tests.support.backends import rows

PROBLEM = "application/problem+json"


def written(url: str) -> tuple[list[tuple[Any, ...]], int]:
    """What an act writes: every cycle's state and version, and the applied events."""
    cycles = rows(url, "SELECT unit_id, state, version FROM cycle ORDER BY id")
    return cycles, rows(url, "SELECT COUNT(*) FROM transition")[0][0]


def test_a_cell_goes_from_registration_to_recognition_through_the_api(served: Served) -> None:
    secretary, board, committee = (
        served.client("bithu.thon1"), served.client("btc.x01"), served.client("btv.x01"),
    )  # fmt: skip
    steps = [
        ("register", {"payload": {"plan": "Kế hoạch số 01-KH/CB"}}),
        ("start", {}),
        ("self_evaluate", {"payload": GOOD_EVALUATION}),
        ("propose", {}),
    ]
    for event, body in steps:
        answer = secretary.post(f"/cycles/CB-THON1/2025/events/{event}", json=body)
        assert answer.status_code == 200, answer.text
        assert answer.json()["role"] == "unit_secretary"
    assert answer.json()["to"] == "proposed"
    assert answer.headers["ETag"] == '"5"'  # opened at 1, four events since

    verdict = board.get("/cycles/CB-THON1/2025/verdict").json()
    assert verdict["passed"] is True  # 12 members all completed or better, 10 good: 83 %
    shares = {c["key"]: c["actual"] for c in verdict["checks"]}
    assert any("10/12" in str(v) or "83" in str(v) for v in shares.values()), shares

    read = board.get("/cycles/CB-THON1/2025")
    assert read.headers["ETag"] == '"5"'
    assert [e["event"] for e in read.json()["entries"]][1:] == [s for s, _ in steps]
    appraised = board.post(
        "/cycles/CB-THON1/2025/events/appraise", json={}, headers={"If-Match": read.headers["ETag"]}
    )
    assert appraised.status_code == 200, appraised.text
    assert appraised.json()["to"] == "appraised"
    recognized = committee.post(
        "/cycles/CB-THON1/2025/events/recognize",
        json={"payload": {"decision": "123-QĐ/ĐU"}},
    )
    assert recognized.status_code == 200, recognized.text

    counted = board.get("/board", params={"year": 2025}).json()
    assert counted["under"] == "X01"  # the board's own commune by default
    assert counted["targets"]["bon-tot"]["recognized"] == 1
    # X01 holds the cell CB-THON1 and the school's committee with its three cells
    assert counted["total"] == 5


def test_a_stale_if_match_gets_412_and_writes_nothing(served: Served) -> None:
    secretary = served.client("bithu.thon1")
    read = secretary.get("/cycles/CB-THON1/2025")
    assert read.headers["ETag"] == '"1"'
    first = secretary.post(
        "/cycles/CB-THON1/2025/events/register",
        json={"payload": {"plan": "KH 01"}},
        headers={"If-Match": '"1"'},
    )
    assert first.status_code == 200, first.text
    assert first.headers["ETag"] == '"2"'
    before = written(served.url)
    again = secretary.post(
        "/cycles/CB-THON1/2025/events/start", json={}, headers={"If-Match": '"1"'}
    )
    assert again.status_code == 412
    assert again.headers["content-type"] == PROBLEM
    assert again.json()["code"] == "stale"
    assert written(served.url) == before
    weak = secretary.post(
        "/cycles/CB-THON1/2025/events/start", json={}, headers={"If-Match": 'W/"2"'}
    )
    assert weak.status_code == 412  # If-Match compares strongly
    assert written(served.url) == before


def test_a_refusal_is_a_problem_in_the_callers_language(served: Served) -> None:
    vi = served.client("bithu.thon1").post("/cycles/CB-THON1/2025/events/propose", json={})
    assert vi.status_code == 409
    assert vi.headers["content-type"] == PROBLEM
    body = vi.json()
    assert body["type"] == "urn:bontot:problem:wrong_state"
    assert body["title"] == "Chu kỳ không ở trạng thái cho phép"
    assert body["status"] == 409 and body["code"] == "wrong_state"
    assert body["reason"]  # the service's own sentence
    en = served.client("bithu.thon1", "en-GB,en;q=0.9,vi;q=0.5").post(
        "/cycles/CB-THON1/2025/events/propose", json={}
    )
    assert en.json()["title"] == "Wrong state"
    missing = served.client("bithu.thon1").post("/cycles/CB-THON1/2025/events/register", json={})
    assert missing.status_code == 422
    assert missing.json()["code"] == "payload_missing"


def test_a_failing_verdict_refuses_the_appraisal_check_by_check(served: Served) -> None:
    secretary = served.client("bithu.thon1")
    weak = {**GOOD_EVALUATION, "criteria": {**GOOD_EVALUATION["criteria"], "meetings": 80}}
    for event, body in [
        ("register", {"payload": {"plan": "KH"}}), ("start", {}),
        ("self_evaluate", {"payload": weak}), ("propose", {}),
    ]:  # fmt: skip
        assert secretary.post(f"/cycles/CB-THON1/2025/events/{event}", json=body).is_success
    before = written(served.url)
    refused = served.client("btc.x01", "en").post("/cycles/CB-THON1/2025/events/appraise", json={})
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["code"] == "guard_failed"
    failed = problem["failed_checks"]
    assert [c["actual"] for c in failed if "80" in str(c["actual"])], failed
    assert "required" in problem["detail"]  # each failing check said in English
    assert written(served.url) == before


def test_validation_errors_are_problems_too(served: Served) -> None:
    board = served.client("btc.x01")
    answer = board.get("/board", params={"year": "năm nay"})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["code"] == "invalid_request"
    assert answer.json()["errors"][0]["loc"] == ["query", "year"]
    unknown_field = board.post("/bulk/appraise", json={"year": 2025, "under": "X01", "x": 1})
    assert unknown_field.status_code == 422
    assert board.delete("/board").status_code == 405
    assert board.get("/no-such-thing").json()["code"] == "not_found"


def test_a_bulk_dry_run_previews_and_changes_nothing(served: Served) -> None:
    before = written(served.url)
    answer = served.client("btc.x01").post(
        "/bulk/lapse",
        json={"year": 2025, "under": "X01", "reason": "không đăng ký", "dry_run": True},
    )
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["dry_run"] is True
    # the five units of X01 the definition applies to, none registered: all could lapse
    assert result["counts"] == {"would_apply": 5}
    assert written(served.url) == before
    real = served.client("btc.x01").post(
        "/bulk/lapse", json={"year": 2025, "under": "DB-TRUONG", "reason": "không đăng ký"}
    )
    assert real.json()["counts"] == {"applied": 4}  # the committee and its three cells
    assert written(served.url) != before


def test_cycles_list_by_state_pages_on(served: Served) -> None:
    secretary = served.client("bithu.thon1")
    secretary.post("/cycles/CB-THON1/2025/events/register", json={"payload": {"plan": "KH"}})
    board = served.client("btc.x01")
    registered = board.get("/cycles", params={"year": 2025, "state": "registered"}).json()
    assert [c["unit"] for c in registered["cycles"]] == ["CB-THON1"]
    pages, after = [], 0
    while True:
        page = board.get("/cycles", params={"year": 2025, "limit": 2, "after": after}).json()
        pages.append([c["unit"] for c in page["cycles"]])
        if page["next_after"] is None:
            break
        after = page["next_after"]
    assert sorted(u for p in pages for u in p) == sorted(
        ["CB-THON1", "DB-TRUONG", "DB-TRUONG-1", "DB-TRUONG-2", "DB-TRUONG-3"]
    )
    assert all(len(p) <= 2 for p in pages)


def test_a_revoked_token_is_refused_at_the_next_request(served: Served) -> None:
    secretary = served.client("bithu.thon1")
    assert secretary.get("/cycles/CB-THON1/2025").status_code == 200  # verified, remembered
    app = served.services()
    try:
        app.actors.revoke("bithu.thon1", "quantri", lambda: served.tokens["quantri"])
    finally:
        app.close()
    again = secretary.get("/cycles/CB-THON1/2025")
    assert again.status_code == 401
    assert again.json()["reason"] == "đã bị thu hồi quyền"  # said in Vietnamese by default


def test_a_token_is_taken_from_the_header_only(served: Served) -> None:
    token = served.tokens["bithu.thon1"]
    anonymous = served.client()
    in_url = anonymous.get("/board", params={"token": f"bithu.thon1:{token}"})
    assert in_url.status_code == 401
    assert in_url.headers["WWW-Authenticate"] == "Bearer"
    wrong = anonymous.get("/board", headers={"Authorization": f"Bearer bithu.thon1:{token}x"})
    assert wrong.status_code == 401 and wrong.json()["reason"] == "mã truy cập không đúng"
    english = anonymous.get(
        "/board", headers={"Authorization": f"Bearer bithu.thon1:{token}x", "Accept-Language": "en"}
    )
    assert english.json()["reason"] == "bad token"  # the service's own words in English
    garbled = anonymous.get("/board", headers={"Authorization": "Bearer nocolon"})
    assert garbled.status_code == 401


def test_the_api_carries_the_same_figures_as_the_command_line(served: Served) -> None:
    from adapters.cli.render import board_dict

    app = served.services()
    try:
        expected = board_dict(app.cycles.board(2025, "X01"))
    finally:
        app.close()
    got = served.client("quantri").get("/board", params={"year": 2025, "under": "X01"}).json()
    assert got == expected


def test_no_token_reaches_a_log_line(served: Served, capfd: pytest.CaptureFixture[str]) -> None:
    secretary = served.client("bithu.thon1")
    assert secretary.post(
        "/cycles/CB-THON1/2025/events/register", json={"payload": {"plan": "KH"}}
    ).is_success
    assert secretary.post("/cycles/CB-THON1/2025/events/propose", json={}).status_code == 409
    token = served.tokens["bithu.thon1"]
    served.client().get("/board", headers={"Authorization": f"Bearer bithu.thon1:{token}x"})
    out, err = capfd.readouterr()
    logged = out + err
    assert "transition.applied" in logged and "transition.refused" in logged
    assert token not in logged
