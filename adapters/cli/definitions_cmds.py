"""`bontot definitions`: the definitions this installation knows, shown, validated, drawn."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import typer
import yaml

from adapters.catalog import load_catalog
from adapters.cli import errors
from adapters.cli.context import JsonOption, LangOption, emit, guarded
from adapters.cli.errors import problem
from adapters.cli.versions_cmds import definitions_migrate
from workflow.runtime.machine import mermaid_diagram
from workflow.spec.registry import Definition, DefinitionSet

group = typer.Typer(no_args_is_help=True, help="Workflow definitions.")


def _catalog(extra: list[Path] | None = None) -> DefinitionSet:
    return guarded(partial(load_catalog, extra))


@group.command("list")
def definitions_list(as_json: JsonOption = False) -> None:
    """The definitions this installation knows."""
    items = [
        {
            "id": d.spec.id,
            "version": d.spec.version,
            "extends": d.spec.extends,
            "hash": d.content_hash,
            "file": d.filename,
            "title": d.spec.title.model_dump(),
        }
        for d in _catalog()
    ]
    if as_json or items:
        emit(items, as_json, partial(_list_text, items))


def _list_text(items: list[dict[str, Any]]) -> str:
    lines = []
    for item in items:
        base = f" (extends {item['extends']})" if item["extends"] else ""
        lines.append(
            f"{item['id']:<28} v{item['version']}  {item['hash'][:12]}  {item['title']['vi']}{base}"
        )
    return "\n".join(lines)


@group.command("show")
def definitions_show(definition_id: str, as_json: JsonOption = False) -> None:
    """A definition with its overlays resolved."""
    definition = guarded(partial(_catalog().latest, definition_id))
    emit(
        {"hash": definition.content_hash, **definition.resolved()},
        as_json,
        partial(_yaml_text, definition),
    )


def _yaml_text(definition: Definition) -> str:
    return f"# {definition.filename}  sha256:{definition.content_hash}\n" + yaml.safe_dump(
        definition.resolved(), allow_unicode=True, sort_keys=False
    )


@group.command("validate")
def definitions_validate(files: list[Path]) -> None:
    """Validate definition files (they may extend the shipped ones). Exit 1 naming file:line."""
    for file in files:
        if not file.exists():
            raise problem("error.no_file", errors.NOT_FOUND, file=str(file))
    catalog = _catalog(files)
    names = {f.name for f in files}
    for definition in catalog:
        if Path(definition.filename).name in names:
            typer.echo(
                f"{definition.filename}: ok — {definition.spec.id} v{definition.spec.version} "
                f"sha256:{definition.content_hash[:12]}"
            )


@group.command("diagram")
def definitions_diagram(definition_id: str, lang: LangOption = "vi") -> None:
    """A Mermaid stateDiagram of a definition."""
    definition = guarded(partial(_catalog().latest, definition_id))
    typer.echo(mermaid_diagram(definition, lang))


# moving cycles between versions, kept apart for its size and its words
group.command("migrate")(definitions_migrate)
