"""The state map of a migration and the verdict on one cycle (pure)."""

from __future__ import annotations

import pytest

from tests.conftest import FIXTURES
from workflow.spec.registry import DefinitionSet
from workflow.versions import MigrationError, judge, parse_pairs, state_map

VERSIONS = DefinitionSet.from_texts(
    [
        (str(p), p.read_text(encoding="utf-8"))
        for p in sorted((FIXTURES / "definitions" / "versions").glob("*.yaml"))
    ]
)
V1, V2 = VERSIONS.get("review", 1).spec, VERSIONS.get("review", 2).spec


def test_same_names_map_to_themselves_and_pairs_add_and_override() -> None:
    plain = state_map(V1, V2)
    assert plain.as_dict() == {"draft": "draft", "submitted": "submitted", "closed": "closed"}
    assert plain.explicit == frozenset()
    mapped = state_map(V1, V2, [("reviewed", "checked"), ("submitted", "returned")])
    assert mapped.target_of("reviewed") == "checked"
    assert mapped.target_of("submitted") == "returned"
    assert mapped.target_of("withdrawn") is None
    assert mapped.explicit == {"reviewed", "submitted"}


def test_pairs_are_parsed_and_bad_ones_named_together() -> None:
    assert parse_pairs(["reviewed=checked", " a = b ", "a=b"]) == [
        ("reviewed", "checked"), ("a", "b"),
    ]
    with pytest.raises(MigrationError) as caught:
        parse_pairs(["reviewed", "=x", "a=b", "a=c"])
    message = str(caught.value)
    assert "'reviewed' is not OLD=NEW" in message and "'=x' is not OLD=NEW" in message
    assert "'a' is mapped twice ('b' and 'c')" in message


def test_every_problem_of_a_map_is_said_at_once() -> None:
    with pytest.raises(MigrationError) as caught:
        state_map(V1, V1, [("gone", "checked"), ("draft", "nowhere")])
    message = str(caught.value)
    assert "same version (1)" in message
    assert "'gone' is not a state of review v1" in message
    assert "'nowhere' is not a state of review v1" in message


def test_a_cycle_is_moved_or_refused_with_its_reason() -> None:
    mapping = state_map(V1, V2)
    assert judge(1, "A", 2025, "submitted", V1, mapping).to_state == "submitted"
    refused = {
        state: judge(1, "A", 2025, state, V1, mapping).reason
        for state in ("reviewed", "closed", "withdrawn", "no_such")
    }
    assert refused == {
        "reviewed": "unmapped_state",
        "closed": "closed",
        "withdrawn": "closed",
        "no_such": "unknown_state",
    }
    assert "--map reviewed=STATE" in judge(1, "A", 2025, "reviewed", V1, mapping).message(1, 2)


def test_a_unit_the_target_does_not_apply_to_is_refused() -> None:
    narrower = V2.model_copy(update={"applies_to": ["grassroots_cell"]})
    mapping = state_map(V1, narrower)
    cell = judge(1, "A", 2025, "draft", V1, mapping, "grassroots_cell", narrower)
    school = judge(2, "B", 2025, "draft", V1, mapping, "subordinate_cell", narrower)
    assert (cell.to_state, school.reason) == ("draft", "not_applicable")
