"""The emulator run by hand, and ``cci`` pointed at it through CUMULUSCI_ORG_<name>."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import requests

from tests.org_emulator.emulator import OrgEmulator
from tests.support.files import mode
from tests.support.paths import REPO_ROOT

CCI = Path(sys.executable).with_name("cci")


def cci_project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    (project / "cumulusci.yml").write_text(
        'project:\n    name: EmulatorProbe\n    package:\n        api_version: "63.0"\n'
    )
    return project


def test_cci_org_info_against_running_emulator(emulator, tmp_path):
    env = {**os.environ, **emulator.env("emu"), "HOME": str(tmp_path / "home")}
    result = subprocess.run(
        [str(CCI), "org", "info", "emu", "--json"],
        cwd=cci_project(tmp_path),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    info = json.loads(result.stdout[result.stdout.index("{") :])
    assert info["org_id"] == emulator.org_id
    assert info["org_type"] == "Enterprise Edition" and info["is_sandbox"] is True
    assert {"token", "userinfo", "versions", "sobject_get"} <= set(emulator.history.kinds())


def test_command_line_prints_one_json_line_and_keeps_state(tmp_path):
    folder = tmp_path / "state"

    def run_once() -> dict:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.org_emulator", "--port", "0", "--state", str(folder)],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            info = json.loads(process.stdout.readline())
            headers = {"Authorization": f"Bearer {info['access_token']}"}
            response = requests.post(
                f"{info['instance_url']}/services/data/v63.0/sobjects/Account",
                json={"Name": "Kept"},
                headers=headers,
                verify=info["ca_bundle"],
                timeout=10,
            )
            assert response.status_code == 201
            return info
        finally:
            process.terminate()
            process.wait(timeout=10)

    first, second = run_once(), run_once()
    assert set(first) == {
        "instance_url", "access_token", "refresh_token", "org_id", "username", "ca_bundle",
        "integration_user",
    }  # fmt: skip
    integration = first["integration_user"]
    assert set(integration) == {"username", "access_token"}
    assert integration["username"].startswith("totango.integration@")
    assert integration["access_token"] != first["access_token"]
    assert first["org_id"] == second["org_id"]
    state = OrgEmulator.create(folder).state
    assert [row["Name"] for row in state.rows("Account")] == ["Kept", "Kept"]


def test_env_and_org_config(emulator_factory):
    emulator = emulator_factory(flavour="scratch", package_installed=True)
    env = emulator.env("dev")
    assert json.loads(env["CUMULUSCI_ORG_dev"])["instance_url"] == emulator.instance_url
    assert env["REQUESTS_CA_BUNDLE"] == env["SSL_CERT_FILE"] == emulator.ca_bundle
    assert env["TOTANGO_INTEGRATION_USERNAME"].startswith("totango.integration@")
    assert env["TOTANGO_INTEGRATION_ACCESS_TOKEN"] == (emulator.integration_user() or {}).get(
        "access_token"
    )
    config = emulator.org_config()
    config.refresh_oauth_token(config.keychain)
    config.populate_expiration_date()
    assert config.org_type == "Developer Edition" and config.expires != "Persistent"
    assert "totango" in config.installed_packages
    assert len(emulator.org_id) == 18


# -- its secrets ----------------------------------------------------------------------


def test_emulator_env_script_and_ca_key_are_owner_only(tmp_path):
    from tests.org_emulator.__main__ import write_env_script
    from tests.org_emulator.tls import CA_KEY, load_or_create_ca

    old = os.umask(0o022)
    try:
        write_env_script(tmp_path / "env.sh", {"CUMULUSCI_KEY": "0123456789abcdef"})
        load_or_create_ca(tmp_path / "ca")
    finally:
        os.umask(old)
    assert mode(tmp_path / "env.sh") == 0o600
    assert mode(tmp_path / "ca" / CA_KEY) == 0o600
