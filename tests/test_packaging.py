"""`pip install .` into a fresh virtualenv gives a working `emdash` anywhere."""

import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath

import httpx
import pytest

REPO = Path(__file__).resolve().parents[1]
# The top-level folders and the packages they are installed as.
SHIPPED_FOLDERS = {
    "themes": "emdash_themes",
    "plugins": "emdash_plugins",
    "skills": "emdash_skills",
    "importers": "emdash_importers",
}
PLUGIN_BUNDLE_SUFFIXES = {".json", ".wasm", ".md", ".png", ".svg"}
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]

pytestmark = pytest.mark.packaging


@dataclass(frozen=True)
class Installed:
    sources: list[PurePosixPath]
    wheel: Path
    venv: Path
    site_packages: Path


def run(
    *args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None
) -> str:
    result = subprocess.run(  # noqa: S603 - our own interpreters and arguments
        [str(arg) for arg in args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def source_files() -> list[PurePosixPath]:
    """The working tree's files that git would commit (tracked or new, not ignored)."""
    listed = run(
        "git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", cwd=REPO
    )
    paths = (PurePosixPath(name) for name in listed.split("\0") if name)
    # A tracked file deleted in the working tree is still listed.
    return sorted(path for path in paths if (REPO / path).is_file())


def outside_env(data_dir: Path) -> dict[str, str]:
    """The environment of a user's shell: nothing of this test run's configuration."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("EMDASH_", "DJANGO_", "DATABASE_URL", "PYTHON", "VIRTUAL_ENV")
        )
    }
    env["EMDASH_DATA_DIR"] = str(data_dir)
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Server:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def wait_until_ok(self) -> None:
        """Wait up to 60 s for a 200 on ``/``, failing early if the server exits."""
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"it exited:\n{self.log.read_text()}"
            try:
                status = httpx.get(self.url, timeout=5).status_code
            except httpx.TransportError:
                status = None
            if status == 200:
                return
            time.sleep(0.25)
        pytest.fail(
            f"{self.url} gave no 200 in 60 s ({status}):\n{self.log.read_text()}"
        )


@contextmanager
def serving(emdash: Path, *, cwd: Path, env: dict[str, str]) -> Iterator[Server]:
    """Run `emdash serve` on a free port; stop it and every worker it forked after."""
    port = free_port()
    log = cwd / f"serve-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - an emdash script we installed
            [str(emdash), "serve", "--port", str(port)],
            cwd=cwd,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield Server(process, f"http://127.0.0.1:{port}/", log)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def build_and_install(root: Path) -> Installed:
    # Build from a copy of what git would commit: an in-tree build keeps build/ between
    # runs, and files left there would land in the wheel.
    source = root / "source"
    copied = []
    for path in source_files():
        try:
            content = (REPO / path).read_bytes()
        except FileNotFoundError:  # an editor's temporary file, gone since listed
            continue
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        (source / path).write_bytes(content)
        copied.append(path)
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", root / "dist", source)
    (wheel,) = (root / "dist").glob("emdash-*.whl")

    venv = root / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    run(
        sys.executable, "-m", "pip", "--python", python, "install", "--quiet",
        "-c", REPO / "constraints.txt", wheel,
    )  # fmt: skip
    purelib = run(
        python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"
    )
    return Installed(copied, wheel, venv, Path(purelib.strip()))


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """One build and install per test run, whichever xdist workers need it: their
    temporary directories share a parent, where the first one builds while the
    others wait on a lock, then reuse what it recorded."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    record = shared / "packaging.json"
    with (shared / "packaging.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.exists():
            root = shared / "packaging"
            shutil.rmtree(root, ignore_errors=True)  # what a failed attempt left
            built = build_and_install(root)
            record.write_text(json.dumps(asdict(built), default=str))
    saved = json.loads(record.read_text())
    sources = [PurePosixPath(path) for path in saved.pop("sources")]
    return Installed(sources, **{name: Path(path) for name, path in saved.items()})


def wheel_names(installed: Installed) -> set[str]:
    with zipfile.ZipFile(installed.wheel) as wheel:
        return set(wheel.namelist())


def must_ship(path: PurePosixPath) -> str | None:
    """Where a source file belongs in the wheel, or None when it stays in the repo."""
    top, *_ = path.parts
    if top == "emdash":
        in_data_folder = not {"templates", "static"}.isdisjoint(path.parts)
        return str(path) if in_data_folder or path.suffix in {".py", ".json"} else None
    if top not in SHIPPED_FOLDERS:
        return None
    inside = PurePosixPath(SHIPPED_FOLDERS[top], *path.parts[1:])
    if top in {"themes", "skills"}:
        return str(inside)
    if top == "plugins" and path.suffix in PLUGIN_BUNDLE_SUFFIXES:
        return str(inside)
    return str(inside) if path.suffix == ".py" else None


def test_the_wheel_holds_only_prefixed_top_level_names(installed: Installed) -> None:
    top_level = {name.split("/")[0] for name in wheel_names(installed)}

    assert top_level == {
        "emdash",
        "emdash_themes",
        "emdash_plugins",
        "emdash_skills",
        "emdash_importers",
        f"emdash-{VERSION}.dist-info",
    }


def test_the_wheel_ships_every_module_and_data_file(installed: Installed) -> None:
    expected = {must_ship(path) for path in installed.sources} - {None}
    shipped = wheel_names(installed)

    assert "emdash/settings.py" in expected
    assert "emdash_themes/__init__.py" in expected
    assert sorted(expected - shipped) == []


def test_the_installed_packages_resolve_in_site_packages(
    installed: Installed, tmp_path: Path
) -> None:
    probe = (
        "import json, emdash, emdash_importers\n"
        "from pathlib import Path\n"
        "from emdash.paths import plugins_dir, skills_dir, themes_dir\n"
        "print(json.dumps({'emdash': str(Path(emdash.__file__).parent),\n"
        "    'importers': str(Path(emdash_importers.__file__).parent),\n"
        "    'themes': str(themes_dir()), 'plugins': str(plugins_dir()),\n"
        "    'skills': str(skills_dir())}))\n"
    )
    python = installed.venv / "bin" / "python"
    found = json.loads(
        run(python, "-c", probe, cwd=tmp_path, env=outside_env(tmp_path))
    )
    site = installed.site_packages

    assert found == {
        "emdash": str(site / "emdash"),
        "importers": str(site / "emdash_importers"),
        "themes": str(site / "emdash_themes"),
        "plugins": str(site / "emdash_plugins"),
        "skills": str(site / "emdash_skills"),
    }
    assert sorted(name for name in SHIPPED_FOLDERS if (site / name).exists()) == []
    script = installed.venv / "bin" / "emdash"
    assert "from emdash.cli import main" in script.read_text()


def test_every_installed_distribution_is_pinned(installed: Installed) -> None:
    python = installed.venv / "bin" / "python"
    frozen = run(
        sys.executable, "-m", "pip", "--python", python, "freeze", "--exclude", "emdash"
    )
    pins = (REPO / "constraints.txt").read_text().splitlines()

    unpinned = sorted(set(frozen.splitlines()) - set(pins))
    assert unpinned == [], "a dependency changed: run `make constraints`"


def test_the_installed_emdash_serves_the_site_from_another_directory(
    installed: Installed, tmp_path: Path
) -> None:
    emdash = installed.venv / "bin" / "emdash"
    env = outside_env(tmp_path / "data")

    with serving(emdash, cwd=tmp_path, env=env) as server:
        server.wait_until_ok()

    assert (tmp_path / "data" / "emdash.sqlite3").is_file()
