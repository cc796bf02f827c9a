"""Throughput and latency of EmDash's public routes under bounded load.

    python -m benchmarks.run [--quick] [--duration S] [--connections N ...]
                             [--servers gunicorn,uvicorn,granian] [--runs N]

Builds a throwaway site (200 posts) in a temp dir, counts the SQL queries per
route in-process, then for each app server: starts it on 127.0.0.1, warms up,
runs wrk per route and concurrency, and stops it. Every wrk run is bounded by
--duration and every server is killed before the next starts. The method follows
../shared/notes/perf-peers.md (wrk -t2 -cN -d10s --latency, 3 s warm-up, median
of 3 runs) so the figures compare with the peers measured there. See README.md.
"""

import argparse
import contextlib
import datetime
import importlib.metadata
import importlib.util
import json
import math
import os
import platform
import re
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results.md"
API_LIST = "/_emdash/api/content/posts?limit=10"
WORKERS = 2
# A run during which other processes used this share of the machine is repeated
# (perf-peers.md did the same); before each run we wait for this quiet a machine.
NOISY_SHARE = 0.10
QUIET_SHARE = 0.12
# Settings the bench must not inherit: it measures the defaults (SQLite, locmem).
SCRUBBED_ENV = (
    "DATABASE_URL",
    "EMDASH_CACHE_URL",
    "EMDASH_PAGE_CACHE_SECONDS",
    "EMDASH_EPOCH_MEMO_SECONDS",
)
WRK_MISSING = """wrk is not installed; the benchmark needs it to generate load.
Install it and run again:
  Debian/Ubuntu:  sudo apt-get install wrk
  macOS:          brew install wrk
  other:          https://github.com/wg/wrk (make; put wrk on PATH)"""


# -- servers -------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    name: str
    interface: str  # WSGI or ASGI
    module: str  # importable when the server is installed
    argv: Callable[[int], list[str]]
    detail: str
    note: str = ""  # printed under the table when the server was measured


def _argv(*head: str, tail: str) -> Callable[[int], list[str]]:
    """The command line for a port; ``tail`` is split on spaces after formatting."""
    return lambda port: [*head, *tail.format(port=port, workers=WORKERS).split()]


GRANIAN = str(Path(sys.executable).parent / "granian")
# Django's ASGI handler does not speak lifespan: off avoids a warning.
UVICORN_ARGS = (
    "--workers {workers} --host 127.0.0.1 --port {port} --no-access-log "
    "--log-level warning --lifespan off"
)
SERVERS: dict[str, Server] = {
    "gunicorn": Server(
        "gunicorn",
        "WSGI",
        "gunicorn",
        _argv(
            sys.executable,
            "-m",
            "gunicorn",
            "emdash.wsgi:application",
            tail="-w {workers} -k sync -b 127.0.0.1:{port} --log-level warning",
        ),
        f"gunicorn sync, {WORKERS} workers",
    ),
    # `uvicorn --workers N` (0.54) leaves Nagle on for keep-alive connections, which
    # adds ~40 ms to every request (see uvicorn_nodelay.py); "uvicorn" applies the
    # upstream one-line fix, "uvicorn-stock" measures it as released.
    "uvicorn": Server(
        "uvicorn",
        "ASGI",
        "uvicorn",
        _argv(
            sys.executable,
            "-m",
            "benchmarks.uvicorn_nodelay",
            "emdash.asgi:application",
            tail=UVICORN_ARGS,
        ),
        f"uvicorn, {WORKERS} workers, TCP_NODELAY fixed",
        "uvicorn runs through `benchmarks/uvicorn_nodelay.py`, which gives its "
        "keep-alive connections TCP_NODELAY as released uvicorn does only with one "
        "worker; with `--workers 2` as released, Nagle's algorithm and delayed ACKs "
        "add ~40 ms to every request (Kludex/uvicorn#3149; `--servers uvicorn-stock` "
        "measures that).",
    ),
    "uvicorn-stock": Server(
        "uvicorn-stock",
        "ASGI",
        "uvicorn",
        _argv(
            sys.executable,
            "-m",
            "uvicorn",
            "emdash.asgi:application",
            tail=UVICORN_ARGS,
        ),
        f"uvicorn, {WORKERS} workers, as released",
        "uvicorn-stock is uvicorn as released: keep-alive requests wait ~40 ms for "
        "a delayed ACK (no TCP_NODELAY with --workers; Kludex/uvicorn#3149).",
    ),
    "granian": Server(
        "granian",
        "WSGI",
        "granian",
        # One blocking thread per worker: the default 256 lost 30-50 % and blew
        # up p99 in perf-peers.md; with 1 it matched gunicorn.
        _argv(
            GRANIAN,
            tail="--interface wsgi --workers {workers} --blocking-threads 1 "
            "--host 127.0.0.1 --port {port} --no-access-log emdash.wsgi:application",
        ),
        f"granian WSGI, {WORKERS} workers, 1 blocking thread",
    ),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running(
    server: Server, env: dict[str, str], log: Path
) -> Iterator[tuple[int, int]]:
    """Start ``server`` on a free port, wait until it answers, yield the port and
    its pid, and always stop it (its process group: the master and its workers)."""
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            server.argv(port),
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_ready(port, process, log)
        yield port, process.pid
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def wait_ready(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        with contextlib.suppress(OSError):
            fetch(port, "/", {})
            return
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"the server did not come up on port {port}:\n{tail}")


def fetch(port: int, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            response.read()
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers)


# -- the throwaway site --------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    page_cached: bool = True  # site pages are; the API never is


def site_env(data_dir: Path, *, page_cache: bool = True) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    env.update(
        EMDASH_DATA_DIR=str(data_dir),
        EMDASH_DEMO="0",
        EMDASH_DEBUG="0",
        DJANGO_SETTINGS_MODULE="emdash.settings",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
    )
    if not page_cache:
        env["EMDASH_PAGE_CACHE_SECONDS"] = "0"
    return env


def python(args: list[str], env: dict[str, str], stdin: str = "") -> str:
    done = subprocess.run(
        [sys.executable, *args],
        cwd=REPO,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def prepare_site(data_dir: Path) -> dict[str, str]:
    env = site_env(data_dir)
    python(["manage.py", "migrate", "--verbosity", "0"], env)
    lines = python(["-m", "benchmarks.fixture", "seed"], env).strip().splitlines()
    return json.loads(lines[-1])


def count_queries(data_dir: Path, routes: list[Route]) -> dict[str, dict]:
    wanted = {r.name: {"path": r.path, "headers": r.headers} for r in routes}
    out = python(
        ["-m", "benchmarks.fixture", "queries"], site_env(data_dir), json.dumps(wanted)
    )
    return json.loads(out.strip().splitlines()[-1])


# -- CPU accounting (Linux /proc; elsewhere runs are not checked for noise) ------


def machine_ticks() -> tuple[int, int, int] | None:
    """(user+nice+system, all busy, total) clock ticks since boot."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split()[1:9]]
    except OSError:
        return None
    user, nice, system, idle, iowait, irq, softirq, steal = values
    busy = user + nice + system + irq + softirq + steal
    return user + nice + system, busy, busy + idle + iowait


def tree_ticks(root: int) -> int:
    """CPU ticks used so far by ``root`` and every live descendant."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            rest = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(rest[1])
        ticks[pid] = int(rest[11]) + int(rest[12])  # utime + stime
    total, frontier = 0, {root}
    while frontier:
        total += sum(ticks.get(pid, 0) for pid in frontier)
        frontier = {pid for pid, parent in parents.items() if parent in frontier}
    return total


@dataclass
class Budget:
    """Seconds the whole run may spend waiting for a quiet machine and repeating
    noisy runs, so that a busy machine delays the benchmark by a bounded amount."""

    seconds: float

    def wait_for_quiet(self) -> None:
        while self.seconds > 0:
            before = machine_ticks()
            time.sleep(1)
            after = machine_ticks()
            self.seconds -= 1
            if before is None or after is None:
                return
            busy, total = after[1] - before[1], after[2] - before[2]
            if total and busy / total < QUIET_SHARE:
                return


# -- load ------------------------------------------------------------------------


@dataclass(frozen=True)
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: dict[str, int]  # socket errors and non-2xx/3xx responses, by kind
    others: float | None  # share of the machine other processes used meanwhile


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def parse_wrk(text: str) -> tuple[float, float, float, int, dict[str, int]]:
    def latency(percent: str) -> float:
        found = re.search(
            rf"^\s*{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.MULTILINE
        )
        if not found:
            raise ValueError(f"no {percent}% latency in wrk output:\n{text}")
        return float(found[1]) * UNITS[found[2]]

    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.MULTILINE)
    requests = re.search(r"(\d+) requests in", text)
    if not rps or not requests:
        raise ValueError(f"unexpected wrk output:\n{text}")
    errors = {
        kind: int(count)
        for kind, count in re.findall(r"(connect|read|write|timeout) (\d+)", text)
        if int(count)
    }
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if non_2xx:
        errors["non-2xx/3xx"] = int(non_2xx[1])
    return float(rps[1]), latency("50"), latency("99"), int(requests[1]), errors


def wrk_argv(port: int, route: Route, connections: int, seconds: float) -> list[str]:
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", "--latency"]
    for name, value in route.headers.items():
        argv += ["-H", f"{name}: {value}"]
    return [*argv, f"http://127.0.0.1:{port}{route.path}"]


def run_wrk(
    port: int, route: Route, connections: int, seconds: float, server_pid: int
) -> WrkResult:
    ticks_per_s = os.sysconf("SC_CLK_TCK")
    cpus = os.cpu_count() or 1
    machine0, server0 = machine_ticks(), tree_ticks(server_pid)
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(
        wrk_argv(port, route, connections, seconds),
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    )
    elapsed = time.monotonic() - started
    machine1, server1 = machine_ticks(), tree_ticks(server_pid)
    children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    others = None
    if machine0 and machine1:
        # Only wrk has been reaped meanwhile, so the children's delta is wrk's CPU.
        wrk_cpu = (children1.ru_utime + children1.ru_stime) - (
            children0.ru_utime + children0.ru_stime
        )
        used = (machine1[0] - machine0[0] - (server1 - server0)) / ticks_per_s
        others = max(0.0, (used - wrk_cpu) / (cpus * elapsed))
    return WrkResult(*parse_wrk(done.stdout), others=others)


@dataclass
class Cell:
    server: str
    route: str
    cached: bool | None  # None: the route is never page-cached
    connections: int
    runs: list[WrkResult] = field(default_factory=list)
    repeated: int = 0

    def median(self, attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in self.runs)

    @property
    def noisy(self) -> bool:
        return any(r.others is not None and r.others >= NOISY_SHARE for r in self.runs)

    @property
    def errors(self) -> dict[str, int]:
        """Summed over the counted runs; wrk counts a request that took longer than
        its 2 s timeout as a ``timeout`` (and leaves it out of the latencies)."""
        total: dict[str, int] = {}
        for run in self.runs:
            for kind, count in run.errors.items():
                total[kind] = total.get(kind, 0) + count
        return total


@dataclass
class Plan:
    servers: list[Server]
    routes: list[Route]
    connections: list[int]
    duration: float
    runs: int
    warmup: float
    budget: Budget
    skipped: list[str] = field(default_factory=list)


def check_route(port: int, route: Route, cached: bool) -> None:
    """Fail early if a route errors or the page cache is not in the expected state."""
    for _ in range(3):
        status, headers = fetch(port, route.path, route.headers)
        if status != 200:
            raise RuntimeError(f"GET {route.path} answered {status}")
    marker = {k.lower(): v for k, v in headers.items()}.get("x-emdash-cache")
    if route.page_cached and cached != (marker is not None):
        raise RuntimeError(
            f"GET {route.path}: page cache {'off' if cached else 'on'} unexpectedly"
        )


@dataclass(frozen=True)
class Instance:
    """One running server: an app server with the page cache on or off."""

    server: Server
    cached: bool
    port: int
    pid: int

    @property
    def label(self) -> str:
        return f"{self.server.name}, page cache {'on' if self.cached else 'off'}"


def start_all(
    plan: Plan, data_dir: Path, stack: contextlib.ExitStack
) -> list[Instance]:
    """Start every server twice (page cache on, off) and check each route. A
    server that fails is stopped, noted and left out; the others stay up until
    ``stack`` closes."""
    instances = []
    for server in list(plan.servers):
        started = []
        with contextlib.ExitStack() as own:
            try:
                for cached in (True, False):
                    log = data_dir / f"{server.name}-cache-{int(cached)}.log"
                    env = site_env(data_dir, page_cache=cached)
                    port, pid = own.enter_context(running(server, env, log))
                    for route in plan.routes:
                        check_route(port, route, cached)
                    started.append(Instance(server, cached, port, pid))
            except (RuntimeError, OSError) as exc:
                plan.servers.remove(server)
                plan.skipped.append(f"{server.name}: failed to start: {exc}")
                print(f"  {server.name} failed, skipped: {exc}", flush=True)
                continue
            stack.enter_context(own.pop_all())
        instances += started
    return instances


def measure(plan: Plan, data_dir: Path, cells: list[Cell]) -> None:
    """Measure every server, interleaved: each run of a cell goes to every server
    in turn, so load from other work on the machine falls on all of them alike
    rather than on whichever server happened to be measured at the time. Servers
    not under load sit idle (their CPU counts towards the noise check)."""
    with contextlib.ExitStack() as stack:
        instances = start_all(plan, data_dir, stack)
        for cached in (True, False):
            for route in plan.routes:
                if not cached and not route.page_cached:
                    continue  # the API is never page-cached: measured once
                group = [i for i in instances if i.cached == cached]
                for instance in group:
                    subprocess.run(
                        wrk_argv(
                            instance.port, route, max(plan.connections), plan.warmup
                        ),
                        capture_output=True,
                        timeout=plan.warmup + 30,
                        check=True,
                    )
                for connections in plan.connections:
                    row = {
                        i.server.name: Cell(
                            i.server.name,
                            route.name,
                            cached if route.page_cached else None,
                            connections,
                        )
                        for i in group
                    }
                    cells.extend(row.values())
                    for number in range(1, plan.runs + 1):
                        for instance in group:
                            cell = row[instance.server.name]
                            measure_run(plan, cell, instance, route, number)


def measure_run(
    plan: Plan, cell: Cell, instance: Instance, route: Route, number: int
) -> None:
    while True:
        plan.budget.wait_for_quiet()
        started = time.monotonic()
        result = run_wrk(
            instance.port, route, cell.connections, plan.duration, instance.pid
        )
        noisy = result.others is not None and result.others >= NOISY_SHARE
        others = "?" if result.others is None else f"{result.others:.0%}"
        print(
            f"  [{instance.label}] {route.name} c={cell.connections} run {number}: "
            f"{result.rps:,.0f} req/s, p50 {result.p50_ms:.1f} ms, "
            f"p99 {result.p99_ms:.1f} ms, others' CPU {others}"
            + (", repeating" if noisy and plan.budget.seconds > 0 else ""),
            flush=True,
        )
        if noisy and plan.budget.seconds > 0:
            plan.budget.seconds -= time.monotonic() - started
            cell.repeated += 1
            continue
        cell.runs.append(result)
        return


# -- report ----------------------------------------------------------------------

ROUTE_LABELS = {
    "post": "post page",
    "home": "home",
    "api": "API list, anonymous",
    "api-token": "API list, token",
}


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine_facts(plan: Plan) -> list[tuple[str, str]]:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, IndexError, ValueError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024**2:.0f} GiB RAM"
    system = platform.platform(terse=True)
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                system = f"{line.split('=', 1)[1].strip(chr(34))}, {system}"
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    servers = ", ".join(
        f"{name} {_version(name)}" for name in ("gunicorn", "uvicorn", "granian")
    )
    return [
        ("date", datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("machine", f"{os.cpu_count()} × {cpu}{memory}; {system}"),
        ("Python", platform.python_version()),
        ("Django", _version("django")),
        ("SQLite", sqlite3.sqlite_version),
        ("servers", f"{servers}; uvicorn runs {loop} + {http}"),
        # "wrk debian/4.1.0-3+b2 [epoll] Copyright (C) 2012 Will Glozer"
        ("load", (wrk.stdout or wrk.stderr).split(" Copyright")[0].strip()),
        (
            "method",
            f"wrk -t2 -cN -d{plan.duration:g}s --latency, {plan.warmup:g} s warm-up "
            f"per route, median of {plan.runs} run(s); {WORKERS} workers; "
            "load generator and server share the machine",
        ),
    ]


def _ms(value: float) -> str:
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def _cache_label(cached: bool | None) -> str:
    return {True: "on", False: "off", None: "never (API)"}[cached]


def throughput_table(cells: list[Cell], plan: Plan) -> list[str]:
    head = ["server", "route", "page cache"]
    for c in plan.connections:
        head += [f"c={c} req/s", f"c={c} p50 / p99 ms"]
    lines = [
        "| " + " | ".join(head) + " |",
        "|" + "---|" * 3 + "---:|" * (2 * len(plan.connections)),
    ]
    grid = {(c.server, c.route, c.cached, c.connections): c for c in cells}
    for server in plan.servers:
        first = True
        for route in plan.routes:
            for cached in (True, False) if route.page_cached else (None,):
                row = [
                    f"**{server.detail}** ({server.interface})" if first else "",
                    ROUTE_LABELS[route.name],
                    _cache_label(cached),
                ]
                found = False
                for connections in plan.connections:
                    cell = grid.get((server.name, route.name, cached, connections))
                    if cell is None or not cell.runs:
                        row += ["–", "–"]
                        continue
                    found = True
                    mark = ("†" if cell.noisy else "") + ("!" if cell.errors else "")
                    row += [
                        f"{cell.median('rps'):,.0f}{mark}",
                        f"{_ms(cell.median('p50_ms'))} / {_ms(cell.median('p99_ms'))}",
                    ]
                if found:
                    lines.append("| " + " | ".join(row) + " |")
                    first = False
    return lines


def query_table(queries: dict[str, dict], routes: list[Route]) -> list[str]:
    lines = [
        "| route | path | response bytes | queries, cache off | cache on, miss "
        "| cache on, hit |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for route in routes:
        q = queries[route.name]
        hit = q["hit"] if route.page_cached else "n/a (never cached)"
        lines.append(
            f"| {ROUTE_LABELS[route.name]} | `{q['path']}` | {q['bytes']:,} "
            f"| {q['uncached']} | {q['miss']} | {hit} |"
        )
    return lines


def _geomean(values: list[float]) -> float:
    return math.exp(statistics.fmean(math.log(v) for v in values))


def recommendation(cells: list[Cell], plan: Plan) -> str:
    rps: dict[str, dict[tuple, float]] = {}
    for cell in cells:
        if cell.runs:
            key = (cell.route, cell.cached, cell.connections)
            rps.setdefault(cell.server, {})[key] = cell.median("rps")
    measured = [s for s in plan.servers if s.name in rps]
    if not measured:
        return "No server was measured, so there is no recommendation."
    common = set.intersection(*(set(rps[s.name]) for s in measured))
    score = {s.name: _geomean([rps[s.name][k] for k in common]) for s in measured}
    best = {
        interface: max(
            (s for s in measured if s.interface == interface),
            key=lambda s: score[s.name],
            default=None,
        )
        for interface in ("WSGI", "ASGI")
    }
    wsgi, asgi = best["WSGI"], best["ASGI"]
    if wsgi is None or asgi is None:
        only = measured[0].interface
        return f"Only {only} servers were measured: no WSGI/ASGI comparison."
    winner, loser = (
        (wsgi, asgi) if score[wsgi.name] >= score[asgi.name] else (asgi, wsgi)
    )

    def ratio(keys: set[tuple]) -> float:
        return _geomean([rps[winner.name][k] / rps[loser.name][k] for k in keys])

    dynamic = {k for k in common if k[1] is not True}
    others = [s.name for s in measured if s.interface == winner.interface]
    among = (
        f" (the faster {winner.interface} server of {', '.join(others)})"
        if len(others) > 1
        else ""
    )
    return (
        f"**Recommendation:** `emdash serve` should use **{winner.name}** "
        f"({winner.interface}){among}: {ratio(common):.2f}× the requests/s of "
        f"{loser.name} ({loser.interface}) over the {len(common)} route × cache × "
        f"concurrency cells (geometric mean); {ratio(dynamic):.2f}× when every "
        "request is rendered (page cache off, and the API)."
    )


def render_report(
    plan: Plan, cells: list[Cell], queries: dict[str, dict], site: dict, quick: bool
) -> str:
    noisy = [c for c in cells if c.noisy]
    repeated = sum(c.repeated for c in cells)
    shares = [r.others for c in cells for r in c.runs if r.others is not None]
    lines = [
        "# EmDash benchmark results",
        "",
        "Written by `make bench` (`python -m benchmarks.run"
        + (" --quick" if quick else "")
        + "`); how and what it measures: `benchmarks/README.md`.",
        "",
        "| | |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in machine_facts(plan)),
        (
            f"| site | {site['posts']} published Markdown posts (4–7 paragraphs, an "
            "h2, a list), 8 categories, 30 tags, a 9-item menu; SQLite (WAL) and "
            "the in-process (locmem) cache in a temp dir; DEBUG off |"
        ),
        "",
        "## Throughput and latency",
        "",
        *throughput_table(cells, plan),
        "",
        "Page cache *on*: the default, anonymous GETs of site pages are served from "
        "the per-process cache, keyed by the content epoch. *off*: "
        "`EMDASH_PAGE_CACHE_SECONDS=0`, every page rendered (the site snapshot of "
        "settings, menu and routes is then not cached either). The API is never "
        "page-cached.",
        *(f"\n{server.note}" for server in plan.servers if server.note),
    ]
    if shares:
        lines += [
            "",
            f"Other processes used a median {statistics.median(shares):.0%} (max "
            f"{max(shares):.0%}) of the machine during the counted runs; "
            f"{repeated} run(s) were repeated because they used ≥ "
            f"{NOISY_SHARE:.0%}."
            + (
                f" † marks {len(noisy)} cell(s) where a counted run still had ≥ "
                f"{NOISY_SHARE:.0%} (the wait budget ran out): read them with care."
                if noisy
                else ""
            ),
        ]
    erred = [c for c in cells if c.errors]
    if erred:
        lines += [
            "",
            "! marks cells with errors, summed over the counted runs (a timeout is a "
            "request wrk gave up on after 2 s; it is not in the latencies):",
            "",
            *(
                f"- {c.server}, {ROUTE_LABELS[c.route]}, page cache "
                f"{_cache_label(c.cached)}, c={c.connections}: "
                + ", ".join(f"{n} {kind}" for kind, n in c.errors.items())
                for c in erred
            ),
        ]
    if plan.skipped:
        lines += ["", *(f"- Skipped {note}" for note in plan.skipped)]
    lines += [
        "",
        "## Queries per request",
        "",
        *query_table(queries, plan.routes),
        "",
        "Counted in-process with Django's test client, on a repeated request (as "
        "under load: per-process memos warm). A page-cache hit also reads the "
        "content epoch at most once per second per process (not shown).",
        "",
        "## Recommendation",
        "",
        recommendation(cells, plan),
        "",
    ]
    return "\n".join(lines)


# -- main --------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description="Requests/s and latency of EmDash's public routes under "
        "bounded load (wrk), per app server; query counts per route.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="one 5 s run at c=8 per route"
    )
    parser.add_argument("--duration", type=float, help="seconds per run (10)")
    parser.add_argument(
        "--connections", type=int, nargs="+", help="concurrency levels (8 32)"
    )
    parser.add_argument("--runs", type=int, help="runs per cell, median taken (3)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds (3)")
    parser.add_argument(
        "--servers",
        default="gunicorn,uvicorn,granian",
        help="comma-separated, of gunicorn, uvicorn, uvicorn-stock, granian "
        "(default gunicorn,uvicorn,granian; one not installed is skipped)",
    )
    parser.add_argument(
        "--routes",
        default="post,home,api",
        help="comma-separated, of post, home, api, api-token (post,home,api)",
    )
    parser.add_argument(
        "--max-wait",
        type=float,
        help="seconds the whole run may spend waiting for a quiet machine and "
        "repeating noisy runs (150; 30 with --quick)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help=f"markdown file to write (default {RESULTS.relative_to(REPO)} for a "
        "full run; a --quick run only prints unless this is given)",
    )
    args = parser.parse_args(argv)
    args.duration = args.duration or (5.0 if args.quick else 10.0)
    args.connections = args.connections or ([8] if args.quick else [8, 32])
    args.runs = args.runs or (1 if args.quick else 3)
    if args.max_wait is None:
        args.max_wait = 30.0 if args.quick else 150.0
    if args.output is None and not args.quick:
        args.output = RESULTS
    if min(args.connections) < 2 or args.duration <= 0 or args.runs < 1:
        parser.error("need --connections >= 2 (wrk -t2), --duration > 0, --runs >= 1")
    return args


def make_routes(names: list[str], site: dict) -> list[Route]:
    bearer = {"Authorization": f"Bearer {site['token']}"}
    known = {
        "post": Route("post", site["post_path"]),
        "home": Route("home", "/"),
        "api": Route("api", API_LIST, page_cached=False),
        "api-token": Route("api-token", API_LIST, bearer, page_cached=False),
    }
    return [known[name] for name in names]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print(WRK_MISSING, file=sys.stderr)
        return 2
    route_names = [n.strip() for n in args.routes.split(",") if n.strip()]
    server_names = [n.strip() for n in args.servers.split(",") if n.strip()]
    unknown = sorted(set(route_names) - set(ROUTE_LABELS)) + sorted(
        set(server_names) - set(SERVERS)
    )
    if unknown or not route_names or not server_names:
        print(f"unknown or missing route/server: {', '.join(unknown)}", file=sys.stderr)
        return 2
    skipped = []
    servers = []
    for name in server_names:
        if importlib.util.find_spec(SERVERS[name].module) is None:
            skipped.append(f"{name}: not installed in this environment")
        else:
            servers.append(SERVERS[name])
    plan = Plan(
        servers,
        [],
        args.connections,
        args.duration,
        args.runs,
        args.warmup,
        Budget(args.max_wait),
        skipped,
    )
    modes = sum(2 if n in ("post", "home") else 1 for n in route_names)
    estimate = (
        len(servers)
        * modes
        * (args.warmup + len(args.connections) * args.runs * (args.duration + 1))
    )
    print(
        f"Benchmarking {', '.join(s.name for s in servers) or 'no server'}"
        f"{' (skipping ' + '; '.join(skipped) + ')' if skipped else ''}: "
        f"about {estimate / 60:.0f} min, at most {args.max_wait:g} s more waiting "
        "for a quiet machine.",
        flush=True,
    )
    try:
        with tempfile.TemporaryDirectory(prefix="emdash-bench-") as tmp:
            data_dir = Path(tmp)
            print("Preparing a throwaway site (migrate, 200 posts)...", flush=True)
            site = prepare_site(data_dir)
            plan.routes = make_routes(route_names, site)
            print("Counting queries per route...", flush=True)
            queries = count_queries(data_dir, plan.routes)
            cells: list[Cell] = []
            measure(plan, data_dir, cells)
    except KeyboardInterrupt:
        print("Interrupted; every server started has been stopped.", file=sys.stderr)
        return 130
    except (RuntimeError, subprocess.SubprocessError, ValueError) as exc:
        print(f"The benchmark failed: {exc}", file=sys.stderr)
        return 1
    report = render_report(plan, cells, queries, site, args.quick)
    print()
    print(report)
    if args.output:
        args.output.write_text(report, encoding="utf-8")
        print(f"Written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
