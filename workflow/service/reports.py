"""The yearly report a superior sends up by 15/3: one row per unit (stage, dates, rating,
verdict, overdue) and a summary per superior (counts by stage, recognised share against
target, late units). Built from the store in a few range reads, not a query per unit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from workflow.evidence.rating_tallies import own_level
from workflow.evidence.ratings import RatingRecord
from workflow.rules.stored_checks import expand
from workflow.service.records import OverdueItem, ReportCycle, ReportEvent
from workflow.spec.model import DefinitionSpec, GoalSpec
from workflow.spec.registry import Definition
from workflow.targets import GoalProgress, counts_towards, goals_in_force, target_figures


def verdict_events(spec: DefinitionSpec) -> frozenset[str]:
    """The events whose stored checks are the verdict: those the definition's recognition
    rule guards (or is the `unless` of), as the machine reads its verdict rule."""
    rule = next((t.guard for t in spec.transitions if t.guard is not None), None)
    return frozenset(t.trigger for t in spec.transitions if rule is not None
                     and rule in (t.guard, t.unless))  # fmt: skip


@dataclass(frozen=True)
class UnitLine:
    unit_code: str
    unit_name: str
    unit_kind: str
    parent_code: str | None
    definition_id: str
    state: str
    state_vi: str
    state_en: str
    outcome: str | None
    dates: Mapping[str, datetime]
    rating: str | None
    #: None: not appraised yet; else the stored verdict
    verdict_passed: bool | None
    failing: tuple[Mapping[str, Any], ...]
    overridden: bool
    overdue: tuple[str, ...]
    #: the unit's place in the tree ("/T01/X01/CB1/"): documents list units in tree order
    unit_path: str = ""
    #: its organisation type (loại hình), a workflow.units.ORG_TYPES code
    org_type: str = "other"

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit_code,
            "name": self.unit_name,
            "kind": self.unit_kind,
            "type": self.org_type,
            "superior": self.parent_code,
            "definition": self.definition_id,
            "state": self.state,
            "state_label": {"vi": self.state_vi, "en": self.state_en},
            "outcome": self.outcome,
            "dates": {k: v.isoformat() for k, v in self.dates.items()},
            "rating": self.rating,
            "verdict": None if self.verdict_passed is None else {
                "passed": self.verdict_passed,
                "failing": [dict(c) for c in self.failing],
                "overridden": self.overridden,
            },
            "overdue": list(self.overdue),
        }


@dataclass
class SuperiorSummary:
    unit_code: str
    unit_name: str
    #: (definition, state) -> count, for every unit under the superior
    states: dict[tuple[str, str], int] = field(default_factory=dict)
    #: definition -> [counted, recognised, target]: the same figures as `status --json`
    targets: dict[str, list[Any]] = field(default_factory=dict)
    late_units: int = 0
    unit_path: str = ""
    #: (definition, goal index) -> [counted, meeting], for each goal of the year
    goal_counts: dict[tuple[str, int], list[int]] = field(default_factory=dict)
    goal_specs: dict[tuple[str, int], GoalSpec] = field(default_factory=dict)

    def goals(self) -> dict[str, list[GoalProgress]]:
        """Per definition, each of its goals for the year with its gap in units."""
        found: dict[str, list[GoalProgress]] = {}
        for (definition_id, index), (counted, meeting) in sorted(self.goal_counts.items()):
            found.setdefault(definition_id, []).append(
                GoalProgress(index, self.goal_specs[(definition_id, index)], counted, meeting)
            )
        return found

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit_code,
            "name": self.unit_name,
            "states": [
                {"definition": d, "state": s, "count": n}
                for (d, s), n in sorted(self.states.items())
            ],
            "total": sum(self.states.values()),
            "targets": {
                d: target_figures(counted, recognized, target)
                for d, (counted, recognized, target) in sorted(self.targets.items())
            },
            "late_units": self.late_units,
            "goals": {
                d: [g.as_dict() for g in progress] for d, progress in self.goals().items()
            },
        }


@dataclass(frozen=True)
class Report:
    year: int
    under: str | None
    units: list[UnitLine]
    superiors: list[SuperiorSummary]
    #: the newest version of each definition in the report: its labels name what it holds
    definitions: Mapping[str, DefinitionSpec] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "under": self.under,
            "superiors": [s.as_dict() for s in self.superiors],
            "units": [u.as_dict() for u in self.units],
        }


def build_report(
    year: int,
    under: str | None,
    cycles: list[ReportCycle],
    events: Iterable[ReportEvent],
    ratings: Iterable[RatingRecord],
    overdue: Iterable[OverdueItem],
    definitions: Mapping[tuple[str, int], Definition],
    superiors: list[tuple[str, str, str]],
    targets: Mapping[tuple[str, str], float],
) -> Report:
    """`superiors`: (code, name, path) of every committee in the subtree; `targets`: the
    share each was assigned (else its definition's)."""
    # the events a report dates and reads verdicts from are the definition's own
    specs = {c.cycle_id: definitions[(c.definition_id, c.definition_version)].spec
             for c in cycles}  # fmt: skip
    triggers = {key: frozenset(t.trigger for t in d.spec.transitions)
                for key, d in definitions.items()}  # fmt: skip
    # stored verdicts get their labels back from their definition's rules, once each
    # (lazy: the rule kinds' models; the board imports this module and never reports)
    from workflow.rules.kinds import check_labels

    labellers = {key: check_labels(d.spec.rules) for key, d in definitions.items()}
    judged = {key: verdict_events(d.spec) for key, d in definitions.items()}
    dates: dict[int, dict[str, datetime]] = {}
    verdicts: dict[int, ReportEvent] = {}
    for event in events:
        spec = specs.get(event.cycle_id)
        if spec is None:
            continue
        key = (spec.id, spec.version)
        if event.event in triggers[key]:
            dates.setdefault(event.cycle_id, {}).setdefault(event.event, event.at)
        if event.event in judged[key]:
            verdicts[event.cycle_id] = event  # the latest appraisal decision stands
    own: dict[str, list[RatingRecord]] = {}
    for record in ratings:
        if record.member == "":
            own.setdefault(record.unit_code, []).append(record)
    late: dict[tuple[str, str], list[str]] = {}
    for item in overdue:
        if not item.milestone:
            late.setdefault((item.unit_code, item.definition_id), []).append(item.deadline)

    lines = []
    for cycle in cycles:
        spec = definitions[(cycle.definition_id, cycle.definition_version)].spec
        label = spec.states[cycle.state].label
        verdict = verdicts.get(cycle.cycle_id)
        labels = labellers[(cycle.definition_id, cycle.definition_version)]
        checks = expand(verdict.checks, labels) if verdict else []
        lines.append(
            UnitLine(
                unit_code=cycle.unit_code,
                unit_name=cycle.unit_name,
                unit_kind=cycle.unit_kind,
                parent_code=cycle.parent_code,
                definition_id=cycle.definition_id,
                state=cycle.state,
                state_vi=label.vi,
                state_en=label.en,
                outcome=cycle.outcome,
                dates=dates.get(cycle.cycle_id, {}),
                rating=_latest_own(own.get(cycle.unit_code, [])),
                verdict_passed=None if not checks else all(c["passed"] for c in checks),
                failing=tuple(c for c in checks if not c["passed"]),
                overridden=verdict is not None and "override" in verdict.payload,
                overdue=tuple(late.get((cycle.unit_code, cycle.definition_id), [])),
                unit_path=cycle.unit_path,
                org_type=cycle.org_type,
            )
        )
    newest: dict[str, DefinitionSpec] = {}
    for (definition_id, version), definition in definitions.items():
        if definition_id not in newest or version > newest[definition_id].version:
            newest[definition_id] = definition.spec
    summaries = _summaries(lines, cycles, definitions, superiors, targets, year)
    return Report(year, under, lines, summaries, newest)


def _latest_own(records: list[RatingRecord]) -> str | None:
    return own_level(records, "final") or own_level(records, "provisional")


def _summaries(
    lines: list[UnitLine],
    cycles: list[ReportCycle],
    definitions: Mapping[tuple[str, int], Definition],
    superiors: list[tuple[str, str, str]],
    targets: Mapping[tuple[str, str], float],
    year: int = 0,
) -> list[SuperiorSummary]:
    """Each unit adds to every superior above it (and to its own summary, if it is one):
    one pass, cycles x depth."""
    latest: dict[str, Definition] = {}
    for (definition_id, version), definition in definitions.items():
        if definition_id not in latest or version > latest[definition_id].spec.version:
            latest[definition_id] = definition
    by_path = {
        path: SuperiorSummary(code, name, unit_path=path) for code, name, path in superiors
    }
    for line, cycle in zip(lines, cycles, strict=True):
        spec = latest[line.definition_id].spec
        counted = spec.targets is not None and line.unit_kind in spec.targets.over
        goals = [] if spec.targets is None else [
            (i, g, counts_towards(g, line.unit_kind, line.outcome, line.rating))
            for i, g in goals_in_force(spec.targets.goals, year)
        ]
        parts = cycle.unit_path.strip("/").split("/")
        # the unit itself too: `status --under X` counts X's own cycle
        for depth in range(1, len(parts) + 1):
            summary = by_path.get("/" + "/".join(parts[:depth]) + "/")
            if summary is None:
                continue
            key = (line.definition_id, line.state)
            summary.states[key] = summary.states.get(key, 0) + 1
            summary.late_units += bool(line.overdue)
            if counted and spec.targets is not None:
                tally = summary.targets.setdefault(
                    line.definition_id,
                    [0, 0, targets.get((summary.unit_code, line.definition_id),
                                       spec.targets.recognized_share)],
                )
                tally[0] += 1
                tally[1] += line.outcome == "recognized"
            for index, goal, (within, meets) in goals:
                if within:
                    key_goal = (line.definition_id, index)
                    summary.goal_specs[key_goal] = goal
                    figures = summary.goal_counts.setdefault(key_goal, [0, 0])
                    figures[0] += 1
                    figures[1] += meets
    return [s for s in by_path.values() if s.states]
