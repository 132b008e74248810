"""`bontot worker` and `bontot tick`: APScheduler 3 as a ticker only.

The timer rows are the source of truth; APScheduler holds one in-memory job with a fixed
id that calls `tick()`. After each tick the job is moved to the next due instant (a
timer, a retry, a lease ending), and a periodic sweep runs regardless. The job never
loses a run: `misfire_grace_time=None` (APScheduler's default of 1 s silently drops
late runs), `coalesce=True` (a backlog of runs is one run), `max_instances=1`.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
from dataclasses import dataclass
from datetime import timedelta
from types import FrameType
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from adapters import bootstrap, logs
from adapters.catalog import load_catalog
from adapters.clock import SystemClock
from adapters.notifications.settings import NotifySettings
from workflow.clock import Clock
from workflow.service.ticks import DeliveryReport, TickResult

JOB_ID = "bontot-tick"


@dataclass(frozen=True)
class WorkerOptions:
    url: str
    clock: Clock
    lang: str = "vi"
    worker_id: str = ""
    lease: timedelta = timedelta(minutes=2)
    sweep: timedelta = timedelta(minutes=1)
    batch_size: int = 1000
    settings: NotifySettings | None = None
    #: accept channels in clear text (plain http:// webhook, SMTP without TLS with a user)
    insecure: bool = False


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Ticker:
    """One pass: fire due timers, compose, deliver. The services are built afresh per
    pass on one shared pool, so that the pass can run in APScheduler's executor thread
    (a connection is used by the thread that took it)."""

    def __init__(self, options: WorkerOptions) -> None:
        self.options = options
        self.worker_id = options.worker_id or default_worker_id()
        self.notifier = bootstrap.notifier_from(options.settings, options.insecure)
        self.db = bootstrap.connect(options.url)
        self.catalog = load_catalog()
        self.log = logs.logger().bind(worker=self.worker_id)
        #: set by SIGTERM or SIGINT; a tick under way stops after its current batch
        self.stopping = threading.Event()

    def close(self) -> None:
        self.db.dispose()

    def tick(self) -> tuple[TickResult, DeliveryReport, Any]:
        app = bootstrap.build(
            self.options.url, self.options.clock, catalog=self.catalog, db=self.db
        )
        try:
            notifications = app.ticks(
                self.notifier.names, self.options.lang, self.options.batch_size
            )
            notifications.stopping = self.stopping.is_set
            try:
                fired = notifications.fire_and_compose()
            except Exception as error:  # what is already in the outbox still goes out
                self.log.error("tick.compose_failed", error=repr(error))
                fired = TickResult(0, 0)
            report = notifications.deliver(self.notifier, self.worker_id, self.options.lease)
            for outcome in report.outcomes:
                # the log channel itself says notification.sent; these say what the
                # outbox did with each message, whatever its channel
                event = {
                    "sent": "outbox.delivered",
                    "retry": "outbox.retry_scheduled",
                    "parked": "outbox.parked",
                    "skipped": "outbox.lease_lost",
                }[outcome.result]
                self.log.info(
                    event,
                    key=outcome.key,
                    channel=outcome.channel,
                    address=outcome.address,
                    detail=outcome.detail or None,
                )
            self.log.info(
                "tick.completed",
                at=self.options.clock.now().isoformat(),
                timers_fired=fired.fired,
                messages_composed=fired.composed,
                sent=report.count("sent"),
                retried=report.count("retry"),
                parked=report.count("parked"),
            )
            return fired, report, notifications.next_wakeup()
        finally:
            app.close()
            # between ticks, so that a request's commit rarely has to (db.checkpoint)
            bootstrap.checkpoint(self.db)


def run_worker(options: WorkerOptions) -> None:
    """Run until SIGTERM or SIGINT; the tick under way finishes first.

    The signal handler only sets an event: shutting APScheduler down from inside the
    handler could wait on the very job that is about to reschedule itself."""
    ticker = Ticker(options)
    wall = SystemClock()
    scheduler = BackgroundScheduler(timezone="UTC")
    stopping = ticker.stopping
    guard = threading.Lock()  # no reschedule once stopping is set

    def job() -> None:
        # Tick again at once while more is already due (a large backlog, a retry due
        # now): rescheduling to "now" from inside the running job would be skipped by
        # max_instances=1 and wait for the next sweep.
        wakeup = None
        for _ in range(100):
            try:
                _fired, _report, wakeup = ticker.tick()
            except Exception as error:  # a bad tick must not kill the worker
                ticker.log.error("tick.failed", error=repr(error))
                return
            if stopping.is_set() or wakeup is None or wakeup > options.clock.now():
                break
        target = wall.now() + options.sweep
        if wakeup is not None:
            # the worker's clock may run ahead of the wall (--now): convert the distance
            delay = max(wakeup - options.clock.now(), timedelta(0))
            target = min(target, wall.now() + delay)
        with guard:
            if not stopping.is_set():
                scheduler.modify_job(JOB_ID, next_run_time=target)

    scheduler.add_job(
        job,
        IntervalTrigger(seconds=options.sweep.total_seconds(), timezone="UTC"),
        id=JOB_ID,
        next_run_time=wall.now(),
        misfire_grace_time=None,
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )

    def stop(signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    ticker.log.info("worker.started", url=_masked(options.url), lease_s=options.lease.seconds)
    # The scheduler's threads are started with SIGTERM and SIGINT blocked, so the kernel
    # delivers them to this thread, whose wait they interrupt: the handler runs at once,
    # not at the wait's next timeout while the tick thread goes on through batches.
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    try:
        scheduler.start()
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, stop_signals)
    try:
        while not stopping.wait(timeout=1.0):
            pass
        ticker.log.info("worker.stopping")
        with guard:
            pass  # a job between its stopping check and modify_job has finished that step
        scheduler.shutdown(wait=True)
    finally:
        ticker.close()
        ticker.log.info("worker.stopped")


def _masked(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
