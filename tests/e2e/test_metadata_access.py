"""A user without Modify Metadata (or Modify All Data) is told so, in one line.

A real org refuses every Metadata API call of such a user with HTTP 500 and the
fault ``sf:INSUFFICIENT_ACCESS`` (../shared/recorded/nelsonic_fault_insufficient_access.xml);
the emulator refuses the same way (``user_permissions.py``). The toolkit then stops
with exit code 4 (the org refused a call; nothing was changed) and says which user
lacks which permission, instead of printing the fault.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.org_emulator.user_permissions import set_profile_permission
from tests.support.cci import run_totango_sf
from tests.support.processes import project

EXPECTED = "lacks the Modify Metadata Through Metadata API Functions (or Modify All Data)"


def without_metadata_permissions(emulator):
    for permission in ("ModifyAllData", "ModifyMetadata"):
        set_profile_permission(emulator.state, emulator.user_id, permission, False)
    return emulator


def totango_sf(emulator, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_totango_sf(list(args), project(tmp_path), emulator, tmp_path / "home")


def test_the_emulator_refuses_metadata_calls_of_such_a_user(emulator):
    without_metadata_permissions(emulator)
    from tests.org_emulator.user_permissions import may_use_metadata_api

    assert not may_use_metadata_api(emulator.state, emulator.user_id)
    set_profile_permission(emulator.state, emulator.user_id, "ModifyMetadata", True)
    assert may_use_metadata_api(emulator.state, emulator.user_id)


def test_deploy_says_the_connected_user_lacks_the_permission(emulator, tmp_path):
    without_metadata_permissions(emulator)
    config = tmp_path / "totango.yml"
    config.write_text(json.dumps({"trusted_ip_ranges": {"addresses": ["8.8.8.8"]}}))
    shown = totango_sf(emulator, tmp_path, "plan", "--org", "emu", "--config", str(config))
    assert shown.returncode == 4, shown.stdout + shown.stderr
    lines = [line for line in shown.stderr.splitlines() if EXPECTED in line]
    assert len(lines) == 1, shown.stderr
    assert emulator.username in lines[0]
    assert "Traceback" not in shown.stderr and "faultcode" not in shown.stderr

    as_json = totango_sf(
        emulator, tmp_path, "deploy", "--org", "emu", "--config", str(config), "--yes", "--json"
    )
    assert as_json.returncode == 4, as_json.stdout + as_json.stderr
    document = json.loads(as_json.stdout)
    assert EXPECTED in document["message"] and "\n" not in document["message"]
    assert emulator.history.deploys == []  # refused before anything was sent
