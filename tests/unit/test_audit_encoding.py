"""The chains' canonical encoding: no value can move from one field into the next without
changing the hash; chains written before (version 1) keep verifying under their own
encoding, and a version-1 record after a version-2 one is named."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from workflow.audit import CycleHead, FactRow, check_cycle_chains, verify_fact_chain
from workflow.audit_hashing import (
    GENESIS,
    V2,
    chain_hash,
    cycle_genesis,
    fact_text,
    link,
    links,
)

SEP = "\x1f"


def test_a_value_shifted_across_the_separator_keeps_a_version_1_hash_but_not_version_2() -> None:
    # an actor id holding U+001F, as ids could before they were restricted
    written = ("2025-02-20T02:00:00.000000Z", "refusal", "bithu.thon1" + SEP + "admin", "unit")
    shifted = ("2025-02-20T02:00:00.000000Z", "refusal", "bithu.thon1", "admin" + SEP + "unit")
    old = chain_hash(GENESIS, fact_text(written))
    assert links(GENESIS, shifted, old)  # version 1 cannot tell them apart
    new = link(GENESIS, written)
    assert new.startswith(V2)
    assert links(GENESIS, written, new)
    assert not links(GENESIS, shifted, new)
    assert not links(GENESIS, (*written[:3], None), link(GENESIS, (*written[:3], "")))


fields = st.lists(st.one_of(st.none(), st.text(max_size=6), st.integers()), min_size=2,
                  max_size=5)


@given(fields, fields)
def test_version_2_hashes_differ_whenever_the_fields_differ(
    a: list[object], b: list[object]
) -> None:
    norm = [[None if v is None else str(v) for v in x] for x in (a, b)]
    assert (link(GENESIS, a) == link(GENESIS, b)) == (norm[0] == norm[1])


def _transition(cycle_id: int, seq: int, actor: str, role: str) -> tuple[object, ...]:
    return (cycle_id, seq, "start", "registered", "implementing", actor, role,
            f"2025-02-2{seq}T02:00:00.000000Z", "{}", "[]", "bon-tot", 1)


def test_an_old_chain_keeps_verifying_and_a_downgraded_record_is_named() -> None:
    genesis = cycle_genesis(7, 3, 2025, "bon-tot", 1)
    one = _transition(7, 1, "bithu.thon1", "unit_secretary")
    two = _transition(7, 2, "bithu.thon1", "unit_secretary")
    h1_old = chain_hash(genesis, fact_text(one))
    h2_old = chain_hash(h1_old, fact_text(two))
    head = CycleHead(2, h2_old, "implementing", genesis)
    old = [(*one, h1_old, 1), (*two, h2_old, 2)]
    assert check_cycle_chains(old, {7: head}).problems == []  # written before: still ok
    # a version-2 record, then a version-1 one chained onto it
    h1 = link(genesis, one)
    h2 = chain_hash(h1, fact_text(two))
    found = check_cycle_chains(
        [(*one, h1, 1), (*two, h2, 2)], {7: CycleHead(2, h2, "implementing", genesis)}
    ).problems
    assert [(p.chain, p.record) for p in found] == [("cycle 7", "seq 2")]
    assert "old encoding after a record in the new one" in found[0].message


def test_a_fact_chain_refuses_a_version_1_record_after_version_2() -> None:
    first = ("2025-01-05T01:00:00.000000Z", "anchor", "kiemtra.tinh")
    second = ("2025-01-06T01:00:00.000000Z", "refusal", "bithu.thon1")
    h1 = link(GENESIS, first)
    h2 = chain_hash(h1, fact_text(second))
    rows = [FactRow(1, first, h1), FactRow(2, second, h2)]
    (problem,) = verify_fact_chain("audit-event chain", rows)
    assert problem.record == "id 2" and "old encoding" in problem.message


def test_a_cycle_genesis_is_pinned_for_the_chains_written_with_it() -> None:
    # the start of cycle 7 of unit 3, 2025, bon-tot v1, as every chain written so far
    # holds it: a change to the encoding would break every chain in every database
    assert cycle_genesis(7, 3, 2025, "bon-tot", 1) == (
        "28be08190f64003254a162f82d3bf3efd6e606ea1acc7ba84100370fe2ae8d92"
    )


@given(
    st.integers(min_value=1), st.integers(min_value=1), st.integers(2000, 2100),
    st.text(min_size=1, max_size=12), st.integers(min_value=1, max_value=99),
)
def test_a_cycle_genesis_is_the_link_of_its_fact_text(
    cycle_id: int, unit_id: int, year: int, definition_id: str, version: int
) -> None:
    assert cycle_genesis(cycle_id, unit_id, year, definition_id, version) == chain_hash(
        GENESIS, fact_text(("cycle", cycle_id, unit_id, year, definition_id, version))
    )
