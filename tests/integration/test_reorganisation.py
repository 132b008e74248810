"""A district of 2024 dissolved on 1/7/2025 (DESIGN §2): its grassroots organisations
move under three communes, two communes merge, and the 2025 cycle is completed under
the new superiors. The board before and after, the appraisal by the new commune, the
history with both paths, `audit verify` intact; a dry run says what the real run does.
On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from adapters import bootstrap
from adapters.bootstrap import App
from tests.conftest import GOOD_EVALUATION, local
from tests.support.backends import execute
from tests.support.register import members, unit_rating
from workflow.access import ADMINISTRATOR, Grant
from workflow.clock import VirtualClock
from workflow.reorganise import Decision, ReorganisationRefused, Step
from workflow.service.actors import SignedIn
from workflow.service.auditing import verify_store
from workflow.units import UnitImport


def unit(code: str, kind: str, parent: str | None, name: str = "") -> UnitImport:
    return UnitImport(code, name or code, kind, "village", parent, 10, {})


#: Thái Bình-like: the province, the district of Đông Hưng with three grassroots
#: organisations (one a grassroots committee of two cells), and four communes set up
#: for 1/7/2025, one of which (X04) already holds a cell.
TREE_2024 = [
    unit("T01", "committee", None, "Tỉnh ủy"),
    unit("H01", "committee", "T01", "Huyện ủy Đông Hưng"),
    unit("CB-A1", "grassroots_cell", "H01", "Chi bộ thôn Đông"),
    unit("CB-A2", "grassroots_cell", "H01", "Chi bộ thôn Bắc"),
    unit("DB-B", "grassroots_committee", "H01", "Đảng bộ Trường THPT"),
    unit("DB-B-1", "subordinate_cell", "DB-B", "Chi bộ Tổ Toán"),
    unit("DB-B-2", "subordinate_cell", "DB-B", "Chi bộ Tổ Văn"),
    unit("X01", "committee", "T01", "Đảng ủy xã Đông Hưng"),
    unit("X02", "committee", "T01", "Đảng ủy xã Đông Hà"),
    unit("X03", "committee", "T01", "Đảng ủy xã Đông Quang"),
    unit("X04", "committee", "T01", "Đảng ủy xã Đông Phong"),
    unit("CB-C", "grassroots_cell", "X04", "Chi bộ thôn Trung"),
]

DECISION = Decision("1234-QĐ/TU", date(2025, 7, 1))
STEPS = [
    Step("move", "CB-A1", "X01"),
    Step("move", "CB-A2", "X02"),
    Step("move", "DB-B", "X03"),
    Step("merge", "X04", "X03"),  # CB-C goes to X03 with it
    Step("dissolve", "H01"),
]

ACTORS = ["quantri", "btc.H01", "btc.X01", "bithu.CB-A1"]


@pytest.fixture
def province(db_url: str, bon_tot: object) -> Iterator[tuple[App, VirtualClock]]:
    clock = VirtualClock(local(2025, 1, 5, 8))
    app = bootstrap.build(db_url, clock, schema="create")
    app.store.import_units(TREE_2024, clock.now(), "quantri")
    app.cycles.open_cycles(app.catalog.latest("bon-tot"), 2025, actor="quantri", role="system")
    rows = [
        ("quantri", "", ADMINISTRATOR, None, "x"),
        ("btc.H01", "", "superior_org_board", "H01", "x"),
        ("btc.X01", "", "superior_org_board", "X01", "x"),
        ("bithu.CB-A1", "", "unit_secretary", "CB-A1", "x"),
    ]
    app.store.add_actors(rows, clock.now(), "quantri")
    yield app, clock
    app.close()


def grant(app: App, actor: str) -> Grant:
    """The actor's grant as it stands now (its scope's path is read afresh)."""
    found = app.store.find_actor(actor)
    assert found is not None
    return found[0]


def board_units(app: App, under: str) -> int:
    return app.cycles.board(2025, under).total()


def reorganise(app: App, *, dry_run: bool = False) -> object:
    # with actors, the administrator acts with its token: here, as one signed in
    return app.reorganisations.reorganise(
        DECISION, STEPS, "quantri", SignedIn("quantri"), dry_run=dry_run
    )


def drive_to_proposed(app: App, clock: VirtualClock) -> None:
    secretary = grant(app, "bithu.CB-A1")
    for at, event, payload in [
        # after the reorganisation of 1/7: a cycle's history is never dated before its last record
        (local(2025, 7, 10), "register", {"plan": "KH-01/KH-CB", "meeting": "2025-07-10"}),
        (local(2025, 7, 14), "start", {}),
        (local(2025, 12, 10), "self_evaluate", GOOD_EVALUATION),
        (local(2025, 12, 28), "propose", {}),
    ]:
        clock.set(at)
        done = app.cycles.fire(
            "CB-A1", event, 2025, "bithu.CB-A1", "unit_secretary", payload, grant=secretary
        )
        assert done.applied, (event, done.decision.refusal)


def test_the_district_is_dissolved_and_the_year_completes_under_the_communes(
    province: tuple[App, VirtualClock],
) -> None:
    app, clock = province
    # before: the district's board holds its five units; the communes X01-X03 none
    assert board_units(app, "H01") == 5
    assert board_units(app, "X03") == 0
    assert board_units(app, "X04") == 1
    clock.set(local(2025, 7, 1, 7, 30))
    planned = reorganise(app, dry_run=True)
    assert board_units(app, "H01") == 5  # a dry run changes nothing
    done = reorganise(app)
    assert done == type(done)(planned.plan, False, planned.cycles)  # type: ignore[attr-defined]
    assert planned.cycles == 6  # type: ignore[attr-defined]
    # after: the communes hold them, X04 and the district are no more
    assert board_units(app, "X01") == 1
    assert board_units(app, "X02") == 1
    assert board_units(app, "X03") == 4  # DB-B and its two cells, and X04's CB-C
    assert board_units(app, "T01") == 6
    codes = [u.code for u in app.registers.units()]
    assert "H01" not in codes and "X04" not in codes
    assert {u.code: u.parent_code for u in app.registers.units("X03")} == {
        "X03": "T01",
        "DB-B": "X03",
        "DB-B-1": "DB-B",
        "DB-B-2": "DB-B",
        "CB-C": "X03",
    }
    # the tree as it stood on 30/6/2025 is the district's; on 1/7/2025 the communes'
    before = {u.code: u.parent_code for u in app.reorganisations.tree_on(date(2025, 6, 30))}
    after = {u.code: u.parent_code for u in app.reorganisations.tree_on(date(2025, 7, 1))}
    assert before["CB-A1"] == "H01" and before["CB-C"] == "X04" and "H01" in before
    assert after["CB-A1"] == "X01" and after["CB-C"] == "X03"
    assert "H01" not in after and "X04" not in after

    # the year goes on: proposed in December, appraised in January by the new commune
    drive_to_proposed(app, clock)
    app.store.import_ratings(
        2025,
        [*members("CB-A1", excellent=2, good=8, completed=2), unit_rating("CB-A1", "good")],
        clock.now(),
        "quantri",
        {"file": "xep-loai.xlsx"},
    )
    clock.set(local(2026, 1, 20))
    refused = app.cycles.fire(
        "CB-A1", "appraise", 2025, "btc.H01", "superior_org_board", grant=grant(app, "btc.H01")
    )
    assert not refused.applied
    assert refused.decision.refusal is not None
    assert refused.decision.refusal.code == "not_authorized"
    appraised = app.cycles.fire(
        "CB-A1", "appraise", 2025, "btc.X01", "superior_org_board", grant=grant(app, "btc.X01")
    )
    assert appraised.applied, appraised.decision.refusal

    # history keeps the path of each record's time: the move is a record of its own
    history = app.cycles.history("CB-A1", 2025)
    events = [e.event for e in history.entries]
    assert events[:2] == ["open", "reorganise"]
    moved = history.entries[1].payload
    assert (moved["from_unit"], moved["to_unit"]) == ("CB-A1", "CB-A1")
    h01, x01 = (app.store.find_unit(code).path for code in ("H01", "X01"))
    assert moved["from_path"].startswith(h01) and moved["to_path"].startswith(x01)
    assert moved["decision"] == "1234-QĐ/TU"
    assert (moved["from_tree"], moved["to_tree"]) == ("T01 › H01 › CB-A1", "T01 › X01 › CB-A1")
    assert history.entries[-1].event == "appraise"  # recorded under X01, where it now is

    report = verify_store(app.store)
    assert report.ok, [str(p) for p in report.problems]


def test_an_unexplained_path_change_is_still_caught(
    province: tuple[App, VirtualClock], db_url: str
) -> None:
    app, clock = province
    clock.set(local(2025, 7, 1, 9))
    reorganise(app)
    assert verify_store(app.store).ok
    x02 = app.store.find_unit("X02").path
    # someone moves the cell's cycle (not the cell) back under the district's path
    execute(
        db_url,
        "UPDATE cycle SET unit_path = (SELECT path FROM unit WHERE code = 'H01') || "
        "CAST(unit_id AS TEXT) || '/' WHERE unit_id = (SELECT id FROM unit WHERE code = 'CB-A1')",
        bypass_triggers=True,
    )
    found = [str(p) for p in verify_store(app.store).problems]
    assert any("the cycle row was moved" in p for p in found), found
    # and a unit moved without a decision is named by the unit register
    execute(
        db_url,
        f"UPDATE unit SET path = '{x02}' || CAST(id AS TEXT) || '/', parent_id = "
        "(SELECT id FROM unit WHERE code = 'X02') WHERE code = 'CB-C'",
        bypass_triggers=True,
    )
    found = [str(p) for p in verify_store(app.store).problems]
    assert any(p.startswith("unit register, CB-C: changed outside the trail") for p in found), found


def test_a_step_that_cannot_be_done_changes_nothing(province: tuple[App, VirtualClock]) -> None:
    app, clock = province
    clock.set(local(2025, 7, 1, 9))
    with pytest.raises(ReorganisationRefused) as refused:
        app.reorganisations.reorganise(
            DECISION,
            [Step("move", "CB-A1", "X01"), Step("dissolve", "H01")],  # CB-A2, DB-B still there
            "quantri",
            SignedIn("quantri"),
        )
    assert "H01 still has units under it" in str(refused.value)
    assert app.store.find_unit("CB-A1").parent_code == "H01"
    assert verify_store(app.store).ok
