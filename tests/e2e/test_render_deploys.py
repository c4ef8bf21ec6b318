"""The rendered package deploys as-is into the emulated org (fields, pages, perms, tab)."""

import base64
import io
import logging
import zipfile
from types import SimpleNamespace

from cumulusci.salesforce_api.metadata import ApiDeploy

from tasks.totango_sf.config.model import build_config
from tasks.totango_sf.render.plan import build_plan, package_files


def deploy(emulator, files: dict[str, bytes]) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    task = SimpleNamespace(
        org_config=emulator.org_config(),
        project_config=SimpleNamespace(project__package__api_version="63.0", keychain=None),
        logger=logging.getLogger("test"),
    )
    return ApiDeploy(task, base64.b64encode(buffer.getvalue()).decode(), api_version="63.0")()


def test_default_package_deploys_and_lands(emulator):
    plan = build_plan(build_config({}))
    assert deploy(emulator, package_files(plan.components, "63.0", "mdapi")) == "Success"
    assert emulator.state.has("ApexPage", "Totango_Lead_Insights")
    assert emulator.state.has("PermissionSet", "Totango_Insights")
    assert emulator.state.has("CustomTab", "Totango")
    assert "Totango_Health_Icon__c" in emulator.state.field_names("Opportunity")
    assert emulator.state.has("Report", "Totango_Reports/Accounts_by_Totango_Health")
    assert emulator.state.has("ReportFolder", "Totango_Reports")


def test_custom_object_fields_and_no_tab_deploy(emulator):
    cfg = build_config({"tab": {"enabled": False}, "insights": {"objects": ["Contact"]}})
    plan = build_plan(cfg)
    assert deploy(emulator, package_files(plan.components, "63.0", "mdapi")) == "Success"
    assert "Totango_Engagement__c" in emulator.state.field_names("Contact")
    assert not emulator.state.has("CustomTab", "Totango")
