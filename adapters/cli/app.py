"""The `bontot` command line (typer). Results on stdout, logs and refusals on stderr."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import inspect

from adapters import logs
from adapters.catalog import load_catalog
from adapters.cli import render
from adapters.clock import SystemClock
from adapters.holidays_vn import calendar_for
from adapters.persistence.db import database_url, make_engine
from adapters.persistence.store import SqlStore
from workflow.clock import Clock, VirtualClock
from workflow.errors import BontotError
from workflow.runtime.machine import mermaid_diagram
from workflow.service.engine import Engine
from workflow.service.ports import Cycle
from workflow.spec.registry import DefinitionSet
from workflow.timefmt import parse_user_instant
from workflow.units import check_unit_rows

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
units_app = typer.Typer(no_args_is_help=True, help="The unit tree.")
cycle_app = typer.Typer(no_args_is_help=True, help="Yearly cycles.")
definitions_app = typer.Typer(no_args_is_help=True, help="Workflow definitions.")
app.add_typer(units_app, name="units")
app.add_typer(cycle_app, name="cycle")
app.add_typer(definitions_app, name="definitions")

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: $BONTOT_DATABASE_URL or ./bontot.db)"),
]
NowOption = Annotated[
    str | None,
    typer.Option(
        "--now", help="Act as if it were this ISO date-time (Asia/Ho_Chi_Minh if no offset)"
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON")]
LangOption = Annotated[str, typer.Option("--lang", help="vi or en")]
DEFAULT_DEFINITION = "bon-tot"


@dataclass
class Session:
    engine: Engine
    store: SqlStore
    catalog: DefinitionSet


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def clock_for(now: str | None) -> Clock:
    if now is None:
        return SystemClock()
    try:
        return VirtualClock(parse_user_instant(now))
    except ValueError as exc:
        raise fail(f"--now {now!r}: {exc}") from None


@contextmanager
def session(db: str | None, now: str | None = None, create: bool = False) -> Iterator[Session]:
    url = database_url(db)
    engine = make_engine(url)
    try:
        if create:
            from adapters.persistence import schema  # alembic: only for init

            try:
                schema.upgrade(engine)  # the revisions, also on an empty database
            except BontotError as exc:
                raise fail(f"{url}: {exc}") from None
        elif not inspect(engine).has_table("cycle"):
            raise fail(f"{url}: no bontot schema here; run `bontot init` first")
        store = SqlStore(engine)
        try:
            yield Session(Engine(store, clock_for(now), calendar_for), store, load_catalog())
        except BontotError as exc:
            raise fail(str(exc)) from None
        finally:
            store.close()
    finally:
        engine.dispose()


@app.callback()
def _setup() -> None:
    """bontot: the yearly "chi bộ bốn tốt / đảng bộ cơ sở bốn tốt" cycle as a workflow."""
    logs.configure()


@app.command()
def init(db: DbOption = None) -> None:
    """Create the database schema, or upgrade it to the newest revision (idempotent)."""
    with session(db, create=True):
        pass
    typer.echo(f"initialised {database_url(db)}")


# -- units ---------------------------------------------------------------------------
@units_app.command("import")
def units_import(
    file: Path,
    actor: Annotated[str, typer.Option(help="An administrator, once actors exist")] = "system",
    db: DbOption = None,
) -> None:
    """Import units from CSV (code,name,kind,type,parent_code,member_count,contact_<role>...).

    Every row is checked first; one bad row imports nothing."""
    with session(db) as s:
        from adapters.cli.audit_cmds import authenticate

        authenticate(s, actor, "units import", administrator=True)
        with file.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            header = list(reader.fieldnames or [])
        checked = check_unit_rows(str(file), header, rows, s.store.unit_parents())
        added, updated = s.store.import_units(checked)
        logs.logger().info("units.imported", file=str(file), added=added, updated=updated)
        typer.echo(f"imported {added} new and {updated} updated units from {file}")


@units_app.command("list")
def units_list(
    under: Annotated[str | None, typer.Option()] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """List units (a subtree with --under)."""
    with session(db) as s:
        units = s.store.list_units(under)
        if as_json:
            typer.echo(render.dumps([render.unit_dict(u) for u in units]))
            return
        depth0 = min((u.path.count("/") for u in units), default=0)
        for u in units:
            indent = "  " * (u.path.count("/") - depth0)
            typer.echo(f"{indent}{u.code:<16} {u.kind:<20} {u.member_count:>4}  {u.name}")


# -- cycles ----------------------------------------------------------------------------
@cycle_app.command("open")
def cycle_open(
    year: Annotated[int, typer.Option()],
    under: Annotated[str | None, typer.Option()] = None,
    definition: Annotated[str, typer.Option(help="Definition id")] = DEFAULT_DEFINITION,
    actor: Annotated[str, typer.Option()] = "system",
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    """Open the year's cycle for every unit under a node (running it again adds nothing)."""
    with session(db, now) as s:
        from adapters.cli.audit_cmds import authenticate

        authenticate(s, actor, "cycle open", now, administrator=True)
        spec = s.catalog.latest(definition)
        node = s.store.find_unit(under) if under else None
        todo = s.store.count_units_without_cycle(node, spec.spec.applies_to, year, spec.spec.id)
        with typer.progressbar(length=todo, label="opening cycles", file=sys.stderr) as bar:
            result = s.engine.open_cycles(spec, year, under, actor=actor, progress=bar.update)
        logs.logger().info(
            "cycles.opened",
            year=year,
            under=under,
            definition=spec.spec.id,
            version=spec.spec.version,
            opened=result.opened,
            actor=actor,
        )
        typer.echo(
            f"opened {result.opened} cycles of {spec.spec.id} v{spec.spec.version} for {year}"
        )


@app.command()
def fire(
    unit: str,
    event: str,
    year: Annotated[int, typer.Option()],
    actor: Annotated[str, typer.Option()],
    role: Annotated[str | None, typer.Option(help="Default: the one role the event allows")] = None,
    data: Annotated[str | None, typer.Option("--data", help="JSON payload")] = None,
    override: Annotated[
        str | None,
        typer.Option("--override", help="A written reason to overrule the rule's verdict"),
    ] = None,
    definition: Annotated[str | None, typer.Option(help="Definition id, if several cycles")] = None,
    if_version: Annotated[
        int | None, typer.Option(help="Refuse unless the cycle is at this version")
    ] = None,
    db: DbOption = None,
    now: NowOption = None,
    as_json: JsonOption = False,
    lang: LangOption = "vi",
) -> None:
    """Fire EVENT on UNIT's cycle of YEAR. A refusal exits 2 with the reason on stderr."""
    try:
        payload: dict[str, Any] = json.loads(data) if data else {}
    except json.JSONDecodeError as exc:
        raise fail(f"--data is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise fail("--data must be a JSON object")
    if override is not None:
        payload["override"] = override
    log = logs.logger().bind(unit=unit, year=year, event=event, actor=actor)
    with session(db, now) as s:
        from adapters.cli.audit_cmds import authenticate

        grant = authenticate(s, actor, f"fire {event}", now)
        cycle = s.engine.cycle(unit, year, definition)
        spec = s.engine.definition(cycle.definition_id, cycle.definition_version).spec
        if role is None:
            role = grant.role if grant is not None else _default_role(s, cycle, event)
        result = s.engine.fire_on(cycle, event, actor, role, payload, if_version, grant)
        log = log.bind(role=role, cycle=result.cycle_id, definition=spec.id)
        if result.applied:
            log.info(
                "transition.applied",
                source=result.decision.from_state,
                dest=result.decision.to_state,
                version=result.version,
            )
            typer.echo(
                render.dumps(result.as_dict()) if as_json else render.fire_text(result, lang, spec)
            )
            return
        refusal = result.decision.refusal
        assert refusal is not None
        log.warning("transition.refused", reason=refusal.code, detail=refusal.message)
        if as_json:
            typer.echo(render.dumps(result.as_dict()))
        typer.echo(render.fire_text(result, lang, spec), err=True)
        raise typer.Exit(2)


def _default_role(s: Session, cycle: Cycle, event: str) -> str:
    machine = s.engine.machine(s.engine.definition(cycle.definition_id, cycle.definition_version))
    roles = machine.roles_for(cycle.state, event)
    if len(roles) == 1:
        return roles[0]
    if not roles:
        # Let the engine refuse it with the full reason (wrong state, unknown event).
        return "-"
    raise fail(f"{event!r} may be fired by {', '.join(roles)}: say which with --role")


@app.command()
def status(
    under: Annotated[str | None, typer.Option()] = None,
    year: Annotated[int | None, typer.Option()] = None,
    db: DbOption = None,
    now: NowOption = None,
    as_json: JsonOption = False,
    lang: LangOption = "vi",
) -> None:
    """The board: cycles by state under a node, the recognised share against the target."""
    with session(db, now) as s:
        the_year = year if year is not None else s.engine.clock.now().year
        board = s.engine.board(the_year, under)
        typer.echo(
            render.dumps(render.board_dict(board)) if as_json else render.board_text(board, lang)
        )


@app.command()
def history(
    unit: str,
    year: Annotated[int, typer.Option()],
    definition: Annotated[str | None, typer.Option()] = None,
    db: DbOption = None,
    now: NowOption = None,
    as_json: JsonOption = False,
    lang: LangOption = "vi",
) -> None:
    """Every step of a unit's cycle, with actor, role and time, and its deadlines."""
    with session(db, now) as s:
        found = s.engine.history(unit, year, definition)
        if as_json:
            typer.echo(render.dumps(render.history_dict(found)))
        else:
            typer.echo(render.history_text(found, lang, s.engine.clock.now()))


# -- definitions -------------------------------------------------------------------------
def _catalog(extra: list[Path] | None = None) -> DefinitionSet:
    try:
        return load_catalog(extra)
    except BontotError as exc:
        raise fail(str(exc)) from None


@definitions_app.command("list")
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
    if as_json:
        typer.echo(render.dumps(items))
        return
    for item in items:
        base = f" (extends {item['extends']})" if item["extends"] else ""
        typer.echo(
            f"{item['id']:<28} v{item['version']}  {item['hash'][:12]}  {item['title']['vi']}{base}"
        )


@definitions_app.command("show")
def definitions_show(definition_id: str, as_json: JsonOption = False) -> None:
    """A definition with its overlays resolved."""
    definition = _catalog().latest(definition_id)
    if as_json:
        typer.echo(render.dumps({"hash": definition.content_hash, **definition.resolved()}))
        return
    import yaml

    typer.echo(f"# {definition.filename}  sha256:{definition.content_hash}")
    typer.echo(yaml.safe_dump(definition.resolved(), allow_unicode=True, sort_keys=False))


@definitions_app.command("validate")
def definitions_validate(files: list[Path]) -> None:
    """Validate definition files (they may extend the shipped ones). Exit 1 naming file:line."""
    for file in files:
        if not file.exists():
            raise fail(f"{file}: no such file")
    catalog = _catalog(files)
    names = {f.name for f in files}
    for definition in catalog:
        if Path(definition.filename).name in names:
            typer.echo(
                f"{definition.filename}: ok — {definition.spec.id} v{definition.spec.version} "
                f"sha256:{definition.content_hash[:12]}"
            )


@definitions_app.command("diagram")
def definitions_diagram(definition_id: str, lang: LangOption = "vi") -> None:
    """A Mermaid stateDiagram of a definition."""
    typer.echo(mermaid_diagram(_catalog().latest(definition_id), lang))


@app.command()
def demo(
    db: DbOption = None,
    year: Annotated[int, typer.Option()] = 2025,
    seed: Annotated[int, typer.Option()] = 2025,
    lang: LangOption = "vi",
) -> None:
    """A sample province driven through a simulated year, into a fresh database."""
    from adapters.demo import fresh_demo_url, run_demo

    url = fresh_demo_url(db)
    typer.echo(f"demo database: {url}", err=True)
    try:
        report = run_demo(url, year=year, seed=seed, lang=lang)
    except BontotError as exc:
        raise fail(str(exc)) from None
    typer.echo(report)


from adapters.cli import (  # noqa: E402, F401  (register their commands)
    audit_cmds,
    bulk_cmds,
    db_cmds,
    documents_cmds,
    evidence_cmds,
    export_cmds,
    meeting_cmds,
    migrate_cmds,
    report_cmds,
    time_cmds,
)


def main() -> None:
    app()


if __name__ == "__main__":
    # Run through the package module, so that the commands registered on its `app` by
    # the modules it imports are the ones that run.
    from adapters.cli.app import main as package_main

    package_main()
