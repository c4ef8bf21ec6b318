"""The toolkit as a CumulusCI user expects it: org overlays in cci tasks, typed
options, short log lines, flows that run only their own steps, cci's keychain
with the OS keyring, sf CLI aliases, and use from another project via ``sources:``."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cumulusci.tasks.salesforce.tests.util import create_task

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tasks.totango_sf.cci.org import TotangoDeploy
from tests.support.cci import cci_commands_in_one_process, cci_env, run_cci
from tests.support.cli_json import error_of, result_of
from tests.support.paths import REPO_ROOT
from tests.support.processes import project

TOTANGO_SF = Path(sys.executable).with_name("totango-sf")
RANGES = {"trusted_ip_ranges": {"addresses": ["8.8.8.8"]}}


def secrets_of(emulator) -> set[str]:
    return set(emulator.state.access_tokens) | {emulator.refresh_token}


def totango_sf(args: list[str], env: dict[str, str], cwd: Path):
    return subprocess.run(
        [str(TOTANGO_SF), *args],
        cwd=cwd,
        env=cci_env(cwd, env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    folder.mkdir()
    (folder / "totango.yml").write_text(json.dumps(RANGES))
    return folder


def deploy_in_process(emulator, config: Path) -> None:
    task = create_task(TotangoDeploy, {"config": str(config)}, org_config=emulator.org_config())
    task()
    assert task.return_values["status"] == "deployed"


# -- org overlays -----------------------------------------------------------------


def test_cci_verify_applies_the_org_overlay_like_the_cli(emulator, config_dir, tmp_path):
    config = config_dir / "totango.yml"
    deploy_in_process(emulator, config)
    env = {**emulator.env("emu"), "HOME": str(tmp_path / "home")}
    verify = ["task", "run", "totango_verify", "--org", "emu", "-o", "config", str(config)]
    folder = project(tmp_path)
    in_sync = run_cci(verify, folder, env)
    assert in_sync.returncode == 0, (in_sync.stdout + in_sync.stderr)[-3000:]

    # Drift that only this org's overlay causes. (Not a section height: these runs read
    # the project copy's snapshots, where the in-process deploy left no record, so the
    # section it made is not known as ours there and is left, not compared.)
    (config_dir / "emu.yml").write_text("trusted_ip_ranges:\n  addresses: [8.8.8.8, 9.9.9.9]\n")
    cli = totango_sf(["verify", "--org", "emu", "--config", str(config)], env, folder)
    assert cli.returncode == 3, cli.stderr[-3000:]
    cci = run_cci(verify, folder, env)
    assert cci.returncode != 0, cci.stdout[-3000:]
    assert "drift in" in cci.stdout + cci.stderr
    assert not any(s in cci.stdout + cci.stderr for s in secrets_of(emulator))

    # config_org names another overlay (here one that does not exist: no drift).
    other = run_cci([*verify, "-o", "config_org", "nothing"], folder, env)
    assert other.returncode == 0, (other.stdout + other.stderr)[-3000:]


# -- logging -----------------------------------------------------------------------


def test_deploy_task_logs_short_lines_and_each_status_change(emulator, config_dir, caplog):
    with caplog.at_level(logging.INFO):
        deploy_in_process(emulator, config_dir / "totango.yml")
    ours = [r for r in caplog.records if r.pathname.endswith(os.path.join("cci", "org.py"))]
    lines = [r.getMessage() for r in ours]
    assert all("\n" not in line and not line.lstrip().startswith(("{", "[", '"')) for line in lines)
    assert len(lines) < 60, lines
    statuses = [m.group(1) for line in lines if (m := re.match(r"deploy 0Af\w+: (\w+) \(", line))]
    # Each status change is logged once, in order, ending with the final status.
    assert "Succeeded" in statuses and len(statuses) >= 2, lines
    assert all(a != b for a, b in zip(statuses, statuses[1:], strict=False)), statuses
    assert any(re.search(r"\d+/\d+ components", line) for line in lines)


# -- options -----------------------------------------------------------------------


def test_options_are_typed_and_unknown_options_refused(emulator):
    from cumulusci.core.exceptions import TaskOptionsError

    with pytest.raises(TaskOptionsError, match="timeout"):
        create_task(TotangoDeploy, {"timeout": "-5"}, org_config=emulator.org_config())
    with pytest.raises(TaskOptionsError, match="extra"):
        create_task(TotangoDeploy, {"chek_only": True}, org_config=emulator.org_config())
    task = create_task(TotangoDeploy, {"check_only": "True"}, org_config=emulator.org_config())
    assert task.parsed_options.check_only is True and task.parsed_options.timeout == 1800


def test_cci_task_info_shows_types_and_defaults():
    info = run_cci(["task", "info", "totango_deploy"], REPO_ROOT, timeout=120)
    assert info.returncode == 0, info.stderr
    text = " ".join(info.stdout.split())
    assert re.search(r"--timeout TIMEOUT .*? Default: 1800\. .*?Type: float", text), text
    assert re.search(r"--check_only CHECKONLY .*? Default: false\. .*?Type: bool", text), text
    assert re.search(r"--config CONFIG .*?Type: Path", text), text
    plan = " ".join(run_cci(["task", "info", "totango_plan"], REPO_ROOT).stdout.split())
    assert re.search(r"--format FORMAT .*? Default: mdapi\. .*?Type: mdapi \| source", plan)
    fleet = run_cci(["task", "info", "totango_fleet_deploy"], REPO_ROOT)
    fleet_text = " ".join(fleet.stdout.split())
    assert re.search(r"--orgs ORGS .*? Required Type: list\[str\]", fleet_text), fleet_text
    assert re.search(r"--parallel PARALLEL .*? Default: 4\. .*?Type: int", fleet_text)
    assert "WARNING" not in fleet.stdout + fleet.stderr  # the docs render as clean RST


# -- flows -------------------------------------------------------------------------


def documented_flow_steps() -> dict[str, list[str]]:
    """The flow table of docs/cumulusci.md: flow name -> the tasks it runs, in order."""
    doc = (REPO_ROOT / "docs" / "cumulusci.md").read_text(encoding="utf-8")
    table = doc[doc.index("| flow | steps, in order |") :].split("\n\n", 1)[0]
    flows = {}
    for row in table.splitlines()[2:]:
        name, steps = row.strip("|").split("|", 1)
        flows[name.strip().strip("`")] = re.findall(r"`(totango_\w+)`", steps)
    return flows


def test_each_flow_runs_exactly_the_steps_the_docs_list(tmp_path):
    flows = documented_flow_steps()
    assert {"dev_org", "qa_org", "totango_setup", "totango_release"} <= set(flows)
    shown = cci_commands_in_one_process(
        [["flow", "info", flow] for flow in flows], REPO_ROOT, tmp_path / "home"
    )
    for (flow, steps), (code, info) in zip(flows.items(), shown, strict=True):
        assert code == 0, (flow, info[-2000:])
        tasks_run = [t for t in re.findall(r"task: (\w+)", info) if t != "None"]
        assert tasks_run == steps, (flow, info)
        assert "flow: None" not in info
        inherited = r"(deploy_unmanaged|config_dev|config_qa|snapshot_changes)"
        assert not re.search(inherited, info)


# -- keychain and sf CLI ------------------------------------------------------------


def test_cli_reads_an_org_cci_saved_with_the_os_keyring_key(emulator, tmp_path):
    """No CUMULUSCI_KEY: the key is in the (test) OS keyring, as on a desktop."""
    env = {
        "HOME": str(tmp_path / "home"),
        "PYTHONPATH": str(REPO_ROOT),
        "PYTHON_KEYRING_BACKEND": "tests.support.file_keyring.FileKeyring",
        "TEST_KEYRING_FILE": str(tmp_path / "keyring.json"),
        "REQUESTS_CA_BUNDLE": emulator.ca_bundle,
        "SSL_CERT_FILE": emulator.ca_bundle,
        "ORG": json.dumps(emulator.org_config_dict()),
    }
    base = {k: v for k, v in os.environ.items() if not k.startswith("CUMULUSCI_")}
    full_env = cci_env(REPO_ROOT, {**env})
    full_env = {**base, **{k: v for k, v in full_env.items() if k not in os.environ or k in env}}
    save = (
        "import json, os\n"
        "from cumulusci.cli.runtime import CliRuntime\n"
        "from cumulusci.core.config import OrgConfig\n"
        "keychain = CliRuntime(load_keychain=True).keychain\n"
        "OrgConfig(json.loads(os.environ['ORG']), 'desk', keychain=keychain).save()\n"
    )
    saved = subprocess.run(
        [sys.executable, "-c", save], cwd=REPO_ROOT, env=full_env, capture_output=True, text=True
    )
    assert saved.returncode == 0, saved.stderr
    assert "CUMULUSCI_KEY" in (tmp_path / "keyring.json").read_text()
    org_file = next((tmp_path / "home").rglob("desk.org"))
    assert emulator.instance_url.encode() not in org_file.read_bytes()  # encrypted
    run = subprocess.run(
        [str(TOTANGO_SF), "org-id", "--org", "desk", "--json"],
        cwd=REPO_ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert result_of(run.stdout)["id18"] == emulator.org_id


# The answer of `sf org display --json -o ALIAS`. Salesforce CLI Command Reference,
# "org display": "Output includes your access token, client Id, connected status,
# org ID, instance URL, username, and alias"; `--target-org | -o`: "Username or alias
# of the target org". JSON: {"status": 0, "result": {"id", "accessToken",
# "instanceUrl", "username", ...}}.
FAKE_SF = """#!{python}
import json, os, sys
args = sys.argv[1:]
target = args[args.index("-o") + 1] if "-o" in args else None
if args[:2] == ["org", "display"] and target in (os.environ["SF_ALIAS"], os.environ["SF_USER"]):
    print(json.dumps({{"status": 0, "result": json.loads(os.environ["SF_ORG"])}}))
    sys.exit(0)
print(json.dumps({{"status": 1, "name": "NamedOrgNotFoundError",
                   "message": "No authorization information found for " + str(target)}}))
sys.exit(1)
"""


def test_org_option_takes_an_sf_cli_alias_or_username(emulator, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    sf = bin_dir / "sf"
    sf.write_text(FAKE_SF.format(python=sys.executable))
    sf.chmod(0o755)
    env = {
        **emulator.env("unused"),
        "HOME": str(tmp_path / "home"),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "SF_ALIAS": "my-sandbox",
        "SF_USER": emulator.username,
        "SF_ORG": json.dumps(
            {
                "id": emulator.org_id,
                "accessToken": emulator.access_token,
                "instanceUrl": emulator.instance_url,
                "username": emulator.username,
            }
        ),
    }
    for name in ("my-sandbox", emulator.username):
        run = totango_sf(["org-id", "--org", name, "--json"], env, project(tmp_path))
        assert run.returncode == 0, run.stdout + run.stderr
        assert result_of(run.stdout)["id18"] == emulator.org_id
        assert not any(s in run.stdout + run.stderr for s in secrets_of(emulator))
    unknown = totango_sf(["org-id", "--org", "nobody", "--json"], env, project(tmp_path))
    assert unknown.returncode == 4
    assert "sf org login" in error_of(unknown.stdout)["message"]


# -- sources: ----------------------------------------------------------------------

TEAM_TASK = '''"""A team's own task, beside the Totango source's."""

from cumulusci.core.tasks import BaseTask


class Hello(BaseTask):
    def _run_task(self):
        self.logger.info("team task ran")
'''


def consuming_project(tmp_path: Path) -> Path:
    folder = tmp_path / "team-project"
    (folder / "tasks").mkdir(parents=True)
    (folder / "tasks" / "__init__.py").write_text("")
    (folder / "tasks" / "team.py").write_text(TEAM_TASK)
    (folder / "orgconfig").mkdir()
    (folder / "orgconfig" / "totango.yml").write_text(json.dumps(RANGES))
    (folder / "orgconfig" / "emu.yml").write_text("widget:\n  height: 300\n")
    project = {
        "project": {"name": "team-project", "package": {"api_version": "63.0"}},
        "sources": {"totango": {"path": str(REPO_ROOT), "allow_remote_code": True}},
        "tasks": {"team_hello": {"class_path": "tasks.team.Hello"}},
        "flows": {
            "team_release": {
                "steps": {1: {"task": "team_hello"}, 2: {"flow": "totango:totango_setup"}}
            }
        },
    }
    (folder / "cumulusci.yml").write_text(json.dumps(project))
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    return folder


def test_a_team_project_runs_the_setup_through_sources(emulator, tmp_path):
    folder = consuming_project(tmp_path)
    ours = REPO_ROOT / ".totango" / "snapshots" / "emu"
    before = sorted(ours.iterdir()) if ours.exists() else []
    env = {**emulator.env("emu"), "HOME": str(tmp_path / "home")}
    run = run_cci(["flow", "run", "team_release", "--org", "emu"], folder, env)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    assert "team task ran" in output and "in sync" in output
    # The team's orgconfig/totango.yml and its emu overlay were used, not this project's.
    layout = emulator.state.metadata_xml("Layout", "Account-Account Layout")
    assert b"<height>300</height>" in layout
    assert list((folder / ".totango" / "snapshots" / "emu").iterdir())
    assert (sorted(ours.iterdir()) if ours.exists() else []) == before
    assert not any(s in output for s in secrets_of(emulator))

    again = run_cci(["flow", "run", "totango:totango_setup", "--org", "emu"], folder, env)
    assert again.returncode == 0, (again.stdout + again.stderr)[-4000:]
    assert "no change" in (again.stdout + again.stderr).lower() or "in sync" in again.stdout
