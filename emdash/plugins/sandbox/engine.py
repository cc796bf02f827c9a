"""The process-wide wasmtime Engine, its epoch ticker, and the compiled-module cache.

One Engine serves every plugin: it is thread-safe, and modules compiled by it can be
instantiated in any Store. Fuel (a CPU budget) and epoch interruption (a wall-clock
deadline) are on for every module; WASI is never linked.

Compiled modules are cached on disk because deserializing is about a thousand times
faster than compiling. Deserializing runs native code as it is, so the cache lives in
a directory only this host writes, every file carries a digest of its payload, and
files are named by their key: nothing a plugin author supplies is ever deserialized.
"""

import contextlib
import hashlib
import importlib.metadata
import logging
import math
import os
import platform
import stat
import tempfile
import threading
import time
from pathlib import Path

from wasmtime import Config, Engine, Module, WasmtimeError

from emdash.plugins.bundle import WASM_MAGIC, WASM_VERSION
from emdash.plugins.sandbox.errors import ModuleInvalid

logger = logging.getLogger(__name__)

TICK_SECONDS = 0.010
MAX_WASM_STACK_BYTES = 512 * 1024

_ENGINE_SETTINGS: dict[str, bool | int] = {
    "consume_fuel": True,  # a CPU budget per call: Trap OUT_OF_FUEL
    "epoch_interruption": True,  # a wall-clock deadline per call: Trap INTERRUPT
    "max_wasm_stack": MAX_WASM_STACK_BYTES,  # deep recursion: Trap STACK_OVERFLOW
    # No shared memories, so no atomic waits that block outside the deadline.
    "wasm_threads": False,
}
# The settings change the compiled code, so the cache key includes them: an
# artifact is never loaded into an engine configured differently.
ENGINE_CONFIG = ";".join(
    [f"{name}={value}" for name, value in _ENGINE_SETTINGS.items()]
    + [f"machine={platform.machine()}"]
)
WASMTIME_VERSION = importlib.metadata.version("wasmtime")

_CACHE_MAGIC = b"emdash-cwasm/1\n"
_DIGEST_BYTES = 32

_lock = threading.Lock()
_engine: Engine | None = None
_ticker_pid: int | None = None


def _reset_lock_in_child() -> None:
    # A lock held by another thread at fork time would stay held in the child.
    global _lock
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_reset_lock_in_child)


def get_engine() -> Engine:
    """The process's Engine, created on first use."""
    global _engine
    if _engine is None:
        with _lock:
            if _engine is None:
                config = Config()
                for name, value in _ENGINE_SETTINGS.items():
                    setattr(config, name, value)
                _engine = Engine(config)
    return _engine


def ensure_epoch_ticker() -> None:
    """Start the thread that advances the Engine's epoch every TICK_SECONDS, once per
    process: a pre-fork server's workers do not inherit the parent's thread, so a
    child starts its own on its first call."""
    global _ticker_pid
    pid = os.getpid()
    if _ticker_pid == pid:
        return
    engine = get_engine()
    with _lock:
        if _ticker_pid == pid:
            return
        threading.Thread(
            target=_tick, args=(engine,), name="emdash-wasm-epoch", daemon=True
        ).start()
        _ticker_pid = pid


def _tick(engine: Engine) -> None:
    while True:
        time.sleep(TICK_SECONDS)
        engine.increment_epoch()


def deadline_ticks(timeout_ms: int) -> int:
    """Epoch ticks for a wall-clock timeout (at least one)."""
    return max(1, math.ceil(timeout_ms / (TICK_SECONDS * 1000)))


def cache_key(
    wasm: bytes,
    *,
    wasmtime_version: str = WASMTIME_VERSION,
    engine_config: str = ENGINE_CONFIG,
) -> str:
    """The name of a module's cache file: an artifact is only valid for the same
    module, wasmtime release and engine configuration."""
    material = "\n".join(
        [hashlib.sha256(wasm).hexdigest(), wasmtime_version, engine_config]
    )
    return hashlib.sha256(material.encode()).hexdigest()


def cache_dir() -> Path:
    from django.conf import settings

    return Path(settings.PLUGIN_CACHE_DIR)


def compile_module(wasm: bytes) -> Module:
    """Compile a plugin's module, or load it from the cache when this host compiled
    the same bytes before with the same wasmtime and engine configuration."""
    if not wasm.startswith(WASM_MAGIC + WASM_VERSION):
        raise ModuleInvalid(
            "plugin.wasm is not a WebAssembly module (a core module starts with "
            "the bytes \\0asm 01 00 00 00)"
        )
    engine = get_engine()
    directory = _private_cache_dir()
    path = directory / f"{cache_key(wasm)}.cwasm" if directory else None
    if path is not None:
        module = _load_cached(engine, path)
        if module is not None:
            logger.debug("plugin module loaded from cache %s", path.name)
            return module
    try:
        module = Module(engine, wasm)
    except WasmtimeError as exc:
        raise ModuleInvalid(
            f"plugin.wasm is not a valid WebAssembly module: {last_line(str(exc))}"
        ) from exc
    logger.debug("plugin module compiled")
    if path is not None:
        _store_cached(path, bytes(module.serialize()))
    return module


def last_line(text: str) -> str:
    """wasmtime messages start with a backtrace; the cause is the last line."""
    lines = [line.strip() for line in text.strip().splitlines()]
    return lines[-1] if lines else text


def _private_cache_dir() -> Path | None:
    """The cache directory, created 0700; None (no caching) when it is not a real
    directory owned by this user, since then someone else could plant artifacts."""
    directory = cache_dir()
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = directory.lstat()
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
            logger.warning(
                "plugin cache %s is not a directory owned by this user; "
                "compiling without a cache",
                directory,
            )
            return None
        if stat.S_IMODE(info.st_mode) != 0o700:
            directory.chmod(0o700)
    except OSError as exc:
        logger.warning(
            "plugin cache %s unusable (%s); compiling without it", directory, exc
        )
        return None
    return directory


def _load_cached(engine: Engine, path: Path) -> Module | None:
    try:
        # No symlinks, and no blocking on a planted FIFO.
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return _discard(path, f"cannot be opened ({exc})")
    try:
        with os.fdopen(fd, "rb") as file:
            info = os.fstat(file.fileno())
            if (
                not stat.S_ISREG(info.st_mode)
                or info.st_uid != os.geteuid()
                or stat.S_IMODE(info.st_mode) & 0o077
            ):
                return _discard(path, "is not a private file of this user")
            blob = file.read()
    except OSError as exc:
        return _discard(path, f"cannot be read ({exc})")
    header = len(_CACHE_MAGIC) + _DIGEST_BYTES
    payload = blob[header:]
    if (
        not blob.startswith(_CACHE_MAGIC)
        or blob[len(_CACHE_MAGIC) : header] != hashlib.sha256(payload).digest()
    ):
        return _discard(path, "is corrupt")
    try:
        return Module.deserialize(engine, payload)
    except WasmtimeError as exc:
        return _discard(path, f"is incompatible ({last_line(str(exc))})")


def _discard(path: Path, why: str) -> None:
    logger.warning("plugin cache file %s %s; recompiling", path.name, why)
    with contextlib.suppress(OSError):  # then writing the new file fails, and says so
        path.unlink()


def _store_cached(path: Path, artifact: bytes) -> None:
    blob = _CACHE_MAGIC + hashlib.sha256(artifact).digest() + artifact
    try:
        # mkstemp creates the file 0600; the rename makes it appear whole or not at all.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(blob)
            Path(temporary).replace(path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        logger.warning("plugin cache file %s not written: %s", path.name, exc)
