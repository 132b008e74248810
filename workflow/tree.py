"""The unit tree's materialised paths (`/1/7/42/`): a subtree is a range of paths (pure).

Every descendant's path starts with its ancestor's, so the subtree of a node is the range
[path, path with its last "/" replaced by "0"): "0" sorts right after "/". A database
reads it with one index range on a path column.
"""

from __future__ import annotations


def subtree_bounds(path: str) -> tuple[str, str]:
    """(lowest, just above highest) path of the subtree rooted at `path`, itself included."""
    return path, path[:-1] + "0"


def covers(scope_path: str | None, unit_path: str) -> bool:
    """Whether a unit is in the subtree (None: the whole tree)."""
    return scope_path is None or unit_path.startswith(scope_path)
