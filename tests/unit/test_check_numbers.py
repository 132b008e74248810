"""A verdict's shares are written as the reader's language writes them: Vietnamese puts a
decimal comma in 80,56 %; the evidence's document references stay as typed."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from workflow.rules.checks import Check, in_language


def good_share(actual: str) -> Check:
    """29 of 36 members rated good or better, against the seed's 80 %."""
    return Check(
        "good_share",
        "Tỷ lệ đảng viên xếp loại hoàn thành tốt nhiệm vụ trở lên",
        "Share of members rated good or better",
        actual,
        "≥ 80 %",
        True,
    )


def test_a_cell_with_29_of_36_good_reads_80_comma_56_in_vietnamese() -> None:
    check = good_share("80.56 %")
    assert check.describe("vi") == (
        "Tỷ lệ đảng viên xếp loại hoàn thành tốt nhiệm vụ trở lên: 80,56 % (yêu cầu ≥ 80 %) đạt"
    )
    assert check.describe("en") == (
        "Share of members rated good or better: 80.56 % (required ≥ 80 %) pass"
    )
    assert check.actual_in("vi") == "80,56 %"
    assert check.as_dict()["actual"] == "80.56 %"  # the API and the stored verdict keep it


def test_a_criterion_score_beside_its_documents_changes_only_the_score() -> None:
    # a self-evaluation's 95.5 % with its report and a versioned minutes file
    value = "95.5 % (BC-12/BC-CB, bien-ban-v1.2.pdf)"
    assert in_language(value, "vi") == "95,5 % (BC-12/BC-CB, bien-ban-v1.2.pdf)"
    assert in_language("12/12", "vi") == "12/12"
    assert in_language("≥ 95 %", "vi") == "≥ 95 %"


@given(
    whole=st.integers(min_value=0, max_value=100),
    digits=st.text("0123456789", min_size=1, max_size=3),
    space=st.sampled_from(["", " "]),
)
def test_every_decimal_share_gets_a_comma_and_nothing_else_moves(
    whole: int, digits: str, space: str
) -> None:
    english = f"{whole}.{digits}{space}%"
    assert in_language(english, "vi") == f"{whole},{digits}{space}%"
    assert in_language(english, "en") == english
