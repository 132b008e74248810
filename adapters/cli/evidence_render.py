"""Text for the evidence commands: a verdict beside its evidence, target progress."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from adapters import i18n
from workflow.targets import target_figures

if TYPE_CHECKING:
    from workflow.rules.meetings import Breach
    from workflow.service.meeting_checks import UnitVerdict
    from workflow.service.reports import SuperiorSummary
    from workflow.service.results import Verdict
    from workflow.targets import GoalProgress

WORDS = i18n.table("evidence")  # the catalogues' `evidence.*` messages


def verdict_dict(verdict: Verdict) -> dict[str, Any]:
    d = verdict.as_dict()
    register = verdict.register
    if register is not None:
        d["register"] = {"records": len(register.get("records", [])), "cells": register["cells"]}
    return d


def unit_verdict_dict(found: UnitVerdict) -> dict[str, Any]:
    """`verdict --json` and the API's verdict: the checks, the register, the meetings."""
    d = verdict_dict(found.verdict)
    if found.meetings is not None:
        held, breaches = found.meetings
        d["meetings"] = {"held": held, "breaches": [b.as_dict() for b in breaches]}
    return d


def register_line(verdict: Verdict, lang: str) -> str | None:
    """What the ratings register the rule read holds: rated, left out, missing (None:
    the rule reads no register)."""
    register = verdict.register
    if register is None:
        return None
    w = WORDS[lang]
    ratings = next((c for c in verdict.checks if c.key.endswith("_complete")), None)
    excluded = [
        r for r in register.get("records", []) if getattr(r, "status", "active") != "active"
    ]
    return w["register"].format(
        rated=ratings.actual if ratings else "—",
        excluded=len(excluded) or w["none"],
        missing=w["none"] if ratings is None or ratings.passed else ratings.actual,
    )


def meetings_line(meetings: tuple[int, list[Breach]], lang: str) -> str:
    """The meeting register's count: meetings held, breaches of the thresholds."""
    held, breaches = meetings
    return WORDS[lang]["meetings"].format(held=held, breaches=len(breaches))


def verdict_text(
    verdict: Verdict,
    lang: str,
    meetings: tuple[int, list[Breach]] | None = None,
    state_label: str | None = None,
) -> str:
    w = WORDS[lang]
    if verdict.rule is None:
        return w["no_rule"]
    cycle = verdict.cycle
    lines = [
        w["verdict"].format(unit=cycle.unit_code, year=cycle.year,
                            state=state_label or cycle.state)
        + f": {w['passed'] if verdict.passed else w['failed']}"
    ]
    for check in verdict.checks:
        mark = "!" if check.warning else "✓" if check.passed else "✗"
        lines.append(f"  {mark} {check.describe(lang)}")
    register = register_line(verdict, lang)
    if register is not None:
        lines.append(register)
    if meetings is not None:
        breaches = meetings[1]
        lines.append(meetings_line(meetings, lang))
        lines.extend(f"    - {b.describe(lang)}" for b in breaches[:20])
        if len(breaches) > 20:
            lines.append(f"    … (+{len(breaches) - 20})")
    return "\n".join(lines)


def targets_text(rows: list[SuperiorSummary], year: int, lang: str) -> str:
    w = WORDS[lang]
    lines = [w["targets"].format(year=year)]
    for row in rows:
        for definition_id, (counted, recognized, target) in sorted(row.targets.items()):
            figures = target_figures(counted, recognized, target)
            share = figures["share"]
            goals = row.goals().get(definition_id, [])
            # goals only: no "target —; 0 short" line, the goals say the targets
            lines.append(
                w["progress" if target is not None or not goals else "progress_goals"].format(
                    unit=row.unit_code,
                    name=row.unit_name[:36],
                    rec=recognized,
                    counted=counted,
                    share="—" if share is None else f"{i18n.decimal(share, lang)} %",
                    target="—" if target is None else f"{i18n.decimal(target, lang)} %",
                    gap=figures["gap_units"],
                    late=row.late_units,
                )
                + ("" if len(row.targets) == 1 else f" [{definition_id}]")
            )
            lines.extend(goal_lines(goals, lang))
    return "\n".join(lines)


def goal_lines(progress: list[GoalProgress], lang: str) -> list[str]:
    """Each goal of the definition with its gap in units, in the definition's words."""
    w = WORDS[lang]
    lines = []
    for goal in progress:
        share = goal.as_dict()["share"]
        status = w["goal_met"] if goal.met else w["goal_gap"].format(gap=goal.gap_units)
        lines.append(w["goal"].format(
            label=goal.goal.label.get(lang), meeting=goal.meeting, counted=goal.counted,
            share="—" if share is None else f"{i18n.decimal(share, lang)} %",
            required=goal.required_text(),
            status=status,
        ))
    return lines
