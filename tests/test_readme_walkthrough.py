"""The README's emulator walk-through runs as written (paths moved under tmp)."""

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT

BLOCK = re.compile(r"<!-- walkthrough:start -->\s*```sh\n(.*?)```\s*<!-- walkthrough:end -->", re.S)


def test_readme_walkthrough_deploys_verifies_and_rolls_back(tmp_path: Path):
    script = BLOCK.search((REPO_ROOT / "README.md").read_text(encoding="utf-8")).group(1)
    script = script.replace("/tmp/totango-emu", str(tmp_path / "emu"))
    # The README says .venv/bin/; run with whichever environment runs the tests.
    script = script.replace(".venv/bin/", f"{Path(sys.executable).parent}/")
    env = {**os.environ, "HOME": str(tmp_path / "home"), "COLUMNS": "120"}
    env.pop("REQUESTS_CA_BUNDLE", None)
    run = subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    assert "in sync" in run.stdout
    assert "rolled back the deploy of snapshot" in run.stdout
    assert "drift after rollback, as expected (exit 3)" in run.stdout
    token = (tmp_path / "emu" / "info.json").read_text()
    access = re.search(r'"access_token": "([^"]+)"', token).group(1)
    assert access not in run.stdout + run.stderr
