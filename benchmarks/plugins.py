"""What plugins cost: one hook call, and a save with 0, 1 and 5 plugins.

    python -m benchmarks.plugins [--calls N] [--saves N] [--rounds R]
                                 [--max-wait S] [--no-append]

Builds a throwaway site (SQLite in a temp dir, migrated in-process), creates a
``posts`` collection and installs the committed seo-guard bundle (the tests check
that it is what its source builds) under five ids: seo-guard-1 ... seo-guard-5.

1. **Per hook call** on a fresh instance (the sandbox makes one per call), with an
   entry of a 1 KB Markdown body and no SEO description, so seo-guard writes one:
   ``LoadedPlugin.call`` directly (Store, limits, instantiation, JSON both ways),
   and ``runtime.dispatch`` as the hook bus calls it (the registry check, the call's
   savepoint and transaction, the answer merged into the payload). The sandbox
   tests' echo plugin, which does no work but answer its input, gives the host's
   share of a call with the same payload. The three kinds are called in turn,
   call by call, so drift in the machine's speed falls on all of them.
2. **Save latency**: ``entries.update_entry`` through the content service, with 0, 1
   and 5 seo-guards enabled on content:beforeSave. Each save sends an empty SEO, so
   the first seo-guard fills the description; the next ones find it and answer "no
   change". The set-ups take turns in batches of 10 saves (after 2 unmeasured
   ones, which absorb the switch), for the same reason.

Prints the medians (of the rounds' medians) and the 95th percentiles, and appends
them to benchmarks/plugins.md under a heading with the date and the load average
(a file of its own, as ``make bench`` rewrites results.md). Like
``benchmarks.run``, each round first waits (within --max-wait seconds in all) for
the machine to be quiet, and the report says how much of it other processes used
meanwhile. The target is below 1 ms per hook call.
"""

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.run import REPO, Budget, machine_ticks, site_env, tree_ticks

HOOK = "content:beforeSave"
BUNDLE = REPO / "plugins" / "seo-guard"
PLUGIN_COUNTS = (0, 1, 5)
PLUGIN_IDS = [f"seo-guard-{n}" for n in range(1, max(PLUGIN_COUNTS) + 1)]
TARGET_MICROSECONDS = 1000.0
ECHO_CALL = "echo plugin (host share): LoadedPlugin.call"
DIRECT_CALL = "seo-guard hook call: LoadedPlugin.call"
DISPATCHED_CALL = "seo-guard hook call: runtime.dispatch"
# The saves of a round go in batches, the set-ups taking turns batch by batch.
SAVES_PER_BATCH = 10
# Saves before each timed batch: the registry rebuild after enabling or disabling
# plugins, and the first instantiations, are not what is measured.
WARMUP_SAVES = 2
PARAGRAPH = (
    "The **garden** opens in April, when the river is high and the orchard is in "
    "bloom. Bring a [map](https://example.com/map), some bread and `coffee` for the "
    "morning; the station is a short walk from the harbour."
)
BODY = "# Spring notes\n\n" + "\n\n".join([PARAGRAPH] * 5) + "\n\n- a list\n- of two\n"
FIELDS = [
    {"slug": "title", "type": "string", "required": True},
    {"slug": "body", "type": "markdown"},
]


@dataclass(frozen=True)
class Figure:
    label: str
    unit: str  # "µs" or "ms"
    median: float  # the median of the rounds' medians
    p95: float  # the 95th percentile of every sample


def time_each(action: Callable[[], object], count: int, scale: float) -> list[float]:
    """Run ``action`` ``count`` times; each run's duration times ``scale``."""
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * scale)
    return samples


def summarise(label: str, unit: str, rounds: list[list[float]]) -> Figure:
    everything = [sample for samples in rounds for sample in samples]
    return Figure(
        label,
        unit,
        statistics.median(statistics.median(samples) for samples in rounds),
        statistics.quantiles(everything, n=20)[-1],
    )


def setup_django(data_dir: Path) -> None:
    """A fresh site in ``data_dir`` with the default database (SQLite), configured
    in this process as ``benchmarks.run`` configures its servers."""
    env = site_env(data_dir)
    os.environ.clear()
    os.environ.update(env)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def bundle_copy(plugin_id: str, under: Path) -> Path:
    """seo-guard's bundle under another id (and name)."""
    folder = under / plugin_id
    folder.mkdir()
    shutil.copy2(BUNDLE / "plugin.wasm", folder / "plugin.wasm")
    manifest = json.loads((BUNDLE / "manifest.json").read_text())
    manifest["id"] = plugin_id
    manifest["name"] = f"{manifest['name']} {plugin_id.rsplit('-', 1)[1]}"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def enable_first(count: int) -> None:
    """Enable the first ``count`` seo-guards and disable the rest; check that the
    runtime now runs exactly those on content:beforeSave."""
    from emdash.core import epoch
    from emdash.core.actors import SYSTEM
    from emdash.plugins import runtime, services

    for position, plugin_id in enumerate(PLUGIN_IDS):
        switch = services.enable if position < count else services.disable
        switch(SYSTEM, plugin_id)
    epoch.forget_memo()  # do not wait out the memo for the change to show
    running = [plugin.id for plugin in runtime.registry().by_hook.get(HOOK, ())]
    if running != PLUGIN_IDS[:count]:
        raise SystemExit(f"expected {PLUGIN_IDS[:count]} on {HOOK}, got {running}")


@dataclass
class Noise:
    """The share of the machine that processes other than this one used while
    the rounds ran (waits for quiet excluded); None where /proc is missing."""

    busy: int = 0
    total: int = 0

    def measured(self, action: Callable[[], None]) -> None:
        before, own_before = machine_ticks(), tree_ticks(os.getpid())
        action()
        after, own_after = machine_ticks(), tree_ticks(os.getpid())
        if before is not None and after is not None:
            self.busy += after[1] - before[1] - (own_after - own_before)
            self.total += after[2] - before[2]

    @property
    def share(self) -> float | None:
        return max(self.busy, 0) / self.total if self.total else None


def measure(options: argparse.Namespace, bundles: Path, noise: Noise) -> list[Figure]:
    from emdash.content.services import collections, entries
    from emdash.core.actors import SYSTEM
    from emdash.plugins import runtime, services
    from emdash.plugins.bindings import CallBudget
    from emdash.plugins.sandbox.calls import Limits
    from emdash.plugins.sandbox.host import LoadedPlugin
    from tests.plugins.sandbox import wat

    budget = Budget(options.max_wait)
    collections.create_collection(
        SYSTEM,
        {
            "slug": "posts",
            "label": "Posts",
            "fields": FIELDS,
            "supports": ["drafts", "revisions", "seo"],
        },
    )
    for plugin_id in PLUGIN_IDS:
        services.install(SYSTEM, bundle_copy(plugin_id, bundles), grant=[])
    entry = entries.create_entry(
        SYSTEM, "posts", {"data": {"title": "Spring notes", "body": BODY}}
    )
    expected_seo = entry.seo
    if not expected_seo.get("description"):
        raise SystemExit("seo-guard did not fill the description on create")

    # -- one hook call ---------------------------------------------------------------
    enable_first(1)
    plugin = runtime.registry().plugins[PLUGIN_IDS[0]]
    loaded = plugin.loaded
    if loaded is None:
        raise SystemExit(f"seo-guard could not be loaded: {plugin.load_error}")
    echo = LoadedPlugin("echo", wat.ECHO, capabilities=frozenset())
    payload = {
        "collection": "posts",
        "id": entry.pk,
        "slug": entry.slug,
        "data": entry.data,
        "seo": {},
    }
    limits = Limits(timeout_ms=plugin.manifest.hooks[HOOK].timeout_ms)
    call_input = {"hook": HOOK, **payload, "settings": dict(plugin.settings)}

    def dispatch() -> dict[str, Any]:
        return runtime.dispatch(HOOK, payload, SYSTEM)

    if dispatch()["seo"] != expected_seo:
        raise SystemExit("runtime.dispatch answered another description")
    ways: dict[str, Callable[[], object]] = {
        ECHO_CALL: lambda: echo.call(HOOK, call_input, limits=limits),
        DIRECT_CALL: lambda: loaded.call(
            HOOK, call_input, limits=limits, context=CallBudget()
        ),
        DISPATCHED_CALL: dispatch,
    }
    call_rounds: dict[str, list[list[float]]] = {label: [] for label in ways}

    def time_calls() -> None:
        # Call by call in turn, so that the machine's drift falls on every kind.
        samples: dict[str, list[float]] = {label: [] for label in ways}
        for _ in range(options.calls):
            for label, way in ways.items():
                samples[label] += time_each(way, 1, 1e6)
        for label, taken in samples.items():
            call_rounds[label].append(taken)

    for _ in range(options.rounds):
        budget.wait_for_quiet()
        noise.measured(time_calls)
    figures = [summarise(label, "µs", rounds) for label, rounds in call_rounds.items()]

    # -- saves -----------------------------------------------------------------------
    version = entry.version
    saved = 0

    def save() -> None:
        nonlocal version, saved
        saved += 1
        updated = entries.update_entry(
            SYSTEM,
            "posts",
            entry.pk,
            {"data": {"title": f"Spring notes {saved}"}, "seo": {}, "version": version},
        )
        version = updated.version

    save_rounds: dict[int, list[list[float]]] = {count: [] for count in PLUGIN_COUNTS}

    def time_saves() -> None:
        samples: dict[int, list[float]] = {count: [] for count in PLUGIN_COUNTS}
        for _ in range(max(options.saves // SAVES_PER_BATCH, 1)):
            for count in PLUGIN_COUNTS:
                enable_first(count)
                time_each(save, WARMUP_SAVES, 1e3)
                samples[count] += time_each(save, SAVES_PER_BATCH, 1e3)
        for count, taken in samples.items():
            save_rounds[count].append(taken)

    for _ in range(options.rounds):
        budget.wait_for_quiet()
        noise.measured(time_saves)
    stored = entries.get_entry(SYSTEM, "posts", entry.pk).seo
    if stored != expected_seo:
        raise SystemExit(f"the last save stored SEO {stored}, not {expected_seo}")
    for count, rounds in save_rounds.items():
        plural = "" if count == 1 else "s"
        label = f"save (entries.update_entry), {count} plugin{plural} on {HOOK}"
        figures.append(summarise(label, "ms", rounds))
    return figures


def number(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.2f}"


def table(figures: list[Figure]) -> list[str]:
    lines = ["| measure | median | p95 |", "|---|---:|---:|"]
    for figure in figures:
        lines.append(
            f"| {figure.label} | {number(figure.median)} {figure.unit} "
            f"| {number(figure.p95)} {figure.unit} |"
        )
    return lines


def report(
    figures: list[Figure],
    options: argparse.Namespace,
    load: tuple[tuple[float, ...], tuple[float, ...]],
    noise: Noise,
    started: datetime.datetime,
) -> list[str]:
    zero, _, five = (figure.median for figure in figures if figure.unit == "ms")
    (per_call,) = (
        figure.median for figure in figures if figure.label == DISPATCHED_CALL
    )
    others = "unknown" if noise.share is None else f"{noise.share:.0%}"
    verdict = "met" if per_call < TARGET_MICROSECONDS else "missed"
    before, after = (" / ".join(f"{value:.2f}" for value in avg) for avg in load)
    return [
        f"### {started:%Y-%m-%d %H:%M} UTC",
        "",
        "| | |",
        "|---|---|",
        f"| machine | {os.cpu_count()} CPUs; load average {before} at the start, "
        f"{after} at the end (1 / 5 / 15 min); other processes used {others} of "
        "the machine during the rounds |",
        f"| versions | Python {platform.python_version()}, wasmtime "
        f"{importlib.metadata.version('wasmtime')}, SQLite {sqlite3.sqlite_version} |",
        f"| method | {options.rounds} rounds; per round {options.calls} calls "
        f"of each kind, and {options.saves} saves per set-up in batches of "
        f"{SAVES_PER_BATCH} taking turns (each after {WARMUP_SAVES} unmeasured); "
        "median of the round medians, p95 of every sample |",
        "",
        *table(figures),
        "",
        f"Per hook call through the runtime: {number(per_call)} µs, target < "
        f"{TARGET_MICROSECONDS:,.0f} µs: **{verdict}**. Each seo-guard on "
        f"{HOOK} adds {number((five - zero) / 5)} ms to a save on average "
        "(5 plugins against none).",
        "",
    ]


# Its own file: ``make bench`` rewrites results.md.
RESULTS = Path(__file__).resolve().parent / "plugins.md"


def append_to_results(lines: list[str], path: Path) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    heading = (
        []
        if text
        else [
            "# Plugin benchmark results",
            "",
            "Written by `python -m benchmarks.plugins` (each run appends a dated "
            "section).",
            "",
        ]
    )
    separator = "" if text.endswith("\n\n") or not text else "\n"
    path.write_text(text + separator + "\n".join([*heading, *lines]), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1000, help="hook calls per round")
    parser.add_argument(
        "--saves", type=int, default=100, help="saves per set-up and round"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--max-wait",
        type=float,
        default=60,
        help="seconds the run may spend in all waiting for a quiet machine",
    )
    parser.add_argument(
        "--no-append", action="store_true", help=f"print only; leave {RESULTS.name}"
    )
    options = parser.parse_args()

    started = datetime.datetime.now(datetime.UTC)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="emdash-bench-plugins-") as temp:
        setup_django(Path(temp) / "site")
        bundles = Path(temp) / "bundles"
        bundles.mkdir()
        noise = Noise()
        figures = measure(options, bundles, noise)
    load = (load_before, os.getloadavg())
    lines = report(figures, options, load, noise, started)
    print("\n".join(lines))
    if not options.no_append:
        append_to_results(lines, RESULTS)
        print(f"Appended to {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
