"""The product reads real orgs' recorded answers as it reads the emulator's.

Real orgs send ``details/runTestResult`` in every checkDeployStatus answer, with zeros
when no tests ran, and a ``componentType`` in every component row, empty for
``package.xml`` (``../shared/recorded/ss_check_deploy_*.xml``, ``ic2753_*.xml``). The
product's reading: ``numTestsRun`` 0 with no failures and no coverage warnings means no
tests ran, so the JSON ``tests`` field stays null and no "Apex tests" line is printed,
whether the org is real or the emulator.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tasks.totango_sf.salesforce.metadata_api import ComponentFailure, parse_deploy_result
from tests.support.cci import run_totango_sf
from tests.support.processes import project
from tests.support.recorded_answers import RECORDED, RECORDED_ABSENT

CHECK_DEPLOY_RECORDINGS = (
    "ss_check_deploy_pending.xml",
    "ss_check_deploy_in_progress.xml",
    "ss_check_deploy_succeeded.xml",
    "ss_check_deploy_failed_no_package.xml",
    "ic2753_check_deploy_validation_in_progress.xml",
)


@pytest.mark.parametrize("name", CHECK_DEPLOY_RECORDINGS)
def test_a_recorded_deploy_status_without_tests_reports_none(name):
    if not RECORDED.is_dir():
        pytest.skip(RECORDED_ABSENT)
    content = (RECORDED / name).read_bytes()
    assert b"<runTestResult>" in content  # what the reading has to survive
    result = parse_deploy_result(content.strip())
    assert result.tests is None
    assert result.to_json()["tests"] is None
    assert result.id and result.status in ("Pending", "InProgress", "Succeeded", "Failed")


def test_a_recorded_failure_without_component_type_is_read():
    if not RECORDED.is_dir():
        pytest.skip(RECORDED_ABSENT)
    content = (RECORDED / "ss_check_deploy_failed_no_package.xml").read_bytes()
    result = parse_deploy_result(content.strip())
    assert not result.success and result.status == "Failed"
    assert result.failures == [
        ComponentFailure("package.xml", None, "No package.xml found", "", "package.xml")
    ]


def totango_sf(emulator, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_totango_sf(list(args), project(tmp_path), emulator, tmp_path / "home")


def test_a_deploy_that_ran_no_tests_says_nothing_of_tests(emulator_factory, tmp_path):
    """The emulator sends runTestResult with zeros, as real orgs do; the output stays quiet."""
    config = tmp_path / "totango.yml"
    config.write_text(json.dumps({"trusted_ip_ranges": {"addresses": ["8.8.8.8"]}}))
    deploy = ("deploy", "--org", "emu", "--config", str(config))
    shown = totango_sf(emulator_factory(), tmp_path, *deploy)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "Apex tests" not in shown.stdout + shown.stderr
    as_json = totango_sf(emulator_factory(), tmp_path, *deploy, "--json")
    assert as_json.returncode == 0, as_json.stdout + as_json.stderr
    document = json.loads(as_json.stdout)
    assert document["result"]["deploy"]["tests"] is None


def test_a_refused_query_is_one_line_without_the_echo_of_the_query(emulator):
    """Real orgs echo a refused query above the message (cci_query_invalid_field.json);
    the reason the product prints stays one line: the code and the message."""
    from simple_salesforce import Salesforce
    from simple_salesforce.exceptions import SalesforceMalformedRequest

    from tasks.totango_sf.salesforce.connection import short_reason

    host = emulator.instance_url.removeprefix("https://")
    client = Salesforce(instance=host, session_id=emulator.access_token, version="63.0")
    with pytest.raises(SalesforceMalformedRequest) as refused:
        client.query("SELECT SetupOwnerId FROM Account")
    assert "ERROR at Row:1:Column:8" in refused.value.content[0]["message"]
    assert short_reason(refused.value) == (
        "INVALID_FIELD: No such column 'SetupOwnerId' on entity 'Account'. If you are"
        " attempting to use a custom field, be sure to append the '__c' after the custom field"
        " name. Please reference your WSDL or the describe call for the appropriate names."
    )
