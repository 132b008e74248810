"""The inspector's audit log says every cell in words: kinds, the opening of a cycle,
the engine's own roles and the roles actors were given, never their code names; the page
and its Excel download alike. Read as the HTML a real uvicorn serves to a logged-in
inspector (kiemtra.x01, the commune's auditor)."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from tests.http.test_unit_page_labels import logged_in, move_thon1_to_x02
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


def test_a_long_log_says_the_page_shows_its_latest_500_and_the_download_holds_all(
    served: Served,
) -> None:
    app = served.services()
    try:
        for i in range(520):  # a morning of refused calls: 520 facts beside the cycles' own
            app.actors.record("refusal", f"khach{i}", code="not_authenticated",
                              detail={"purpose": "api", "reason": "bad token"})  # fmt: skip
    finally:
        app.close()
    client = logged_in(served, "quantri")  # the whole tree's log: the facts are in it
    try:
        page = client.get("/audit", params={"lang": "vi"})
        app = served.services()
        try:  # what the page read: everything up to the administrator's log-in
            total = len(app.trail.log(None, None, None, None, None, None))
        finally:
            app.close()
        sheet = client.get("/audit.xlsx", params={"lang": "vi"})
    finally:
        client.close()
    assert total > 520
    shown = f"{total:,}".replace(",", ".")
    assert f"{shown} bản ghi; trang này hiện 500 bản ghi gần nhất" in page.text
    assert page.text.count("<tr><td>") == 500
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert sum(1 for row in rows if any(str(v).startswith("khach") for v in row if v)) == 520
    # every kind of record is said in words, the import of the units too
    cells = set(CELL.findall(page.text))
    assert "Đăng nhập" in cells and "log_in" not in cells


KINDS = ("transition", "refusal", "actor_added", "actor_revoked", "actor_password_set",
         "inspector_key_added", "inspector_key_revoked", "log_in", "units_imported",
         "ratings_imported", "meetings_import", "target_set", "milestone_met",
         "bulk_decision", "anchor", "definition_saved", "deadlines_planned",
         "reorganisation", "migration")  # fmt: skip


def test_every_kind_of_record_the_engine_writes_has_a_word_in_both_languages() -> None:
    from adapters.documents.lists import audit_log_table

    for lang in ("vi", "en"):
        rows = [{"at": "2025-12-10T02:00:00.000000Z", "kind": k, "unit": None, "event": None,
                 "from": None, "to": None, "actor": "quantri", "role": None, "code": None,
                 "late_for": None, "detail": None} for k in KINDS]  # fmt: skip
        said = [row[1] for row in audit_log_table(rows, lang, str).rows]
        unsaid = [k for k, word in zip(KINDS, said, strict=True) if word == k]
        assert unsaid == [], (lang, unsaid)


def test_a_reorganisation_is_named_and_can_be_chosen_in_the_log(served: Served) -> None:
    move_thon1_to_x02(served)
    client = logged_in(served, "quantri")
    try:
        page = client.get("/audit", params={"lang": "vi", "event": "reorganise"}).text
    finally:
        client.close()
    cells = CELL.findall(page)
    assert "Tổ chức lại" in cells and "reorganise" not in cells
    assert '<option value="reorganise" selected>Tổ chức lại</option>' in page
