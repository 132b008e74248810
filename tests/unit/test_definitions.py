"""Definitions: the shipped ones validate; each broken fixture is refused naming its line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from definitions import shipped_sources
from tests.conftest import FIXTURES
from workflow.errors import DefinitionError
from workflow.spec.registry import DefinitionSet
from workflow.spec.yamlsrc import load_located

BROKEN = sorted((FIXTURES / "definitions" / "broken").glob("*.yaml"))
EXPECT = re.compile(r"#\s*expect:\s*(.+)$")


def test_every_shipped_definition_validates() -> None:
    catalog = DefinitionSet.from_texts(shipped_sources())
    ids = {d.spec.id for d in catalog}
    assert {
        "bon-tot",
        "bon-tot-002-city-2023",
        "bon-tot-003-province-2023",
        "bon-tot-001-district-2024",
        "chi-bo-kieu-mau",
    } <= ids


def test_the_catalogue_names_its_default_definition(catalog: DefinitionSet) -> None:
    # a caller that names no definition gets the yearly "bốn tốt" cycle, newest version
    assert catalog.default == "bon-tot"
    assert catalog.latest().key == catalog.latest("bon-tot").key
    other = DefinitionSet(catalog, default="chi-bo-kieu-mau")
    assert other.latest().spec.id == "chi-bo-kieu-mau"


def test_overlays_carry_the_seed_variants(catalog: DefinitionSet) -> None:
    # seed 002: 50 %, registration 10/07/2023 in the first year
    city = catalog.latest("bon-tot-002-city-2023")
    assert city.spec.targets is not None and city.spec.targets.recognized_share == 50
    assert city.spec.deadlines["register"].due.in_year == {2023: "10/07/2023"}
    # the overlay kept the base's yearly date for later years and every base state
    assert city.spec.deadlines["register"].due.date == "31/03"
    assert list(city.spec.states) == list(catalog.latest("bon-tot").spec.states)
    # seed 003: 90 %, district report by 30/12; seed 001: 100 %
    province = catalog.latest("bon-tot-003-province-2023")
    assert province.spec.targets is not None and province.spec.targets.recognized_share == 90
    assert province.spec.milestones["district_report"].due.date == "30/12"
    district = catalog.latest("bon-tot-001-district-2024")
    assert district.spec.targets is not None and district.spec.targets.recognized_share == 100
    # the model-cell programme (seed 004) stands alone and only cells take part
    model = catalog.latest("chi-bo-kieu-mau")
    assert model.spec.extends is None
    assert set(model.spec.applies_to) == {"grassroots_cell", "subordinate_cell"}


def test_each_definition_has_its_own_content_hash(catalog: DefinitionSet) -> None:
    hashes = [d.content_hash for d in catalog]
    assert len(set(hashes)) == len(hashes)


def _sources_with(path: Path) -> list[tuple[str, str]]:
    return [*shipped_sources(), (str(path), path.read_text(encoding="utf-8"))]


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_broken_definition_is_refused_naming_file_and_line(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    marked = [(n, EXPECT.search(text)) for n, text in enumerate(lines, start=1)]
    line, match = next((n, m) for n, m in marked if m)
    with pytest.raises(DefinitionError) as caught:
        DefinitionSet.from_texts(_sources_with(path))
    problems = [p for p in caught.value.problems if p.file == str(path)]
    assert problems, f"no problem located in {path.name}: {caught.value}"
    assert any(p.line == line and match.group(1).strip() in p.message for p in problems), (
        f"expected line {line} with {match.group(1)!r}; got:\n{caught.value}"
    )
    assert f"{path}:{line}" in str(caught.value)


def test_state_names_that_yaml_calls_booleans_stay_strings() -> None:
    text = (FIXTURES / "definitions" / "small.yaml").read_text(encoding="utf-8")
    text = text.replace("id: small", "id: switch").replace("draft", "off").replace("done", "on")
    definition = DefinitionSet.from_texts([("switch.yaml", text)]).latest("switch")
    assert definition.spec.initial == "off"
    assert set(definition.spec.states) == {"off", "proposed", "on"}


def test_quoted_numbers_stay_strings_and_plain_ones_become_numbers() -> None:
    located = load_located('a: "12"\nb: 12\nc: 9.5\nd: no\n', "x.yaml")
    assert located.data == {"a": "12", "b": 12, "c": 9.5, "d": "no"}
    assert located.where(("d",)) == ("x.yaml", 4)


def test_invalid_yaml_names_its_line() -> None:
    with pytest.raises(DefinitionError) as caught:
        DefinitionSet.from_texts([("bad.yaml", "id: x\nstates: [a, b\nversion: 1\n")])
    assert caught.value.problems[0].file == "bad.yaml"
    assert caught.value.problems[0].line is not None


def test_an_overlay_changing_a_base_key_reports_errors_in_its_own_file(tmp_path: Path) -> None:
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("extends: bon-tot\nid: ov\nversion: 1\ninitial: nowhere\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        DefinitionSet.from_texts(_sources_with(overlay))
    assert f"{overlay}:4" in str(caught.value)
