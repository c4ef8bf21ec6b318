"""Run the ``cci`` of the test environment as a user would, in a given project."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

CCI = Path(sys.executable).parent / "cci"


def cci_env(project: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, "COLUMNS": "160", **(extra or {})}
    if not (project / ".git").is_dir():
        # A git worktree's .git is a file, which CumulusCI does not take for a
        # repository; its CUMULUSCI_REPO_ROOT override names the root instead.
        env.update(CUMULUSCI_AUTO_DETECT="1", CUMULUSCI_REPO_ROOT=str(project))
    return env


def run_cci(
    args: list[str],
    project: Path,
    extra_env: Mapping[str, str] | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    if not CCI.exists():
        pytest.fail("cci is not installed in the test environment; run ./dev test to set it up")
    return subprocess.run(
        [str(CCI), *args],
        cwd=project,
        env=cci_env(project, extra_env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# cci's own click commands, run one after the other in one process: each cci process
# costs about 2 s of CPU in CumulusCI's start-up, which many read-only commands repeat.
_CCI_COMMANDS = """
import json, sys
from click.testing import CliRunner
from cumulusci.cli.cci import cli
from cumulusci.cli.runtime import CliRuntime
runtime = CliRuntime(load_keychain=False)  # as cci's main builds it
shown = []
for args in json.loads(sys.argv[1]):
    result = CliRunner().invoke(cli, args, obj=runtime)
    shown.append([result.exit_code, result.output])
print(json.dumps(shown))
"""


def cci_commands_in_one_process(
    commands: list[list[str]], project: Path, home: Path
) -> list[tuple[int, str]]:
    """(exit code, output) of each ``cci ARGS`` in ``commands``, run by cci's command line
    in one process, in ``project``. For commands that read; one that fails raises nothing
    here, its exit code says so."""
    done = subprocess.run(
        [sys.executable, "-c", _CCI_COMMANDS, json.dumps(commands)],
        cwd=project,
        env=cci_env(project, {"HOME": str(home)}),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return [(code, output) for code, output in json.loads(done.stdout.strip().splitlines()[-1])]


TOTANGO_SF = Path(sys.executable).parent / "totango-sf"


def run_totango_sf(
    args: list[str],
    project: Path,
    emulator,
    home: Path,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """``totango-sf ARGS`` in ``project``, with ``emulator`` as the org ``emu``."""
    return subprocess.run(
        [str(TOTANGO_SF), *args],
        cwd=project,
        env=cci_env(project, {**emulator.env("emu"), "HOME": str(home)}),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_task(task_class: Any, emulator: Any, **options: Any) -> Any:
    """A CumulusCI task of ours run in-process against ``emulator``, as cci runs it."""
    from cumulusci.tasks.salesforce.tests.util import create_task

    task = create_task(task_class, options, org_config=emulator.org_config())
    task()
    return task
