"""Long work started from a page (a bulk decision, verifying the audit trail) runs in the
background; the page polls a small progress fragment (htmx, `every 1s`, no inline
script) until it ends, then offers the result list to download.

Progress lives in this process's memory (it is only worth anything while the work runs);
the results are files in the server's results folder (`<id>.xlsx`, `<id>.csv` and
`<id>.json` saying whose they are and what they say), so a download still works after a
restart or from another worker process of the same installation. A job is its starter's:
another actor gets "not found".
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from adapters import logs
from adapters.bootstrap import App
from adapters.http.pages.render import PageRoute, download, page
from adapters.http.pages.session import visitor
from adapters.http.server import server_of, services
from workflow.errors import BontotError, NotFound
from workflow.progress import Counted, Progress

#: finished jobs kept in memory for their fragment (older ones are read from their file)
KEPT = 50
ID = re.compile(r"[A-Za-z0-9_-]{16}")
#: the result lists a job keeps
TYPES = ("xlsx", "csv")


@dataclass(frozen=True)
class Outcome:
    """What finished work says: a line for the page, whether all went well, its files."""

    summary: str
    ok: bool = True
    files: dict[str, bytes] = field(default_factory=dict)


#: the work: given a Progress to tell, its outcome
Work = Callable[[Progress], Outcome]


@dataclass
class Job:
    id: str
    kind: str
    actor: str | None
    progress: Counted = field(default_factory=Counted)
    state: str = "running"  # running | done | failed
    summary: str = ""
    ok: bool = True
    files: tuple[str, ...] = ()

    def meta(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "actor": self.actor, "state": self.state,
                "summary": self.summary, "ok": self.ok, "files": list(self.files),
                "done": self.progress.done, "expected": self.progress.expected}  # fmt: skip


class Jobs:
    """The jobs of one server, their results in `folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start(self, kind: str, actor: str | None, work: Work, failed: str) -> Job:
        """`work` on a thread of its own; `failed`: what the page says if it raises
        something else than a BontotError (whose message it says)."""
        job = Job(secrets.token_urlsafe(12), kind, actor)
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > KEPT:
                oldest = next(iter(self._jobs))
                if self._jobs[oldest].state == "running":
                    break
                self._jobs.pop(oldest)
        threading.Thread(target=self._run, args=(job, work, failed), daemon=True).start()
        return job

    def _run(self, job: Job, work: Work, failed: str) -> None:
        try:
            outcome = work(job.progress)
        except BontotError as exc:
            outcome = Outcome(str(exc), ok=False)
            job.state = "failed"
        except Exception:  # the page says it failed; the log keeps why
            logs.logger().exception("job.failed", job=job.id, kind=job.kind)
            outcome = Outcome(failed, ok=False)
            job.state = "failed"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            for ext, body in outcome.files.items():
                (self.folder / f"{job.id}.{ext}").write_bytes(body)
        except OSError:
            logs.logger().exception("job.result_unsaved", job=job.id, kind=job.kind)
            outcome = Outcome(failed, ok=False)
            job.state = "failed"
        job.summary, job.ok, job.files = outcome.summary, outcome.ok, tuple(outcome.files)
        if job.state == "running":
            job.state = "done"
        with suppress(OSError):  # unsaved, the fragment still says it from memory
            (self.folder / f"{job.id}.json").write_text(json.dumps(job.meta()), "utf-8")
        logs.logger().info("job.finished", job=job.id, kind=job.kind, state=job.state,
                           done=job.progress.done)  # fmt: skip

    def find(self, job_id: str, actor: str | None) -> Job:
        """The job `job_id` of `actor` (NotFound for anyone else's, or none)."""
        if not ID.fullmatch(job_id):
            raise NotFound(job_id)
        job = self._jobs.get(job_id) or self._stored(job_id)
        if job is None or job.actor != actor:
            raise NotFound(job_id)
        return job

    def _stored(self, job_id: str) -> Job | None:
        try:
            meta = json.loads((self.folder / f"{job_id}.json").read_text("utf-8"))
        except (OSError, ValueError):
            return None
        job = Job(job_id, meta["kind"], meta["actor"], state=meta["state"],
                  summary=meta["summary"], ok=meta["ok"], files=tuple(meta["files"]))  # fmt: skip
        job.progress.total(meta["expected"])
        job.progress.advance(meta["done"])
        return job

    def file(self, job: Job, ext: str) -> bytes:
        if ext not in job.files:
            raise NotFound(f"{job.id}.{ext}")
        try:
            return (self.folder / f"{job.id}.{ext}").read_bytes()
        except OSError:
            raise NotFound(f"{job.id}.{ext}") from None


def jobs_of(request: Request) -> Jobs:
    state = request.app.state
    with _MAKING:
        if not hasattr(state, "jobs"):
            state.jobs = Jobs(server_of(request).results)
    found: Jobs = state.jobs
    return found


_MAKING = threading.Lock()


def router() -> APIRouter:
    pages = APIRouter(route_class=PageRoute)

    @pages.get("/jobs/{job_id}.{ext}")
    def result(job_id: str, ext: str, request: Request, app: App = Depends(services)) -> Response:
        who = visitor(request, app, "job result")
        jobs = jobs_of(request)
        job = jobs.find(job_id, who.actor)
        if ext not in TYPES:
            raise NotFound(ext)
        return download(jobs.file(job, ext), f"ket-qua-{job.kind}-{job.id}.{ext}")

    # after the download route: a path parameter would take the whole `<id>.xlsx`
    @pages.get("/jobs/{job_id}")
    def progress(job_id: str, request: Request, app: App = Depends(services)) -> Response:
        """The progress fragment the page polls (it stops polling once the job ended)."""
        who = visitor(request, app, "job progress")
        return page(request, "job.html", who, job=jobs_of(request).find(job_id, who.actor))

    return pages
