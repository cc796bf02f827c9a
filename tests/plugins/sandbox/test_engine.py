"""The Engine, its epoch ticker, and the on-disk cache of compiled modules."""

import logging
import os
import select
import signal
import stat
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings
from wasmtime import Config, Engine, Module

from emdash.plugins.sandbox import engine
from emdash.plugins.sandbox.calls import Envelope, Limits
from emdash.plugins.sandbox.engine import cache_key, compile_module
from emdash.plugins.sandbox.errors import PluginFailed
from emdash.plugins.sandbox.host import LoadedPlugin
from tests.plugins.sandbox import wat

CACHE_LOGGER = "emdash.plugins.sandbox.engine"


@pytest.fixture
def cache(settings: Settings, tmp_path: Path) -> Path:
    settings.PLUGIN_CACHE_DIR = tmp_path / "plugin-cache"
    return settings.PLUGIN_CACHE_DIR


def _cache_file(cache: Path, wasm: bytes) -> Path:
    return cache / f"{cache_key(wasm)}.cwasm"


def _messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    messages = [record.getMessage() for record in caplog.records]
    caplog.clear()
    return messages


def _works(module: Module) -> bool:
    plugin = LoadedPlugin("cached", module, capabilities=frozenset())
    return plugin.call("cron", {"a": 1}).envelope == Envelope("ok", {"a": 1})


def test_compiled_module_is_cached_privately_and_loaded_from_disk(
    cache: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=CACHE_LOGGER)
    path = _cache_file(cache, wat.ECHO)

    first = compile_module(wat.ECHO)

    assert _messages(caplog) == ["plugin module compiled"]
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in cache.iterdir()] == [path.name]

    second = compile_module(wat.ECHO)

    assert _messages(caplog) == [f"plugin module loaded from cache {path.name}"]
    assert _works(first)
    assert _works(second)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda blob: blob[: len(blob) // 2], id="truncated"),
        pytest.param(lambda blob: b"", id="empty"),
        pytest.param(
            lambda blob: blob[:-100] + bytes([blob[-100] ^ 0xFF]) + blob[-99:],
            id="one byte flipped",
        ),
        pytest.param(lambda blob: b"\x7fELF" + blob[4:], id="foreign header"),
    ],
)
def test_corrupt_cache_file_is_replaced(
    cache: Path,
    caplog: pytest.LogCaptureFixture,
    damage: Callable[[bytes], bytes],
) -> None:
    compile_module(wat.ECHO)
    path = _cache_file(cache, wat.ECHO)
    good = path.read_bytes()
    path.write_bytes(damage(good))
    caplog.set_level(logging.DEBUG, logger=CACHE_LOGGER)

    module = compile_module(wat.ECHO)

    assert _messages(caplog) == [
        f"plugin cache file {path.name} is corrupt; recompiling",
        "plugin module compiled",
    ]
    assert _works(module)
    assert path.read_bytes() == good


def test_incompatible_cache_file_is_replaced(
    cache: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A well-formed file holding an artifact from an engine without fuel.
    compile_module(wat.ECHO)
    path = _cache_file(cache, wat.ECHO)
    foreign = Module(Engine(Config()), wat.ECHO).serialize()
    engine._store_cached(path, bytes(foreign))
    caplog.set_level(logging.DEBUG, logger=CACHE_LOGGER)

    module = compile_module(wat.ECHO)

    [discarded, compiled] = _messages(caplog)
    assert discarded.startswith(f"plugin cache file {path.name} is incompatible (")
    assert compiled == "plugin module compiled"
    assert _works(module)


def test_cache_file_others_could_write_is_not_trusted(
    cache: Path, caplog: pytest.LogCaptureFixture
) -> None:
    compile_module(wat.ECHO)
    path = _cache_file(cache, wat.ECHO)
    path.chmod(0o666)
    caplog.set_level(logging.DEBUG, logger=CACHE_LOGGER)

    compile_module(wat.ECHO)

    assert _messages(caplog) == [
        f"plugin cache file {path.name} is not a private file of this user; "
        "recompiling",
        "plugin module compiled",
    ]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_symlink_in_the_cache_is_not_followed(
    cache: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    compile_module(wat.ECHO)
    path = _cache_file(cache, wat.ECHO)
    planted = tmp_path / "planted.cwasm"
    planted.write_bytes(path.read_bytes())
    path.unlink()
    path.symlink_to(planted)
    caplog.set_level(logging.DEBUG, logger=CACHE_LOGGER)

    compile_module(wat.ECHO)

    [discarded, compiled] = _messages(caplog)
    assert discarded.startswith(f"plugin cache file {path.name} cannot be opened")
    assert compiled == "plugin module compiled"
    assert not path.is_symlink()
    assert planted.exists()


@pytest.mark.parametrize("plant", [os.mkfifo, os.mkdir], ids=["fifo", "directory"])
def test_odd_file_at_the_cache_path_neither_blocks_nor_breaks(
    cache: Path, caplog: pytest.LogCaptureFixture, plant: Callable[[Path], None]
) -> None:
    cache.mkdir()
    path = _cache_file(cache, wat.ECHO)
    plant(path)

    module = compile_module(wat.ECHO)

    assert _works(module)
    assert f"plugin cache file {path.name}" in caplog.text


def test_cache_directory_is_made_private(cache: Path) -> None:
    cache.mkdir(mode=0o755)
    cache.chmod(0o755)

    compile_module(wat.ECHO)

    assert stat.S_IMODE(cache.stat().st_mode) == 0o700


def test_unusable_cache_directory_only_costs_the_cache(
    cache: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache.write_text("not a directory")

    module = compile_module(wat.ECHO)

    assert _works(module)
    assert "unusable" in caplog.text


def test_cache_key_covers_module_wasmtime_and_engine_config() -> None:
    key = cache_key(wat.ECHO)

    assert key == cache_key(wat.ECHO) == engine.cache_key(bytes(wat.ECHO))
    assert len(key) == 64
    assert cache_key(wat.UNCHANGED) != key
    assert cache_key(wat.ECHO, wasmtime_version="49.0.0") != key
    assert cache_key(wat.ECHO, engine_config=engine.ENGINE_CONFIG + ";simd=0") != key
    assert engine.WASMTIME_VERSION.startswith("50.")
    assert engine.ENGINE_CONFIG.startswith(
        "consume_fuel=True;epoch_interruption=True;max_wasm_stack=524288;"
        "wasm_threads=False;machine="
    )


@pytest.mark.parametrize(
    ("timeout_ms", "ticks"), [(1, 1), (10, 1), (11, 2), (50, 5), (30_000, 3000)]
)
def test_deadline_ticks(timeout_ms: int, ticks: int) -> None:
    assert engine.deadline_ticks(timeout_ms) == ticks


def test_deadline_holds_in_a_forked_child() -> None:
    """A pre-fork server's worker does not inherit the epoch thread: its first call
    starts one, or an endless loop with ample fuel would never stop."""
    plugin = LoadedPlugin("loop", wat.INFINITE_LOOP, capabilities=frozenset())
    with pytest.raises(PluginFailed):  # the parent's ticker is running
        plugin.call("cron", {}, limits=Limits(fuel=10**15, timeout_ms=20))

    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads
        pid = os.fork()
    if pid == 0:  # pragma: no cover (the child)
        outcome = b"no failure"
        try:
            plugin.call("cron", {}, limits=Limits(fuel=10**15, timeout_ms=50))
        except PluginFailed as failed:
            outcome = failed.reason.encode()
        finally:
            os.write(write_end, outcome)
            os._exit(0)
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 20)
        outcome = os.read(read_end, 100) if ready else b"child hung"
    finally:
        os.close(read_end)
        if not ready:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)

    assert outcome == b"timeout"


def test_naming_the_sandbox_values_does_not_import_wasmtime() -> None:
    code = (
        "import sys\n"
        "import emdash.plugins.sandbox, emdash.plugins.sandbox.calls\n"
        "import emdash.plugins.sandbox.errors\n"
        "print('wasmtime' in sys.modules)\n"
    )

    result = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout == "False\n"
