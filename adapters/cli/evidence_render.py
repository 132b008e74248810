"""Text for the evidence commands: a verdict beside its evidence, target progress."""

from __future__ import annotations

from typing import Any

from workflow.service.reports import SuperiorSummary, target_figures
from workflow.service.results import Verdict

WORDS = {
    "vi": {
        "verdict": "Kết quả thẩm định theo tiêu chuẩn {unit} năm {year} — {state}",
        "passed": "ĐẠT",
        "failed": "KHÔNG ĐẠT",
        "no_rule": "Định nghĩa này không có tiêu chuẩn công nhận.",
        "register": "Sổ xếp loại: {rated} được xếp loại; không tính: {excluded}; thiếu: {missing}",
        "targets": "Chỉ tiêu năm {year}",
        "progress": "{unit:<16} {name:<36} {rec:>5}/{counted:<5} = {share:>7} "
        "(chỉ tiêu {target}; còn thiếu {gap} đơn vị; {late} đơn vị quá hạn)",
        "none": "không",
    },
    "en": {
        "verdict": "Verdict of the recognition rule on {unit} for {year} — {state}",
        "passed": "PASSES",
        "failed": "FAILS",
        "no_rule": "This definition has no recognition rule.",
        "register": "Register: {rated} rated; left out: {excluded}; missing: {missing}",
        "targets": "Targets for {year}",
        "progress": "{unit:<16} {name:<36} {rec:>5}/{counted:<5} = {share:>7} "
        "(target {target}; {gap} units short; {late} units late)",
        "none": "none",
    },
}


def verdict_dict(verdict: Verdict) -> dict[str, Any]:
    d = verdict.as_dict()
    register = verdict.register
    if register is not None:
        d["register"] = {"records": len(register.get("records", [])), "cells": register["cells"]}
    return d


def verdict_text(verdict: Verdict, lang: str) -> str:
    w = WORDS[lang]
    if verdict.rule is None:
        return w["no_rule"]
    cycle = verdict.cycle
    lines = [
        w["verdict"].format(unit=cycle.unit_code, year=cycle.year, state=cycle.state)
        + f": {w['passed'] if verdict.passed else w['failed']}"
    ]
    for check in verdict.checks:
        mark = "✓" if check.passed else "✗"
        lines.append(f"  {mark} {check.describe(lang)}")
    return "\n".join(lines)


def targets_text(rows: list[SuperiorSummary], year: int, lang: str) -> str:
    w = WORDS[lang]
    lines = [w["targets"].format(year=year)]
    for row in rows:
        for definition_id, (counted, recognized, target) in sorted(row.targets.items()):
            figures = target_figures(counted, recognized, target)
            share = figures["share"]
            lines.append(
                w["progress"].format(
                    unit=row.unit_code,
                    name=row.unit_name[:36],
                    rec=recognized,
                    counted=counted,
                    share="—" if share is None else f"{share:g} %",
                    target="—" if target is None else f"{target:g} %",
                    gap=figures["gap_units"],
                    late=row.late_units,
                )
                + ("" if len(row.targets) == 1 else f" [{definition_id}]")
            )
    return "\n".join(lines)
