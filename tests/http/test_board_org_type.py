"""The board filtered by organisation type (loại hình): the commune's officer keeps only
the school's committee (administrative) or only the village cells, the choice named by
the definition's labels and carried to the list's Excel download. Read as the HTML a
real uvicorn serves to a logged-in officer (btc.x01)."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from tests.http.test_unit_page_labels import logged_in
from tests.support.api_server import Served

ROW = re.compile(r'<tr data-code="([^"]+)">')


def test_the_board_keeps_the_units_of_the_chosen_type(served_once: Served) -> None:
    client = logged_in(served_once, "btc.x01")
    try:
        every = client.get("/", params={"year": 2025, "lang": "vi"})
        schools = client.get("/", params={"year": 2025, "lang": "vi", "type": "administrative"})
        villages = client.get("/", params={"year": 2025, "lang": "vi", "type": "village"})
        sheet = client.get("/board.xlsx", params={"year": 2025, "type": "administrative"})
    finally:
        client.close()
    assert ROW.findall(every.text) == ["CB-THON1", "DB-TRUONG"]
    assert ROW.findall(schools.text) == ["DB-TRUONG"]
    assert ROW.findall(villages.text) == ["CB-THON1"]
    assert '<option value="">Mọi loại hình</option>' in every.text
    assert (
        '<option value="administrative" selected>Cơ quan hành chính, đơn vị sự nghiệp</option>'
    ) in schools.text
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    codes = [r[0] for r in rows if r[0] in ("CB-THON1", "DB-TRUONG")]
    assert codes == ["DB-TRUONG"]
