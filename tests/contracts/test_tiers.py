"""The test tiers hold what their names say.

tests/unit/<stage> is one folder per stage of tasks/totango_sf, and its tests start
neither the org emulator nor a process (tests/unit/conftest.py refuses both);
tests/e2e, tests/emulator, tests/contracts, tests/clients and tests/live (a live org's,
docs/live-org.md) are free to. Each tier is a marker too,
so ``pytest -m "not e2e"`` and the like select by tier.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.org_emulator.emulator import OrgEmulator
from tests.support.paths import REPO_ROOT
from tests.support.unit_tier import nothing_started

TESTS = REPO_ROOT / "tests"
TIERS = (
    "unit",
    "e2e",
    "emulator",
    "contracts",
    "clients",
    "live",
)  # as tests/conftest.py marks them


def test_every_test_module_is_in_a_tier_and_every_unit_folder_is_a_stage():
    stages = {p.name for p in (REPO_ROOT / "tasks" / "totango_sf").iterdir() if p.is_dir()}
    stages.discard("__pycache__")
    modules = sorted(p.relative_to(TESTS) for p in TESTS.rglob("test_*.py"))
    outside = [str(m) for m in modules if m.parts[0] not in TIERS]
    assert outside == [], (
        "every test module goes in tests/unit/<stage>, e2e, emulator, contracts, clients or live"
    )
    unit = [m for m in modules if m.parts[0] == "unit"]
    assert unit and all(len(m.parts) == 3 and m.parts[1] in stages for m in unit), unit


def test_nothing_started_refuses_an_emulator_and_a_process_and_then_lets_go(tmp_path):
    emulator = OrgEmulator.create(tmp_path / "org", flavour="sandbox")
    with nothing_started():
        with pytest.raises(pytest.fail.Exception, match="an org emulator was started"):
            emulator.start()
        with pytest.raises(pytest.fail.Exception, match="a process was started"):
            subprocess.run([sys.executable, "-c", "pass"], check=True)
    subprocess.run([sys.executable, "-c", "pass"], check=True)


def test_the_unit_tier_overrides_every_emulator_fixture():
    listed = subprocess.run(
        [sys.executable, "-m", "pytest", "--fixtures", "tests/unit/cli/test_mapping.py"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    unit_section = listed.split("fixtures defined from tests.unit.conftest", 1)[1]
    for name in ("emulator", "emulator_factory", "use_org"):
        assert f"\n{name} -- tests/unit/conftest.py:" in unit_section, name


@pytest.mark.parametrize("tier", TIERS)
def test_each_tier_is_a_marker(request, tier):
    items = request.session.items
    marked = {i.nodeid for i in items if i.get_closest_marker(tier)}
    assert marked == {i.nodeid for i in items if i.path.is_relative_to(TESTS / tier)}
