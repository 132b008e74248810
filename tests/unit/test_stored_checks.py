"""A verdict stored compactly (key, actual, required, outcome) reads back as the rule
made it: the labels a reader sees come from the definition, never from the record, and a
record written before the compact form reads as it was written."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.register import members, unit_rating
from workflow.audit_hashing import canonical_json
from workflow.rules.checks import Check, GuardContext
from workflow.rules.kinds import RULE_KINDS, check_labels
from workflow.rules.stored_checks import compact, expand
from workflow.spec.registry import Definition, DefinitionSet

CRITERIA = ("political_task", "meetings", "unity_discipline", "cadres_members")
LEVELS = ("excellent", "good", "completed", "not_completed")


def verdict(definition: Definition, rule: str, kind: str, facts: dict[str, Any]) -> list[Check]:
    params = definition.spec.rules[rule]
    found = RULE_KINDS[params.get("kind", "recognition")]
    return found.evaluate(found.params.model_validate(params), GuardContext(kind, facts))


def read_back(definition: Definition, checks: list[Check]) -> list[dict[str, Any]]:
    """What a reader gets from the stored text of these checks."""
    stored = json.loads(canonical_json(compact(checks)))
    return expand(stored, check_labels(definition.spec.rules))


@settings(max_examples=60, deadline=None)
@given(
    scores=st.lists(
        st.one_of(st.integers(0, 100), st.floats(0, 100).map(lambda f: round(f, 1)), st.none()),
        min_size=4,
        max_size=4,
    ),
    counts=st.lists(st.integers(0, 6), min_size=5, max_size=5),
    ticked=st.booleans(),
)
def test_a_cells_verdict_reads_back_as_the_rule_made_it(
    catalog: DefinitionSet, scores: list[Any], counts: list[int], ticked: bool
) -> None:
    for definition in catalog:
        rule = next((t.guard for t in definition.spec.transitions if t.guard), None)
        if rule is None or definition.spec.rules[rule].get("kind", "recognition") != "recognition":
            continue
        register = {
            "unit": "CB",
            "org_type": "village",
            "records": [
                r.as_dict()
                for r in members("CB", **dict(zip((*LEVELS, "unrated"), counts, strict=True)))
            ],
            "cells": [],
        }
        facts = {
            "criteria": dict(zip(CRITERIA, scores, strict=True)),
            "checklist": {"development": ticked},
            "register": register,
        }
        checks = verdict(definition, rule, "grassroots_cell", facts)
        assert checks
        assert read_back(definition, checks) == [c.as_dict() for c in checks]


def test_a_committees_verdict_reads_back_with_its_cells_labels(bon_tot: Definition) -> None:
    cells = ["C1", "C2", "C3"]
    records = [unit_rating(c, lv) for c, lv in zip(cells, ("excellent", "good", None), strict=True)]
    facts = {
        "criteria": dict.fromkeys(CRITERIA, 96),
        "register": {"unit": "DB", "records": [r.as_dict() for r in records], "cells": cells},
    }
    checks = verdict(bon_tot, "recognition", "grassroots_committee", facts)
    assert any(c.key.startswith("ratings.cells.") for c in checks)
    assert read_back(bon_tot, checks) == [c.as_dict() for c in checks]


def test_a_meeting_verdict_reads_back_with_the_definitions_labels(bon_tot: Definition) -> None:
    checks = verdict(bon_tot, "meetings", "grassroots_cell", {"meetings": []})
    assert [c["label"]["vi"] for c in read_back(bon_tot, checks)] == ["Sổ sinh hoạt chi bộ"]


def test_the_compact_form_is_a_fraction_of_the_labelled_one(bon_tot: Definition) -> None:
    facts = {
        "criteria": dict.fromkeys(CRITERIA, 96),
        "register": {"unit": "CB", "records": [r.as_dict() for r in members("CB", good=10)]},
    }
    checks = verdict(bon_tot, "recognition", "grassroots_cell", facts)
    labelled = canonical_json([c.as_dict() for c in checks]).encode()
    assert len(canonical_json(compact(checks)).encode()) * 2 < len(labelled)


def test_a_record_written_with_labels_reads_as_it_was_written(bon_tot: Definition) -> None:
    written = [
        {
            "key": "criteria.political_task",
            "label": {"vi": "nhãn cũ", "en": "an old label"},
            "actual": "96 %",
            "required": "≥ 95 %",
            "passed": True,
        }
    ]
    assert expand(written, check_labels(bon_tot.spec.rules)) == written


def test_a_key_no_rule_knows_is_shown_as_itself(bon_tot: Definition) -> None:
    stored = [["criteria.no_such_thing", "1", "2", "fail"]]
    (found,) = expand(stored, check_labels(bon_tot.spec.rules))
    assert found["label"] == {"vi": "criteria.no_such_thing", "en": "criteria.no_such_thing"}
    assert found["passed"] is False
