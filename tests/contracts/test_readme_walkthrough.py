"""The README's emulator walk-through runs as written (paths moved under tmp).

It runs twice with the same home folder (CumulusCI's saved ``.org`` files from the
first run must not shadow the new emulator's ``CUMULUSCI_ORG_emu``), and it stops
at the first failing command without claiming an expected outcome.
"""

import re
import subprocess
import sys
from pathlib import Path

from tests.support.cci import cci_env
from tests.support.checkout import checkout_stand_in
from tests.support.paths import REPO_ROOT

BLOCK = re.compile(r"<!-- walkthrough:start -->\s*```sh\n(.*?)```\s*<!-- walkthrough:end -->", re.S)
FINAL_VERIFY = ".venv/bin/totango-sf verify --org emu --config /tmp/totango-emu/totango.yml ||"
PLAN = ".venv/bin/totango-sf plan --org emu"


def walkthrough() -> str:
    return BLOCK.search((REPO_ROOT / "README.md").read_text(encoding="utf-8")).group(1)


def run_script(script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    script = script.replace("/tmp/totango-emu", str(tmp_path / "emu"))
    # The README says .venv/bin/; run with whichever environment runs the tests.
    script = script.replace(".venv/bin/", f"{Path(sys.executable).parent}/")
    root = checkout_stand_in(tmp_path)
    env = cci_env(root, {"HOME": str(tmp_path / "home"), "COLUMNS": "120"})
    for name in [n for n in env if n.startswith("CUMULUSCI_ORG_")]:
        env.pop(name)
    env.pop("REQUESTS_CA_BUNDLE", None)
    env.pop("CUMULUSCI_KEY", None)
    # Plain bash: the block must stop on its own, without bash -e from outside.
    return subprocess.run(
        ["bash", "-c", script],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


SAVE_ORG_AS_CCI_DOES = (
    "import json, os\n"
    "from cumulusci.cli.runtime import CliRuntime\n"
    "from cumulusci.core.config import OrgConfig\n"
    "keychain = CliRuntime(load_keychain=True).keychain\n"
    "config = json.loads(os.environ['CUMULUSCI_ORG_emu'])\n"
    "OrgConfig(config, 'emu', keychain=keychain).save()\n"
)


def save_org_file(tmp_path: Path) -> None:
    """What ``cci org info emu`` (or any cci command that refreshes) leaves behind."""
    root = checkout_stand_in(tmp_path)
    env = cci_env(root, {"HOME": str(tmp_path / "home"), "CODE": SAVE_ORG_AS_CCI_DOES})
    env_sh = tmp_path / "emu" / "env.sh"
    subprocess.run(
        ["bash", "-c", f'source "{env_sh}" && "{sys.executable}" -c "$CODE"'],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )


def test_readme_walkthrough_deploys_verifies_and_rolls_back_twice(tmp_path: Path):
    for attempt in (1, 2):
        if attempt == 2:
            save_org_file(tmp_path)
            assert list((tmp_path / "home").rglob("emu.org"))
        run = run_script(walkthrough(), tmp_path)
        assert run.returncode == 0, (attempt, (run.stdout + run.stderr)[-4000:])
        assert "in sync" in run.stdout
        assert "rolled back the deploy of snapshot" in run.stdout
        assert "drift after rollback, as expected (exit 3)" in run.stdout
        token = (tmp_path / "emu" / "info.json").read_text()
        access = re.search(r'"access_token": "([^"]+)"', token).group(1)
        assert access not in run.stdout + run.stderr


def test_readme_walkthrough_stops_at_the_first_failing_command(tmp_path: Path):
    script = walkthrough()
    assert PLAN in script
    # The org becomes unreachable before the first org command.
    broken = script.replace(PLAN, f"kill $EMULATOR_PID; sleep 0.5\n{PLAN}", 1)
    run = run_script(broken, tmp_path)
    assert run.returncode == 4, (run.stdout + run.stderr)[-4000:]
    assert "in sync" not in run.stdout
    assert "as expected" not in run.stdout


def test_readme_walkthrough_does_not_call_an_unreachable_org_expected_drift(tmp_path: Path):
    script = walkthrough()
    assert FINAL_VERIFY in script
    broken = script.replace(FINAL_VERIFY, f"kill $EMULATOR_PID; sleep 0.5\n{FINAL_VERIFY}", 1)
    run = run_script(broken, tmp_path)
    assert run.returncode != 0
    assert "as expected" not in run.stdout
    assert "exited 4; expected 3" in run.stderr, (run.stdout + run.stderr)[-4000:]
