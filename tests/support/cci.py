"""Run the ``cci`` of the test environment as a user would, in a given project."""

from __future__ import annotations

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
