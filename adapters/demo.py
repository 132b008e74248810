"""`bontot demo`: a sample province, its 2025 cycle driven through the year on a virtual
clock, with the mix real life has: on time, late, returned for revision, not recognised,
never registered. Deterministic for a given seed."""

from __future__ import annotations

import os
import random
import time
from datetime import datetime, timedelta
from pathlib import Path

from adapters import bootstrap, logs
from adapters.cli import render
from adapters.demo_plan import RuleWords, Step, plan_year, sample_province
from adapters.demo_reorganisation import (
    DECISION,
    ENDED,
    RECORDED_AT,
    decision_steps,
    superiors_of_their_time,
    tree_of_january,
    tree_of_july,
)
from adapters.i18n import number, text
from adapters.identity import hash_token, issue_token
from adapters.persistence.store import SqlStore
from workflow.access import ADMINISTRATOR, Grant
from workflow.clock import VirtualClock
from workflow.deadlines import resolve_deadlines
from workflow.digests import Message
from workflow.errors import BontotError
from workflow.service.actors import SignedIn
from workflow.service.auditing import verify_store
from workflow.service.cycles import CycleService
from workflow.spec.registry import Definition
from workflow.timefmt import LOCAL_TZ, show_date


def fresh_demo_url(explicit: str | None) -> str:
    """The URL given (it must hold no units yet), or a new file in the current directory."""
    if explicit or os.environ.get("BONTOT_DATABASE_URL"):
        return bootstrap.database_url(explicit)
    path = Path("bontot-demo.db")
    n = 2
    while path.exists():
        path = Path(f"bontot-demo-{n}.db")
        n += 1
    return f"sqlite:///{path}"


def _checkpoint(
    service: CycleService, definition: Definition, year: int, key: str, lang: str
) -> str:
    """One line as a deadline passes: how many units missed it."""
    board = service.board(year)
    deadline = definition.spec.deadlines[key]
    missed = board.overdue.get(key, 0)
    when = show_date(service.clock.now())
    if lang == "en":
        return f"  {when}: deadline '{deadline.label.en}' passed — {missed} units overdue"
    return f"  {when}: hết hạn «{deadline.label.vi}» — {missed} đơn vị quá hạn"


class _Nowhere:
    """The demo's notifier: every message is accepted and goes nowhere."""

    def send(self, message: Message) -> None:
        return None


def _notice_counts(messages: list[tuple[datetime, Message]]) -> dict[str, int]:
    counts = {"reminder": 0, "escalation": 0, "digest": 0}
    for _at, message in messages:
        items = [i for i in message.data["items"] if not i["collapsed"]]
        counts["digest"] += len(items) > 1
        for item in items:
            counts[item["kind"]] += 1
    return counts


def _notices_line(counts: dict[str, int], messages: int, lang: str) -> str:
    return text(
        lang, "demo.notices",
        reminders=number(counts["reminder"], lang, 0),
        escalations=number(counts["escalation"], lang, 0),
        messages=number(messages, lang, 0), digests=number(counts["digest"], lang, 0),
    )  # fmt: skip


def _create_actors(
    store: SqlStore, plan: list[Step], at: datetime
) -> tuple[dict[str, Grant], dict[str, str]]:
    """An administrator, and every secretary, board and standing committee the year's
    plan has acting, each scoped to its unit or committee (actor names end with its code).
    Their grants, and their tokens (written beside the demo's database, to log in)."""
    wanted = {(step.actor, step.role) for step in plan}
    # A light scrypt cost keeps the demo in seconds (the CLI's `actors add` uses the full
    # cost); these are a demo's tokens, for a demo's database.
    tokens = {"quantri.demo": issue_token()}
    rows: list[tuple[str, str, str, str | None, str]] = [
        ("quantri.demo", "Quản trị (demo)", ADMINISTRATOR, None,
         hash_token(tokens["quantri.demo"], cost=2**10)),
    ]  # fmt: skip
    for actor, role in sorted(wanted):
        tokens[actor] = issue_token()
        rows.append(
            (actor, "", role, actor.split(".", 1)[1], hash_token(tokens[actor], cost=2**10))
        )
    store.add_actors(rows, at, "quantri.demo")
    grants = {}
    for actor, _role in wanted:
        found = store.find_actor(actor)
        assert found is not None
        grants[actor] = found[0]
    return grants, tokens


def _grant(store: SqlStore, actor: str) -> Grant:
    found = store.find_actor(actor)
    assert found is not None
    return found[0]


def _reorganised_line(totals: dict[str, int], cycles: int, lang: str) -> str:
    return text(
        lang, "demo.reorganised",
        day=show_date(DECISION.effective), decision=DECISION.number,
        moved=number(totals["moved"], lang, 0), ended=number(totals["ended"], lang, 0),
        cycles=number(cycles, lang, 0),
    )  # fmt: skip


def tokens_path(url: str) -> Path:
    """Where the demo's actors' tokens go: beside a SQLite file, else the current folder."""
    if url.startswith("sqlite:///"):
        db = Path(url[len("sqlite:///") :])
        return db.with_name(db.stem + "-tokens.txt")
    return Path("bontot-demo-tokens.txt")


def _write_tokens(url: str, tokens: dict[str, str], grants: dict[str, Grant]) -> Path:
    path = tokens_path(url)
    lines = [f"{actor}\t{grants[actor].role if actor in grants else ADMINISTRATOR}\t"
             f"{grants[actor].scope_code if actor in grants else '-'}\t{token}"
             for actor, token in sorted(tokens.items())]  # fmt: skip
    path.write_text("# actor\trole\tscope\ttoken\n" + "\n".join(lines) + "\n")
    path.chmod(0o600)
    return path


def _login_lines(url: str, path: Path, grants: dict[str, Grant], lang: str) -> list[str]:
    """How to open the web board as one of the demo's actors."""
    boards = sorted(
        a
        for a, g in grants.items()
        if g.role == "superior_org_board" and g.scope_code not in ENDED  # still a unit
    )
    actor = boards[0] if boards else "quantri.demo"
    if lang == "en":
        return [
            f"web board: bontot serve --db {url}   then http://127.0.0.1:8000/login",
            f"  log in as {actor} (or quantri.demo) with its token from {path}",
        ]
    return [
        f"bảng theo dõi trên web: bontot serve --db {url}   rồi mở http://127.0.0.1:8000/login",
        f"  đăng nhập bằng {actor} (hoặc quantri.demo), mã truy cập trong tệp {path}",
    ]


def _audit_line(actors: int, records: int, chains: int, ok: bool, lang: str) -> str:
    return text(
        lang, "demo.audit" if ok else "demo.audit_broken",
        actors=number(actors, lang, 0), records=number(records, lang, 0),
        chains=number(chains, lang, 0),
    )  # fmt: skip


def run_demo(url: str, year: int = 2025, seed: int = 2025, lang: str = "vi") -> str:
    started = time.perf_counter()
    rng = random.Random(seed)
    clock = VirtualClock(datetime(year, 1, 5, 8, 0, tzinfo=LOCAL_TZ))
    app = bootstrap.build(url, clock, schema="create")
    store, service = app.store, app.cycles
    try:
        if store.unit_parents():
            raise BontotError(f"{url} already holds units: the demo wants a fresh database")
        units, members = sample_province(rng)
        january = tree_of_january(units)
        store.import_units(january, clock.now(), "demo")
        notifications = app.ticks(channels=("log",), lang=lang)
        definition = app.catalog.latest()
        opened = service.open_cycles(definition, year, actor="demo", role="system")
        applied = refused = 0
        checkpoints = [
            (d.due_at + timedelta(minutes=1), d.key)
            for d in resolve_deadlines(definition.spec, year, service.calendar(definition.spec))
        ]
        progress: list[str] = []
        # drawn on the tree the reorganisation of 1/7 leaves (the figures of a tree
        # without districts); acts before it by the superiors of their time
        plan, register = plan_year(rng, tree_of_july(units), members, year,
                                   RuleWords.of(definition))  # fmt: skip
        superiors_of_their_time(plan, january)
        grants, tokens = _create_actors(store, plan, clock.now())
        written = _write_tokens(url, tokens, grants)
        # the member registry's final ratings arrive once the January ratings are done
        register_at = datetime(year + 1, 1, 21, 8, 0, tzinfo=LOCAL_TZ)
        imported = False
        reorganised = ""
        for step in plan:
            if not reorganised and step.at >= RECORDED_AT:
                while checkpoints and checkpoints[0][0] <= RECORDED_AT:
                    instant, key = checkpoints.pop(0)
                    notifications.run_until(clock, instant)
                    progress.append(_checkpoint(service, definition, year, key, lang))
                notifications.run_until(clock, RECORDED_AT)
                done = app.reorganisations.reorganise(
                    DECISION, decision_steps(january), "quantri.demo", SignedIn("quantri.demo")
                )
                reorganised = _reorganised_line(done.plan.totals(), done.cycles, lang)
                # every grant read afresh: a scope's path is the tree's of today
                grants = {actor: _grant(store, actor) for actor in grants}
            if not imported and step.at >= register_at:
                notifications.run_until(clock, register_at)
                store.import_ratings(
                    year, register, clock.now(), "quantri.demo", {"file": "xep-loai-demo.xlsx"}
                )
                imported = True
            while checkpoints and checkpoints[0][0] <= step.at:
                instant, key = checkpoints.pop(0)
                notifications.run_until(clock, instant)
                progress.append(_checkpoint(service, definition, year, key, lang))
            notifications.run_until(clock, step.at)
            result = service.fire(
                step.unit,
                step.event,
                year,
                step.actor,
                step.role,
                step.payload,
                grant=grants[step.actor],
            )
            if result.applied:
                applied += 1
            else:
                refused += 1
        for instant, key in checkpoints:
            notifications.run_until(clock, instant)
            progress.append(_checkpoint(service, definition, year, key, lang))
        notifications.run_out(clock)
        # Nothing leaves the machine: the demo's messages are marked delivered to itself.
        delivered = notifications.deliver(_Nowhere(), "demo")
        sent = _notice_counts(store.outbox_messages())
        board = service.board(year)
        elapsed = time.perf_counter() - started
        logs.logger().info(
            "demo.completed",
            url=url,
            units=len(units),
            cycles=opened.opened,
            applied=applied,
            refused=refused,
            seconds=round(elapsed, 2),
        )
        summary = text(
            lang, "demo.summary",
            units=number(len(units), lang, 0), cycles=number(opened.opened, lang, 0),
            definition=definition.spec.title.get(lang), version=definition.spec.version,
            applied=number(applied, lang, 0), refused=number(refused, lang, 0),
            seconds=number(elapsed, lang, 1),
        )  # fmt: skip
        summary += "\n" + reorganised
        summary += "\n" + _notices_line(sent, delivered.count("sent"), lang)
        audit = verify_store(store)
        summary += "\n" + _audit_line(len(grants), audit.records, audit.chains, audit.ok, lang)
        board_text = render.board_text(board, lang, [definition.spec])
        return "\n".join([summary, "", *progress, "", board_text, "",
                          *_login_lines(url, written, grants, lang)])  # fmt: skip
    finally:
        app.close()
