"""Builds a plugin bundle's module from its source.

A buildable bundle keeps an npm package in ``<bundle>/src`` (``package.json`` with a
``build`` script and a committed ``package-lock.json``) whose build writes
``<bundle>/plugin.wasm``. ``emdash plugin build`` and the tests call
:func:`build_plugin`; it needs Node.js and npm on PATH, and nothing of Django.
"""

import shutil
import subprocess
from pathlib import Path

from emdash.core.errors import EmDashError

# npm ci downloads the toolchain on a cold cache; asc -O3 takes seconds.
DEFAULT_TIMEOUT_SECONDS = 600.0
NPM_CI = ["ci", "--prefer-offline", "--no-audit", "--no-fund"]
WASM_MAGIC = b"\0asm"


class PluginBuildFailed(EmDashError):
    code = "PLUGIN_BUILD_FAILED"
    status = 422


def build_plugin(folder: Path, *, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> Path:
    """Build ``<folder>/plugin.wasm`` from ``<folder>/src`` and return its path.

    Installs the exact toolchain from the lockfile (``npm ci``) when ``src`` has no
    ``node_modules`` yet, then runs ``npm run build``.
    """
    folder = folder.resolve()
    source = folder / "src"
    if not (source / "package.json").is_file():
        raise PluginBuildFailed(
            f"{folder} has no src/package.json: nothing to build.",
            details={"folder": str(folder)},
        )
    npm = shutil.which("npm")
    if npm is None:
        raise PluginBuildFailed(
            "npm is not on PATH: install Node.js 20 or newer (with npm) to build "
            "plugins.",
            details={"folder": str(folder)},
        )
    if not (source / "node_modules").is_dir():
        if not (source / "package-lock.json").is_file():
            raise PluginBuildFailed(
                f"{source} has no package-lock.json: run `npm install` there once "
                "and keep the lockfile with the source.",
                details={"folder": str(folder)},
            )
        _npm(npm, NPM_CI, source, timeout)

    output = folder / "plugin.wasm"
    before = output.stat().st_mtime_ns if output.exists() else None
    _npm(npm, ["run", "build"], source, timeout)
    if not output.is_file() or output.stat().st_mtime_ns == before:
        raise PluginBuildFailed(
            f"The build script in {source} did not write {output}.",
            details={"folder": str(folder)},
        )
    with output.open("rb") as module:
        if module.read(4) != WASM_MAGIC:
            raise PluginBuildFailed(
                f"{output} is not a WebAssembly module.",
                details={"folder": str(folder)},
            )
    return output


def _npm(npm: str, arguments: list[str], source: Path, timeout: float) -> None:
    command = f"npm {' '.join(arguments)}"
    try:
        result = subprocess.run(  # noqa: S603 - npm from PATH, fixed arguments
            [npm, *arguments],
            cwd=source,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise PluginBuildFailed(
            f"`{command}` in {source} took longer than {timeout:.0f} s.",
            details={"folder": str(source.parent)},
        ) from None
    if result.returncode != 0:
        # npm prints the compiler's diagnostics on either stream.
        output = (result.stdout + result.stderr).strip()
        tail = "\n".join(output.splitlines()[-40:])
        raise PluginBuildFailed(
            f"`{command}` in {source} failed (exit {result.returncode}):\n{tail}",
            details={"folder": str(source.parent), "output": tail},
        )
