"""The cycle of each unit-year: `cycle open`, `fire`, `status`, `history`."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Annotated, Any

import typer

from adapters import logs
from adapters.cli import render
from adapters.cli.context import (
    DEFAULT_DEFINITION,
    DbOption,
    JsonOption,
    LangOption,
    NowOption,
    OptionalYear,
    YearOption,
    emit,
    parse_payload,
    session,
    token_for,
)

group = typer.Typer(no_args_is_help=True, help="Yearly cycles.")


@contextmanager
def _progressbar(todo: int) -> Iterator[Callable[[int], None]]:
    with typer.progressbar(length=todo, label="opening cycles", file=sys.stderr) as bar:
        yield bar.update


@group.command("open")
def cycle_open(
    year: YearOption,
    under: Annotated[str | None, typer.Option()] = None,
    definition: Annotated[str, typer.Option(help="Definition id")] = DEFAULT_DEFINITION,
    actor: Annotated[str, typer.Option()] = "system",
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    """Open the year's cycle for every unit under a node (running it again adds nothing)."""
    with session(db, now) as app:
        used, result = app.acts.open_cycles(
            definition, year, under, actor, _progressbar, token_for(actor), now
        )
        spec = used.spec
        logs.logger().info(
            "cycles.opened",
            year=year,
            under=under,
            definition=spec.id,
            version=spec.version,
            opened=result.opened,
            actor=actor,
        )
        typer.echo(f"opened {result.opened} cycles of {spec.id} v{spec.version} for {year}")


def fire(
    unit: str,
    event: str,
    year: YearOption,
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
    payload = parse_payload(data)
    if override is not None:
        payload["override"] = override
    log = logs.logger().bind(unit=unit, year=year, event=event, actor=actor)
    with session(db, now) as app:
        fired = app.acts.fire(
            unit, event, year, actor, role, payload, definition, if_version, token_for(actor), now
        )
    result, spec = fired.result, fired.definition.spec
    log = log.bind(role=fired.role, cycle=result.cycle_id, definition=spec.id)
    text = partial(render.fire_text, result, lang, spec)
    if result.applied:
        log.info(
            "transition.applied",
            source=result.decision.from_state,
            dest=result.decision.to_state,
            version=result.version,
        )
        emit(result.as_dict(), as_json, text)
        return
    refusal = result.decision.refusal
    assert refusal is not None
    log.warning("transition.refused", reason=refusal.code, detail=refusal.message)
    if as_json:
        typer.echo(render.dumps(result.as_dict()))
    typer.echo(text(), err=True)
    raise typer.Exit(2)


def status(
    under: Annotated[str | None, typer.Option()] = None,
    year: OptionalYear = None,
    db: DbOption = None,
    now: NowOption = None,
    as_json: JsonOption = False,
    lang: LangOption = "vi",
) -> None:
    """The board: cycles by state under a node, the recognised share against the target."""
    with session(db, now) as app:
        the_year = year if year is not None else app.clock.now().year
        board = app.cycles.board(the_year, under)
    emit(render.board_dict(board), as_json, partial(render.board_text, board, lang))


def history(
    unit: str,
    year: YearOption,
    definition: Annotated[str | None, typer.Option()] = None,
    db: DbOption = None,
    now: NowOption = None,
    as_json: JsonOption = False,
    lang: LangOption = "vi",
) -> None:
    """Every step of a unit's cycle, with actor, role and time, and its deadlines."""
    with session(db, now) as app:
        found = app.cycles.history(unit, year, definition)
        at = app.clock.now()
    emit(render.history_dict(found), as_json, partial(render.history_text, found, lang, at))


commands: dict[str, Callable[..., Any]] = {"fire": fire, "status": status, "history": history}
