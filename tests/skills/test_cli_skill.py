"""The emdash-cli skill's examples run as written: every command in its ```bash
blocks, in order, on a new local site, must succeed. (```text blocks hold what
cannot run here: `emdash serve`, which serves until stopped, remote sites, ids
that differ on every run, and failures shown on purpose.)"""

import json
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from emdash.cli import app
from emdash.paths import skills_dir

SKILL = skills_dir() / "emdash-cli" / "SKILL.md"
BASH_BLOCK = re.compile(r"^```bash\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def examples() -> list[list[str]]:
    """Each command of the ```bash blocks, split as a shell would split it."""
    commands = []
    for block in BASH_BLOCK.findall(SKILL.read_text(encoding="utf-8")):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                commands.append(shlex.split(line, comments=True))
    return commands


def test_the_skill_has_examples_of_every_command_group() -> None:
    used = {tuple(command[1:2]) for command in examples()}

    assert all(command[0] == "emdash" for command in examples())
    assert {("content",), ("schema",), ("taxonomy",), ("menu",), ("token",),
            ("search",), ("export",), ("import-json",), ("publish-due",),
            ("migrate",)} <= used  # fmt: skip


@pytest.mark.django_db
def test_every_example_runs_on_a_new_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Files the examples write (an export) land here.
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    for command in examples():
        result = runner.invoke(app, command[1:])

        assert result.exit_code == 0, f"{shlex.join(command)}\n{result.output}"
        if "--json" in command:
            json.loads(result.stdout)
