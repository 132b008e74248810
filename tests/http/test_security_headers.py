"""Every answer carries the security headers (no script or frame from elsewhere: the
installations sit on closed networks and the pages hold tokens): a page, an API answer
and its refusal, a vendored file and a page that does not exist, from a real uvicorn."""

from __future__ import annotations

import httpx
import pytest

from adapters.http.app import SECURITY_HEADERS
from tests.support.api_server import Served

PATHS = ["/login", "/api/v1/board", "/api/v1/openapi.json", "/static/htmx.min.js", "/nowhere"]


@pytest.mark.parametrize("path", PATHS)
def test_every_answer_carries_the_security_headers(served_once: Served, path: str) -> None:
    answer = httpx.get(served_once.base + path, timeout=30)
    assert answer.status_code in (200, 401, 404), answer.status_code
    assert answer.headers["content-security-policy"].startswith("default-src 'self'")
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "same-origin"
    # once each: the wrapper adds what the answer lacks, never a second copy
    for name in SECURITY_HEADERS:
        assert len(answer.headers.get_list(name)) == 1, name
