"""The progress fragment of background work: it polls (htmx, every second, no inline
script) while the work runs, shows how far it is, and stops polling once it ended."""

from __future__ import annotations

from adapters.http.pages.jobs import Job
from adapters.http.pages.render import ENV
from adapters.http.pages.words import WORDS


def fragment(job: Job, lang: str = "vi") -> str:
    return ENV.get_template("job.html").render(job=job, w=WORDS[lang], lang=lang)


def test_a_running_job_polls_and_counts() -> None:
    job = Job("AAAAAAAAAAAAAAAA", "bulk", "btc.x01")
    job.progress.total(10)
    job.progress.advance(3)
    html = fragment(job)
    assert 'hx-get="/jobs/AAAAAAAAAAAAAAAA"' in html
    assert 'hx-trigger="every 1s"' in html and 'hx-swap="outerHTML"' in html
    assert '<progress max="10" value="3">' in html and "3/10" in html
    assert "Đang thực hiện" in html
    assert "<script" not in html


def test_a_job_of_unknown_size_shows_a_count_without_a_bar_length() -> None:
    job = Job("AAAAAAAAAAAAAAAA", "bulk", None)
    job.progress.advance(7)
    html = fragment(job, "en")
    assert "<progress></progress>" in html and ">7<" in html and "Running" in html


def test_an_ended_job_stops_polling_and_offers_its_files() -> None:
    job = Job("AAAAAAAAAAAAAAAA", "bulk", "btc.x01", state="done",
              summary="Đã thực hiện cho 4 đơn vị.", files=("xlsx", "csv"))  # fmt: skip
    html = fragment(job)
    assert "hx-trigger" not in html and "hx-get" not in html
    assert 'href="/jobs/AAAAAAAAAAAAAAAA.xlsx"' in html
    assert 'href="/jobs/AAAAAAAAAAAAAAAA.csv"' in html
    assert "Đã thực hiện cho 4 đơn vị." in html


def test_a_failed_job_says_so_as_an_alert() -> None:
    job = Job("AAAAAAAAAAAAAAAA", "verify", "kiemtra.t01", state="failed", ok=False,
              summary="<b>x</b>")  # fmt: skip
    html = fragment(job)
    assert 'role="alert"' in html and "hx-trigger" not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html  # escaped, as every page
