"""Test levels and quick deploy against production-flavour and sandbox emulators.

The emulator refuses what a production org refuses (NoTestRun), runs its seeded
Apex tests at the level asked for, and only quick-deploys a validation in which
tests ran, within 10 days. The choice of a level with no org is in
tests/unit/salesforce/test_apex_tests.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tasks.totango_sf.salesforce.apex_tests import (
    ApexTestPlan,
)
from tests.org_emulator.apex_tests import SEEDED_TEST_CLASSES
from tests.support.cli import SECTION_LABEL, as_json, cli, write_config

LOCAL_TESTS = sum(len(m) for m in SEEDED_TEST_CLASSES.values())


def account_layout(emulator) -> bytes:
    return emulator.state.metadata_xml("Layout", "Account-Account Layout")


# -- bad input: exit 2 before anything is sent ----------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--test-level", "Everything"],
        ["--test-level", "RunSpecifiedTests"],
        ["--tests", "AccountTriggerTest", "--test-level", "RunLocalTests"],
        ["--tests", "Bad Name"],
        ["--quick", "0Af000000000001AAA", "--test-level", "RunLocalTests"],
    ],
)
def test_bad_test_options_are_exit_2_before_connecting(emulator, use_org, tmp_path, args):
    use_org(emulator)
    config = write_config(tmp_path)
    emulator.history.clear()
    result = cli("deploy", "--org", "emu", "--config", str(config), "--json", *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert len(emulator.history) == 0


def test_no_test_run_on_production_is_refused_before_anything_is_sent(
    emulator_factory, use_org, tmp_path
):
    prod = use_org(emulator_factory(flavour="production"))
    config = write_config(tmp_path)
    before = account_layout(prod)
    for extra in (["--yes"], ["--check-only"]):
        result = cli(
            "deploy", "--org", "emu", "--config", str(config), "--json",
            "--test-level", "NoTestRun", *extra,
        )  # fmt: skip
        assert result.exit_code == 2, result.output
        assert "NoTestRun" in as_json(result)["message"]
    assert prod.history.deploys == []
    assert "retrieve" not in prod.history.kinds()
    assert account_layout(prod) == before
    rollback = cli(
        "rollback", "--org", "emu", "--config", str(config), "--yes",
        "--test-level", "NoTestRun", "--json",
    )  # fmt: skip
    assert rollback.exit_code == 2  # no snapshot, or NoTestRun: refused either way
    assert prod.history.deploys == []


# -- the emulator refuses what production refuses -------------------------------------


def test_emulated_production_refuses_no_test_run_with_salesforces_message(
    emulator_factory, use_org, tmp_path, monkeypatch
):
    from tasks.totango_sf.salesforce.connection import connect
    from tasks.totango_sf.salesforce.metadata_api import MetadataCallFailed, deploy_files

    prod = use_org(emulator_factory(flavour="production"))
    session = connect("emu")
    package = {
        "package.xml": b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<Package xmlns="http://soap.sforce.com/2006/04/metadata"><version>63.0</version>'
        b"</Package>\n"
    }
    with pytest.raises(MetadataCallFailed) as refused:
        deploy_files(session, package, "63.0", test_plan=ApexTestPlan("NoTestRun"))
    assert "testLevel of NoTestRun cannot be used in production organizations" in str(refused.value)
    assert "INVALID_OPERATION" in str(refused.value)
    # Left out, the org decides: a package without Apex runs no tests.
    result = deploy_files(session, package, "63.0", test_plan=ApexTestPlan(None))
    assert result.success and result.tests is None
    assert prod.history.deploys[-1].detail["test_level"] is None


# -- production: direct deploy, and check-only then quick -----------------------------


def test_production_direct_deploy_leaves_test_level_out(emulator_factory, use_org, tmp_path):
    prod = use_org(emulator_factory(flavour="production"))
    config = write_config(tmp_path)
    result = cli("deploy", "--org", "emu", "--config", str(config), "--yes", "--json")
    assert result.exit_code == 0, result.output
    doc = as_json(result)
    assert doc["status"] == "deployed" and doc["verify"]["in_sync"]
    assert doc["deploy"]["tests"] is None
    assert [c.detail.get("test_level") for c in prod.history.deploys] == [None]


def test_production_check_only_runs_local_tests_then_quick_deploys(
    emulator_factory, use_org, tmp_path
):
    prod = use_org(emulator_factory(flavour="production"))
    config = write_config(tmp_path)
    validated = cli("deploy", "--org", "emu", "--config", str(config), "--check-only")
    assert validated.exit_code == 0, validated.output
    assert f"Apex tests: {LOCAL_TESTS} run, 0 failed" in validated.stdout
    assert "LegacyExportJob" in validated.stdout  # the coverage warning is shown
    assert prod.history.deploys[0].detail["test_level"] == "RunLocalTests"
    validation_id = prod.history.deploys[0].deploy_id
    assert SECTION_LABEL not in account_layout(prod)

    quick = cli(
        "deploy", "--org", "emu", "--config", str(config), "--quick", validation_id,
        "--yes", "--json",
    )  # fmt: skip
    assert quick.exit_code == 0, quick.output
    assert as_json(quick)["verify"]["in_sync"] is True
    assert SECTION_LABEL in account_layout(prod)


def test_check_only_json_reports_tests_and_coverage(emulator_factory, use_org, tmp_path):
    use_org(emulator_factory(flavour="production"))
    config = write_config(tmp_path)
    result = cli("deploy", "--org", "emu", "--config", str(config), "--check-only", "--json")
    assert result.exit_code == 0, result.output
    tests = as_json(result)["deploy"]["tests"]
    assert tests["tests_run"] == LOCAL_TESTS and tests["failures"] == 0
    assert tests["total_time_seconds"] > 0
    assert tests["org_tests_failed"] is False
    assert [w["name"] for w in tests["code_coverage_warnings"]] == ["LegacyExportJob"]
    snapshot = next((tmp_path / "snapshots" / "emu").iterdir())
    manifest = json.loads((snapshot / "manifest.json").read_text())
    assert manifest["test_level"] == "RunLocalTests" and manifest["tests_run"] == LOCAL_TESTS


def test_a_failing_org_test_is_shown_plainly_and_changes_nothing(
    emulator_factory, use_org, tmp_path
):
    prod = use_org(emulator_factory(flavour="production"))
    config = write_config(tmp_path)
    before = {n: prod.state.metadata_xml("Layout", n) for n in prod.state.names("Layout")}
    security = prod.state.metadata_xml("Settings", "Security")
    prod.faults.fail_apex_test(
        "OpportunityStageTest", "testCloseLost", "System.AssertException: Assertion Failed"
    )
    for args in (["--check-only"], ["--yes", "--test-level", "RunLocalTests"]):
        result = cli("deploy", "--org", "emu", "--config", str(config), *args)
        assert result.exit_code == 1, result.output
        shown = result.stdout + result.stderr
        assert "OpportunityStageTest" in shown and "testCloseLost" in shown
        assert "System.AssertException" in shown
        assert f"Apex tests: {LOCAL_TESTS} run, 1 failed" in shown
        assert "org's own Apex tests failed" in shown
        assert "did not cause" in shown and "nothing was changed" in shown
    as_doc = cli("deploy", "--org", "emu", "--config", str(config), "--check-only", "--json")
    assert as_doc.exit_code == 1
    tests = as_json(as_doc)["deploy"]["tests"]
    assert tests["org_tests_failed"] is True and tests["failures"] == 1
    assert tests["failed_tests"][0]["class"] == "OpportunityStageTest"
    assert tests["failed_tests"][0]["method"] == "testCloseLost"
    assert tests["failed_tests"][0]["message"] == "System.AssertException: Assertion Failed"
    assert "org's own Apex tests failed" in tests["explanation"]
    after = {n: prod.state.metadata_xml("Layout", n) for n in prod.state.names("Layout")}
    assert after == before
    assert prod.state.metadata_xml("Settings", "Security") == security
    assert not prod.state.has("ApexPage", "Totango_Account_Insights")


def test_run_specified_tests_runs_only_those(emulator, use_org, tmp_path):
    use_org(emulator)
    config = write_config(tmp_path)
    emulator.faults.fail_apex_test("LeadRoutingTest", "testAssignsQueue", "boom")
    result = cli(
        "deploy", "--org", "emu", "--config", str(config), "--check-only", "--json",
        "--test-level", "RunSpecifiedTests", "--tests", "AccountTriggerTest",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    tests = as_json(result)["deploy"]["tests"]
    assert tests["tests_run"] == len(SEEDED_TEST_CLASSES["AccountTriggerTest"])
    assert emulator.history.deploys[0].detail["test_level"] == "RunSpecifiedTests"


# -- quick deploy needs a validation that ran tests -----------------------------------


def test_quick_of_a_validation_that_ran_no_tests_is_refused_with_the_command(
    emulator, use_org, tmp_path
):
    use_org(emulator)
    config = write_config(tmp_path)
    validated = cli("deploy", "--org", "emu", "--config", str(config), "--check-only", "--json")
    assert validated.exit_code == 0, validated.output
    validation_id = as_json(validated)["validation_id"]
    assert as_json(validated)["deploy"]["tests"] is None  # sandbox default: NoTestRun
    emulator.history.clear()
    quick = cli(
        "deploy", "--org", "emu", "--config", str(config), "--quick", validation_id, "--json"
    )
    assert quick.exit_code == 2, quick.output
    message = as_json(quick)["message"]
    assert "ran no Apex tests" in message
    assert "--check-only --test-level RunLocalTests" in message
    assert "deployRecentValidation" not in emulator.history.kinds()


def _validation(emulator, level: str | None):
    """A successful validation straight through the emulator's Metadata API."""
    from tests.org_emulator.history import Call
    from tests.org_emulator.metadata_api import DeployJob

    call = Call("deploy", "POST", "/")
    job = DeployJob(
        id=emulator.state.ids.new("0Af"),
        zip_data=b"",
        check_only=True,
        ignore_warnings=True,
        rollback_on_error=True,
        polls_needed=0,
        total=0,
        created="",
        call=call,
        test_level=level,
    )
    emulator.metadata.deploys[job.id] = job
    return job


@pytest.mark.parametrize("case", ["no_tests", "eleven_days", "fresh"])
def test_emulated_deploy_recent_validation_rules(emulator, use_org, tmp_path, case):
    """Ran no tests, or older than 10 days: refused ("deployRecentValidation()")."""
    from tasks.totango_sf.salesforce.connection import connect
    from tasks.totango_sf.salesforce.metadata_api import MetadataCallFailed, quick_deploy
    from tests.org_emulator import apex_tests
    from tests.org_emulator.deploy_engine import Outcome

    use_org(emulator)
    level = None if case == "no_tests" else "RunLocalTests"
    job = _validation(emulator, level)
    job.outcome = Outcome(new_state=None)
    job.tests = apex_tests.run_tests(level, [], [])
    job.validated_at = emulator.state.metadata_version
    job.completed_at = datetime.now(UTC) - (
        timedelta(days=11) if case == "eleven_days" else timedelta(days=9)
    )
    session = connect("emu")
    if case == "fresh":
        job.zip_data = _empty_package_zip()
        assert quick_deploy(session, job.id, "63.0").success
        return
    with pytest.raises(MetadataCallFailed) as refused:
        quick_deploy(session, job.id, "63.0")
    expected = "ran no Apex tests" if case == "no_tests" else "older than 10 days"
    assert expected in str(refused.value)


def _empty_package_zip() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "package.xml",
            '<?xml version="1.0" encoding="UTF-8"?>\n<Package xmlns="http://soap.sforce.com/'
            '2006/04/metadata"><version>63.0</version></Package>\n',
        )
    return buffer.getvalue()


def test_quick_refused_by_the_org_without_a_local_snapshot_says_what_to_run(
    emulator, use_org, tmp_path
):
    use_org(emulator)
    config = write_config(tmp_path)
    validated = cli("deploy", "--org", "emu", "--config", str(config), "--check-only", "--json")
    validation_id = as_json(validated)["validation_id"]
    for folder in (tmp_path / "snapshots" / "emu").iterdir():  # run from another checkout
        (folder / "manifest.json").unlink()
    quick = cli(
        "deploy", "--org", "emu", "--config", str(config), "--quick", validation_id, "--json"
    )
    assert quick.exit_code == 2, quick.output
    message = as_json(quick)["message"]
    assert "ran no Apex tests" in message  # the org's own reason
    assert "--check-only --test-level RunLocalTests" in message
    assert [c.kind for c in emulator.history.deploys] == ["deploy", "deployRecentValidation"]
    assert SECTION_LABEL not in account_layout(emulator)


def test_a_failed_test_run_answer_is_schema_valid(emulator_factory):
    """checkDeployStatus with failures (a managed class among them) against metadata.wsdl."""
    from cumulusci.salesforce_api.metadata import ApiDeploy

    from tests.support.mdapi import (
        MD,
        a_task,
        assert_schema_valid,
        layout_package,
        soap_call,
        zip_b64,
    )

    emulator = emulator_factory(flavour="sandbox")
    emulator.faults.fail_apex_test("totango__GatewayTest", "testPing", "managed failure")
    emulator.faults.fail_apex_test("LeadRoutingTest", "testAssignsQueue", "local failure")
    files = layout_package("Totango_Account_Insights")
    validate = ApiDeploy(
        a_task(emulator),
        zip_b64(files),
        api_version="63.0",
        check_only=True,
        test_level="RunAllTestsInOrg",
    )
    with pytest.raises(Exception):  # noqa: B017 - CumulusCI raises its own failure type
        validate()
    deploy_id = emulator.history.deploys[-1].deploy_id
    status, content = soap_call(
        emulator,
        f'<checkDeployStatus xmlns="{MD}"><asyncProcessId>{deploy_id}</asyncProcessId>'
        "<includeDetails>true</includeDetails></checkDeployStatus>",
    )
    assert status == 200
    assert_schema_valid(content)
    assert b"<numFailures>2</numFailures>" in content
    assert b"<namespace>totango</namespace>" in content

    from tasks.totango_sf.salesforce.metadata_api import parse_deploy_result

    result = parse_deploy_result(content)
    assert not result.success and result.tests is not None
    assert {(f.class_name, f.method) for f in result.tests.failures} == {
        ("totango__GatewayTest", "testPing"),
        ("LeadRoutingTest", "testAssignsQueue"),
    }


def test_a_developer_edition_org_is_not_production_for_tests(emulator_factory, use_org, tmp_path):
    dev = use_org(emulator_factory(flavour="developer"))
    config = write_config(tmp_path)
    result = cli(
        "deploy", "--org", "emu", "--config", str(config), "--yes", "--json",
        "--test-level", "NoTestRun",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    validated = cli("deploy", "--org", "emu", "--config", str(config), "--check-only", "--json")
    assert validated.exit_code == 0, validated.output
    assert [c.detail.get("test_level") for c in dev.history.of("deploy")] == ["NoTestRun"]
