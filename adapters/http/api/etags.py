"""A cycle's row version as an entity tag: `ETag: "7"` on reading it, `If-Match: "7"` on
firing, so that a client acting on what it read is refused (412) if someone acted since."""

from __future__ import annotations

#: what an If-Match that names no version of ours stands for: it can match nothing
NO_VERSION = -1


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None) -> int | None:
    """The version an If-Match header requires (None: any; `*` or no header). A weak
    tag never matches (RFC 9110 §13.1.1 compares If-Match strongly); neither does a
    tag that is not one of ours."""
    if if_match is None or if_match.strip() == "*":
        return None
    for tag in (t.strip() for t in if_match.split(",")):
        if len(tag) >= 3 and tag[0] == tag[-1] == '"' and tag[1:-1].isdigit():
            return int(tag[1:-1])
    return NO_VERSION
