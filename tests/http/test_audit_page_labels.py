"""The inspector's audit log says every cell in words: kinds, the opening of a cycle,
the engine's own roles and the roles actors were given, never their code names; the page
and its Excel download alike. Read as the HTML a real uvicorn serves to a logged-in
inspector (kiemtra.x01, the commune's auditor)."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from tests.http.test_unit_page_labels import logged_in
from tests.support.api_server import Served

CELL = re.compile(r"<td>([^<]*)</td>")
#: (the cycles were opened by an actor whose id is "system": ids are shown as they are)
CODE_NAMES = {"open", "actor_added", "transition", "unit_secretary", "superior_org_board",
              "superior_standing_committee", "auditor"}  # fmt: skip


def test_the_audit_log_names_kinds_events_and_roles_in_words(served_once: Served) -> None:
    client = logged_in(served_once, "kiemtra.x01")
    try:
        page = client.get("/audit", params={"lang": "vi"})
        sheet = client.get("/audit.xlsx", params={"lang": "vi"})
    finally:
        client.close()
    assert page.status_code == 200 and sheet.status_code == 200
    cells = set(CELL.findall(page.text))
    assert {"Mở chu kỳ", "Thêm người dùng", "hệ thống", "Bí thư chi bộ / đảng ủy"} <= cells, cells
    assert not cells & CODE_NAMES, cells & CODE_NAMES
    rows = load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True)
    written = {str(v) for row in rows for v in row if v is not None}
    assert {"Mở chu kỳ", "Thêm người dùng", "Bí thư chi bộ / đảng ủy"} <= written
    assert not written & CODE_NAMES, written & CODE_NAMES
