"""cumulusci.yml as CumulusCI reads it: ``cci task info`` documents every task it declares,
with its class and options, and the release flow's options are the keys they look like."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor

import yaml

from tests.support.cci import run_cci
from tests.support.paths import REPO_ROOT


def test_cci_task_info_documents_each_task(tmp_path):
    project = yaml.safe_load((REPO_ROOT / "cumulusci.yml").read_text(encoding="utf-8"))
    names = sorted(project["tasks"])

    def task_info(name: str) -> subprocess.CompletedProcess[str]:
        # Each process has its own home: at exit, cci rolls ~/.cumulusci/logs/cci.log
        # over with a RotatingFileHandler, and processes that share a home race on
        # those renames (FileNotFoundError 'cci.log.3' -> 'cci.log.4', seen in CI).
        home = tmp_path / name
        home.mkdir()
        return run_cci(
            ["task", "info", name], REPO_ROOT, extra_env={"HOME": str(home)}, timeout=120
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(zip(names, pool.map(task_info, names), strict=True))
    for name, result in results.items():
        assert result.returncode == 0, (name, result.stderr)
        assert f"Class: {project['tasks'][name]['class_path']}" in result.stdout, name
    for name in ("totango_plan", "totango_apply_source", "totango_validate"):
        assert "Options" in results[name].stdout


def test_cumulusci_yml_release_step_gets_yes_as_a_key():
    """YAML 1.1 reads a bare ``yes`` as true: the key must be the string "yes"."""
    flows = yaml.safe_load((REPO_ROOT / "cumulusci.yml").read_text())["flows"]
    options = flows["totango_release"]["steps"][2]["options"]
    assert options.get("yes") is True
    assert True not in options
    tasks = yaml.safe_load((REPO_ROOT / "cumulusci.yml").read_text())["tasks"]
    assert tasks["totango_deploy_check_only"]["options"]["test_level"] == "RunLocalTests"
