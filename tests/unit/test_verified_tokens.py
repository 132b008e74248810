"""The API's memory of verified tokens: trusted for a while after a match, then checked
again; kept as a hash, never the token; bounded."""

from __future__ import annotations

import pytest

from adapters.http.api import auth
from adapters.http.api.auth import VerifiedTokens


class Ticks:
    def __init__(self) -> None:
        self.at = 1000.0

    def __call__(self) -> float:
        return self.at


def test_a_remembered_token_is_trusted_until_its_time_is_up() -> None:
    ticks = Ticks()
    memory = VerifiedTokens(ttl=300.0, now=ticks)
    assert not memory.trusted("bithu.thon1", "t0k3n")
    memory.remember("bithu.thon1", "t0k3n")
    ticks.at += 299
    assert memory.trusted("bithu.thon1", "t0k3n")
    assert not memory.trusted("bithu.thon1", "other")  # another token of the same actor
    assert not memory.trusted("btc.x01", "t0k3n")  # the same token for another actor
    ticks.at += 2
    assert not memory.trusted("bithu.thon1", "t0k3n")


def test_the_memory_holds_no_token_in_clear() -> None:
    memory = VerifiedTokens()
    memory.remember("bithu.thon1", "a-secret-token")
    assert "a-secret-token" not in repr(memory)
    assert all("a-secret-token" not in part for key in memory.held() for part in key)


def test_the_memory_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "MAX_REMEMBERED", 3)
    memory = VerifiedTokens()
    for i in range(10):
        memory.remember(f"actor{i}", "t")
    assert len(memory) <= 3
    assert memory.trusted("actor9", "t")
