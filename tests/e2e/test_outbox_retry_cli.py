"""`bontot outbox` shows messages parked with no recipient, naming role and unit, and
`bontot outbox retry` sends parked messages again (issue 16)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from adapters.catalog import load_catalog
from adapters.holidays_vn import calendar_for
from adapters.persistence.db import create_schema, make_engine
from adapters.persistence.store import SqlStore
from tests.conftest import local
from tests.service.test_no_recipient import NOBODY_ABOVE
from tests.support.api_server import serving
from tests.support.backends import rows
from tests.support.cli import bontot
from workflow.clock import VirtualClock
from workflow.service.cycles import CycleService


def _opened(url: str) -> None:
    engine = make_engine(url)
    create_schema(engine)
    store = SqlStore(engine)
    store.import_units(NOBODY_ABOVE)
    CycleService(store, VirtualClock(local(2025, 1, 5, 8)), calendar_for).open_cycles(
        load_catalog().latest("bon-tot"), 2025
    )
    store.close()
    engine.dispose()


def test_outbox_shows_no_recipient_and_retry_puts_parked_messages_back(
    db_url: str, tmp_path: Path
) -> None:
    _opened(db_url)
    ticked = bontot("tick", "--db", db_url, "--now", "2025-04-02T09:00", cwd=tmp_path)
    assert ticked.returncode == 0, ticked.stderr
    shown = json.loads(bontot("outbox", "--db", db_url, "--json", cwd=tmp_path).stdout)
    nobody = [p for p in shown["parked_items"] if p["channel"] == "none"]
    assert nobody and all(p["error"].startswith("no recipient: ") for p in nobody)
    assert any("superior_org_board on CB-THON1" in p["error"] for p in nobody)
    text = bontot("outbox", "--db", db_url, cwd=tmp_path).stdout
    assert (
        "chưa có người nhận: chưa đơn vị nào từ CB-THON1 trở lên có liên hệ của "
        "«Ban Tổ chức cấp ủy cấp trên»" in text
    )
    assert "superior_org_board" not in text  # the role by its label, never its code
    exported = bontot("export", "outbox", "--format", "csv", "--output", "outbox.csv",
                      "--db", db_url, cwd=tmp_path)  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    table = (tmp_path / "outbox.csv").read_text(encoding="utf-8-sig")
    assert "từ CB-THON1 trở lên có liên hệ của «Ban Tổ chức cấp ủy cấp trên»" in table
    assert "superior_org_board" not in table
    sent = rows(db_url, "SELECT COUNT(*) FROM outbox WHERE sent_at IS NOT NULL AND address = ''")
    assert sent[0][0] == 0  # nothing "sent" to nobody

    # the board names them too, with the role by its label
    with serving(db_url, VirtualClock(local(2025, 4, 2, 10)), prepared=True) as served:
        board = httpx.get(served.base + "/", timeout=30)
    assert board.status_code == 200
    assert "Thông báo chưa có người nhận" in board.text
    assert "CB-THON1</a>: «Ban Tổ chức cấp ủy cấp trên»" in board.text

    neither = bontot("outbox", "retry", "--db", db_url, cwd=tmp_path)
    assert neither.returncode == 1 and "--all-parked" in neither.stderr
    unknown = bontot("outbox", "retry", "--key", "no-such-key", "--db", db_url, cwd=tmp_path)
    assert unknown.returncode == 4 and "not every key" in unknown.stderr  # not found
    # no contact yet: retrying a message nobody can receive is refused, nothing changes
    thon1 = next(p["key"] for p in nobody if "superior_org_board on CB-THON1" in p["error"])
    refused = bontot("outbox", "retry", "--key", thon1, "--db", db_url, cwd=tmp_path)
    assert refused.returncode == 3, refused.stderr
    assert "vẫn chưa có người nhận" in refused.stderr
    assert "«Ban Tổ chức cấp ủy cấp trên»" in refused.stderr  # the role by its label
    assert json.loads(bontot("outbox", "--db", db_url, "--json", cwd=tmp_path).stdout) == shown

    # the commune's board gets a mailbox: the retry sends its escalations there
    units = tmp_path / "board.csv"
    units.write_text(
        "code,name,kind,org_type,parent_code,contact_superior_org_board\n"
        "X01,Đảng ủy xã Tân Lập,committee,village,T01,btc.x01@example.vn\n",
        encoding="utf-8",
    )
    imported = bontot("units", "import", str(units), "--db", db_url, cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    done = bontot("outbox", "retry", "--all-parked", "--db", db_url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "nay đã tìm được địa chỉ" in done.stdout
    assert "vẫn chưa có người nhận" in done.stdout and "CB-THON2" in done.stdout
    after = json.loads(bontot("outbox", "--db", db_url, "--json", cwd=tmp_path).stdout)
    assert after["parked"] < shown["parked"]
    assert thon1 not in {p["key"] for p in after["parked_items"]}
    ticked = bontot("tick", "--db", db_url, "--now", "2025-04-02T10:00", cwd=tmp_path)
    assert ticked.returncode == 0, ticked.stderr
    sent = rows(
        db_url,
        "SELECT data FROM outbox WHERE sent_at IS NOT NULL AND address = 'btc.x01@example.vn'",
    )
    assert any(
        item["unit_code"] == "CB-THON1" and item["kind"] == "escalation"
        for (data,) in sent
        for item in json.loads(data)["items"]
    )
