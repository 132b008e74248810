"""Run as a script by tests/property/test_hostile_definitions.py, under a memory limit:
hypothesis mutates the shipped definitions line by line (hostile scalars, deleted and
doubled lines, broken indentation, an alias bomb, deep nesting, arbitrary text) and each
mutated file must either load or be refused with a DefinitionError naming its file and a
line, never anything else."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from definitions import shipped_sources
from workflow.errors import DefinitionError
from workflow.spec.registry import DefinitionSet

HOSTILE = [
    "-9999999 working_days", "999999999 days", "Mars/Olympus", "../../etc/passwd", "ZZ",
    "01/01/0001", "29/02", "31/04", "99:99", "9" * 60, "-1", "1e308", "nan", "inf", "",
    "~", "&a [1, 2]", "*a", "[[[[[[", "{", "'", '"\\u0000"', "!!python/object:os.system",
    "!!binary aGk=", "? [a]", "- -", ": :", "\t", "yes", "on", "[*x]", "{a: *b}",
    "[" * 300 + "]" * 300,
]
BOMB = "b0: &b0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"b{i}: &b{i} [{', '.join([f'*b{i - 1}'] * 9)}]\n" for i in range(1, 10)
)
SOURCES = dict(shipped_sources())
NAME = "mutant.yaml"


@st.composite
def mutants(draw: st.DrawFn) -> str:
    base = draw(st.sampled_from(sorted(SOURCES)))
    lines = SOURCES[base].splitlines()
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(lines) - 1))
        how = draw(st.sampled_from(["value", "text", "drop", "double", "indent", "bomb"]))
        line = lines[at]
        if how == "value" and ":" in line:
            key = line.split(":", 1)[0]
            lines[at] = f"{key}: {draw(st.sampled_from(HOSTILE))}"
        elif how == "text":
            lines[at] = draw(st.text(max_size=40))
        elif how == "drop":
            del lines[at]
        elif how == "double":
            lines.insert(at, line)
        elif how == "indent":
            lines[at] = " " * draw(st.integers(1, 7)) + line
        elif how == "bomb":
            lines.insert(0, BOMB)
        if not lines:
            lines = [""]
    # a new id and version, so that it does not clash with the file it came from
    return "\n".join(lines).replace("id: ", "id: mutant-", 1) + "\n"


@settings(
    max_examples=int(os.environ.get("MUTANTS", "100")),
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    # no shrinking: each example loads every shipped definition, and the first failing
    # mutant (printed) is enough to see the bug
    phases=[Phase.explicit, Phase.generate],
    print_blob=False,
)
@given(mutants())
def a_mutant_loads_or_is_refused_with_its_line(text: str) -> None:
    sources = [*shipped_sources(), (NAME, text)]
    try:
        DefinitionSet.from_texts(sources)
    except DefinitionError as exc:
        assert exc.problems, "a refusal with no problem listed"
        for problem in exc.problems:
            assert problem.file, f"a problem with no file: {problem}"
            assert problem.line is not None or problem.file != NAME, f"no line: {problem}"


if __name__ == "__main__":
    a_mutant_loads_or_is_refused_with_its_line()
    print("ok")
