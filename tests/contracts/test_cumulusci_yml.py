"""cumulusci.yml as CumulusCI reads it: ``cci task info`` documents every task it declares,
with its class and options, and the release flow's options are the keys they look like."""

from __future__ import annotations

import yaml

from tests.support.cci import cci_commands_in_one_process
from tests.support.paths import REPO_ROOT


def test_cci_task_info_documents_each_task(tmp_path):
    project = yaml.safe_load((REPO_ROOT / "cumulusci.yml").read_text(encoding="utf-8"))
    names = sorted(project["tasks"])
    # cci's own `task info` command for each task, in one process (tests/e2e/test_cci_way.py
    # runs `cci task info` as processes of their own too).
    shown = cci_commands_in_one_process(
        [["task", "info", name] for name in names], REPO_ROOT, tmp_path / "home"
    )
    results = dict(zip(names, shown, strict=True))
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
