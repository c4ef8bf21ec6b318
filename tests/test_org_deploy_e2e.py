"""``totango-sf deploy`` run as a separate process against a running emulator."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.org_emulator.fixtures import *  # noqa: F403 - fixtures until conftest loads the plugin

ROOT = Path(__file__).resolve().parents[1]
TOTANGO_SF = Path(sys.executable).with_name("totango-sf")
# Until tasks/cli.py calls register(app), run the same app with the org commands added.
# (Read from the source: another test module may have registered them in this process.)
REGISTERED = "register(app)" in (ROOT / "tasks" / "cli.py").read_text(encoding="utf-8")
WRAPPER = "from tasks.cli import app; from tasks.cli_org import register; register(app); app()"


def command(*args: str) -> list[str]:
    if REGISTERED:
        return [str(TOTANGO_SF), *args]
    return [sys.executable, "-c", WRAPPER, *args]


def project(tmp_path: Path) -> Path:
    """A copy of the CumulusCI project, so snapshots land under tmp."""
    folder = tmp_path / "project"
    folder.mkdir()
    shutil.copy(ROOT / "cumulusci.yml", folder / "cumulusci.yml")
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    (folder / "totango.yml").write_text(
        json.dumps({"trusted_ip_ranges": {"addresses": ["8.8.8.8"]}})
    )
    return folder


def test_totango_sf_deploy_in_a_subprocess(emulator, tmp_path):
    folder = project(tmp_path)
    env = {
        **os.environ,
        **emulator.env("emu"),
        "HOME": str(tmp_path / "home"),
        "PYTHONPATH": str(ROOT),
    }
    run = subprocess.run(
        command("deploy", "--org", "emu", "--config", "totango.yml", "--json"),
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    doc = json.loads(run.stdout)
    assert doc["status"] == "deployed" and doc["verify"]["in_sync"]
    snapshots = list((folder / ".totango" / "snapshots" / "emu").iterdir())
    assert len(snapshots) == 1
    secrets = set(emulator.state.access_tokens) | {emulator.refresh_token}
    texts = [run.stdout, run.stderr] + [
        p.read_text() for p in snapshots[0].rglob("*") if p.is_file()
    ]
    assert not any(s in t for s in secrets for t in texts)

    verify = subprocess.run(
        command("verify", "--org", "emu", "--config", "totango.yml"),
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert verify.returncode == 0, verify.stderr[-3000:]
