"""The compiled definitions are kept by content: the same texts give the same set from the
cache, an edited text is compiled anew, and a broken cache file is no failure."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from adapters import catalog
from definitions import shipped_sources
from workflow.spec.registry import DefinitionSet


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(catalog.ENV_CACHE, str(folder))
    monkeypatch.delenv(catalog.ENV_DIRS, raising=False)
    return folder


def hashes(found: DefinitionSet) -> list[tuple[tuple[str, int], str]]:
    return [(d.key, d.content_hash) for d in found]


def test_a_second_load_comes_from_the_cache_and_equals_the_first(cache: Path) -> None:
    first = catalog.load_catalog()
    kept = list(cache.glob("definitions-*.pickle"))
    assert len(kept) == 1
    again = catalog.load_catalog()
    assert hashes(again) == hashes(first) == hashes(DefinitionSet.from_texts(shipped_sources()))
    assert list(cache.glob("definitions-*.pickle")) == kept


def test_the_cache_is_what_is_read_while_the_texts_are_unchanged(cache: Path) -> None:
    catalog.load_catalog()
    (kept,) = cache.glob("definitions-*.pickle")
    fewer = DefinitionSet.from_texts(shipped_sources()[-1:])
    kept.write_bytes(pickle.dumps((fewer, [])))  # the set and its stored texts (none)
    assert hashes(catalog.load_catalog()) == hashes(fewer)


def test_an_edited_definition_is_compiled_anew(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = catalog.load_catalog()
    extra = tmp_path / "extra"
    extra.mkdir()
    text = dict(shipped_sources())["definitions/bon-tot.yaml"]
    edited = text.replace("\nversion: 4", "\nversion: 97", 1)
    (extra / "bon-tot-97.yaml").write_text(edited, encoding="utf-8")
    monkeypatch.setenv(catalog.ENV_DIRS, str(extra))
    after = catalog.load_catalog()
    assert len(list(after)) == len(list(before)) + 1
    assert any(d.spec.version == 97 for d in after)
    assert len(list(cache.glob("definitions-*.pickle"))) == 2


@pytest.mark.parametrize("garbage", [b"", b"not a pickle", b"\x80\x05N."])
def test_a_broken_cache_file_is_compiled_over(cache: Path, garbage: bytes) -> None:
    expected = hashes(catalog.load_catalog())
    (kept,) = cache.glob("definitions-*.pickle")
    kept.write_bytes(garbage)
    assert hashes(catalog.load_catalog()) == expected
    assert kept.read_bytes() != garbage  # written anew


def test_no_cache_when_turned_off(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(catalog.ENV_CACHE, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert hashes(catalog.load_catalog()) == hashes(DefinitionSet.from_texts(shipped_sources()))
    assert not any(tmp_path.rglob("*.pickle"))


def test_an_unwritable_cache_folder_is_no_failure(cache: Path) -> None:
    cache.parent.mkdir(exist_ok=True)
    cache.write_text("a file where the folder should be")
    assert hashes(catalog.load_catalog()) == hashes(DefinitionSet.from_texts(shipped_sources()))


def test_old_compiled_sets_are_pruned(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = dict(shipped_sources())["definitions/bon-tot.yaml"]
    extra = tmp_path / "extra"
    extra.mkdir()
    monkeypatch.setenv(catalog.ENV_DIRS, str(extra))
    for version in range(90, 90 + catalog.KEEP + 3):
        edited = text.replace("\nversion: 4", f"\nversion: {version}", 1)
        (extra / "bon-tot-x.yaml").write_text(edited, encoding="utf-8")
        catalog.load_catalog()
    assert len(list(cache.glob("definitions-*.pickle"))) == catalog.KEEP
    # the newest is among them: loading it again compiles nothing new
    assert any(d.spec.version == 90 + catalog.KEEP + 2 for d in catalog.load_catalog())
    assert len(list(cache.glob("definitions-*.pickle"))) == catalog.KEEP
