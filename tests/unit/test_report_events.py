"""Which events a report reads a verdict from comes from the definition, not from names
in the code: a version that renames its appraisal still shows its verdict."""

from __future__ import annotations

from workflow.service.reports import verdict_events
from workflow.spec.registry import DefinitionSet


def test_the_appraisal_and_its_rejection_carry_the_bon_tot_verdict(catalog: DefinitionSet) -> None:
    assert verdict_events(catalog.latest("bon-tot").spec) == {"appraise", "reject"}


def test_the_model_cell_programme_judges_at_recognition(catalog: DefinitionSet) -> None:
    assert verdict_events(catalog.latest("chi-bo-kieu-mau").spec) == {"recognize"}


def test_a_renamed_appraisal_is_still_the_verdict(catalog: DefinitionSet) -> None:
    spec = catalog.latest("bon-tot").spec
    renamed = spec.model_copy(update={"transitions": [
        t.model_copy(update={"trigger": "tham_dinh"}) if t.trigger == "appraise" else t
        for t in spec.transitions
    ]})  # fmt: skip
    assert verdict_events(renamed) == {"tham_dinh", "reject"}
