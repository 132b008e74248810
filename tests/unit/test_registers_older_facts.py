"""Facts written before a register kept a column (a rating's score before revision
0006, an actor's password before 0008) still replay: what they did not keep is not
held against the row, and what they did is."""

from __future__ import annotations

from workflow.audit import FactRow
from workflow.audit_hashing import canonical_json
from workflow.audit_registers import (
    check_registers,
    current_state,
    expected_state,
    token_print,
)


def _ratings_fact(record: list[object]) -> FactRow:
    fields = ("2025-01-05T01:00:00.000000Z", "ratings_imported", None, None, None, 2025,
              None, "btc.x01", None, None, canonical_json({"records": [record]}))  # fmt: skip
    return FactRow(1, fields, "v2:x")


ROW = (2025, "CB-1", "DV1", "final", "A", "active", None, "good", "2025-12-12", "95")
OLDER = ["CB-1", "DV1", "final", "A", "active", None, "good", "2025-12-12"]


def test_a_score_the_fact_did_not_keep_is_not_held_against_the_row() -> None:
    found = check_registers(
        expected_state([_ratings_fact(OLDER)]), current_state({"rating": [ROW]})
    )
    assert found.problems == []


def test_a_score_the_fact_kept_is_compared() -> None:
    kept_none = _ratings_fact([*OLDER, None])
    found = check_registers(expected_state([kept_none]), current_state({"rating": [ROW]}))
    assert [str(p) for p in found.problems] == [
        "rating register, 2025/CB-1/DV1/final: changed outside the trail: score '95' where "
        "the trail says None"
    ]


def test_an_actor_from_an_older_baseline_has_no_password() -> None:
    older = {"actor": {"quantri": ["", "administrator", None, None, token_print("hash")]}}
    fields = ("2025-01-05T01:00:00.000000Z", "baseline", None, None, None, None, None,
              "system", None, None, canonical_json({"registers": older}))  # fmt: skip
    baseline = FactRow(1, fields, "v2:x")
    row = ("quantri", "", "administrator", None, None, "hash", "scrypt$set-behind")
    found = check_registers(expected_state([baseline]), current_state({"actor": [row]}))
    assert [str(p) for p in found.problems] == [
        "actor register, quantri: changed outside the trail: password "
        f"{token_print('scrypt$set-behind')!r} where the trail says None"
    ]
