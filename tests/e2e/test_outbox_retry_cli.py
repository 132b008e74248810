"""`bontot outbox` shows messages parked with no recipient, naming role and unit, and
`bontot outbox retry` sends parked messages again (issue 16)."""

from __future__ import annotations

import json
from pathlib import Path

from adapters.catalog import load_catalog
from adapters.holidays_vn import calendar_for
from adapters.persistence.db import create_schema, make_engine
from adapters.persistence.store import SqlStore
from tests.conftest import local
from tests.service.test_no_recipient import NOBODY_ABOVE
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
    assert "no recipient: no contact for role superior_org_board on CB-THON1" in text
    sent = rows(db_url, "SELECT COUNT(*) FROM outbox WHERE sent_at IS NOT NULL AND address = ''")
    assert sent[0][0] == 0  # nothing "sent" to nobody

    neither = bontot("outbox", "retry", "--db", db_url, cwd=tmp_path)
    assert neither.returncode == 1 and "--all-parked" in neither.stderr
    unknown = bontot("outbox", "retry", "--key", "no-such-key", "--db", db_url, cwd=tmp_path)
    assert unknown.returncode == 4 and "not every key" in unknown.stderr  # not found
    one = nobody[0]["key"]
    done = bontot("outbox", "retry", "--key", one, "--db", db_url, cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.startswith("1 thư tạm dừng")
    after = json.loads(bontot("outbox", "--db", db_url, "--json", cwd=tmp_path).stdout)
    assert after["parked"] == shown["parked"] - 1 and after["pending"] == shown["pending"] + 1
    again = bontot("outbox", "retry", "--all-parked", "--db", db_url, cwd=tmp_path)
    assert again.stdout.startswith(f"{shown['parked'] - 1} thư tạm dừng")
    assert json.loads(bontot("outbox", "--db", db_url, "--json", cwd=tmp_path).stdout)[
        "parked"
    ] == 0
