"""A transition on a real database (each backend) is all or nothing: a failure midway
leaves no half transition. The year's behaviour runs on the twin (tests/service/test_cycles.py);
the records it writes are held to both databases by tests/contract."""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg
import pytest

from tests.support.backends import connect, execute, tables
from workflow.service.cycles import CycleService

SECRETARY = ("bithu.thon1", "unit_secretary")


def snapshot(db_url: str, refusals: bool = False) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, read through a separate connection; without the
    audit events unless asked (a refusal is recorded there, and nowhere else)."""
    names = tables(db_url)
    if not refusals:
        names.remove("audit_event")
    with connect(db_url) as conn:
        return {
            t: sorted(map(tuple, conn.execute(f"SELECT * FROM {t}").fetchall()), key=repr)
            for t in names
        }


def test_a_failure_inside_the_transaction_leaves_no_half_transition(
    commune: CycleService, db_url: str
) -> None:
    """The audit INSERT fails (a trigger stands in for a crash): the state change rolls back."""
    error: type[Exception]
    if db_url.startswith("sqlite"):
        error = sqlite3.IntegrityError
        execute(
            db_url,
            "CREATE TRIGGER fail_audit BEFORE INSERT ON transition WHEN NEW.event = 'register' "
            "BEGIN SELECT RAISE(ABORT, 'disk full'); END",
        )
    else:
        error = psycopg.errors.RaiseException
        execute(
            db_url,
            "CREATE FUNCTION fail_audit() RETURNS trigger AS $$ BEGIN "
            "IF NEW.event = 'register' THEN RAISE EXCEPTION 'disk full'; END IF; "
            "RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER fail_audit BEFORE INSERT ON transition "
            "FOR EACH ROW EXECUTE FUNCTION fail_audit()",
        )
    before = snapshot(db_url)
    with pytest.raises(error, match="disk full"):
        commune.fire("CB-THON1", "register", 2025, *SECRETARY, {"plan": "KH-1"})
    assert snapshot(db_url) == before
    assert commune.cycle("CB-THON1", 2025).state == "not_registered"
