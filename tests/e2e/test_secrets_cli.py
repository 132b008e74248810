"""Secrets on a bad day (issue 16): a database password in the URL is never printed nor
logged (init, db upgrade, audit verify, errors); a new token is shown once, on stdout
only, so that collected logs (stderr) never hold it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from adapters.logs import redacted
from tests.support.backends import pg_schema, pg_server_url
from tests.support.cli import bontot

PASSWORD = "s3cr3t-Hunter2"


def _with_password(url: str) -> str:
    parts = urlsplit(url)
    user = parts.username or "postgres"
    return urlunsplit(parts._replace(netloc=f"{user}:{PASSWORD}@{parts.hostname}:{parts.port}"))


@pytest.fixture
def pg_url_with_password() -> Iterator[str]:
    with pg_schema(pg_server_url()) as url:
        yield _with_password(url)


def test_a_database_password_is_never_printed_nor_logged(
    pg_url_with_password: str, tmp_path: Path
) -> None:
    url = pg_url_with_password
    said = []
    for command in (["init"], ["db", "upgrade"], ["db", "current"], ["audit", "verify"]):
        done = bontot(*command, "--db", url, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        said.append(done.stdout + done.stderr)
    assert all(PASSWORD not in text for text in said)
    assert "postgres:***@" in said[0]  # the URL is still shown, its password masked


def test_an_unreachable_database_s_error_hides_its_password(tmp_path: Path) -> None:
    url = f"postgresql://someone:{PASSWORD}@127.0.0.1:1/nowhere"
    done = bontot("init", "--db", url, cwd=tmp_path)
    assert done.returncode != 0
    assert PASSWORD not in done.stdout + done.stderr


def test_a_new_token_is_on_stdout_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert bontot("init", "--db", url, cwd=tmp_path).returncode == 0
    done = bontot("actors", "add", "quantri", "--role", "administrator", "--db", url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert len(token) > 30 and token not in done.stderr


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("postgresql://u:pw@h:5432/db", "postgresql://u:***@h:5432/db"),
        ("postgresql+psycopg://u:p%40ss@h/db?x=1", "postgresql+psycopg://u:***@h/db?x=1"),
        ("url=https://hook:tok@example.vn/a b", "url=https://hook:***@example.vn/a b"),
        ("sqlite:///./bontot.db", "sqlite:///./bontot.db"),
        ("https://example.vn/hook", "https://example.vn/hook"),
    ],
)
def test_redaction_masks_the_password_and_keeps_the_rest(text: str, shown: str) -> None:
    assert redacted(text) == shown
