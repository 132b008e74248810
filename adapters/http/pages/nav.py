"""The links the top of every page offers: each role only the pages it may open and has
something to do on (an auditor fires nothing, so it has no work queue and no decisions;
only auditors and administrators read the audit log; superiors' boards import nothing)."""

from __future__ import annotations

from workflow.access import ADMINISTRATOR, SYSTEM_ROLES, Grant
from workflow.spec.registry import DefinitionSet

#: (path, the word naming it) in the order they are shown
PAGES = (
    ("/", "board"),
    ("/work", "work"),
    ("/overdue", "overdue_title"),
    ("/decisions", "decisions"),
    ("/audit", "audit"),
    ("/imports", "imports"),
    ("/reports", "reports"),
)
EVERYONE = ("/", "/overdue", "/reports")


def _acts_for(catalog: DefinitionSet, role: str) -> set[str]:
    """Whom the role acts for in the definitions: "unit", "superior" (or nothing)."""
    return {
        spec.roles[role].acts_for
        for spec in (definition.spec for definition in catalog)
        if role in spec.roles
    }


def links(catalog: DefinitionSet, grant: Grant | None, open_mode: bool) -> tuple[str, ...]:
    """The paths of PAGES shown to `grant`'s role; every one in open mode."""
    if open_mode:
        return tuple(path for path, _ in PAGES)
    if grant is None:
        return ()
    shown = set(EVERYONE)
    if grant.role in SYSTEM_ROLES:
        shown.add("/audit")
    if grant.role == ADMINISTRATOR:
        shown.add("/imports")
    acts_for = _acts_for(catalog, grant.role)
    if acts_for & {"unit", "superior"}:
        shown.add("/work")
    if "superior" in acts_for:
        shown.add("/decisions")
    if "unit" in acts_for:  # a secretary keeps its own unit's meeting register
        shown.add("/imports")
    return tuple(path for path, _ in PAGES if path in shown)
