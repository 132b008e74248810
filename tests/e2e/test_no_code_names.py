"""What the main commands print in Vietnamese names things by the definition's labels:
no code name of the definition (a state, event, role, deadline, criterion, checklist item,
organisation kind or type) appears in it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from adapters.catalog import load_catalog
from tests.e2e.test_mistakes_cli import Shell, prepared  # noqa: F401  (the fixture)
from workflow.spec.model import DefinitionSpec


def code_names(spec: DefinitionSpec) -> set[str]:
    names = set(spec.states) | set(spec.roles) | set(spec.deadlines) | set(spec.milestones)
    names |= {t.trigger for t in spec.transitions}
    names |= set(spec.documents.unit_kinds) | set(spec.documents.org_types)
    for rule in spec.rules.values():
        criteria = rule.get("criteria") or {}
        names |= set(criteria.get("keys") or {})
        for items in ((criteria.get("checklist") or {}).get("by_type") or {}).values():
            names |= set(items)
    # the unit codes and actors of the test are not the definition's
    return {n for n in names if len(n) > 2}


@pytest.fixture
def walked(tmp_path: Path, prepared: Path) -> Shell:  # noqa: F811
    """CB-THON1 registered, started and self-evaluated (one sub-criterion short)."""
    sh = Shell(tmp_path)
    shutil.copyfile(prepared, sh.file)
    fire = ("fire", "CB-THON1")
    sh.ok(*fire, "register", "--year", "2025", "--actor", "bt", "--data", '{"plan": "KH-1"}',
          "--now", "2025-03-02")  # fmt: skip
    sh.ok(*fire, "start", "--year", "2025", "--actor", "bt", "--now", "2025-03-03")
    sh.ok(
        *fire, "self_evaluate", "--year", "2025", "--actor", "bt", "--now", "2025-11-20",
        "--criterion", "political_task=96", "--criterion", "meetings=97",
        "--criterion", "unity_discipline=95", "--criterion", "cadres_members=98",
        "--check", "development", "--check", "land_environment_order",
        "--check", "militia_conscription",
    )  # fmt: skip
    return sh


COMMANDS = [
    ("units", "list"),
    ("cycle", "open", "--year", "2026"),
    ("status", "--year", "2025"),
    ("status", "--year", "2025", "--under", "X01", "--now", "2026-04-01"),
    ("history", "CB-THON1", "--year", "2025", "--now", "2026-04-01"),
    ("calendar", "--year", "2025"),
    ("overdue", "--year", "2025", "--now", "2026-04-01"),
    ("verdict", "CB-THON1", "--year", "2025"),
    ("fire", "CB-THON1", "appraise", "--year", "2025", "--actor", "btc"),
    ("fire", "CB-THON1", "register", "--year", "2025", "--actor", "bt", "--data", "{}"),
    (
        "fire",
        "DB-TRUONG",
        "register",
        "--year",
        "2025",
        "--actor",
        "bt",
        "--data",
        "{}",
        "--role",
        "superior_org_board",
    ),
    (
        "bulk",
        "propose",
        "--year",
        "2025",
        "--under",
        "X01",
        "--actor",
        "bt",
        "--dry-run",
        "--role",
        "unit_secretary",
    ),
    (
        "bulk",
        "appraise",
        "--year",
        "2025",
        "--under",
        "X01",
        "--actor",
        "btc",
        "--dry-run",
        "--role",
        "superior_org_board",
    ),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_the_main_commands_show_labels_not_code_names(
    walked: Shell, command: tuple[str, ...]
) -> None:
    done = walked(*command, "--lang", "vi")
    assert "Traceback" not in done.stderr
    # what a person reads: stdout, and stderr without the log's JSON lines
    shown = done.stdout + "\n".join(
        line for line in done.stderr.splitlines() if not line.startswith("{")
    )
    assert shown.strip()
    assert named(shown) == [], shown


def named(shown: str) -> list[str]:
    """The definition's code names found in `shown`, as whole words."""
    spec = load_catalog().latest().spec
    return sorted(
        name for name in code_names(spec)
        if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", shown)
    )  # fmt: skip


def test_the_scan_finds_the_code_names_a_refusal_used_to_print() -> None:
    said = (
        "refused: CB01 propose: event 'propose' cannot be fired from state 'not_registered' "
        "(Chưa đăng ký); it is allowed from: self_evaluated\n"
        "thiếu: development, land_environment_order\n-10 working_days → unit_secretary"
    )
    assert named(said) == [
        "development",
        "land_environment_order",
        "not_registered",
        "propose",
        "self_evaluated",
        "unit_secretary",
    ]


def test_actors_are_listed_by_their_roles_labels_in_either_language(walked: Shell) -> None:
    """An administrator, then a cell's secretary it adds: both lines say the role as the
    definition and the catalogue name it, in Vietnamese by default, in English on request."""
    token = walked.ok("actors", "add", "quantri", "--role", "administrator").strip()
    added = walked(
        "actors", "add", "bt", "--role", "unit_secretary", "--scope", "CB-THON1",
        "--by", "quantri", BONTOT_TOKEN=token,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "bt: Bí thư chi bộ / đảng ủy tại CB-THON1" in added.stderr
    unscoped = ("actors", "add", "bt2", "--role", "unit_secretary", "--by", "quantri")
    refused = walked(*unscoped, BONTOT_TOKEN=token)
    assert refused.returncode == 3
    assert "vai trò «Bí thư chi bộ / đảng ủy» gắn với một đơn vị" in refused.stderr
    assert named(refused.stderr) == [], refused.stderr
    in_english = walked(*unscoped, "--lang", "en", BONTOT_TOKEN=token)
    assert "the role “Unit secretary” is held on a unit: give --scope CODE" in in_english.stderr
    listed = walked.ok("actors", "list")
    assert "Bí thư chi bộ / đảng ủy" in listed and "quản trị" in listed
    assert named(listed) == [], listed
    revoked = walked("actors", "revoke", "bt", "--by", "quantri", BONTOT_TOKEN=token)
    assert revoked.stdout.strip() == "bt: đã thu hồi"
    in_english = walked.ok("actors", "list", "--lang", "en")
    assert "Unit secretary" in in_english and "revoked " in in_english
    assert "đã thu hồi " in walked.ok("actors", "list")  # with the date it was revoked


def test_the_outbox_and_the_schema_revision_speak_the_users_language(walked: Shell) -> None:
    outbox = walked.ok("outbox")
    assert outbox.startswith("chờ gửi ") and ", đã gửi " in outbox and ", tạm dừng " in outbox
    assert "pending" not in outbox
    assert "(mới nhất)" in walked.ok("db", "current")
    assert walked.ok("db", "current", "--lang", "en").strip().endswith("(head)")
