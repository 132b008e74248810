"""Delivery through the outbox to real receivers on loopback: a webhook that fails and
recovers, one that never does, an SMTP server; workers as real processes, one killed
with SIGKILL mid-batch, several sharing one database (each backend)."""

from __future__ import annotations

import html
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.catalog import load_catalog
from adapters.holidays_vn import calendar_for
from adapters.notifications.settings import NotifySettings
from adapters.persistence.db import create_schema, make_engine
from adapters.persistence.store import SqlStore
from adapters.scheduler.worker import Ticker, WorkerOptions
from tests.conftest import local
from tests.support.backends import rows
from tests.support.receivers import HttpReceiver, SmtpReceiver, read_keys
from workflow.clock import VirtualClock
from workflow.service.cycles import CycleService
from workflow.timefmt import to_db
from workflow.units import UnitImport

CELLS = 40
#: 17/03/2025: ten working days before the 31/03 registration deadline
REMINDER_DAY = local(2025, 3, 17, 9)


def commune_of(cells: int) -> list[UnitImport]:
    return [
        UnitImport("T01", "Tỉnh ủy mẫu", "committee", "other", None, 0, {}),
        UnitImport(
            "X01", "Đảng ủy xã Tân Lập", "committee", "village", "T01", 0,
            {"superior_org_board": "btc.x01@example.vn"},
        ),
        *[
            UnitImport(
                f"CB-{i:03d}", f"Chi bộ thôn {i}", "grassroots_cell", "village", "X01", 12,
                {"unit_secretary": f"bithu.{i:03d}@example.vn"},
            )
            for i in range(1, cells + 1)
        ],
    ]


@pytest.fixture
def opened_db(db_url: str) -> Iterator[str]:
    """A real database: a commune of 40 cells, the 2025 cycles opened on 05/01/2025."""
    url = db_url
    engine = make_engine(url)
    create_schema(engine)
    store = SqlStore(engine)
    store.import_units(commune_of(CELLS))
    CycleService(store, VirtualClock(local(2025, 1, 5, 8)), calendar_for).open_cycles(
        load_catalog().latest("bon-tot"), 2025
    )
    store.close()
    engine.dispose()
    yield url


def outbox(url: str, channel: str) -> list[tuple[Any, ...]]:
    return rows(
        url,
        "SELECT key, sent_at, parked_at, attempts FROM outbox WHERE channel = ? ORDER BY key",
        (channel,),
    )


def ticker(url: str, clock: VirtualClock, settings: NotifySettings, lease: float = 60) -> Ticker:
    return Ticker(
        WorkerOptions(
            url=url, clock=clock, worker_id="test", settings=settings,
            lease=timedelta(seconds=lease),
        )
    )


def test_a_webhook_that_fails_twice_gets_the_message_on_the_third_try(opened_db: str) -> None:
    clock = VirtualClock(REMINDER_DAY)
    with HttpReceiver(fail_first=2) as rx:
        worker = ticker(opened_db, clock, NotifySettings(webhook=rx.settings()))
        try:
            _fired, report, _next = worker.tick()
            assert report.count("retry") == 2 and report.count("sent") == CELLS - 2
            failed = {o.key for o in report.outcomes if o.result == "retry"}
            _f, again, _n = worker.tick()  # same instant: the retries are not due yet
            assert again.outcomes == []
            clock.advance(timedelta(minutes=1))
            _f, second, _n = worker.tick()
            assert {o.key for o in second.outcomes} == failed
            assert second.count("sent") == 2
        finally:
            worker.close()
        per_key = Counter(rx.keys)
        assert all(per_key[key] == 2 for key in failed)  # 503, then 200
        assert all(r.signature_ok for r in rx.requests)
    rows = outbox(opened_db, "webhook")
    assert len(rows) == CELLS and all(sent for _k, sent, _p, _a in rows)


def test_an_endpoint_that_keeps_failing_is_parked_and_shown(opened_db: str) -> None:
    clock = VirtualClock(REMINDER_DAY)
    with HttpReceiver(always=500) as rx:
        worker = ticker(opened_db, clock, NotifySettings(webhook=rx.settings()))
        try:
            results = []
            for _ in range(12):  # far more ticks than the back-off has steps
                _f, report, _n = worker.tick()
                results += [o.result for o in report.outcomes]
                clock.advance(timedelta(hours=7))
        finally:
            worker.close()
        attempts_seen = Counter(rx.keys)
    rows = outbox(opened_db, "webhook")
    assert all(parked and not sent for _k, sent, parked, _a in rows)
    assert set(attempts_seen.values()) == {6}  # first try + 5 retries, then never again
    shown = subprocess.run(
        [sys.executable, "-m", "adapters.cli.app", "outbox", "--db", opened_db, "--json"],
        capture_output=True, text=True, check=True,
    )
    listing = json.loads(shown.stdout)
    assert listing["parked"] == CELLS and listing["sent"] == 0
    assert "500" in listing["parked_items"][0]["error"]


def test_reminders_arrive_by_email_in_vietnamese(opened_db: str) -> None:
    clock = VirtualClock(REMINDER_DAY)
    with SmtpReceiver() as rx:
        worker = ticker(opened_db, clock, NotifySettings(smtp=rx.settings()))
        try:
            worker.tick()
        finally:
            worker.close()
        mails = rx.received
    assert sorted(m.key for m in mails) == sorted(k for k, *_ in outbox(opened_db, "email"))
    first = next(m for m in mails if "bithu.001@example.vn" in m.message["To"])
    assert "Đăng ký xây dựng mô hình" in first.body
    assert "31/03/2025" in first.body
    assert "Nhắc" in first.subject or "nhắc" in first.subject


#: 01/04/2025: one working day after the 31/03 registration deadline, its escalation day
ESCALATION_DAY = local(2025, 4, 1, 9)


@pytest.mark.parametrize(
    ("lang", "salutation"),
    [
        ("vi", "Kính gửi: Ban Tổ chức cấp ủy cấp trên – Đảng ủy xã Tân Lập"),
        ("en", "To: Superior's organisation board – Đảng ủy xã Tân Lập"),
    ],
)
def test_the_superiors_digest_names_the_committee_it_goes_to_in_both_parts(
    opened_db: str, lang: str, salutation: str
) -> None:
    # Nobody registered: every cell's escalation goes up to the commune's organisation
    # board, whose mailbox is on the commune committee "Đảng ủy xã Tân Lập".
    clock = VirtualClock(ESCALATION_DAY)
    with SmtpReceiver() as rx:
        worker = Ticker(WorkerOptions(url=opened_db, clock=clock, worker_id="test",
                                      settings=NotifySettings(smtp=rx.settings()), lang=lang))
        try:
            worker.tick()
        finally:
            worker.close()
        mails = rx.received
    [digest] = [m for m in mails if m.rcpt_tos == ("btc.x01@example.vn",)]
    assert digest.body.startswith(salutation + "\n")
    html_part = digest.message.get_body(preferencelist=("html",))
    assert html_part is not None
    # escaped by the template ("'" is "&#39;"): compare the text a mail reader shows
    shown = html.unescape(html_part.get_content())
    assert f"<strong>{salutation.split(': ', 1)[1]}</strong>" in shown
    assert str(CELLS) in digest.body.split("\n", 3)[2]  # counts first: the 40 cells
    # a cell's own secretary is greeted with the cell's name, not the commune's
    first = next(m for m in mails if m.rcpt_tos == ("bithu.001@example.vn",))
    assert first.body.splitlines()[0].endswith(" – Chi bộ thôn 1")


def test_a_worker_whose_lease_ran_out_leaves_the_message_to_the_one_holding_it(
    opened_db: str,
) -> None:
    """A slow server: worker A's claim expires before it reaches a message; worker B
    claims and sends it; A, renewing before its send, finds it gone and skips it."""
    from adapters.notifications.factory import channels_from
    from adapters.notifications.notifier import ChannelNotifier
    from adapters.notifications.templates import render_digest
    from workflow.service.ticks import Ticks

    clock = VirtualClock(REMINDER_DAY)
    engine = make_engine(opened_db)
    store = SqlStore(engine)
    try:
        service = CycleService(store, clock, calendar_for)
        with HttpReceiver() as rx:
            notifier = ChannelNotifier(channels_from(NotifySettings(webhook=rx.settings())))
            notes = Ticks(service, render_digest, channels=notifier.names)
            notes.fire_and_compose()
            lease = timedelta(seconds=30)
            claimed_by_a = store.claim_outbox(clock.now(), 3, clock.now() + lease, "A")
            clock.advance(timedelta(minutes=1))  # A stalls; its lease ends
            report_b = notes.deliver(notifier, "B", lease)
            assert report_b.count("sent") == CELLS
            for item in claimed_by_a:  # A wakes up and tries its three
                assert not store.renew_lease(item, "A", clock.now(), clock.now() + lease)
            assert Counter(rx.keys) == {key: 1 for key in rx.unique_keys}
    finally:
        store.close()
        engine.dispose()


# -- real worker processes -----------------------------------------------------------------
def start_worker(
    url: str, env: dict[str, str], log: Path, name: str, lease: float, batch: int = 1000
) -> Any:
    return subprocess.Popen(
        [
            sys.executable, "-m", "adapters.cli.app", "worker", "--db", url,
            "--now", "2025-03-17T09:00", "--worker-id", name, "--lease", str(lease),
            "--sweep", "0.5", "--batch-size", str(batch),
        ],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=log.open("ab"),
    )


def wait_until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.05)


def test_a_worker_killed_mid_batch_and_restarted_delivers_each_message(
    opened_db: str, tmp_path: Path
) -> None:
    keys_file = tmp_path / "received.txt"
    log = tmp_path / "worker.log"
    with HttpReceiver(delay_s=0.05, keys_file=keys_file) as rx:
        first = start_worker(opened_db, rx.env(), log, "w1", lease=2)
        try:
            wait_until(lambda: len(read_keys(keys_file)) >= 8, 60, "first deliveries")
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        finally:
            first.kill()
        at_kill = len(read_keys(keys_file))
        assert at_kill < CELLS, "the kill came after the whole batch: nothing to prove"
        second = start_worker(opened_db, rx.env(), log, "w2", lease=2)
        try:
            # the message in flight at the kill arrived, but is not marked sent: the
            # second worker sends it again once the dead one's lease has run out
            wait_until(
                lambda: len(set(read_keys(keys_file))) >= CELLS
                and all(sent for _k, sent, _p, _a in outbox(opened_db, "webhook")),
                60,
                "every message delivered and marked sent",
            )
            second.send_signal(signal.SIGTERM)
            assert second.wait(timeout=30) == 0  # a graceful stop
        finally:
            second.kill()
    expected = {k for k, *_ in outbox(opened_db, "webhook")}
    received = Counter(read_keys(keys_file))
    assert set(received) == expected and len(expected) == CELLS
    # the only repeat possible is the one in flight when the kill came (sent, not yet
    # marked): it carries the same idempotency key, so the receiver drops it
    assert sum(n - 1 for n in received.values()) <= 1
    assert all(sent for _k, sent, _p, _a in outbox(opened_db, "webhook"))


def test_three_workers_on_one_database_fire_each_timer_and_deliver_each_message_once(
    opened_db: str, tmp_path: Path
) -> None:
    """Three worker processes start together on the due reminders: they claim timers in
    batches of 5 (row locks; FOR UPDATE SKIP LOCKED on PostgreSQL) and messages with
    leases; the receiver counts what arrives."""
    keys_file = tmp_path / "received.txt"
    log = tmp_path / "workers.log"
    due = rows(
        opened_db, "SELECT COUNT(*) FROM timer WHERE due_at <= ? AND cancelled_at IS NULL",
        (to_db(REMINDER_DAY),),
    )[0][0]
    assert due >= CELLS
    names = [f"w{i}" for i in (1, 2, 3)]
    with HttpReceiver(delay_s=0.02, keys_file=keys_file) as rx:
        workers = [
            start_worker(opened_db, rx.env(), log, name, lease=60, batch=5) for name in names
        ]
        try:
            wait_until(
                lambda: len(set(read_keys(keys_file))) >= CELLS, 90, "every message delivered"
            )
            time.sleep(1.5)  # three more sweeps each: a second delivery would show now
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                assert worker.wait(timeout=30) == 0
    received = Counter(read_keys(keys_file))
    assert len(received) == CELLS and set(received.values()) == {1}
    # every due timer fired once: one notice each, one message per secretary
    fired = rows(opened_db, "SELECT id FROM timer WHERE fired_at IS NOT NULL")
    noticed = rows(opened_db, "SELECT timer_id FROM notice")
    assert len(fired) == due and sorted(noticed) == sorted(fired)
    sent = rows(opened_db, "SELECT outbox_id, worker FROM delivery WHERE result = 'sent'")
    assert len(sent) == len({o for o, _w in sent}) == CELLS
    assert {w for _o, w in sent} <= set(names)
    assert all(sent_at for _k, sent_at, _p, _a in outbox(opened_db, "webhook"))
