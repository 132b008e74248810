"""Uploads on the imports page, over the real server: a bad row is shown by its row and
column and nothing is imported; oversized files and zip bombs are refused unopened; a
secretary imports no units."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.conftest import Live
from tests.browser.scenario import token_of
from tests.support.hostile_files import workbook

HEADER = "code,name,kind,type,parent_code,member_count\n"


def _logged_in(live: Live, actor: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=live.base, follow_redirects=False, timeout=30)
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert csrf is not None
    client.post("/login", data={"actor": actor, "token": token_of(actor), "csrf": csrf.group(1)})
    return client, csrf.group(1)


@pytest.fixture(scope="module")
def admin(live: Live) -> Iterator[tuple[httpx.Client, str]]:
    client, csrf = _logged_in(live, "quantri")
    yield client, csrf
    client.close()


def _upload(client: httpx.Client, csrf: str, kind: str, name: str, body: bytes) -> Any:
    return client.post("/imports", data={"csrf": csrf, "kind": kind},
                       files={"file": (name, body, "application/octet-stream")})  # fmt: skip


def test_a_bad_row_names_its_row_and_column_and_nothing_is_imported(
    admin: tuple[httpx.Client, str],
) -> None:
    client, csrf = admin
    body = (HEADER + "CB-MOI,Chi bộ mới,grassroots_cell,village,X01,7\n"
            "CB-LOI,Chi bộ lỗi,grassroots_cell,village,KHONG-CO,5\n").encode()  # fmt: skip
    answer = _upload(client, csrf, "units", "don-vi.csv", body)
    assert answer.status_code == 422
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", answer.text)
    assert "3" in cells and "parent_code" in cells  # the file's row 3, its parent column
    assert "không có đơn vị «KHONG-CO»" in cells  # what is wrong, in the visitor's words
    assert "Không nhập dòng nào" in answer.text
    # the good row before it was not imported either
    assert client.get("/units/CB-MOI").status_code == 404


def test_a_good_file_is_imported(admin: tuple[httpx.Client, str]) -> None:
    client, csrf = admin
    body = (HEADER + "CB-THON2,Chi bộ thôn 2,grassroots_cell,village,X01,9\n").encode()
    answer = _upload(client, csrf, "units", "don-vi.csv", body)
    assert answer.status_code == 200
    assert "Đã nhập 1 dòng mới, cập nhật 0 dòng." in answer.text
    # it is stored: the same file again updates the row instead of adding it
    again = _upload(client, csrf, "units", "don-vi.csv", body)
    assert "Đã nhập 0 dòng mới, cập nhật 1 dòng." in again.text


def test_a_file_over_the_limit_is_refused(admin: tuple[httpx.Client, str]) -> None:
    client, csrf = admin
    answer = _upload(client, csrf, "units", "lon.csv", HEADER.encode() + b"x" * (6 * 1024**2))
    assert answer.status_code == 400
    assert "lớn hơn 5 MB" in answer.text


def test_a_zip_bomb_is_refused_before_it_is_opened(admin: tuple[httpx.Client, str]) -> None:
    client, csrf = admin
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("xl/worksheets/sheet1.xml", b"0" * (200 * 1024**2))  # 200 MB of zeros
    assert len(packed.getvalue()) < 1024**2
    answer = _upload(client, csrf, "ratings", "xep-loai.xlsx", packed.getvalue())
    assert answer.status_code == 400
    assert "giải nén ra quá lớn" in answer.text


def test_a_vietnamese_excel_file_imports_and_a_misspelt_contact_is_warned_about(
    admin: tuple[httpx.Client, str],
) -> None:
    client, csrf = admin
    text = ("Mã tổ chức;Tên;Loại;Loại hình;Mã cấp trên;Số đảng viên;"
            "contact_contact_superior_org_board\r\n"
            "CB-THON7;Chi bộ thôn 7;grassroots_cell;village;X01;8;ban@x.vn\r\n")  # fmt: skip
    body = text.encode("utf-8-sig")
    answer = _upload(client, csrf, "units", "don-vi.csv", body)
    assert answer.status_code == 200, answer.text[-800:]
    assert "Đã nhập 1 dòng mới" in answer.text
    assert "cảnh báo" in answer.text and "contact_contact_superior_org_board" in answer.text


def test_a_windows_1258_file_is_refused_with_how_to_save_it(
    admin: tuple[httpx.Client, str],
) -> None:
    client, csrf = admin
    body = HEADER.encode() + b"CB-W,Chi b\xf4\xf2 W,grassroots_cell,village,X01,3\n"
    answer = _upload(client, csrf, "units", "don-vi.csv", body)
    assert answer.status_code == 400
    assert "CSV UTF-8" in answer.text
    assert client.get("/units/CB-W").status_code == 404


def test_a_ratings_workbook_of_formulas_never_computed_is_a_row_error(
    admin: tuple[httpx.Client, str], tmp_path: Path
) -> None:
    client, csrf = admin
    path = workbook(tmp_path / "xep-loai.xlsx", [
        ["ma_to_chuc", "ma_dang_vien", "xep_loai", "giai_doan", "ngay_xep_loai"],
        ["CB-THON1", "DV001", '=IF(TRUE,"Tốt")', "Chính thức", "12/01/2026"],
    ])  # fmt: skip
    answer = _upload(client, csrf, "ratings", "xep-loai.xlsx", path.read_bytes())
    assert answer.status_code == 422
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", answer.text)
    assert "2" in cells and "xep_loai" in cells


def test_a_secretary_imports_no_units(live: Live) -> None:
    client, csrf = _logged_in(live, "bithu.thon1")
    body = (HEADER + "CB-X,Chi bộ X,grassroots_cell,village,X01,9\n").encode()
    answer = _upload(client, csrf, "units", "don-vi.csv", body)
    client.close()
    assert answer.status_code == 403, answer.text[-600:]


def test_the_bad_row_on_screen(browser: Any, live: Live, shots: Path, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 800})
    page.goto(live.base + "/login")
    page.fill("input[name=actor]", "quantri")
    page.fill("input[name=token]", token_of("quantri"))
    page.click("button.primary")
    page.goto(live.base + "/imports")
    bad = tmp_path / "don-vi.csv"
    bad.write_text(HEADER + "CB-B,Chi bộ B,grassroots_cell,village,X01,abc\n", encoding="utf-8")
    page.set_input_files("input[type=file]", str(bad))
    page.click("button.primary")
    page.wait_for_selector("table.problems")
    assert "member_count" in page.inner_text("table.problems")
    page.screenshot(path=str(shots / "12-import-bad-row.png"), full_page=True)
    page.close()
