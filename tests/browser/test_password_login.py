"""Log-in with the password an administrator set (`bontot actors password`), over the
real server: in a real Chromium, and by HTTP for the refusals, the rate limit and the
trail. The token keeps working beside it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters import bootstrap
from adapters.identity import hash_password
from tests.browser.conftest import Live
from tests.browser.scenario import NOW, token_of
from workflow.clock import VirtualClock
from workflow.service.actors import NotAuthenticated

PASSWORD = "Bi-thu thon 1, 2025!"


@pytest.fixture(scope="module")
def with_password(live: Live) -> Live:
    app = bootstrap.build(live.url, VirtualClock(NOW))
    try:
        app.inspectors.set_password(
            "bithu.thon1", PASSWORD, hash_password, "quantri", lambda: token_of("quantri")
        )
    finally:
        app.close()
    return live


def _csrf(client: httpx.Client) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert found is not None
    return found.group(1)


def _log_in(client: httpx.Client, actor: str, secret: str) -> httpx.Response:
    return client.post("/login", data={"actor": actor, "token": secret, "csrf": _csrf(client)})


def test_a_secretary_logs_in_with_the_password_in_a_browser(
    browser: Any, with_password: Live, shots: Path
) -> None:
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    page.goto(with_password.base + "/login")
    assert "Mã truy cập hoặc mật khẩu" in page.inner_text("form")
    page.fill("input[name=actor]", "bithu.thon1")
    page.fill("input[name=token]", PASSWORD)
    page.screenshot(path=str(shots / "20-login-password.png"), full_page=True)
    page.click("button.primary")
    page.wait_for_url(with_password.base + "/")
    assert "bithu.thon1" in page.inner_text("body")
    page.screenshot(path=str(shots / "21-board-after-password-login.png"), full_page=True)
    page.context.close()


def test_the_password_and_the_token_both_open_a_session_and_a_wrong_one_neither(
    with_password: Live,
) -> None:
    base = with_password.base
    with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as client:
        assert _log_in(client, "bithu.thon1", PASSWORD).status_code == 303
        assert "bontot_session" in client.cookies
    with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as client:
        assert _log_in(client, "bithu.thon1", token_of("bithu.thon1")).status_code == 303
    with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as client:
        # another actor's password is not theirs
        assert _log_in(client, "btc.x01", PASSWORD).status_code == 401
        assert "bontot_session" not in client.cookies


def test_password_attempts_are_limited_and_recorded(with_password: Live) -> None:
    base = with_password.base
    with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as client:
        statuses = [_log_in(client, "bithu.kp3", "doan-mo-mat-khau").status_code
                    for _ in range(6)]  # fmt: skip
        right = _log_in(client, "bithu.kp3", token_of("bithu.kp3"))
    assert statuses == [401] * 5 + [429]
    assert right.status_code == 429
    app = bootstrap.build(with_password.url, VirtualClock(NOW))
    try:
        trail = app.trail.log(None, None, None, None, None, None)
    finally:
        app.close()
    kinds = [(r["kind"], r["actor"], r["code"]) for r in trail if r["actor"] == "bithu.kp3"]
    # a failed log-in is not bithu.kp3's act: it is kept as an unauthenticated claim
    claims = [
        r["code"] for r in trail
        if r["actor"] == "unauthenticated" and r["detail"].get("claimed") == "bithu.kp3"
    ]  # fmt: skip
    assert claims.count("not_authenticated") == 5
    assert ("refusal", "bithu.kp3", "not_authenticated") not in kinds
    assert ("refusal", "bithu.kp3", "rate_limited") in kinds
    assert ("log_in", "bithu.thon1", None) in [(r["kind"], r["actor"], r["code"]) for r in trail]
    assert [r["detail"]["actor"] for r in trail if r["kind"] == "actor_password_set"] == [
        "bithu.thon1"
    ]


def test_only_an_administrator_sets_a_password(with_password: Live) -> None:
    app = bootstrap.build(with_password.url, VirtualClock(NOW))
    try:
        with pytest.raises(NotAuthenticated, match="for administrators"):
            app.inspectors.set_password(
                "bithu.kp3", "mat-khau-moi-2025", hash_password, "btc.x01",
                lambda: token_of("btc.x01"),
            )  # fmt: skip
    finally:
        app.close()
