"""A non-editable install (a built wheel) carries every stage and the templates, and plans."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support.cli_json import result_of
from tests.support.paths import REPO_ROOT

PACKAGE = REPO_ROOT / "tasks" / "totango_sf"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Build from a copy: setuptools writes build/ next to pyproject.toml, and the
    # project's build/ is where `plan` writes its package.
    source = tmp_path_factory.mktemp("source")
    shutil.copy(REPO_ROOT / "pyproject.toml", source)
    shutil.copy(REPO_ROOT / "README.md", source)
    shutil.copytree(
        REPO_ROOT / "tasks", source / "tasks", ignore=shutil.ignore_patterns("__pycache__")
    )
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    (built,) = out.glob("*.whl")
    return built


def test_wheel_holds_every_module_and_template(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        p.relative_to(REPO_ROOT).as_posix()
        for p in PACKAGE.rglob("*")
        if p.is_file() and p.suffix in {".py", ".j2"} and "__pycache__" not in p.parts
    }
    assert expected - names == set()


def test_installed_wheel_plans_outside_the_checkout(wheel: Path, tmp_path: Path):
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    code = (
        "import sys, tasks.totango_sf.render.files as files\n"
        "print(files.TEMPLATES_DIR, file=sys.stderr)\n"
        "from tasks.totango_sf.cli.app import main\n"
        "sys.argv = ['totango-sf', 'plan', '--config', '/dev/null', '--out', 'out', '--json']\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert str(target) in result.stderr  # the templates came from the install, not the checkout
    assert result_of(result.stdout)["components"]
    assert (tmp_path / "out" / "package" / "package.xml").exists()
