"""Commands about time: calendar, overdue, milestones, tick, worker, outbox, simulate."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from functools import partial
from typing import Annotated, Any

import typer

from adapters import i18n, logs
from adapters.catalog import load_catalog
from adapters.cli import render, time_render
from adapters.cli.context import (
    DEFAULT_DEFINITION,
    DbOption,
    JsonOption,
    LangOption,
    NowOption,
    UnderOption,
    YearOption,
    clock_for,
    database_url,
    emit,
    fail_said,
    guarded,
    seconds_option,
    session,
    token_for,
)
from adapters.cli.progress import shown
from adapters.clock import OffsetClock, SystemClock
from adapters.holidays_vn import calendar_for
from adapters.i18n.said import no_recipient_text, role_word
from adapters.scheduler.worker import Ticker, WorkerOptions, run_worker
from adapters.simulate import simulate
from workflow.deadlines import plan_year
from workflow.timefmt import LOCAL_TZ, parse_user_date, show_instant

InsecureOption = Annotated[
    bool,
    typer.Option(
        "--insecure", help="Accept a plain http:// webhook or SMTP credentials without TLS"
    ),
]
LeaseOption = Annotated[float, seconds_option("Seconds a claimed message stays ours", 1, 86_400)]
milestone_group = typer.Typer(no_args_is_help=True, help="Programme milestones of committees.")


def calendar(
    year: YearOption,
    definition: Annotated[str, typer.Option(help="Definition id")] = DEFAULT_DEFINITION,
    as_json: JsonOption = False,
    lang: LangOption = "vi",
) -> None:
    """The year's effective deadlines, reminders and escalations, and what moved them."""
    spec = guarded(lambda: load_catalog().latest(definition)).spec
    plan = plan_year(spec, year, calendar_for(spec.calendar))
    emit(
        time_render.calendar_dict(spec, plan.deadlines, plan.timers, plan.milestones),
        as_json,
        partial(time_render.calendar_text, spec, year, plan.deadlines, plan.timers,
                plan.milestones, lang),
    )  # fmt: skip


def overdue(
    year: YearOption,
    under: UnderOption = None,
    db: DbOption = None,
    now: NowOption = None,
    as_json: JsonOption = False,
    lang: LangOption = "vi",
) -> None:
    """Units late on a deadline (and committees late on a milestone), oldest first."""
    with session(db, now) as app:
        items = app.cycles.overdue(year, under)
        at = app.clock.now()
        if as_json:
            typer.echo(render.dumps([time_render.overdue_dict(i, at) for i in items]))
            return
        # the labels of each item's definition version, read as the text is made
        typer.echo(time_render.overdue_text(items, at, lang, app.cycles.spec))


@milestone_group.command("done")
def milestone_done(
    unit: str,
    key: str,
    year: YearOption,
    actor: Annotated[str, typer.Option()],
    definition: Annotated[str, typer.Option(help="Definition id")] = DEFAULT_DEFINITION,
    db: DbOption = None,
    now: NowOption = None,
    lang: LangOption = "vi",
) -> None:
    """Record that a committee kept a milestone (its reminders stop)."""
    with session(db, now) as app:
        at = app.registers.keep_milestone(unit, key, year, definition, actor, token_for(actor), now)
        milestones = app.catalog.latest(definition).spec.milestones
    logs.logger().info("milestone.met", unit=unit, key=key, year=year, actor=actor)
    label = milestones[key].label.get(lang) if key in milestones else key
    said = i18n.text(lang, "cli.milestone_kept", unit=unit, milestone=label, year=year,
                     at=show_instant(at))  # fmt: skip
    typer.echo(said)


def _options(
    db: str | None,
    clock: Any,
    lang: str,
    worker_id: str,
    lease: float,
    sweep: float,
    batch_size: int = 1000,
    insecure: bool = False,
) -> WorkerOptions:
    return WorkerOptions(
        url=database_url(db),
        clock=clock,
        lang=lang,
        worker_id=worker_id,
        lease=timedelta(seconds=lease),
        sweep=timedelta(seconds=sweep),
        batch_size=batch_size,
        insecure=insecure,
    )


def _ticker(options: WorkerOptions) -> Ticker:
    try:
        return Ticker(options)
    except ValueError as exc:  # bad notification settings: named by variable or file key
        raise fail_said(options.lang, "cli.notification_settings", detail=exc) from None


def tick(
    db: DbOption = None,
    now: NowOption = None,
    lang: LangOption = "vi",
    worker_id: Annotated[str, typer.Option("--worker-id")] = "",
    lease: LeaseOption = 120,
    as_json: JsonOption = False,
    insecure: InsecureOption = False,
) -> None:
    """One pass: fire due reminders and escalations, compose, deliver. For cron and tests."""
    with session(db, now):
        pass  # checks the schema is there
    ticker = _ticker(_options(db, clock_for(now), lang, worker_id, lease, 60, insecure=insecure))
    try:
        with shown("tick", lang):
            fired, report, wakeup = ticker.tick()
    finally:
        ticker.close()
    result = {
        "timers_fired": fired.fired,
        "messages_composed": fired.composed,
        "sent": report.count("sent"),
        "retried": report.count("retry"),
        "parked": report.count("parked"),
        "next_wakeup": wakeup.isoformat() if wakeup else None,
    }
    if as_json:
        typer.echo(render.dumps(result))
        return
    typer.echo(
        f"{fired.fired} timers fired, {fired.composed} messages composed; "
        f"{result['sent']} sent, {result['retried']} to retry, {result['parked']} parked"
    )


def worker(
    db: DbOption = None,
    now: Annotated[
        str | None,
        typer.Option("--now", help="Start the worker's clock at this instant (it then runs)"),
    ] = None,
    lang: LangOption = "vi",
    worker_id: Annotated[str, typer.Option("--worker-id")] = "",
    lease: LeaseOption = 120,
    sweep: Annotated[float, seconds_option("Seconds between safety sweeps", 0.5, 86_400)] = 60,
    batch_size: Annotated[
        int,
        typer.Option(
            help="Timers claimed per transaction (workers share the rest)", min=1, max=100_000
        ),
    ] = 1000,
    insecure: InsecureOption = False,
) -> None:
    """Run the ticker until SIGTERM: wakes at the next due instant and on every sweep."""
    with session(db, now):
        pass
    clock = SystemClock() if now is None else OffsetClock(clock_for(now).now())
    options = _options(db, clock, lang, worker_id, lease, sweep, batch_size, insecure)
    _ticker(options).close()  # settings are checked before the scheduler starts
    run_worker(options)


outbox_group = typer.Typer(
    invoke_without_command=True, help="The outbox: what waits, was sent, is parked."
)


@outbox_group.command("retry")
def outbox_retry(
    key: Annotated[list[str] | None, typer.Option("--key", help="A parked message's key")] = None,
    all_parked: Annotated[bool, typer.Option("--all-parked", help="Every parked one")] = False,
    by: Annotated[str, typer.Option(help="The administrator (once actors exist)")] = "system",
    db: DbOption = None,
    lang: LangOption = "vi",
) -> None:
    """Send parked messages again at the next tick (after a contact or endpoint is fixed)."""
    if bool(key) == all_parked:
        raise fail_said(lang, "cli.retry_usage")
    with session(db) as app:
        done = app.trail.retry_parked(None if all_parked else key, by, token_for(by))
        labels = app.catalog.specs()
    logs.logger().info(
        "outbox.unparked", count=done.unparked, readdressed=done.readdressed,
        unreachable=len(done.unreachable), by=by,
    )  # fmt: skip
    if done.unparked or not (done.readdressed or done.unreachable):
        typer.echo(i18n.text(lang, "cli.retried", count=i18n.number(done.unparked, lang, 0)))
    if done.readdressed:
        typer.echo(i18n.text(lang, "cli.readdressed", count=i18n.number(done.readdressed, lang, 0)))
    for message, role, units in done.unreachable:
        said = i18n.text(lang, "cli.still_no_recipient", key=message,
                         role=role_word(labels, role, lang), units=", ".join(units))  # fmt: skip
        typer.echo(said)


@outbox_group.callback()
def outbox(
    ctx: typer.Context, db: DbOption = None, as_json: JsonOption = False, lang: LangOption = "vi"
) -> None:
    """Messages waiting, sent and parked (an endpoint that kept failing, or nobody to
    send to); `bontot outbox retry` sends parked ones again."""
    if ctx.invoked_subcommand is not None:
        return
    with session(db) as app:
        counts = app.trail.outbox()
        if as_json:
            typer.echo(
                render.dumps(
                    {
                        "pending": counts.pending,
                        "sent": counts.sent,
                        "parked": counts.parked,
                        "parked_items": [
                            {"key": k, "channel": c, "address": a, "error": e}
                            for k, c, a, e in counts.parked_items
                        ],
                    }
                )
            )
            return
        pending, sent, parked = (
            i18n.number(n, lang, 0) for n in (counts.pending, counts.sent, counts.parked)
        )
        typer.echo(i18n.text(lang, "cli.outbox", pending=pending, sent=sent, parked=parked))
        labels = app.catalog.specs()
        for key, channel, address, error in counts.parked_items:
            if key in counts.unaddressed:  # no channel, no address: the reason says it
                channel, (role, units) = "—", counts.unaddressed[key]
                error = no_recipient_text(role, units, labels, lang)
            said = i18n.text(lang, "cli.outbox_parked", key=key, channel=channel,
                             address=address or "—", error=error)  # fmt: skip
            typer.echo("  " + said)


def simulate_cmd(
    year: YearOption,
    until: Annotated[str | None, typer.Option(help="Last day, dd/mm/yyyy")] = None,
    under: UnderOption = None,
    definition: Annotated[
        str, typer.Option(help="Definition for a year whose cycles are not open yet")
    ] = DEFAULT_DEFINITION,
    db: DbOption = None,
    now: NowOption = None,
    as_json: JsonOption = False,
    lang: LangOption = "vi",
) -> None:
    """Every reminder and escalation of a year, day by day, on a virtual clock against a
    copy: nothing is sent, nothing changes here."""
    end = None
    if until is not None:
        try:
            end = datetime.combine(parse_user_date(until), time.max, tzinfo=LOCAL_TZ)
        except ValueError:
            raise fail_said(lang, "cli.not_a_date", option="--until", given=until) from None
    with session(db, now) as app:
        start = app.clock.now() if now else datetime(year, 1, 2, tzinfo=LOCAL_TZ)
        with shown("simulate", lang):
            result = simulate(app, year, under, end, app.catalog.latest(definition), start, lang)
    for problem in result.refused:
        typer.echo(i18n.text(lang, "cli.simulate_refused", problem=problem), err=True)
    items = result.items
    if as_json:
        typer.echo(render.dumps([i.as_dict() for i in items]))
    else:
        typer.echo(time_render.simulate_text(items, lang))
    if result.refused:
        # the copy did not replay what happened: its past is not the outbox's, say so
        count = i18n.number(len(result.refused), lang, 0)
        typer.echo(i18n.text(lang, "cli.simulate_inexact", count=count), err=True)
        raise typer.Exit(1)


commands: dict[str, Callable[..., Any]] = {
    "calendar": calendar,
    "overdue": overdue,
    "tick": tick,
    "worker": worker,
    "simulate": simulate_cmd,
}
groups = {"milestone": milestone_group, "outbox": outbox_group}
