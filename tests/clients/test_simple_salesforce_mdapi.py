"""simple-salesforce's Metadata API client (``Salesforce.mdapi``, and the ``deploy`` /
``checkDeployStatus`` wrappers on ``Salesforce``) against the emulator, as against a real
org: deploy the toolkit's plan output, follow it to its end, read a failure, retrieve."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest
from simple_salesforce import Salesforce

from tests.support.cli import cli, write_config
from tests.support.mdapi import package_xml

FLAVOURS = ["sandbox", "production"]
LAYOUT = "Account-Account Layout"


def _zip(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def _plan_package(tmp_path: Path) -> Path:
    config = write_config(tmp_path)
    result = cli("plan", "--config", str(config), "--out", str(tmp_path / "plan"))
    assert result.exit_code == 0, result.output
    return tmp_path / "plan" / "package"


def _until_done(check, async_id: str):
    for _ in range(60):
        answer = check(async_id)
        state = answer[0] if isinstance(answer, tuple) else answer["state"]
        if state in ("Succeeded", "Failed", "Canceled"):
            return answer
        time.sleep(0.1)
    raise AssertionError(f"{async_id} never finished")


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_mdapi_deploys_checks_status_and_retrieves(emulator_factory, tmp_path, flavour):
    emulator = emulator_factory(flavour=flavour)
    host = emulator.instance_url.removeprefix("https://")
    sf = Salesforce(instance=host, session_id=emulator.access_token, version="63.0")
    package = _zip(_plan_package(tmp_path))

    # mdapi.deploy with the org's local tests, then check_deploy_status to the end.
    async_id, state = sf.mdapi.deploy(
        io.BytesIO(package), sandbox=flavour == "sandbox", testLevel="RunLocalTests"
    )
    assert async_id and async_id.startswith("0Af") and state == "Queued"
    state, _, deployment, tests = _until_done(sf.mdapi.check_deploy_status, async_id)
    assert state == "Succeeded", deployment
    assert deployment["failed_count"] == "0" and not deployment["errors"]
    assert deployment["deployed_count"] == deployment["total_count"]
    assert int(tests["total_count"]) > 0 and tests["failed_count"] == "0"
    assert emulator.state.has("CustomField", "Account.Totango_Engagement__c")
    assert emulator.state.has("ReportFolder", "Totango_Reports")

    # Salesforce.deploy / checkDeployStatus, from a file, and a failure read back.
    broken = tmp_path / "broken.zip"
    broken.write_bytes(
        _zip_files({"package.xml": package_xml({"Layout": ["Nowhere-Missing Layout"]})})
    )
    started = sf.deploy(str(broken), sandbox=flavour == "sandbox")
    assert started["state"] == "Queued"
    status = _until_done(sf.checkDeployStatus, started["asyncId"])
    assert status["state"] == "Failed"
    errors = status["deployment_detail"]["errors"]
    assert [e["type"] for e in errors] == ["Layout"]
    assert "was named in package.xml, but was not found" in errors[0]["message"]
    assert errors[0]["file"] == "package.xml" and errors[0]["status"] == "Error"

    # mdapi.retrieve, check_retrieve_status, retrieve_zip; the report folder named as
    # sf CLI names it, with a trailing slash.
    retrieve_id, state = sf.mdapi.retrieve(
        "retrieve",
        unpackaged={
            "Layout": [LAYOUT],
            "Report": ["Totango_Reports/", "Totango_Reports/Accounts_by_Totango_Health"],
            "CustomField": ["Account.Totango_Engagement__c"],
        },
    )
    assert retrieve_id and state == "Queued"
    state, error, messages = _until_done(sf.mdapi.check_retrieve_status, retrieve_id)
    assert (state, error, messages) == ("Succeeded", None, [])
    state, _, _, data = sf.mdapi.retrieve_zip(retrieve_id)
    names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    assert {
        f"unpackaged/layouts/{LAYOUT}.layout",
        "unpackaged/reports/Totango_Reports-meta.xml",
        "unpackaged/reports/Totango_Reports/Accounts_by_Totango_Health.report",
        "unpackaged/objects/Account.object",
        "unpackaged/package.xml",
    } <= names
    kinds = emulator.history.kinds()
    assert kinds.count("deploy") == 2 and kinds.count("retrieve") == 1


def _zip_files(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()
