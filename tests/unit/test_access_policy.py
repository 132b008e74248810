"""The entry points' policies (workflow.access), pure: who may act at all, who imports a
unit's meetings, who sets a superior's target, who keeps a milestone."""

from __future__ import annotations

import pytest

from adapters.catalog import load_catalog
from workflow.access import (
    ADMINISTRATOR,
    AUDITOR,
    Grant,
    authentication_refusal,
    first_actor_refusal,
    meeting_import_refusal,
    milestone_refusal,
    outside_scope,
    scope_refusal,
    target_refusal,
    target_setters,
)
from workflow.service.acts import trigger_named
from workflow.spec.model import DefinitionSpec

SECRETARY = Grant("bt.c01", "unit_secretary", "C01", "/T01/H01/C01/")
COMMITTEE = Grant("btv.h01", "superior_standing_committee", "H01", "/T01/H01/")
BOARD = Grant("tc.h01", "superior_org_board", "H01", "/T01/H01/")
ADMIN = Grant("admin", ADMINISTRATOR, None, None)


@pytest.fixture(scope="module")
def spec() -> DefinitionSpec:
    return load_catalog().latest("bon-tot").spec


@pytest.mark.parametrize(
    ("grant", "token", "backdated", "administrator", "why"),
    [
        (None, True, None, False, "unknown actor"),
        (SECRETARY, None, None, False, "no token"),
        (SECRETARY, False, None, False, "bad token"),
        (Grant("x", "unit_secretary", "C01", "/C01/", revoked=True), True, None, False, "revoked"),
        (
            SECRETARY, True, "2025-03-01", False,
            "--now 2025-03-01: an act is dated by the clock once actors exist",
        ),
        (SECRETARY, True, None, True, "units import is for administrators"),
        (ADMIN, True, None, True, None),
        (SECRETARY, True, None, False, None),
    ],
)  # fmt: skip
def test_authentication_refuses_in_the_order_a_person_fixes_it(
    grant: Grant | None, token: bool | None, backdated: str | None, administrator: bool,
    why: str | None,
) -> None:  # fmt: skip
    assert authentication_refusal(grant, token, "units import", backdated, administrator) == why


def test_an_unknown_actor_is_told_so_before_a_missing_token() -> None:
    assert authentication_refusal(None, None, "fire x") == "unknown actor"


def test_the_first_actor_founds_the_installation_as_administrator() -> None:
    assert first_actor_refusal(ADMINISTRATOR) is None
    assert first_actor_refusal("unit_secretary") == "the first actor must be an administrator"


def test_a_definitions_role_is_held_on_a_unit() -> None:
    assert scope_refusal(AUDITOR, None) is None
    assert scope_refusal("unit_secretary", "C01") is None
    assert scope_refusal("unit_secretary", None) == (
        "role 'unit_secretary' is held on a unit: give --scope CODE"
    )


def test_a_secretary_imports_only_its_own_units_meetings(spec: DefinitionSpec) -> None:
    assert meeting_import_refusal(SECRETARY, spec, [("C01", 2), ("C01", 3)]) is None
    assert meeting_import_refusal(SECRETARY, spec, [("C01", 2), ("C02", 4)]) == (
        "row 4: C02 is not C01, the unit bt.c01 is unit_secretary of"
    )
    assert meeting_import_refusal(ADMIN, spec, [("C02", 2)]) is None


def test_a_superiors_board_keeps_no_meeting_register(spec: DefinitionSpec) -> None:
    assert meeting_import_refusal(BOARD, spec, [("C01", 2)]) == (
        "a superior_org_board does not keep a unit's meeting register"
    )


def test_targets_are_set_by_the_roles_the_definition_lets_recognise(spec: DefinitionSpec) -> None:
    assert target_setters(spec) == {ADMINISTRATOR, "superior_standing_committee"}
    assert target_refusal(COMMITTEE, spec) is None
    assert target_refusal(BOARD, spec) == (
        "tc.h01: targets are set by a standing committee or an administrator"
    )


def test_a_target_or_a_milestone_outside_the_scope_is_refused() -> None:
    assert outside_scope(COMMITTEE, "H01", "/T01/H01/") is None
    assert outside_scope(COMMITTEE, "H02", "/T01/H02/") == (
        "btv.h01: H02 is outside your scope (H01)"
    )
    assert milestone_refusal(COMMITTEE, "H01", "/T01/H01/") is None
    assert milestone_refusal(COMMITTEE, "H02", "/T01/H02/") == (
        "btv.h01 (superior_standing_committee of H01) may not act for H02"
    )
    assert milestone_refusal(ADMIN, "H01", "/T01/H01/") == (
        "admin (administrator of None) may not act for H01"
    )


def test_a_bulk_event_is_named_as_people_say_it(spec: DefinitionSpec) -> None:
    triggers = {t.trigger for t in spec.transitions}
    assert trigger_named("recognize", triggers) == "recognize"
    assert trigger_named("recognise", triggers) == "recognize"
    assert trigger_named("recognition", triggers) == "recognize"
    assert trigger_named("appraisal", triggers) == "appraise"
    assert trigger_named("report", triggers) == "report"
    # a word that names no trigger is left for the cycle service to refuse
    assert trigger_named("approval", triggers) == "approval"
    assert trigger_named("recognise", {"recognise"}) == "recognise"
