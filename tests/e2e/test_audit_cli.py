"""Actors, tokens and the audit commands, end to end on a real database (each
backend)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.backends import execute
from tests.support.cli import Cli


@pytest.fixture
def cli(cli: Cli) -> Cli:
    """The five units (tests/e2e/conftest.py), their 2025 cycles open."""
    cli("cycle", "open", "--year", "2025", "--now", "2025-01-05T08:00")
    return cli


def add_actor(cli: Cli, *args: str, token: str | None = None) -> str:
    env = dict(cli.env)
    if token is not None:
        env["BONTOT_TOKEN"] = token
    saved, cli.env = cli.env, env
    try:
        return cli("actors", "add", *args).stdout.strip()
    finally:
        cli.env = saved


def as_actor(cli: Cli, token: str, *args: str, ok: bool = True) -> object:
    saved, cli.env = cli.env, {**cli.env, "BONTOT_TOKEN": token}
    try:
        return cli(*args, ok=ok)
    finally:
        cli.env = saved


def test_actors_with_tokens_act_only_where_their_role_reaches(cli: Cli) -> None:
    refused = cli("actors", "add", "bithu.thon1", "--role", "unit_secretary", ok=False)
    assert refused.returncode == 3 and "người dùng đầu tiên phải là quản trị" in refused.stderr
    admin = add_actor(cli, "quantri", "--role", "administrator")
    secretary = add_actor(
        cli, "bithu.thon1", "--role", "unit_secretary", "--scope", "CB-THON1",
        "--by", "quantri", token=admin,
    )
    assert len(secretary) > 30 and secretary != admin
    stored = cli.rows("SELECT token_hash FROM actor WHERE id = 'bithu.thon1'")[0][0]
    assert stored.startswith("scrypt$") and secretary not in stored  # kept only hashed

    register = ("fire", "CB-THON1", "register", "--year", "2025", "--actor", "bithu.thon1",
                "--data", '{"plan": "KH-05"}')
    backdated = as_actor(cli, secretary, *register, "--now", "2025-02-20T09:00", ok=False)
    assert backdated.returncode == 3 and "dated by the clock" in backdated.stderr
    wrong = as_actor(cli, "not-the-token", *register, ok=False)
    assert wrong.returncode == 3 and "mã truy cập không đúng" in wrong.stderr
    elsewhere = as_actor(
        cli, secretary, "fire", "DB-TRUONG", "register", "--year", "2025",
        "--actor", "bithu.thon1", "--data", '{"plan": "KH"}', ok=False,
    )
    assert elsewhere.returncode == 3 and "not of DB-TRUONG" in elsewhere.stderr
    done = as_actor(cli, secretary, *register)
    assert "Đã đăng ký" in done.stdout

    revoked = as_actor(cli, admin, "actors", "revoke", "bithu.thon1", "--by", "quantri")
    assert "đã thu hồi" in revoked.stdout
    again = as_actor(
        cli, secretary, "fire", "CB-THON1", "start", "--year", "2025",
        "--actor", "bithu.thon1", ok=False,
    )
    assert again.returncode == 3 and "revoked" in again.stderr

    log = json.loads(cli("audit", "log", "--refusals", "--json").stdout)
    # a refusal to an unauthenticated claim is the machine's, not the claimed actor's
    codes = [(r["actor"], r["detail"].get("claimed"), r["code"]) for r in log]
    assert codes == [
        ("unauthenticated", "bithu.thon1", "not_authenticated"),  # backdated
        ("unauthenticated", "bithu.thon1", "not_authenticated"),  # bad token
        ("bithu.thon1", None, "not_authorized"),  # not their unit
        ("unauthenticated", "bithu.thon1", "not_authenticated"),  # revoked
    ]


def test_verify_export_and_an_edited_export(cli: Cli, tmp_path: Path) -> None:
    cli("fire", "CB-THON1", "register", "--year", "2025", "--actor", "bithu.thon1",
        "--data", '{"plan": "KH-05"}', "--now", "2025-02-20T09:00")
    cli("fire", "CB-THON1", "start", "--year", "2025", "--actor", "bithu.thon1",
        "--now", "2025-04-02T09:00")
    cli("fire", "DB-TRUONG", "register", "--year", "2025", "--actor", "bithu.truong",
        "--data", '{"plan": "KH-9"}', "--now", "2025-04-05T09:00")  # after 31/03: late
    verified = json.loads(cli("audit", "verify", "--json").stdout)
    assert verified["ok"] and verified["records"] >= 5
    exported = tmp_path / "x01-2025.jsonl"
    cli("audit", "export", "--year", "2025", "--under", "X01", "--output", str(exported))
    assert "toàn vẹn:" in cli("audit", "verify", "--file", str(exported)).stdout
    text = exported.read_text(encoding="utf-8").replace("KH-05", "KH-06")
    exported.write_text(text, encoding="utf-8")
    bad = cli("audit", "verify", "--file", str(exported), "--lang", "en", ok=False)
    assert bad.returncode == 1 and "seq 2 (line" in bad.stderr

    late = json.loads(cli("audit", "log", "--late", "--json").stdout)
    assert [(r["unit"], r["event"], r["late_for"]) for r in late] == [
        ("DB-TRUONG", "register", "register")
    ]
    everything = json.loads(cli("audit", "log", "--actor", "bithu.thon1", "--json").stdout)
    assert [r["event"] for r in everything] == ["register", "start"]


def test_verify_names_a_record_edited_in_the_file(cli: Cli) -> None:
    cli("fire", "CB-THON1", "register", "--year", "2025", "--actor", "bithu.thon1",
        "--data", '{"plan": "KH-05"}', "--now", "2025-02-20T09:00")
    execute(
        cli.url,
        "UPDATE transition SET actor = 'nguoi.khac' WHERE event = 'register'",
        bypass_triggers=True,
    )
    bad = cli("audit", "verify", "--lang", "en", ok=False)
    assert bad.returncode == 1
    assert ", seq 2: its content or its place does not match its hash" in bad.stderr
    # the inspector's own language by default
    said = cli("audit", "verify", ok=False)
    assert said.returncode == 1
    assert (
        "chu kỳ 1, bản ghi thứ 2: nội dung hoặc vị trí không khớp với mã băm: đã bị sửa, "
        "chèn hoặc di chuyển" in said.stderr
    )


@pytest.mark.parametrize(
    ("actor_id", "role", "lang", "said"),
    [
        ("quan\x1ftri", "administrator", "vi", "mã người dùng"),
        ("quan tri", "administrator", "en", "actor id 'quan tri': only letters, digits"),
        ("quantri", "administrator\x1funit_secretary", "vi", "vai trò"),
        ("quantri", "Administrator", "en", "role 'Administrator': only lower-case"),
    ],
)
def test_an_actor_id_or_role_outside_the_safe_characters_is_refused(
    cli: Cli, actor_id: str, role: str, lang: str, said: str
) -> None:
    refused = cli("actors", "add", actor_id, "--role", role, "--lang", lang, ok=False)
    assert refused.returncode == 3 and said in refused.stderr
    assert "Traceback" not in refused.stderr
    assert cli.rows("SELECT COUNT(*) FROM actor") == [(0,)]


def test_verify_file_refuses_an_empty_or_cut_short_export(cli: Cli, tmp_path: Path) -> None:
    exported = tmp_path / "all.jsonl"
    cli("audit", "export", "--year", "2025", "--output", str(exported))
    assert "toàn vẹn:" in cli("audit", "verify", "--file", str(exported)).stdout
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    refused = cli("audit", "verify", "--file", str(empty), "--lang", "en", ok=False)
    assert refused.returncode == 1 and "empty: no header" in refused.stderr
    cut = tmp_path / "cut.jsonl"
    cut.write_text(
        "".join(exported.read_text(encoding="utf-8").splitlines(keepends=True)[:-1]),
        encoding="utf-8",
    )
    refused = cli("audit", "verify", "--file", str(cut), "--lang", "en", ok=False)
    assert refused.returncode == 1 and "cut short (truncated)" in refused.stderr


def _fired(cli: Cli) -> None:
    cli(
        "fire",
        "CB-THON1",
        "register",
        "--year",
        "2025",
        "--actor",
        "bithu.thon1",
        "--data",
        '{"plan": "KH-05"}',
        "--now",
        "2025-02-20T09:00",
    )
    cli(
        "fire",
        "CB-THON1",
        "start",
        "--year",
        "2025",
        "--actor",
        "bithu.thon1",
        "--now",
        "2025-04-02T09:00",
    )


def test_an_inspector_signs_an_anchor_and_verifies_with_their_own_key(
    cli: Cli, tmp_path: Path
) -> None:
    _fired(cli)
    made = cli("audit", "keys", "generate", str(tmp_path / "ubkt.key")).stdout
    assert "dấu vân tay" in made and (tmp_path / "ubkt.key.pub").exists()
    assert (tmp_path / "ubkt.key").stat().st_mode & 0o077 == 0  # the owner's only
    unregistered = cli("audit", "anchor", "--sign", str(tmp_path / "ubkt.key"), ok=False)
    assert unregistered.returncode == 3 and "chưa được đăng ký" in unregistered.stderr
    cli("audit", "keys", "add", "ubkt", str(tmp_path / "ubkt.key.pub"))
    listed = json.loads(cli("audit", "keys", "list", "--json").stdout)
    assert [(k["name"], k["revoked_at"]) for k in listed] == [("ubkt", None)]
    signed = cli("audit", "anchor", "--sign", str(tmp_path / "ubkt.key"),
                 "--output", str(tmp_path / "anchor.json")).stdout  # fmt: skip
    assert "ký bằng khóa «ubkt» (số 1)" in signed
    # the private key is nowhere in the database: only its public half and a signature
    private = (tmp_path / "ubkt.key").read_text().splitlines()[1]
    assert private not in json.dumps(cli("audit", "log", "--json").stdout)
    cli(
        "fire",
        "DB-TRUONG",
        "register",
        "--year",
        "2025",
        "--actor",
        "bithu.truong",
        "--data",
        '{"plan": "KH-9"}',
        "--now",
        "2025-04-05T09:00",
    )
    trusted = json.loads(
        cli("audit", "verify", "--trust", str(tmp_path / "ubkt.key.pub"), "--json").stdout
    )
    assert trusted["ok"], trusted
    assert trusted["notes"][1].startswith("unanchored tail: 1 transition record(s)")
    assert "toàn vẹn:" in cli("audit", "verify", "--against", str(tmp_path / "anchor.json")).stdout
    cli("audit", "keys", "revoke", "ubkt")
    assert json.loads(cli("audit", "keys", "list", "--json").stdout)[0]["revoked_at"]
    revoked = cli("audit", "anchor", "--sign", str(tmp_path / "ubkt.key"), ok=False)
    assert revoked.returncode == 3 and "đã bị thu hồi" in revoked.stderr


def test_verify_against_an_earlier_export_names_what_changed_since(
    cli: Cli, tmp_path: Path
) -> None:
    _fired(cli)
    exported = tmp_path / "x01.jsonl"
    cli("audit", "export", "--year", "2025", "--under", "X01", "--output", str(exported))
    assert "toàn vẹn:" in cli("audit", "verify", "--against", str(exported)).stdout
    # the holder of the file edits a record (triggers dropped first, as they would)
    execute(cli.url, "UPDATE transition SET payload = REPLACE(payload, 'KH-05', 'KH-06')",
            bypass_triggers=True)  # fmt: skip
    changed = cli("audit", "verify", "--against", str(exported), "--lang", "en", ok=False)
    assert changed.returncode == 1
    assert "cycle 1, seq 2: differs from the export in payload: rewritten since" in changed.stderr
    said = cli("audit", "verify", "--against", str(exported), ok=False).stderr
    assert "chu kỳ 1, bản ghi thứ 2: khác với tệp xuất về nội dung: đã bị ghi lại từ đó" in said


@pytest.mark.parametrize(
    ("cut", "named"),
    [
        (lambda lines: lines[:-1], "cut short (truncated)"),
        (
            lambda lines: [lines[0]] + [x for x in lines[1:] if '"cycle_id": 1,' not in x],
            "cycles were removed or added",
        ),
        (
            lambda lines: [line.replace("KH-05", "KH-06") for line in lines],
            "differs from the export in payload",
        ),
    ],
    ids=["truncated", "cycles-removed", "edited"],
)
def test_verify_against_an_export_tampered_with_says_so(
    cli: Cli, tmp_path: Path, cut: object, named: str
) -> None:
    _fired(cli)
    exported = tmp_path / "all.jsonl"
    cli("audit", "export", "--year", "2025", "--output", str(exported))
    lines = exported.read_text(encoding="utf-8").splitlines(keepends=True)
    exported.write_text("".join(cut(lines)), encoding="utf-8")  # type: ignore[operator]
    refused = cli("audit", "verify", "--against", str(exported), "--lang", "en", ok=False)
    assert refused.returncode == 1 and named in refused.stderr, refused.stderr


def test_verify_against_an_empty_file_refuses_it(cli: Cli, tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    refused = cli("audit", "verify", "--against", str(empty), ok=False)
    assert refused.returncode == 1 and "cannot be read" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_an_administrator_sets_a_password_from_stdin_never_an_argument(cli: Cli) -> None:
    token = add_actor(cli, "quantri", "--role", "administrator")
    saved, cli.env = cli.env, {**cli.env, "BONTOT_TOKEN": token}
    try:
        short = cli("actors", "password", "quantri", "--by", "quantri", input="ngan\n", ok=False)
        assert short.returncode == 3 and "mật khẩu quá ngắn" in short.stderr
        done = cli("actors", "password", "quantri", "--by", "quantri",
                   input="mat-khau-dai-du\n")  # fmt: skip
        assert "đã đặt mật khẩu" in done.stdout
    finally:
        cli.env = saved
    facts = json.loads(cli("audit", "log", "--json").stdout)
    assert [f["kind"] for f in facts if f["kind"] == "actor_password_set"] == ["actor_password_set"]
    assert "mat-khau" not in json.dumps(facts)
    assert "toàn vẹn:" in cli("audit", "verify").stdout
    execute(cli.url, "UPDATE actor SET password_hash = 'scrypt$x'", bypass_triggers=True)
    tampered = cli("audit", "verify", "--lang", "en", ok=False)
    assert "actor register, quantri: changed outside the trail: password" in tampered.stderr
