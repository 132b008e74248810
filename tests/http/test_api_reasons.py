"""A problem's `reason` over the API is said in the caller's language: Vietnamese (by
default, or asked for) from the catalogues, with the definition's labels for its code
names, as the command line says it; English is the service's sentence unchanged."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api_server import Served

PROPOSE = ("POST", "/cycles/CB-THON1/2025/events/propose", {"json": {}})
REGISTER = ("POST", "/cycles/CB-THON1/2025/events/register", {"json": {}})
OUTSIDE = ("GET", "/units/CB-KP3", {})
NO_UNIT = ("GET", "/units/NOPE", {})

CASES = [
    (PROPOSE, "vi",
     "không thể «Đề nghị công nhận» khi đang ở trạng thái «Chưa đăng ký»; "
     "chỉ được khi: Đã tự đánh giá"),
    (PROPOSE, "en",
     "event 'propose' cannot be fired from state 'not_registered' (Chưa đăng ký); "
     "it is allowed from: self_evaluated"),
    (REGISTER, "vi", "«Đăng ký xây dựng mô hình» cần có: kế hoạch (số văn bản)"),
    (REGISTER, "en", "'register' needs data: plan"),
    (OUTSIDE, "vi", "bithu.thon1: CB-KP3 nằm ngoài phạm vi của CB-THON1"),
    (OUTSIDE, "en", "bithu.thon1: CB-KP3 is outside CB-THON1's subtree"),
    (NO_UNIT, "vi", "không có đơn vị mã NOPE"),
    (NO_UNIT, "en", "no unit with code 'NOPE'"),
]


@pytest.mark.parametrize(("call", "lang", "reason"), CASES,
                         ids=[f"{c[0][1]}-{c[1]}" for c in CASES])  # fmt: skip
def test_a_problems_reason_is_in_the_callers_language(
    served_once: Served, call: tuple[str, str, dict[str, Any]], lang: str, reason: str
) -> None:
    method, path, kwargs = call
    with served_once.client("bithu.thon1", lang) as client:
        answer = client.request(method, path, **kwargs)
    assert answer.status_code >= 400
    assert answer.json()["reason"] == reason


def test_no_accept_language_is_vietnamese_and_the_detail_names_the_event_by_label(
    served_once: Served,
) -> None:
    method, path, kwargs = PROPOSE
    with served_once.client("bithu.thon1") as client:
        body = client.request(method, path, **kwargs).json()
    assert body["reason"].startswith("không thể «Đề nghị công nhận»")
    assert body["detail"] == (
        "CB-THON1: sự kiện «Đề nghị công nhận» bị từ chối — chu kỳ không ở trạng thái cho phép."
    )
    with served_once.client("bithu.thon1", "en-GB,en;q=0.9,vi;q=0.5") as client:
        english = client.request(method, path, **kwargs).json()
    assert english["detail"] == "CB-THON1: event “Propose for recognition” refused — wrong state."
