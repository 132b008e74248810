"""A reason the core gives (workflow.errors.Reason) is English for the trail and said in
the user's language by the adapters: amounts written as the language writes them, kinds
and roles by the definitions' labels, and the same reason after a trip to a worker."""

from __future__ import annotations

import json
import pickle

import pytest

from adapters.catalog import load_catalog
from adapters.i18n.said import Labeller, message_text
from workflow.errors import Reason
from workflow.import_columns import text_problem, whole_number
from workflow.service.actors import Refused


def test_a_member_count_over_the_limit_is_said_with_the_limit_as_each_language_writes_it() -> None:
    with pytest.raises(ValueError) as refused:
        whole_number("1234567", 100_000)
    said = refused.value.args[0]
    assert str(said) == "1234567 is more than 100.000"  # what the trail and the logs keep
    assert message_text(said, "vi") == "1234567 lớn hơn 100.000"
    assert message_text(said, "en") == "1234567 is more than 100,000"


def test_a_long_name_is_said_by_its_length() -> None:
    said = text_problem("x" * 1200, 1000)
    assert said is not None
    assert message_text(said, "vi") == "1.200 ký tự; tối đa 1.000"


def test_a_role_and_a_kind_are_said_by_their_labels() -> None:
    labels = Labeller(lambda: [d.spec for d in load_catalog()])
    needs = Reason("role 'unit_secretary' is held on a unit", "reason.needs_scope",
                   role="unit_secretary")  # fmt: skip
    assert message_text(needs, "vi", labels) == (
        "vai trò «Bí thư chi bộ / đảng ủy» gắn với một đơn vị: hãy cho --scope MÃ"
    )
    allowed = ("committee", "grassroots_committee")
    sits = Reason("", "import.cannot_sit", kind="grassroots_cell",
                  parent_kind="grassroots_cell", kinds=allowed)  # fmt: skip
    assert message_text(sits, "en", labels) == (
        "“Grassroots party cell” cannot sit under “Grassroots party cell”; allowed: "
        "Committee above grassroots, Grassroots party committee"
    )


def test_a_reason_survives_json_pickling_and_an_error_that_carries_it() -> None:
    reason = Reason("the first actor must be an administrator", "reason.first_actor")
    assert json.loads(json.dumps({"reason": reason})) == {"reason": str(reason)}
    again = pickle.loads(pickle.dumps(reason))
    assert (str(again), again.msgid, dict(again.params)) == (str(reason), "reason.first_actor", {})
    refused = Refused(reason)
    assert (str(refused), refused.msgid) == (str(reason), "reason.first_actor")
