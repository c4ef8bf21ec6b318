"""The metadata part of the setup against the org emulator with a realistic latency.

    .venv/bin/python bench/deploy.py [--latency 0.15] [--deploy-seconds 3]

Every HTTP call gets ``--latency`` seconds, and a deploy takes at least
``--deploy-seconds``. It prints HTTP calls, deploys and wall time for:

- totango-sf: `totango-sf deploy` (listMetadata, a read of two retrieves, one deploy, a
  verify read of two retrieves, permission-set assignment);
- CumulusCI's standard tasks chained: `deploy` of the new components,
  `add_page_layout_fields` per layout, `add_permission_set_perms`, and a
  Security.settings `deploy`.

For totango-sf it also prints the HTTP calls per phase beside the phase's floor (the
physical minimum: one listMetadata, two retrieves, one deploy, two verify retrieves, plus
polls and the permission-set assignment).

Prints figures; asserts nothing. The emulator is the project's test double.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

import tasks  # noqa: E402,F401  (our package before cumulusci's synthetic one)
from tests.org_emulator.emulator import OrgEmulator  # noqa: E402

REAL_LOOKING_IPS = ["8.8.8.8", "1.1.1.0/24", "2606:4700::/48"]
LAYOUTS = ["Account-Account Layout", "Lead-Lead Layout", "Opportunity-Opportunity Layout"]


def start_emulator(folder: Path, latency: float, deploy_seconds: float) -> OrgEmulator:
    emulator = OrgEmulator.create(
        folder, flavour="sandbox", deploy_polls=1, deploy_seconds=deploy_seconds
    ).start()
    for key, value in emulator.env("bench").items():
        os.environ[key] = value
    emulator.faults.latency(latency, "*")
    emulator.history.clear()
    return emulator


def run_totango(emulator: OrgEmulator, work: Path) -> str:
    from typer.testing import CliRunner

    from tasks.totango_sf.cli.app import app

    config = work / "totango.yml"
    config.write_text(f"trusted_ip_ranges:\n  addresses: {REAL_LOOKING_IPS}\n")
    result = CliRunner().invoke(
        app, ["deploy", "--org", "bench", "--config", str(config), "--json"]
    )
    return "ok" if result.exit_code == 0 else f"exit {result.exit_code}"


def _cci_task(task_class: Any, options: dict[str, Any], emulator: OrgEmulator) -> str:
    from cumulusci.core.exceptions import CumulusCIException
    from cumulusci.tasks.salesforce.tests.util import create_task

    try:
        create_task(task_class, options, org_config=emulator.org_config("bench"))()
        return "ok"
    except CumulusCIException as exc:
        problem = re.search(r"Error on line \d+, col \d+: ([^\n]*)", str(exc))
        return f"failed: {problem.group(1) if problem else str(exc).splitlines()[0]}"


EMPTY_PERMISSION_SET = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<PermissionSet'
    b' xmlns="http://soap.sforce.com/2006/04/metadata"><label>Totango Insights</label>'
    b"</PermissionSet>\n"
)


def write_folder(folder: Path, components: list[Any]) -> Path:
    """A Metadata API folder (package.xml included) that CumulusCI's Deploy can send."""
    from tasks.totango_sf.render.plan import package_files

    for rel, data in package_files(components, "63.0", "mdapi").items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return folder


def run_cumulusci_chain(emulator: OrgEmulator, work: Path) -> list[str]:
    from cumulusci.tasks.metadata_etl import AddPermissionSetPermissions
    from cumulusci.tasks.metadata_etl.layouts import AddFieldsToPageLayout
    from cumulusci.tasks.salesforce import Deploy

    from tasks.totango_sf.config.model import build_config
    from tasks.totango_sf.metadata.components import Component
    from tasks.totango_sf.render.plan import build_plan

    config = build_config({"trusted_ip_ranges": {"addresses": REAL_LOOKING_IPS}})
    plan = build_plan(config)
    components = [c for c in plan.components if c.type != "PermissionSet"]
    package = write_folder(work / "components", components)
    steps = [f"deploy components: {_cci_task(Deploy, {'path': str(package)}, emulator)}"]
    for layout in LAYOUTS:
        obj = layout.split("-")[0]
        options = {
            "api_names": layout,
            "pages": [{"api_name": config.page_reference(obj), "height": 290}],
        }
        outcome = _cci_task(AddFieldsToPageLayout, options, emulator)
        steps.append(f"add_page_layout_fields {obj}: {outcome}")
    # CumulusCI's task edits an existing permission set; create an empty one first.
    empty = write_folder(
        work / "permset",
        [Component("PermissionSet", "Totango_Insights", EMPTY_PERMISSION_SET)],
    )
    outcome = _cci_task(Deploy, {"path": str(empty)}, emulator)
    steps.append(f"deploy empty permission set: {outcome}")
    fields = [
        {"field": f"{obj}.{f.api_name}", "readable": True, "editable": False}
        for obj in config.insights.objects
        for f in config.insights.resolved_fields()
    ]
    options = {"api_names": "Totango_Insights", "field_permissions": fields}
    steps.append(
        f"add_permission_set_perms: {_cci_task(AddPermissionSetPermissions, options, emulator)}"
    )
    fragment = next(p.fragment for p in plan.patches if p.type == "Settings")
    settings = write_folder(work / "settings", [Component("Settings", "Security", fragment)])
    outcome = _cci_task(Deploy, {"path": str(settings)}, emulator)
    steps.append(f"deploy Security.settings (replaces the org's ranges): {outcome}")
    return steps


# The physical minimum of a deploy: what must cross the wire whatever the client.
FLOOR = {
    "connect": (1, "token refresh; CumulusCI also reads userinfo, versions, Organization"),
    "org kind": (1, "production or not, before anything is sent"),
    "list layouts": (1, "listMetadata for layout globs"),
    "retrieve": (
        2,
        "two retrieves: the second names the record pages and record types"
        " the first found; then polls until each zip is ready",
    ),
    "in-flight check": (1, "a deploy already queued or running in the org (DeployRequest)"),
    "deploy": (1, "deploy; then checkDeployStatus polls until done"),
    "assign permission set": (
        3,
        "the permission set's id, the users still without it (one semi-join), one insert",
    ),
    "verify retrieve": (2, "the same two retrieves; then polls"),
}


def phases(kinds: list[str]) -> list[tuple[str, list[str]]]:
    """Split a deploy's HTTP calls, in order, into the phases of FLOOR."""
    grouped: list[tuple[str, list[str]]] = []
    retrieves = 0
    for kind in kinds:
        if kind in ("token", "userinfo", "versions", "sobject_get"):
            phase = "connect"
        elif kind == "listMetadata":
            phase = "list layouts"
        elif kind == "retrieve":
            retrieves += 1
            phase = "retrieve" if retrieves <= 2 else "verify retrieve"
        elif kind in ("checkStatus", "checkRetrieveStatus"):
            phase = grouped[-1][0]
        elif kind in ("deploy", "checkDeployStatus"):
            phase = "deploy"
        elif kind == "query" and not any(p == "org kind" for p, _ in grouped):
            phase = "org kind"
        elif kind == "query" and not any(p == "deploy" for p, _ in grouped):
            phase = "in-flight check"
        else:
            phase = "assign permission set"
        if grouped and grouped[-1][0] == phase:
            grouped[-1][1].append(kind)
        else:
            grouped.append((phase, [kind]))
    return grouped


def print_phases(kinds: list[str]) -> None:
    print(f"    {'phase':<22} {'calls':>5} {'floor':>5}  above the floor, and why")
    for phase, calls in phases(kinds):
        floor, why = FLOOR.get(phase, (0, "not expected"))
        extra = ", ".join(calls[floor:]) if len(calls) > floor else "-"
        print(f"    {phase:<22} {len(calls):>5} {floor:>5}  {extra}  [{why}]")


def measure(name: str, run: Any, latency: float, deploy_seconds: float) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-deploy-"))
    emulator = start_emulator(work / "org", latency, deploy_seconds)
    try:
        start = time.perf_counter()
        outcome = run(emulator, work)
        seconds = time.perf_counter() - start
        calls = len(list(emulator.history))
        deploys = len(emulator.history.deploys)
        print(f"{name}: {calls} HTTP calls, {deploys} deploys, {seconds:.1f} s")
        for line in outcome if isinstance(outcome, list) else [outcome]:
            print(f"    {line}")
        if run is run_totango:
            print_phases([call.kind for call in emulator.history])
    finally:
        emulator.stop()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.15)
    parser.add_argument("--deploy-seconds", type=float, default=3.0)
    args = parser.parse_args()
    os.environ["HOME"] = tempfile.mkdtemp(prefix="bench-home-")
    print(f"latency {args.latency * 1000:.0f} ms per call, deploys take {args.deploy_seconds} s")
    measure("totango-sf deploy", run_totango, args.latency, args.deploy_seconds)
    measure("CumulusCI tasks chained", run_cumulusci_chain, args.latency, args.deploy_seconds)


if __name__ == "__main__":
    main()
