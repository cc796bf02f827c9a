"""Building plugins from source in tests, with Node.js and npm from PATH.

``copy_sdk`` puts a copy of the AssemblyScript SDK's sources where a plugin's
``file:../../sdk/assemblyscript`` dependency finds it. The ``builds`` fixture builds
the SDK's probe and every example in ``plugins/`` once per test run, whichever
xdist workers need it. Without npm, tests that build skip (and fail under
``EMDASH_REQUIRE_SERVICES=1``, as in CI).
"""

import fcntl
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from emdash_plugins.build import NPM_CI, build_plugin

from emdash.paths import plugins_dir
from tests.services import require_service

PLUGINS = plugins_dir()
SDK = PLUGINS / "sdk" / "assemblyscript"
# A copy of the sources leaves out the installed toolchain and what builds write.
SOURCES_ONLY = shutil.ignore_patterns("node_modules", "build", "plugin.wasm")


def example_plugins() -> list[str]:
    """The first-party plugins: the folders of ``plugins/`` with a manifest."""
    return sorted(
        path.name
        for path in PLUGINS.iterdir()
        if path.is_dir() and (path / "manifest.json").is_file()
    )


def require_npm() -> None:
    require_service("npm")


def copy_sdk(plugins: Path) -> Path:
    """Copy the SDK's sources to ``plugins/sdk/assemblyscript``, where a plugin
    in ``plugins/<id>/`` finds it, and return that folder."""
    target = plugins / "sdk" / "assemblyscript"
    shutil.copytree(SDK, target, ignore=SOURCES_ONLY)
    return target


@dataclass(frozen=True)
class Builds:
    root: Path  # a copy of plugins/ with the SDK installed and everything built

    def plugin(self, name: str) -> Path:
        return self.root / name

    @property
    def probe(self) -> bytes:
        return (
            self.root / "sdk" / "assemblyscript" / "build" / "probe.wasm"
        ).read_bytes()


def build_everything(root: Path) -> dict[str, float]:
    """Copy the sources into ``root``, keeping their relative layout (the examples
    depend on ``file:../../sdk/assemblyscript``), and build; returns seconds taken."""
    seconds: dict[str, float] = {}
    sdk = copy_sdk(root)
    for plugin in example_plugins():
        shutil.copytree(PLUGINS / plugin, root / plugin, ignore=SOURCES_ONLY)
    started = time.monotonic()
    for command in (NPM_CI, ["run", "build:probe"]):
        result = subprocess.run(  # noqa: S603 - npm from PATH, fixed arguments
            [shutil.which("npm") or "npm", *command],
            cwd=sdk,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        assert result.returncode == 0, f"npm {command}:\n{result.stdout}{result.stderr}"
    seconds["sdk"] = time.monotonic() - started
    for plugin in example_plugins():
        started = time.monotonic()
        build_plugin(root / plugin)
        seconds[plugin] = time.monotonic() - started
    return seconds


@pytest.fixture(scope="session")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    """One build per test run, whichever xdist workers need it: the first builds in
    the workers' shared temporary directory while the others wait on a lock."""
    require_npm()
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    root = shared / "plugin-builds"
    record = shared / "plugin-builds.json"
    with (shared / "plugin-builds.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.exists():
            shutil.rmtree(root, ignore_errors=True)  # what a failed attempt left
            record.write_text(json.dumps(build_everything(root)))
    return Builds(root)
