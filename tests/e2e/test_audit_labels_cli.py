"""`audit verify` on a cycle row and a deadline edited behind the chain's back names the
states, outcomes and deadlines by the definition's labels in the inspector's language
(Vietnamese, or English asked for) and the instants as people read them; its JSON keeps
the English with the code names, for programs and logs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.catalog import load_catalog
from adapters.http.pages.audit import verify_work
from adapters.i18n.said import Labeller
from tests.support.backends import execute
from tests.support.cli import UNITS_CSV, Cli
from workflow.progress import Silent


@pytest.fixture
def tampered(tmp_path: Path, db_url: str) -> tuple[Cli, int]:
    """CB-THON1 registered on 20/02/2025 09:00; then its row says it is implementing and
    recognised, and its registration deadline says it was never met."""
    cli = Cli(tmp_path, db_url)
    cli("init")
    (tmp_path / "units.csv").write_text(UNITS_CSV, encoding="utf-8")
    cli("units", "import", "units.csv")
    cli("cycle", "open", "--year", "2025", "--under", "CB-THON1", "--now", "2025-01-05T08:00")
    cli("fire", "CB-THON1", "register", "--year", "2025", "--actor", "bithu.thon1",
        "--data", '{"plan": "KH-05"}', "--now", "2025-02-20T09:00")  # fmt: skip
    cycle = int(cli.rows("SELECT c.id FROM cycle c JOIN unit u ON u.id = c.unit_id "
                         "WHERE u.code = 'CB-THON1'")[0][0])  # fmt: skip
    for statement in (
        f"UPDATE cycle SET state = 'implementing', outcome = 'recognized' WHERE id = {cycle}",
        f"UPDATE deadline SET met_at = NULL WHERE cycle_id = {cycle} AND key = 'register'",
    ):
        execute(cli.url, statement, bypass_triggers=True)
    return cli, cycle


def test_verify_says_states_outcomes_and_deadlines_by_their_labels(
    tampered: tuple[Cli, int],
) -> None:
    cli, c = tampered
    said = cli("audit", "verify", ok=False)
    assert said.returncode == 1
    lines = [line.strip() for line in said.stderr.splitlines() if not line.startswith("{")]
    assert f"chu kỳ {c}, bản ghi thứ 2: chu kỳ ghi trạng thái «Đang thực hiện» nhưng các " \
        "bản ghi kết thúc ở «Đã đăng ký»: dòng dữ liệu của chu kỳ đã bị sửa" in lines
    assert f"chu kỳ {c}, dòng dữ liệu của chu kỳ: ghi kết quả «Được công nhận» nhưng các " \
        "bản ghi cho «chưa có kết quả»: dòng dữ liệu của chu kỳ đã bị sửa" in lines
    assert f"chu kỳ {c}, hạn «Đăng ký xây dựng mô hình»: thời điểm hoàn thành ghi là " \
        "«chưa hoàn thành» nhưng theo các bản ghi là «20/02/2025 09:00»: hạn đã bị sửa" in lines
    for code in ("implementing", "registered", "recognized", "register"):
        assert f"«{code}»" not in said.stderr

    english = cli("audit", "verify", "--lang", "en", ok=False).stderr
    assert f"cycle {c}, seq 2: the cycle says “Implementing” but its records end in " \
        "“Registered”: the cycle row was edited" in english
    assert f"cycle {c}, its row: it says outcome “Recognised” but its records give " \
        "“no outcome”: the cycle row was edited" in english
    assert f"cycle {c}, deadline “Registration”: its row says met “not met” but its " \
        "records say “20/02/2025 09:00”: the deadline was edited" in english


def test_verify_json_keeps_the_code_names(tampered: tuple[Cli, int]) -> None:
    cli, c = tampered
    found = json.loads(cli("audit", "verify", "--json", ok=False).stdout)["problems"]
    assert f"cycle {c}, seq 2: the cycle says 'implementing' but its records end in " \
        "'registered': the cycle row was edited" in found
    assert f"cycle {c}, its row: it says outcome 'recognized' but its records give None: " \
        "the cycle row was edited" in found
    assert any(p.startswith(f"cycle {c}, deadline register: met None but its records meet it ")
               for p in found)  # fmt: skip


def test_the_webs_verification_file_says_them_by_their_labels_too(
    tampered: tuple[Cli, int],
) -> None:
    """The audit page's background verification: its CSV is what the inspector keeps."""
    cli, c = tampered
    done = verify_work(cli.url, None, "vi", Labeller(load_catalog().specs))(Silent())
    assert not done.ok
    kept = done.files["csv"].decode("utf-8-sig")
    assert f"chu kỳ {c}, bản ghi thứ 2: chu kỳ ghi trạng thái «Đang thực hiện» nhưng các " \
        "bản ghi kết thúc ở «Đã đăng ký»" in kept
    assert "«Đăng ký xây dựng mô hình»" in kept and "«register»" not in kept
