"""The API's header rules, pure: the row version as an entity tag and back (If-Match
compares strongly), and the language an Accept-Language header asks for."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from starlette.requests import Request

from adapters.http.api.etags import NO_VERSION, etag, expected_version
from adapters.http.api.problems import language


@given(st.integers(min_value=0, max_value=2**62))
def test_a_version_travels_as_its_tag_and_back(version: int) -> None:
    assert expected_version(etag(version)) == version
    assert expected_version(f'W/"{version}"') == NO_VERSION  # weak: never matches
    assert expected_version(f'"other", {etag(version)}') == version


def test_no_if_match_or_a_star_requires_no_version() -> None:
    assert expected_version(None) is None
    assert expected_version(" * ") is None
    assert expected_version('"v7"') == NO_VERSION
    assert expected_version("7") == NO_VERSION  # unquoted: not an entity tag


def asking(header: str | None) -> Request:
    headers = [] if header is None else [(b"accept-language", header.encode())]
    return Request({"type": "http", "headers": headers, "method": "GET", "path": "/"})


def test_vietnamese_unless_english_is_preferred() -> None:
    assert language(asking(None)) == "vi"
    assert language(asking("fr-FR, de")) == "vi"
    assert language(asking("en")) == "en"
    assert language(asking("en-GB,en;q=0.9")) == "en"
    assert language(asking("vi-VN,vi;q=0.9,en;q=0.8")) == "vi"
    assert language(asking("en;q=0.3, vi;q=0.7")) == "vi"
    assert language(asking("vi;q=0.2, en;q=0.9")) == "en"
    assert language(asking("en;q=abc")) == "vi"  # a q it cannot read counts as 0


@given(st.text(max_size=60))
def test_any_header_gives_one_of_the_two_languages(header: str) -> None:
    try:
        request = asking(header)
    except UnicodeEncodeError:
        return
    assert language(request) in ("vi", "en")
