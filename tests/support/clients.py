"""Salesforce's sf CLI, run as a user runs it, against the org emulator (tests/clients).

``./dev test --clients`` installs sf CLI and the Node it needs (the npm packages
``@salesforce/cli`` and ``node``, pinned in tests/clients/package.json) into the ignored
folder ``.clients/`` once. sf CLI's HTTP library needs a newer Node than a machine may
have, so the ``node`` of ``.clients`` goes first on PATH. Each run gets its own HOME
(sf keeps its logins under ``~/.sf``), trusts the emulator's CA through
``NODE_EXTRA_CA_CERTS`` (TLS stays verified) and neither checks for updates nor sends
telemetry.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.paths import REPO_ROOT

CLIENTS = REPO_ROOT / ".clients"
BIN = CLIENTS / "node_modules" / ".bin"
SF = BIN / "sf"
NODE = BIN / "node"
PACKAGE_JSON = REPO_ROOT / "tests" / "clients" / "package.json"
HOW = "./dev test --clients installs sf CLI and Node 22 into .clients/ and runs this tier"


def missing_tools() -> str | None:
    """Why sf CLI cannot run here, or None."""
    for tool in (SF, NODE):
        if not tool.exists():
            return f"{tool.relative_to(REPO_ROOT)} is not installed: {HOW}"
    return None


def installed_versions() -> dict[str, str]:
    """The versions in .clients, by package name."""
    versions = {}
    for name in json.loads(PACKAGE_JSON.read_text())["dependencies"]:
        manifest = CLIENTS / "node_modules" / name / "package.json"
        if manifest.exists():
            versions[name] = json.loads(manifest.read_text())["version"]
    return versions


def sf_env(home: Path, ca_bundle: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SF_", "SFDX_", "CUMULUSCI_ORG_", "NODE_"))
    }
    env.update(
        HOME=str(home),
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        NODE_EXTRA_CA_CERTS=ca_bundle,
        REQUESTS_CA_BUNDLE=ca_bundle,
        SSL_CERT_FILE=ca_bundle,
        SF_USE_GENERIC_UNIX_KEYCHAIN="true",
        SF_DISABLE_TELEMETRY="true",
        SF_AUTOUPDATE_DISABLE="true",
        SF_SKIP_NEW_VERSION_CHECK="true",
        SF_HIDE_RELEASE_NOTES="true",
        NO_COLOR="1",
        COLUMNS="160",
    )
    env.update(extra or {})
    return env


@dataclass
class SfRun:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def json(self) -> dict[str, Any]:
        try:
            return json.loads(self.stdout)
        except json.JSONDecodeError as exc:
            raise AssertionError(f"sf {' '.join(self.args)}: not JSON\n{self}") from exc

    @property
    def result(self) -> Any:
        document = self.json
        assert document.get("status") == 0 and self.returncode == 0, str(self)
        return document["result"]

    def __str__(self) -> str:
        return (
            f"sf {' '.join(self.args)} exited {self.returncode}\n"
            f"stdout: {self.stdout[-4000:]}\nstderr: {self.stderr[-2000:]}"
        )


def run_sf(args: list[str], cwd: Path, env: Mapping[str, str], timeout: float = 240) -> SfRun:
    """``sf ARGS --json`` in ``cwd``."""
    completed = subprocess.run(
        [str(SF), *args, "--json"],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return SfRun(args, completed.returncode, completed.stdout, completed.stderr)


def as_list(value: Any) -> list:
    """sf CLI passes one SOAP element through as an object, several as a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class SfCli:
    """sf CLI with a HOME of its own; ``login`` names an emulator as the org ``emu``."""

    def __init__(self, home: Path):
        self.home = home
        home.mkdir(parents=True, exist_ok=True)
        self.ca_bundle = ""

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return sf_env(self.home, self.ca_bundle, extra)

    def __call__(self, args: list[str], cwd: Path, timeout: float = 240) -> SfRun:
        return run_sf(args, cwd, self.env(), timeout)

    def login(self, emulator, alias: str = "emu") -> dict[str, Any]:
        """``sf org login access-token`` with the emulator's session (SF_ACCESS_TOKEN), as
        the default org of every project (run outside any, ``--set-default`` is global)."""
        self.ca_bundle = emulator.ca_bundle
        run = run_sf(
            [
                "org", "login", "access-token",
                "--instance-url", emulator.instance_url,
                "--alias", alias,
                "--set-default",
                "--no-prompt",
            ],
            self.home,
            self.env({"SF_ACCESS_TOKEN": emulator.access_token}),
        )  # fmt: skip
        return run.result


def sfdx_project(folder: Path, *, with_source: bool = True) -> Path:
    """An sfdx project: this repository's sfdx-project.json, and its force-app unless
    ``with_source`` is False (then an empty default package directory)."""
    folder.mkdir(parents=True)
    shutil.copy(REPO_ROOT / "sfdx-project.json", folder)
    if with_source:
        shutil.copytree(REPO_ROOT / "force-app", folder / "force-app")
    else:
        (folder / "force-app" / "main" / "default").mkdir(parents=True)
    return folder
