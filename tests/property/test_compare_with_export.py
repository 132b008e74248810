"""`audit verify --against`: whatever records were edited, deleted or inserted before an
export's end, exactly those are named, each by its cycle and seq; records written after
the export are not (property-based)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from workflow.audit_against import Kept, compare_export


def _record(cycle_id: int, seq: int, record_id: int, plan: str = "KH-01") -> tuple[Any, ...]:
    return (cycle_id, seq, "step", "a", "b", "bithu", "unit_secretary",
            "2025-02-20T02:00:00.000000Z", f'{{"plan":"{plan}"}}', "[]", "bon-tot", 1,
            f"v2:{cycle_id}-{seq}-{plan}", record_id)  # fmt: skip


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[tuple[Any, ...]], int]:
    """Records of a few cycles, in id order; the export's end: some record id."""
    lengths = draw(st.lists(st.integers(1, 5), min_size=1, max_size=6))
    records, next_id = [], 1
    for seq in range(1, 6):
        for cycle_id, length in enumerate(lengths, start=1):
            if seq <= length:
                records.append(_record(cycle_id, seq, next_id))
                next_id += 1
    end = draw(st.integers(1, len(records)))
    return records, end


@given(histories(), st.data())
def test_every_change_before_the_export_s_end_is_named_and_nothing_else(
    history: tuple[list[tuple[Any, ...]], int], data: st.DataObject
) -> None:
    records, end = history
    exported = [r for r in records if r[13] <= end]
    kept = Kept("export", last_id=end)
    for r in exported:
        kept.records[(r[0], r[1])] = tuple(r[2:13])
    keys = [(r[0], r[1]) for r in exported]
    edited = set(data.draw(st.lists(st.sampled_from(keys), unique=True, max_size=3)))
    deleted = set(data.draw(
        st.lists(st.sampled_from(keys), unique=True, max_size=2).map(lambda k: set(k) - edited)
    ))  # fmt: skip
    stored = []
    for r in records:
        key = (r[0], r[1])
        if key in deleted:
            continue
        stored.append(_record(r[0], r[1], r[13], "KH-99") if key in edited else r)
    # a record inserted under the export's end, in a cycle of its own
    inserted = data.draw(st.booleans())
    if inserted:
        stored.append(_record(99, 1, end))
    named = {(p.chain, p.record): p.message for p in compare_export(kept, stored)}
    expected = {(f"cycle {c}", f"seq {s}") for c, s in edited | deleted}
    if inserted:
        expected.add(("cycle 99", "seq 1"))
    assert set(named) == expected
    for c, s in edited:
        assert named[(f"cycle {c}", f"seq {s}")].startswith(
            "differs from the export in payload, hash"
        )
    for c, s in deleted:
        assert "gone from the store" in named[(f"cycle {c}", f"seq {s}")]
