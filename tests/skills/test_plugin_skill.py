"""The emdash-plugins skill's example plugin builds and works as the skill says.

The plugin is the skill's fenced blocks marked with a file name (```json
file=plugins/tidy-titles/manifest.json). The walkthrough is its ```bash blocks,
every line run as it stands, and its ```console blocks, whose ``$ `` lines run and
must print exactly the lines below them (exit status 1 when they show an error).
Both run in document order, in a new folder holding the plugin files and a copy of
the AssemblyScript SDK, on a new local site: npm installs the compiler, `emdash
plugin build` compiles the plugin, it installs with its grant, and saving entries
shows its hooks at work. (```text blocks hold fragments and what cannot run here.)
Building needs npm on PATH: without it the walkthrough skips, and fails under
EMDASH_REQUIRE_SERVICES=1, as the example builds do.
"""

import json
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from emdash.cli import app
from emdash.paths import skills_dir
from emdash.plugins.capabilities import CAPABILITIES, HOOKS, HOST_FUNCTIONS
from emdash.plugins.manifest import SETTING_TYPES, parse_manifest
from tests.plugins.toolchain import copy_sdk, require_npm

SKILL = skills_dir() / "emdash-plugins" / "SKILL.md"
# A fenced block: its language, the file it holds (if marked), its text.
FENCE = re.compile(r"^```(\w*)(?: file=(\S+))?\n(.*?)^```$", re.MULTILINE | re.DOTALL)
PLUGIN = "plugins/tidy-titles"
# npm fetches the compiler on a cold cache.
NPM_TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class Step:
    """A command of the walkthrough, and the exact output a ```console block shows
    for it (None for ```bash lines, which only have to succeed)."""

    command: str
    output: str | None = None


def fences() -> list[tuple[str, str, str]]:
    return FENCE.findall(SKILL.read_text(encoding="utf-8"))


def example_files() -> dict[str, str]:
    return {path: text for _, path, text in fences() if path}


def walkthrough() -> list[Step]:
    steps: list[Step] = []
    for language, path, text in fences():
        if path:
            continue
        if language == "bash":
            steps += [Step(line) for line in text.splitlines() if line.strip()]
        elif language == "console":
            for shown in re.split(r"^\$ ", text, flags=re.MULTILINE)[1:]:
                command, _, output = shown.partition("\n")
                steps.append(Step(command, output))
    return steps


def emdash(command: str) -> Any:
    return CliRunner().invoke(app, shlex.split(command)[1:])


def run(step: Step, folder: Path) -> None:
    if not step.command.startswith("emdash "):
        done = subprocess.run(  # noqa: S603 - a command of our own skill
            [shutil.which("bash") or "bash", "-c", step.command],
            cwd=folder,
            capture_output=True,
            text=True,
            check=False,
            timeout=NPM_TIMEOUT_SECONDS,
        )
        assert done.returncode == 0, f"{step.command}\n{done.stdout}{done.stderr}"
        return
    result = emdash(step.command)
    if step.output is None:
        assert result.exit_code == 0, f"{step.command}\n{result.output}"
        if "--json" in step.command:
            json.loads(result.stdout)
        return
    expected_exit = 1 if "\nerror: " in f"\n{step.output}" else 0
    assert (result.exit_code, result.output) == (expected_exit, step.output), (
        f"{step.command}\n{result.output}"
    )


def ok_json(command: str) -> Any:
    result = emdash(command)
    assert result.exit_code == 0, f"{command}\n{result.output}"
    return json.loads(result.stdout)


def test_the_example_is_one_plugin_with_a_valid_manifest() -> None:
    files = example_files()

    assert set(files) == {
        f"{PLUGIN}/manifest.json",
        f"{PLUGIN}/src/package.json",
        f"{PLUGIN}/src/assembly/index.ts",
    }
    manifest = parse_manifest(json.loads(files[f"{PLUGIN}/manifest.json"]))
    assert (manifest.id, manifest.capabilities) == ("tidy-titles", ("content:read",))
    assert list(manifest.hooks) == ["content:beforeSave", "cron"]


def test_the_walkthrough_runs_only_emdash_and_npm() -> None:
    commands = [step.command for step in walkthrough()]

    assert commands[0] == f"(cd {PLUGIN}/src && npm install)"
    assert all(command.startswith("emdash ") for command in commands[1:])


def test_the_reference_names_every_capability_host_function_hook_and_setting_type() -> (
    None
):
    text = SKILL.read_text(encoding="utf-8")
    names = [*CAPABILITIES, *HOST_FUNCTIONS, *HOOKS, *SETTING_TYPES]

    assert [name for name in names if f"`{name}`" not in text] == []


@pytest.mark.django_db
def test_the_example_plugin_builds_installs_and_changes_what_saving_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_npm()
    copy_sdk(tmp_path / "plugins")
    for path, text in example_files().items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    for step in walkthrough():
        run(step, tmp_path)

    assert (tmp_path / PLUGIN / "src" / "package-lock.json").is_file()
    validation = ok_json(f"emdash plugin validate {PLUGIN} --json")
    assert sorted(validation["imports"]) == ["emdash.content_list", "emdash.log"]
    assert ok_json("emdash plugin list --json") == [
        {
            "id": "tidy-titles",
            "version": "1.0.0",
            "enabled": True,
            "capabilities": ["content:read"],
        }
    ]
    # The title was tidied before the save, and the banned one never written.
    entries = ok_json("emdash content list posts --all --json")["items"]
    assert [(entry["slug"], entry["data"]) for entry in entries] == [
        ("hello", {"title": "Hello world"})
    ]
    # Newest first; the install's and the update's own records name no hook.
    logs = ok_json("emdash plugin logs tidy-titles --json")
    assert [(r["level"], r["hook"], r["message"]) for r in logs if r["hook"]] == [
        ("info", "cron", "Drafts waiting in posts: 1."),
        (
            "warning",
            "content:beforeSave",
            'rejected content:beforeSave: Titles may not contain "lorem ipsum". '
            "(TITLE_BANNED)",
        ),
    ]
