"""cumulusci.yml as CumulusCI reads it: ``cci task info`` documents every task it declares,
with its class and options, and the release flow's options are the keys they look like."""

from __future__ import annotations

import json
import subprocess
import sys

import yaml

from tests.support.cci import cci_env
from tests.support.paths import REPO_ROOT

# Every task's `cci task info`, through cci's own click command, in one process: a cci
# process apiece cost about 2 s of CPU each (CumulusCI's start-up), 17 times over.
# tests/e2e/test_cci_way.py runs `cci task info` itself, as a separate process, too.
TASK_INFO_OF_EACH = """
import json, sys
from click.testing import CliRunner
from cumulusci.cli.cci import cli
from cumulusci.cli.runtime import CliRuntime
runtime = CliRuntime(load_keychain=False)  # as cci's main builds it
shown = {}
for name in json.loads(sys.argv[1]):
    result = CliRunner().invoke(cli, ["task", "info", name], obj=runtime)
    shown[name] = [result.exit_code, result.output]
print(json.dumps(shown))
"""


def test_cci_task_info_documents_each_task(tmp_path):
    project = yaml.safe_load((REPO_ROOT / "cumulusci.yml").read_text(encoding="utf-8"))
    names = sorted(project["tasks"])
    done = subprocess.run(
        [sys.executable, "-c", TASK_INFO_OF_EACH, json.dumps(names)],
        cwd=REPO_ROOT,
        env=cci_env(REPO_ROOT, {"HOME": str(tmp_path / "home")}),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert sorted(results) == names
    for name, (code, output) in results.items():
        assert code == 0, (name, output[-2000:])
        assert f"Class: {project['tasks'][name]['class_path']}" in output, name
    for name in ("totango_plan", "totango_apply_source", "totango_validate"):
        assert "Options" in results[name][1]


def test_cumulusci_yml_release_step_gets_yes_as_a_key():
    """YAML 1.1 reads a bare ``yes`` as true: the key must be the string "yes"."""
    flows = yaml.safe_load((REPO_ROOT / "cumulusci.yml").read_text())["flows"]
    options = flows["totango_release"]["steps"][2]["options"]
    assert options.get("yes") is True
    assert True not in options
    tasks = yaml.safe_load((REPO_ROOT / "cumulusci.yml").read_text())["tasks"]
    assert tasks["totango_deploy_check_only"]["options"]["test_level"] == "RunLocalTests"
