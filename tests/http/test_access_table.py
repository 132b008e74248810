"""Every API route × every role × inside and outside its scope, as a table, over a real
uvicorn: the status each gets, and that a refusal writes nothing (no cycle moves, no
event is recorded; the refusal itself is kept in the audit trail, not asserted here).

The commune (tests/conftest.py): X01 holds the cell CB-THON1 and the school's committee
DB-TRUONG; X02 holds CB-KP3. Each role's "inside" is a unit it may see (CB-THON1: the
secretary's own cell, a unit under the X01 board, committee and inspectors), "outside"
is CB-KP3 under the other commune. The administrator sees the whole tree: it has no
outside. No act here can apply: an allowed fire reaches the definition and is refused
there (a payload missing, a wrong state), and bulk decisions are dry runs, so the
table's cases are independent of their order.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.http.test_api import written
from tests.support.api_server import ACTORS, Served

INSIDE, OUTSIDE = "CB-THON1", "CB-KP3"
#: the event each role fires in the table, and what the definition answers inside scope
#: (register needs a plan; lapse a reason; recognize needs a cycle already appraised)
EVENTS = {
    "administrator": "register",
    "auditor": "register",
    "unit_secretary": "register",
    "superior_org_board": "lapse",
    "superior_standing_committee": "recognize",
}
DECIDED_INSIDE = {
    "unit_secretary": 422,
    "superior_org_board": 422,
    "superior_standing_committee": 409,
}


def request_for(route: str, unit: str, event: str) -> tuple[str, str, dict[str, Any]]:
    """(method, path, httpx keyword arguments) of a route on a unit."""
    year = {"year": 2025, "under": unit}
    return {
        "units": ("GET", "/units", {"params": {"under": unit}}),
        "unit": ("GET", f"/units/{unit}", {}),
        "cycles": ("GET", "/cycles", {"params": year}),
        "cycle": ("GET", f"/cycles/{unit}/2025", {}),
        "verdict": ("GET", f"/cycles/{unit}/2025/verdict", {}),
        "fire": ("POST", f"/cycles/{unit}/2025/events/{event}", {"json": {}}),
        "bulk": ("POST", f"/bulk/{event}", {"json": {**year, "dry_run": True}}),
        "board": ("GET", "/board", {"params": year}),
        "overdue": ("GET", "/overdue", {"params": year}),
        "report": ("GET", "/report", {"params": year}),
    }[route]


ROUTES = ("units", "unit", "cycles", "cycle", "verdict", "fire", "bulk", "board", "overdue",
          "report")  # fmt: skip


def expected(route: str, role: str, inside: bool) -> int:
    if route == "fire":
        if role in ("administrator", "auditor") or not inside:
            return 403
        return DECIDED_INSIDE[role]
    if route == "bulk":
        return 200 if inside and role not in ("administrator", "auditor") else 403
    return 200 if inside else 403


CASES = [
    (route, actor, where)
    for route in ROUTES
    for actor, (role, _) in ACTORS.items()
    for where in (("inside",) if role == "administrator" else ("inside", "outside"))
]


@pytest.mark.parametrize(("route", "actor", "where"), CASES)
def test_every_route_every_role_in_and_out_of_scope(
    served_once: Served, route: str, actor: str, where: str
) -> None:
    role = ACTORS[actor][0]
    unit = INSIDE if where == "inside" else OUTSIDE
    method, path, kwargs = request_for(route, unit, EVENTS[role])
    before = written(served_once.url)
    with served_once.client(actor) as client:
        answer = client.request(method, path, **kwargs)
    want = expected(route, role, where == "inside")
    assert answer.status_code == want, answer.text
    if want >= 400:
        assert answer.headers["content-type"] == "application/problem+json"
    assert written(served_once.url) == before


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("header", [None, "Bearer bithu.thon1:not-the-token", "Basic abc"])
def test_every_route_refuses_a_caller_without_a_good_token(
    served_once: Served, route: str, header: str | None
) -> None:
    method, path, kwargs = request_for(route, INSIDE, "register")
    before = written(served_once.url)
    headers = {"Authorization": header} if header else {}
    answer = httpx.request(
        method, served_once.base + "/api/v1" + path, headers=headers, timeout=60, **kwargs
    )
    assert answer.status_code == 401
    assert answer.json()["code"] == "not_authenticated"
    assert written(served_once.url) == before
