"""Schemathesis against the OpenAPI document the running server serves: generated
requests (valid and invalid) on every operation find no 5xx. Bounded: a few examples per
operation and a time budget, so that the run stays under a minute."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.support.api_server import Served

#: examples per operation, and the whole run's budget in seconds
EXAMPLES, BUDGET = 8, 25
#: the operations the document lists (health included)
OPERATIONS = 11


def test_generated_requests_find_no_server_error(served: Served, tmp_path: Path) -> None:
    actor = "btc.x01"  # a commune's board: it reads its commune and may act in it
    command = shutil.which("schemathesis") or shutil.which("st")
    assert command is not None, "schemathesis is in the test extra"
    done = subprocess.run(
        [
            command, "run", served.base + "/api/v1/openapi.json",
            "--url", served.base,
            "--checks", "not_a_server_error",
            "--max-examples", str(EXAMPLES),
            "--max-time", str(BUDGET),
            "--workers", "1",
            "--seed", "2025",
            "--generation-database", "none",
            "--header", f"Authorization: Bearer {actor}:{served.tokens[actor]}",
            "--header", "Accept-Language: vi",
            "--no-color",
            "--report", "junit", "--report-dir", str(tmp_path),
        ],
        capture_output=True, text=True, timeout=BUDGET * 3, cwd=tmp_path,
    )  # fmt: skip
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-6000:]
    (report,) = tmp_path.glob("junit*.xml")
    suite = ET.parse(report).getroot()
    assert suite.get("failures") == "0" and suite.get("errors") == "0", out[-6000:]
    operations = {c.get("name") for c in suite.iter("testcase")} - {"Stateful tests"}
    assert len(operations) == OPERATIONS, operations
