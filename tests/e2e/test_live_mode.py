"""``./dev test --live`` against the org emulator, pointed at as if it were a real org.

As a user would with a real org, and with no hook of the tests': the emulator runs as a
process (``python -m tests.org_emulator``), its env.sh is sourced (which is what
``cci org connect`` would leave behind: a CumulusCI org named ``emu``),
``TOTANGO_SF_LIVE_ORG=emu`` is set and ``./dev test --live`` runs. A sandbox takes write
mode and is left as found, and its recordings hold no token, org id, user name or host;
a production org refuses write mode and is not changed; without the variable every test
that needs an org skips and says how to run it.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace
from xml.etree import ElementTree

from tests.support.checkout import checkout_stand_in
from tests.support.doc_blocks import of_kind, run_block
from tests.support.recorded_answers import RECORDED

# The steps of docs/live-org.md, with the emulator standing in for the org.
LIVE_RUN = r"""
set -euo pipefail
state=$1; flavour=$2; shift 2
"$EMULATOR_PYTHON" -m tests.org_emulator --port 0 --state "$state" --reset \
  --flavour "$flavour" > "$state/info.json" &
emulator=$!
trap 'kill $emulator 2>/dev/null || true; wait $emulator 2>/dev/null || true' EXIT
for _ in $(seq 150); do [ -s "$state/info.json" ] && break; sleep 0.2; done
source "$state/env.sh"
export TOTANGO_SF_LIVE_ORG=emu
./dev test --live "$@"
"""


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """This machine's environment without any live-org or org setting of the outer run."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TOTANGO_SF_LIVE_", "CUMULUSCI_ORG_", "PYTEST_"))
        and k not in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CUMULUSCI_KEY")
    }
    home.mkdir(parents=True, exist_ok=True)
    return {**env, "HOME": str(home), "EMULATOR_PYTHON": sys.executable, **extra}


def live_run(
    tmp_path: Path, flavour: str, *args: str, **extra: str
) -> tuple[subprocess.CompletedProcess[str], Path]:
    state = tmp_path / f"org-{flavour}"
    state.mkdir()
    shown = subprocess.run(
        ["bash", "-c", LIVE_RUN, "live-run", str(state), flavour, *args],
        cwd=checkout_stand_in(tmp_path),
        env=clean_env(tmp_path / "home", **extra),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    return shown, state


def texts_of(folder: Path) -> dict[str, str]:
    """Each recording's text, each file inside a retrieved zip, and SOURCES.tsv."""
    texts = {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir()}
    for name, text in list(texts.items()):
        for encoded in re.findall(r"<zipFile>([^<]+)</zipFile>", text):
            with zipfile.ZipFile(io.BytesIO(base64.b64decode(encoded))) as archive:
                for member in archive.namelist():
                    data = archive.read(member).decode("utf-8", "replace")
                    texts[f"{name}!{member}"] = member + "\n" + data
    return texts


def test_without_an_org_the_live_tests_skip_and_say_how(tmp_path):
    shown = subprocess.run(
        ["./dev", "test", "--live"],
        cwd=checkout_stand_in(tmp_path),
        env=clean_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = shown.stdout + shown.stderr
    assert shown.returncode == 0, output
    assert "TOTANGO_SF_LIVE_ORG is not set" in shown.stderr
    assert "needs a live org: set TOTANGO_SF_LIVE_ORG" in shown.stdout
    last = shown.stdout.strip().splitlines()[-1]
    assert re.search(r"\d+ passed, \d+ skipped in ", last), shown.stdout[-2000:]
    assert "failed" not in last and "error" not in last, last


def test_a_sandbox_takes_write_mode_is_left_as_found_and_recorded_without_secrets(tmp_path):
    """docs/live-org.md's rehearsal, as written (a sandbox emulator, then the live tier),
    with write mode and recording added through the environment."""
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    report = tmp_path / "live-tests.xml"
    [(where, block)] = of_kind("live")
    stdout, _ = run_block(
        where,
        block,
        tmp_path,
        {
            "TOTANGO_SF_LIVE_WRITE": "1",
            "TOTANGO_SF_LIVE_RECORD": str(recordings),
            "PYTEST_ADDOPTS": f"--junitxml={report}",
        },
    )
    state = tmp_path / "live-emu"
    # Each test's outcome, from the run's JUnit report: passed means no skipped, failure
    # or error element under it.
    passed = {
        f"{case.get('classname', '').rpartition('.')[2]}.py::{case.get('name')}"
        for case in ElementTree.parse(report).iter("testcase")
        if not any(child.tag in ("skipped", "failure", "error") for child in case)
    }
    for test in (
        "test_write.py::test_deploy_verify_and_rollback_leave_the_org_as_found",
        "test_read_only.py::test_plan_reads_the_org_and_changes_nothing",
        "test_read_only.py::test_doctor_reports_each_check_with_its_fix",
        "test_read_only.py::test_org_id_names_the_org_its_organization_record_names",
        "test_read_only.py::test_mapping_names_objects_the_org_has",
        *(
            [
                "test_live_conformance.py::test_the_live_org_answers_as_the_recorded_org"
                "[ss_check_deploy_succeeded.xml]"
            ]
            if RECORDED.is_dir()
            else []
        ),
    ):
        assert test in passed, (test, stdout[-3000:])
    shown = SimpleNamespace(stdout=stdout)
    assert f"scrubbed, into {recordings}" in shown.stdout

    # Every token the emulated org ever issued, its ids, its users and its host.
    info = json.loads((state / "info.json").read_text())
    saved = json.loads((state / "state.json").read_text())
    secrets = [
        *saved["access_tokens"],
        saved["refresh_token"],
        info["org_id"],
        info["org_id"][:15],
        info["username"],
        info["integration_user"]["username"],
        info["instance_url"].removeprefix("https://"),
        "emulator.example.com",
    ]
    texts = texts_of(recordings)
    assert len(texts) > 50 and "SOURCES.tsv" in texts
    for name, text in texts.items():
        for secret in secrets:
            assert secret.lower() not in text.lower(), f"{name} holds {secret[:20]}..."
    assert any(n.startswith("live_sandbox_check_deploy_") for n in texts)
    assert any(n.startswith("live_sandbox_check_retrieve_") for n in texts)


def test_a_production_org_refuses_write_mode_and_is_not_changed(tmp_path):
    shown, state = live_run(tmp_path, "production", "-rA", TOTANGO_SF_LIVE_WRITE="1")
    output = shown.stdout + shown.stderr
    assert shown.returncode == 1, output[-6000:]
    assert "ERROR at setup of test_deploy_verify_and_rollback_leave_the_org_as_found" in output
    assert "write mode refused: org 'emu' is a production org" in output
    assert "PASSED tests/live/test_read_only.py::test_plan_reads_the_org_and_changes" in output
    assert re.search(r"\d+ passed, \d+ skipped, 1 error", output), output[-2000:]
    # The emulated org took no deploy: its metadata is as seeded.
    assert json.loads((state / "state.json").read_text())["metadata_version"] == 0
