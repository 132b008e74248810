"""The web layer's benchmark: the board through the HTTP API beside the same read through
the service alone, and the API under 50 concurrent clients, on SQLite and PostgreSQL.

    python bench/bench_web.py --backend sqlite,postgresql [--scale 1.0]

The tree is bench/nation.py's (302,000 units with a cycle at scale 1; the province P07
holds about 8,900 of them), built through the composition root into a fresh database
per backend, the year's cycles opened, untimed; then the actors: an administrator
(reads the nation) and the province's organisation board (reads P07, fires there).
Steps:

1. server-side time of `GET /api/v1/board` for the province and for the nation, from a
   real uvicorn in this process (an ASGI wrapper times each request from its arrival
   to its last byte sent), sequential requests: median and p99; beside the same read
   through the service alone (`app.cycles.board`) in the same run, and the ratio;
2. load: `bontot serve` in a child process, an asyncio httpx load generator here with
   `--clients` concurrent clients on loopback: requests per second and p50/p99 of
   the board (province), one cycle (`GET /cycles/{unit}/{year}`, the unit page's data),
   the unit page itself (`GET /units/{unit}`, HTML, signed in through the log-in form)
   and a fire (`POST .../events/lapse`, each on another unit of the province).

A benchmark, not a test: it asserts nothing about speed. The load generator shares the
machine's cores with the server, so its figures are a floor for the server's.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from contextlib import closing, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
import uvicorn
from bench_core import BATCH, YEAR, machine_info
from bench_nation import BOARD_AT, PROVINCE, Backend, make_backend
from nation import nation_tree

from adapters import bootstrap
from adapters.catalog import load_catalog
from adapters.http.app import create_app
from adapters.http.server import start
from workflow.clock import VirtualClock

TARGETS = {"province_ms": 50.0, "nation_ms": 500.0, "web_share": 0.20}
DB = "bench_web"
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Asgi = Callable[[Scope, Receive, Send], Awaitable[None]]


# -- the data -----------------------------------------------------------------------------
def prepare(url: str, scale: float) -> dict[str, Any]:
    """The tree, the year's cycles, two actors; their tokens and the province's units."""
    clock = VirtualClock(BOARD_AT)
    started = time.perf_counter()
    app = bootstrap.build(url, clock, schema="upgrade")
    try:
        app.store.import_units(nation_tree(scale))
        app.cycles.open_cycles(load_catalog().latest("bon-tot"), YEAR, batch_size=BATCH)
        admin = app.actors.add("quantri", "administrator", None)
        board = app.actors.add(
            "btc.p07", "superior_org_board", PROVINCE, by="quantri", token=lambda: admin
        )
        units = [u.code for u in app.registers.units(PROVINCE) if u.kind != "committee"]
    finally:
        app.close()
    return {
        "tokens": {"quantri": admin, "btc.p07": board},
        "province_units": units,
        "prepare_s": time.perf_counter() - started,
    }


# -- 1. server-side time beside the service ----------------------------------------------
class Timed:
    """An ASGI wrapper: each HTTP request's time from its arrival to its last message
    handed to the server. The app's header middleware streams its answer and ends it with
    an empty message, so a client can hold every byte before that message is counted:
    readers call `settled(n)` to wait for the count instead of reading the list at once."""

    def __init__(self, app: Asgi) -> None:
        self.app = app
        self.seconds: list[float] = []
        self._counted = threading.Condition()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def sending(message: dict[str, Any]) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                with self._counted:
                    self.seconds.append(time.perf_counter() - started)
                    self._counted.notify_all()

        await self.app(scope, receive, sending)

    def settled(self, n: int, timeout: float = 60.0) -> list[float]:
        """The first n requests' times, once n have been counted."""
        with self._counted:
            if not self._counted.wait_for(lambda: len(self.seconds) >= n, timeout):
                raise RuntimeError(f"only {len(self.seconds)} of {n} requests were counted")
            return list(self.seconds[:n])

    def take(self, n: int) -> list[float]:
        """The times of the n requests made since the last take, once all are counted."""
        times = self.settled(n)
        with self._counted:
            del self.seconds[:n]
        return times


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def figures(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
    return {"median_ms": statistics.median(ms), "p99_ms": p99, "n": len(ms)}


def step_server_side(url: str, tokens: dict[str, str], runs: int) -> dict[str, Any]:
    clock = VirtualClock(BOARD_AT)
    server = start(url, clock)
    timed = Timed(create_app(server))  # type: ignore[arg-type]
    port = free_port()
    config = uvicorn.Config(
        timed, host="127.0.0.1", port=port, log_level="warning", access_log=False,
        lifespan="off",
    )  # fmt: skip
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    while not uv.started:
        time.sleep(0.01)
    results: dict[str, Any] = {}
    try:
        cases = {
            "province": ("btc.p07", None, PROVINCE),
            "nation": ("quantri", None, None),
        }
        for scope, (actor, _, under) in cases.items():
            n = runs if scope == "province" else max(5, runs // 3)
            headers = {"Authorization": f"Bearer {actor}:{tokens[actor]}"}
            params = {"year": YEAR}
            # API and service alternate, one call each per round, so that the machine's
            # load drifting during the run weighs on both alike
            with (
                httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1", timeout=600) as c,
                bootstrap.opened(url, clock, catalog=server.catalog, db=server.db) as app,
            ):
                warm = c.get("/board", params=params, headers=headers)
                warm.raise_for_status()
                total = warm.json()["total"]
                app.cycles.board(YEAR, under)  # warm, as the API's first request was
                timed.take(1)  # the warm-up request
                service: list[float] = []
                for _ in range(n):
                    c.get("/board", params=params, headers=headers).raise_for_status()
                    started = time.perf_counter()
                    app.cycles.board(YEAR, under)
                    service.append(time.perf_counter() - started)
                api = figures(timed.take(n))
            alone = figures(service)
            results[scope] = {
                "cycles": total,
                "api": api,
                "service": alone,
                "ratio": api["median_ms"] / alone["median_ms"],
            }
    finally:
        uv.should_exit = True
        thread.join(timeout=60)
        server.close()
    print("\n1. GET /api/v1/board, server-side (ms), beside app.cycles.board alone")
    for scope, f in results.items():
        target = TARGETS[f"{scope}_ms"]
        met = "met" if f["api"]["median_ms"] < target else "MISSED"
        web = f["ratio"] - 1
        print(
            f"   {scope:<8} {f['cycles']:>7,} cycles  API median {f['api']['median_ms']:7.1f} "
            f"p99 {f['api']['p99_ms']:7.1f}  | service median {f['service']['median_ms']:7.1f} "
            f"p99 {f['service']['p99_ms']:7.1f}  | {f['ratio']:.2f}× "
            f"(web +{web * 100:.0f} %, target < {TARGETS['web_share'] * 100:.0f} %: "
            f"{'met' if web < TARGETS['web_share'] else 'MISSED'}); "
            f"target < {target:g} ms: {met}"
        )
    return results


# -- 2. load --------------------------------------------------------------------------------
async def load(
    base: str,
    headers: dict[str, str],
    clients: int,
    total: int,
    request: Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]],
    cookies: httpx.Cookies | None = None,
) -> dict[str, Any]:
    """`total` requests by `clients` concurrent clients; each client's next request
    starts when its last one is answered."""
    counter = iter(range(total))
    latencies: list[float] = []
    failures: dict[str, int] = {}

    async def client(http: httpx.AsyncClient) -> None:
        for i in counter:
            started = time.perf_counter()
            try:
                answer = await request(http, i)
            except httpx.HTTPError as exc:  # counted, not fatal: the figures say how many
                failures[type(exc).__name__] = failures.get(type(exc).__name__, 0) + 1
                continue
            latencies.append(time.perf_counter() - started)
            if answer.status_code >= 300:
                failures[str(answer.status_code)] = failures.get(str(answer.status_code), 0) + 1

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, cookies=cookies, timeout=600, limits=limits
    ) as http:
        await request(http, -1)  # warm: the token verified once, plans cached
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "rps": len(latencies) / elapsed,
        **figures(latencies),
        "failures": failures,
    }


CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def logged_in(site: str, actor: str, tokens: dict[str, str]) -> httpx.Cookies:
    """The session cookie of `actor` signed in through the log-in form with its token."""
    with httpx.Client(base_url=site, timeout=60) as client:
        form = client.get("/login")
        found = CSRF.search(form.text)
        assert found, form.text
        done = client.post(
            "/login",
            data={"actor": actor, "token": tokens[actor], "csrf": html.unescape(found[1])},
        )
        if done.status_code != 303:
            raise RuntimeError(f"log-in as {actor}: {done.status_code} {done.text[:200]}")
        return client.cookies


def step_load(
    url: str,
    tokens: dict[str, str],
    units: list[str],
    fireable: list[str],
    clients: int,
    total: int,
    log_dir: Path,
) -> dict[str, Any]:
    """The load cases; `fireable`: the units whose cycle a lapse can still close, each
    fired once."""
    port = free_port()
    env = {**os.environ, "BONTOT_LOG_LEVEL": "warning"}
    log = (log_dir / "serve.log").open("wb")  # a pipe nobody reads would stall the server
    child = subprocess.Popen(
        [sys.executable, "-c", "from adapters.cli.app import main; main()", "serve",
         "--db", url, "--port", str(port),
         "--now", BOARD_AT.isoformat()],
        stdout=subprocess.DEVNULL, stderr=log, env=env,
        cwd=Path(__file__).resolve().parent.parent,
    )  # fmt: skip
    site = f"http://127.0.0.1:{port}"
    base = f"{site}/api/v1"
    try:
        for _ in range(600):
            try:
                httpx.get(base + "/health", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if child.poll() is not None:
                    raise RuntimeError(
                        child.stderr.read().decode() if child.stderr else ""
                    ) from None
                time.sleep(0.1)
        headers = {"Authorization": f"Bearer btc.p07:{tokens['btc.p07']}"}
        rng = random.Random(2025)
        picked = rng.sample(fireable, min(total + 1, len(fireable)))

        def board(http: httpx.AsyncClient, i: int) -> Awaitable[httpx.Response]:
            return http.get("/board", params={"year": YEAR})

        def cycle(http: httpx.AsyncClient, i: int) -> Awaitable[httpx.Response]:
            return http.get(f"/cycles/{rng.choice(units)}/{YEAR}")

        def page(http: httpx.AsyncClient, i: int) -> Awaitable[httpx.Response]:
            return http.get(f"/units/{rng.choice(units)}", params={"year": YEAR})

        def fire(http: httpx.AsyncClient, i: int) -> Awaitable[httpx.Response]:
            unit = picked[i + 1]  # -1, the warm-up, takes the first; each unit once
            return http.post(
                f"/cycles/{unit}/{YEAR}/events/lapse",
                json={"payload": {"reason": "không đăng ký (đo tải)"}},
            )

        fires = min(total, len(picked) - 1)
        results = {
            "board": asyncio.run(load(base, headers, clients, max(clients, total // 10), board)),
            "cycle": asyncio.run(load(base, headers, clients, total, cycle)),
            "page": asyncio.run(
                load(site, {}, clients, total, page, logged_in(site, "btc.p07", tokens))
            ),
            "fire": asyncio.run(load(base, headers, clients, fires, fire)),
        }
    finally:
        child.terminate()
        child.wait(timeout=60)
        log.close()
    print(f"\n2. load: {clients} concurrent clients on loopback, `bontot serve` in a child")
    for name, f in results.items():
        bad = f" (not 2xx: {f['failures']})" if f["failures"] else ""
        print(
            f"   {name:<6} {f['requests']:>6,} requests in {f['seconds']:6.1f} s = "
            f"{f['rps']:7.1f} req/s   p50 {f['median_ms']:7.1f} ms  p99 {f['p99_ms']:7.1f} ms{bad}"
        )
    return results


# -- the run ----------------------------------------------------------------------------------
def untouched(backend: Backend) -> list[str]:
    """The province's units whose cycle holds only its opening: a kept database's earlier
    runs lapsed some, and a lapsed cycle cannot lapse again."""
    with closing(backend.raw(DB)) as conn:
        rows = backend.cursor(conn).execute(
            "SELECT u.code FROM unit u JOIN cycle c ON c.unit_id = u.id "
            "JOIN unit p ON p.code = ? WHERE c.version = 1 AND c.year = ? "
            "AND u.path LIKE p.path || '%' AND u.kind != 'committee' ORDER BY u.id",
            (PROVINCE, YEAR),
        ).fetchall()
    return [code for (code,) in rows]


def run_backend(backend: Backend, args: argparse.Namespace) -> dict[str, Any]:
    print(f"\n== {backend.name}: {backend.durability}")
    kept = args.out / f"prepared-{backend.name}.json"
    if args.reuse:
        made = json.loads(kept.read_text("utf-8"))
        url = made["url"]
        print(f"   reusing {url} (scale {made['scale']}, prepared by an earlier run)")
    else:
        url = backend.fresh(DB)
    try:
        if not args.reuse:
            made = prepare(url, args.scale)
            if backend.name == "postgresql":  # what autovacuum would do soon: statistics
                with closing(backend.raw(DB)) as conn:
                    conn.execute("ANALYZE")
            if args.keep:  # the bench's own actors, on a bench database: reuse says them
                made |= {"url": url, "scale": args.scale}
                kept.write_text(json.dumps(made, indent=1) + "\n", "utf-8")
            print(
                f"   prepared {len(made['province_units']):,} units in {PROVINCE} and the "
                f"nation's cycles in {made['prepare_s']:.0f} s (untimed)"
            )
        results: dict[str, Any] = {"prepare_s": made["prepare_s"]}
        results["server_side"] = step_server_side(url, made["tokens"], args.runs)
        if args.requests:
            results["load"] = step_load(
                url,
                made["tokens"],
                made["province_units"],
                untouched(backend),
                args.clients,
                args.requests,
                args.out,
            )
        return results
    finally:
        if not (args.keep or args.reuse):
            backend.drop(DB)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", default="sqlite,postgresql")
    parser.add_argument("--scale", type=float, default=1.0, help="of the nationwide tree")
    parser.add_argument("--runs", type=int, default=30, help="sequential boards (province)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000, help="per load case (0: none)")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--db-dir", type=Path, default=None, help="where the SQLite file goes")
    parser.add_argument(
        "--keep", action="store_true",
        help="keep the databases (SQLite's in --db-dir) and what --reuse needs in --out",
    )  # fmt: skip
    parser.add_argument(
        "--reuse", action="store_true", help="the databases an earlier --keep run prepared"
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    keeps = (args.keep or args.reuse) and args.db_dir is not None
    with (
        nullcontext(str(args.db_dir))
        if keeps
        else tempfile.TemporaryDirectory(prefix="bontot-web-", dir=args.db_dir)
    ) as name:
        folder = Path(name)
        info = machine_info(folder)
        info["load"] = os.getloadavg()
        print(
            f"bontot web benchmark — {info['date']}; {info['platform']}, {info['cpus']} CPUs "
            f"({info['cpu']}), Python {info['python']}, load average "
            + ", ".join(f"{x:.2f}" for x in info["load"])
            + f"; scale {args.scale}"
        )
        results: dict[str, Any] = {
            "machine": info,
            "arguments": {k: str(v) for k, v in vars(args).items()},
        }
        for backend_name in args.backend.split(","):
            results[backend_name] = run_backend(make_backend(backend_name, folder, args.pg), args)
        results["finished"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        results["load_after"] = os.getloadavg()
        args.out.mkdir(parents=True, exist_ok=True)
        target = args.out / "bench_web.json"
        target.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", "utf-8")
    print(f"\nresults: {target}")


if __name__ == "__main__":
    main()
