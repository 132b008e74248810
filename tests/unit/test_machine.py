"""Compiled definitions: one shared Machine per version, and decisions without a database."""

from __future__ import annotations

from workflow.runtime.machine import CompiledDefinition, MachineCache, mermaid_diagram
from workflow.spec.registry import Definition, DefinitionSet


def test_one_machine_per_definition_version_and_one_cursor(bon_tot: Definition) -> None:
    cache = MachineCache()
    compiled = cache.get(bon_tot)
    assert cache.get(bon_tot) is compiled
    for n in range(1000):
        compiled.decide(
            "not_registered",
            "register",
            "unit_secretary",
            {"plan": f"KH-{n}"},
            "grassroots_cell",
            {},
        )
    # the shared machine still has exactly the one cursor it was compiled with
    assert len(compiled._machine.models) == 1


def test_decisions_name_the_deadlines_they_meet_and_reopen(bon_tot: Definition) -> None:
    compiled = CompiledDefinition(bon_tot)
    proposed = compiled.decide(
        "self_evaluated", "propose", "unit_secretary", {}, "grassroots_cell", {}
    )
    assert proposed.to_state == "proposed" and proposed.met == ("propose",)
    returned = compiled.decide(
        "proposed",
        "return_for_revision",
        "superior_org_board",
        {"reason": "thiếu biên bản"},
        "grassroots_cell",
        {},
    )
    assert returned.to_state == "returned" and returned.reopened == ("propose",)


def test_wrong_state_refusal_names_where_the_event_is_allowed(bon_tot: Definition) -> None:
    decision = CompiledDefinition(bon_tot).decide(
        "registered",
        "recognize",
        "superior_standing_committee",
        {"decision": "1"},
        "grassroots_cell",
        {},
    )
    assert decision.refusal is not None and decision.refusal.code == "wrong_state"
    assert "appraised" in decision.refusal.message


def test_roles_for_lists_who_may_fire(bon_tot: Definition) -> None:
    compiled = CompiledDefinition(bon_tot)
    assert compiled.roles_for("appraised", "recognize") == ["superior_standing_committee"]
    assert compiled.roles_for("registered", "recognize") == []


def test_mermaid_diagram_has_every_transition_and_vietnamese_labels(
    catalog: DefinitionSet,
) -> None:
    for definition in catalog:
        text = mermaid_diagram(definition)
        assert "stateDiagram" in text
        for transition in definition.spec.transitions:
            for source in transition.source:
                assert f"{source} --> {transition.dest}: {transition.trigger}" in text
        for state in definition.spec.states.values():
            assert state.label.vi in text
