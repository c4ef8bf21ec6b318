"""Retrieve, quick deploy, Security.settings, faults and response schemas of the org emulator."""

from __future__ import annotations

import pytest
import requests
from cumulusci.salesforce_api.exceptions import MetadataApiError
from cumulusci.salesforce_api.metadata import ApiDeploy, ApiListMetadata, ApiRetrieveUnpackaged
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceExpiredSession, SalesforceMalformedRequest

from tasks.totango_sf.metadata.schema import load_schema
from tests.support.mdapi import (
    HEALTH_FIELD,
    MD,
    a_task,
    assert_schema_valid,
    body_child,
    layout_package,
    layout_with_section,
    package_xml,
    page_files,
    soap_call,
    zip_b64,
)


def sf(emulator) -> Salesforce:
    host = emulator.instance_url.removeprefix("https://")
    return Salesforce(instance=host, session_id=emulator.access_token, version="63.0")


# -- retrieve / list ------------------------------------------------------------------
def test_retrieve_returns_what_was_deployed(emulator):
    task = a_task(emulator)
    files = {
        "package.xml": package_xml({"CustomField": ["Account.Totango_Health__c"]}),
        "objects/Account.object": HEALTH_FIELD,
    }
    files.update(layout_package("Totango_Account_Insights"))
    files["package.xml"] = package_xml(
        {
            "ApexPage": ["Totango_Account_Insights"],
            "CustomField": ["Account.Totango_Health__c"],
            "Layout": ["Account-Account Layout"],
        }
    )
    assert ApiDeploy(task, zip_b64(files), api_version="63.0")() == "Success"
    request = package_xml(
        {
            "CustomField": ["Account.Totango_Health__c"],
            "Layout": ["Account-Account Layout", "Missing-Layout"],
            "Settings": ["Security"],
        }
    )
    zf = ApiRetrieveUnpackaged(task, request, "63.0")()
    names = set(zf.namelist())
    assert {"layouts/Account-Account Layout.layout", "settings/Security.settings"} <= names
    assert (
        zf.read("layouts/Account-Account Layout.layout")
        == files["layouts/Account-Account Layout.layout"].encode()
    )
    assert b"Totango_Health__c" in zf.read("objects/Account.object")
    assert load_schema().validate_bytes(zf.read("objects/Account.object")) == []
    kinds = emulator.history.kinds()
    assert kinds.count("retrieve") == 1 and "checkRetrieveStatus" in kinds


def test_list_metadata_lists_layouts(emulator_factory):
    emulator = emulator_factory(package_installed=True)
    task = a_task(emulator)
    layouts = ApiListMetadata(task, "Layout", as_of_version="63.0")()["Layout"]
    assert "Account-Account Layout - Partner" in {r["fullName"] for r in layouts}
    pages = ApiListMetadata(task, "ApexPage", as_of_version="63.0")()["ApexPage"]
    managed = {r["fullName"]: r for r in pages}["totango__Totango_Account_Insights"]
    assert managed["namespacePrefix"] == "totango"
    assert managed["manageableState"] == "installed"


# -- validation and quick deploy ------------------------------------------------------
def test_check_only_then_quick_deploy_once(emulator):
    task = a_task(emulator)
    files = layout_package("Totango_Account_Insights")
    before = emulator.state.metadata_xml("Layout", "Account-Account Layout")
    # Only a validation in which the org's Apex tests ran is quick-deployable.
    validate = ApiDeploy(
        task, zip_b64(files), api_version="63.0", check_only=True, test_level="RunLocalTests"
    )
    assert validate() == "Success"
    assert emulator.state.metadata_xml("Layout", "Account-Account Layout") == before
    validation = emulator.history.deploys[-1]
    assert validation.check_only and validation.success
    status, content = soap_call(
        emulator,
        f'<checkDeployStatus xmlns="{MD}"><asyncProcessId>{validation.deploy_id}</asyncProcessId>'
        "<includeDetails>true</includeDetails></checkDeployStatus>",
    )
    assert_schema_valid(content)  # runTestResult included
    assert b"<numTestsRun>" in content and b"<codeCoverageWarnings>" in content

    status, content = soap_call(
        emulator,
        f'<deployRecentValidation xmlns="{MD}"><validationId>{validation.deploy_id}'
        "</validationId></deployRecentValidation>",
    )
    assert status == 200
    assert_schema_valid(content)
    quick_id = body_child(content).findtext(f"{{{MD}}}result")
    for _ in range(3):
        status, content = soap_call(
            emulator,
            f'<checkDeployStatus xmlns="{MD}"><asyncProcessId>{quick_id}</asyncProcessId>'
            "<includeDetails>true</includeDetails></checkDeployStatus>",
        )
        assert_schema_valid(content)
    assert b"<status>Succeeded</status>" in content
    assert b"Totango" in emulator.state.metadata_xml("Layout", "Account-Account Layout")

    status, content = soap_call(
        emulator,
        f'<deployRecentValidation xmlns="{MD}"><validationId>{validation.deploy_id}'
        "</validationId></deployRecentValidation>",
    )
    assert status == 500 and b"INVALID_ID_FIELD" in content


def test_quick_deploy_refused_after_org_changed(emulator):
    task = a_task(emulator)
    ApiDeploy(
        task,
        zip_b64(layout_package("Page_One")),
        api_version="63.0",
        check_only=True,
        test_level="RunLocalTests",
    )()
    validation_id = emulator.history.deploys[-1].deploy_id
    ApiDeploy(task, zip_b64(layout_package("Page_Two")), api_version="63.0")()
    status, content = soap_call(
        emulator,
        f'<deployRecentValidation xmlns="{MD}"><validationId>{validation_id}'
        "</validationId></deployRecentValidation>",
    )
    assert status == 500 and b"not eligible" in content


def test_cancel_deploy_applies_nothing(emulator_factory):
    emulator = emulator_factory(deploy_polls=5)
    _, content = soap_call(
        emulator,
        f'<deploy xmlns="{MD}"><ZipFile>{zip_b64(layout_package("P1"))}</ZipFile>'
        "<DeployOptions><checkOnly>false</checkOnly><rollbackOnError>true</rollbackOnError>"
        "</DeployOptions></deploy>",
    )
    assert_schema_valid(content)
    deploy_id = body_child(content).findtext(f"{{{MD}}}result/{{{MD}}}id")
    _, content = soap_call(
        emulator, f'<cancelDeploy xmlns="{MD}"><String>{deploy_id}</String></cancelDeploy>'
    )
    assert_schema_valid(content)
    _, content = soap_call(
        emulator,
        f'<checkDeployStatus xmlns="{MD}"><asyncProcessId>{deploy_id}</asyncProcessId>'
        "<includeDetails>true</includeDetails></checkDeployStatus>",
    )
    assert b"<status>Canceled</status>" in content
    assert not emulator.state.has("ApexPage", "P1")


def test_deploy_progresses_pending_inprogress_done(emulator_factory):
    emulator = emulator_factory(deploy_polls=4)
    _, content = soap_call(
        emulator,
        f'<deploy xmlns="{MD}"><ZipFile>{zip_b64(layout_package("P1"))}</ZipFile>'
        "<DeployOptions><rollbackOnError>true</rollbackOnError></DeployOptions></deploy>",
    )
    deploy_id = body_child(content).findtext(f"{{{MD}}}result/{{{MD}}}id")
    statuses = []
    for _ in range(4):
        _, content = soap_call(
            emulator,
            f'<checkDeployStatus xmlns="{MD}"><asyncProcessId>{deploy_id}</asyncProcessId>'
            "<includeDetails>true</includeDetails></checkDeployStatus>",
        )
        assert_schema_valid(content)
        result = body_child(content).find(f"{{{MD}}}result")
        statuses.append(
            (
                result.findtext(f"{{{MD}}}status"),
                result.findtext(f"{{{MD}}}numberComponentsDeployed"),
            )
        )
    assert statuses == [
        ("Pending", "0"),
        ("InProgress", "1"),
        ("InProgress", "1"),
        ("Succeeded", "2"),
    ]


# -- package.xml and Security.settings ------------------------------------------------
def test_package_xml_must_match_files(emulator):
    task = a_task(emulator)
    files = layout_package("P1")
    files["package.xml"] = package_xml({"Layout": ["Account-Account Layout"], "Bogus": ["X"]})
    with pytest.raises(Exception) as failure:
        ApiDeploy(task, zip_b64(files), api_version="63.0")()
    text = str(failure.value)
    assert "Unknown type name 'Bogus' specified in package.xml" in text
    assert "An object 'P1' of type ApexPage was found in the zipped directory" in text
    assert not emulator.state.has("ApexPage", "P1")


SECURITY = f"""<?xml version="1.0" encoding="UTF-8"?>
<SecuritySettings xmlns="{MD}">
    <networkAccess>{{ranges}}</networkAccess>
</SecuritySettings>
"""


def ip_range(start: str, end: str) -> str:
    return (
        f"<ipRanges><description>Totango</description><end>{end}</end>"
        f"<start>{start}</start></ipRanges>"
    )


def deploy_security(emulator, ranges: str) -> None:
    files = {
        "package.xml": package_xml({"Settings": ["Security"]}),
        "settings/Security.settings": SECURITY.replace("{ranges}", ranges),
    }
    ApiDeploy(a_task(emulator), zip_b64(files), api_version="63.0")()


def test_network_access_is_replaced_whole(emulator):
    deploy_security(emulator, ip_range("52.1.2.3", "52.1.2.3"))
    settings = emulator.state.metadata_xml("Settings", "Security")
    assert b"52.1.2.3" in settings and b"203.0.113.0" not in settings
    assert b"<passwordPolicies>" in settings  # other settings untouched
    assert load_schema().validate_bytes(settings) == []
    deploy_security(emulator, "")
    assert b"ipRanges" not in emulator.state.metadata_xml("Settings", "Security")


@pytest.mark.parametrize(
    "start, end, problem",
    [
        ("10.0.0.300", "10.0.0.1", "Invalid IP address"),
        ("10.0.0.1", "::1", "mixes IPv4 and IPv6"),
        ("10.0.0.9", "10.0.0.1", "is after end"),
        ("0.0.0.0", "2.0.0.0", "33,554,432"),
        ("2001:db8::", "2001:db9::", "larger than a /32"),
    ],
)
def test_bad_ip_ranges_are_refused(emulator, start, end, problem):
    before = emulator.state.metadata_xml("Settings", "Security")
    with pytest.raises(Exception) as failure:
        deploy_security(emulator, ip_range(start, end))
    assert problem in str(failure.value)
    assert emulator.state.metadata_xml("Settings", "Security") == before


def test_ipv4_range_of_exactly_the_limit_is_accepted(emulator):
    # A /7 in address count; half of it is in 10.0.0.0/8, so the reported (unconfirmed)
    # total of 16,777,216 counted addresses is exactly reached too.
    deploy_security(emulator, ip_range("9.0.0.0", "10.255.255.255"))


def test_field_deploy_grants_no_fls_and_permission_set_needs_fields(emulator):
    task = a_task(emulator)
    perm = (
        f'<?xml version="1.0" encoding="UTF-8"?><PermissionSet xmlns="{MD}">'
        "<fieldPermissions><editable>false</editable><field>Account.Totango_Health__c</field>"
        "<readable>true</readable></fieldPermissions><label>Totango</label></PermissionSet>"
    )
    files = {
        "package.xml": package_xml({"PermissionSet": ["Totango"]}),
        "permissionsets/Totango.permissionset": perm,
    }
    with pytest.raises(Exception, match="no CustomField named Account.Totango_Health__c"):
        ApiDeploy(task, zip_b64(files), api_version="63.0")()
    files["objects/Account.object"] = HEALTH_FIELD
    files["package.xml"] = package_xml(
        {"CustomField": ["Account.Totango_Health__c"], "PermissionSet": ["Totango"]}
    )
    assert ApiDeploy(task, zip_b64(files), api_version="63.0")() == "Success"
    assert emulator.state.has("PermissionSet", "Totango")
    assert not emulator.state.has("PermissionSet", "Admin")  # no FLS appears elsewhere


def test_destructive_changes_delete(emulator):
    task = a_task(emulator)
    ApiDeploy(task, zip_b64(layout_package("P1")), api_version="63.0")()
    files = {
        "package.xml": package_xml({}),
        "destructiveChanges.xml": package_xml({"ApexPage": ["P1"]}),
    }
    with pytest.raises(Exception, match="referenced elsewhere.*Layout - Account-Account Layout"):
        ApiDeploy(task, zip_b64(files), api_version="63.0")()  # the layout still uses it
    assert emulator.state.has("ApexPage", "P1")


# -- REST -----------------------------------------------------------------------------
def test_rest_queries_and_writes(emulator_factory):
    emulator = emulator_factory(package_installed=True)
    client = sf(emulator)
    users = client.query(
        "SELECT Id, Name, Profile.Name FROM User WHERE IsActive = true "
        "AND Profile.Name IN ('Standard User') ORDER BY Name LIMIT 5"
    )["records"]
    assert [u["Profile"]["Name"] for u in users] == ["Standard User", "Standard User"]
    app = client.query(
        "SELECT Id, Name, OptionsAllowAdminApprovedUsersOnly FROM ConnectedApplication "
        "WHERE Name = 'TotangoApp'"
    )["records"][0]
    assert app["OptionsAllowAdminApprovedUsersOnly"] is False
    owned = client.query(
        "SELECT Id, ProfileId FROM PermissionSet WHERE IsOwnedByProfile = true "
        "AND Profile.Name = 'Standard User'"
    )["records"][0]
    created = client.SetupEntityAccess.create({"ParentId": owned["Id"], "SetupEntityId": app["Id"]})
    with pytest.raises(SalesforceMalformedRequest, match="DUPLICATE_VALUE"):
        client.SetupEntityAccess.create({"ParentId": owned["Id"], "SetupEntityId": app["Id"]})
    client.SetupEntityAccess.delete(created["id"])
    with pytest.raises(SalesforceMalformedRequest, match="entity type cannot be updated"):
        client.ConnectedApplication.update(app["Id"], {"OptionsAllowAdminApprovedUsersOnly": True})
    with pytest.raises(SalesforceMalformedRequest, match="MALFORMED_QUERY"):
        client.query("SELECT Id FROM User GROUP BY Name")
    with pytest.raises(SalesforceMalformedRequest, match="INVALID_FIELD"):
        client.query("SELECT Nope FROM User")
    isp = client.toolingexecute(
        "query/?q=SELECT+SubscriberPackage.NamespacePrefix+FROM+InstalledSubscriberPackage"
    )
    assert isp["records"][0]["SubscriberPackage"]["NamespacePrefix"] == "totango"


def test_composite_all_or_none_rolls_back(emulator):
    client = sf(emulator)
    result = client.restful(
        "composite/sobjects",
        method="POST",
        json={
            "allOrNone": True,
            "records": [
                {"attributes": {"type": "Account"}, "Name": "A"},
                {"attributes": {"type": "ConnectedApplication"}, "Name": "B"},
            ],
        },
    )
    assert [r["success"] for r in result] == [False, False]
    assert emulator.state.rows("Account") == []


def test_package_install_request_progresses(emulator_factory):
    emulator = emulator_factory(flavour="production", install_polls=2)
    client = sf(emulator)
    request = client.restful(
        "tooling/sobjects/PackageInstallRequest",
        method="POST",
        json={"SubscriberPackageVersionKey": "04t000000000001AAA", "SecurityType": "FULL"},
    )
    query = f"SELECT Errors, Status FROM PackageInstallRequest WHERE Id='{request['id']}'"
    first = client.restful("tooling/query", params={"q": query})["records"][0]["Status"]
    second = client.restful("tooling/query", params={"q": query})["records"][0]["Status"]
    assert (first, second) == ("IN_PROGRESS", "SUCCESS")
    assert emulator.state.has("ApexPage", "totango__Totango_Account_Insights")


def test_professional_edition_cannot_install(emulator_factory):
    emulator = emulator_factory(flavour="professional", install_polls=1)
    client = sf(emulator)
    request = client.restful(
        "tooling/sobjects/PackageInstallRequest",
        method="POST",
        json={"SubscriberPackageVersionKey": "04t000000000001AAA"},
    )
    row = client.restful(
        "tooling/query",
        params={
            "q": f"SELECT Errors, Status FROM PackageInstallRequest WHERE Id='{request['id']}'"
        },
    )["records"][0]
    assert (
        row["Status"] == "ERROR" and "Professional Edition" in row["Errors"]["errors"][0]["message"]
    )


def test_bad_token_is_401_invalid_session(emulator):
    response = requests.get(
        f"{emulator.instance_url}/services/data/v63.0/query",
        params={"q": "SELECT Id FROM User"},
        headers={"Authorization": "Bearer nope"},
        timeout=10,
    )
    assert response.status_code == 401
    assert response.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]


# -- faults ---------------------------------------------------------------------------
def test_fault_http_error_then_recovers(emulator):
    emulator.faults.http_error(500, "query", count=1)
    client = sf(emulator)
    with pytest.raises(Exception, match="500"):
        client.query("SELECT Id FROM User")
    # Five people and the Totango connection user.
    assert client.query("SELECT Id FROM User")["totalSize"] == 6
    assert [c.fault for c in emulator.history.of("query")] == ["http_500", None]


def test_fault_request_limit(emulator):
    emulator.faults.request_limit("query")
    with pytest.raises(Exception, match="REQUEST_LIMIT_EXCEEDED"):
        sf(emulator).query("SELECT Id FROM User")


def test_fault_dropped_connection(emulator):
    emulator.faults.drop_connection("query")
    with pytest.raises(requests.exceptions.ConnectionError):
        sf(emulator).query("SELECT Id FROM User")


def test_fault_latency(emulator):
    import time

    emulator.faults.latency(0.3, "versions", count=1)
    started = time.monotonic()
    requests.get(
        f"{emulator.instance_url}/services/data",
        headers={"Authorization": f"Bearer {emulator.access_token}"},
        timeout=10,
    )
    assert time.monotonic() - started >= 0.3


def test_fault_expired_session_rest_and_soap_refresh(emulator):
    client = sf(emulator)
    emulator.faults.expire_session("query")
    with pytest.raises(SalesforceExpiredSession):
        client.query("SELECT Id FROM User")
    # CumulusCI's SOAP client refreshes the token on INVALID_SESSION_ID and retries.
    emulator.faults.expire_session("listMetadata")
    task = a_task(emulator)
    assert ApiListMetadata(task, "Layout", as_of_version="63.0")()["Layout"]
    assert "token" in emulator.history.kinds()


def test_fault_stuck_deploy(emulator):
    emulator.faults.stuck_deploy(3)
    ApiDeploy(a_task(emulator), zip_b64(layout_package("P1")), api_version="63.0")()
    assert len(emulator.history.of("checkDeployStatus")) == 2 + 3


def test_fault_component_failure(emulator):
    emulator.faults.fail_component("ApexPage", "P1", "Emulated failure for P1")
    with pytest.raises(Exception, match="Emulated failure for P1"):
        ApiDeploy(a_task(emulator), zip_b64(layout_package("P1")), api_version="63.0")()
    assert not emulator.state.has("ApexPage", "P1")


def test_fault_malformed_retrieve_zip(emulator):
    emulator.faults.malformed_retrieve()
    with pytest.raises(Exception, match="zip"):
        ApiRetrieveUnpackaged(a_task(emulator), package_xml({"Settings": ["Security"]}), "63.0")()


def test_fault_probability_is_seeded(emulator_factory):
    def pattern():
        emulator = emulator_factory(fault_seed=7)
        emulator.faults.http_error(503, "versions", count=None, probability=0.5)
        headers = {"Authorization": f"Bearer {emulator.access_token}"}
        url = f"{emulator.instance_url}/services/data"
        session = requests.Session()  # plain session: no retries to hide the 503s
        return [session.get(url, headers=headers, timeout=10).status_code for _ in range(8)]

    first, second = pattern(), pattern()
    assert first == second and 503 in first and 200 in first


# -- schemas --------------------------------------------------------------------------
def test_soap_responses_validate_against_schema(emulator):
    _, content = soap_call(
        emulator,
        f'<listMetadata xmlns="{MD}"><queries><type>Layout</type></queries>'
        "<asOfVersion>63.0</asOfVersion></listMetadata>",
    )
    assert_schema_valid(content)
    _, content = soap_call(
        emulator,
        f'<retrieve xmlns="{MD}"><retrieveRequest><apiVersion>63.0</apiVersion><unpackaged>'
        "<types><members>*</members><name>Layout</name></types><version>63.0</version>"
        "</unpackaged></retrieveRequest></retrieve>",
    )
    assert_schema_valid(content)
    retrieve_id = body_child(content).findtext(f"{{{MD}}}result/{{{MD}}}id")
    _, content = soap_call(
        emulator,
        f'<checkRetrieveStatus xmlns="{MD}"><asyncProcessId>{retrieve_id}</asyncProcessId>'
        "<includeZip>true</includeZip></checkRetrieveStatus>",
    )
    assert_schema_valid(content)
    bad = layout_package("P1")
    bad["layouts/Account-Account Layout.layout"] = layout_with_section("<field>Nope__c</field>")
    _, content = soap_call(
        emulator,
        f'<deploy xmlns="{MD}"><ZipFile>{zip_b64(bad)}</ZipFile><DeployOptions>'
        "<rollbackOnError>true</rollbackOnError></DeployOptions></deploy>",
    )
    deploy_id = body_child(content).findtext(f"{{{MD}}}result/{{{MD}}}id")
    for _ in range(2):
        _, content = soap_call(
            emulator,
            f'<checkDeployStatus xmlns="{MD}"><asyncProcessId>{deploy_id}</asyncProcessId>'
            "<includeDetails>true</includeDetails></checkDeployStatus>",
        )
        assert_schema_valid(content)
    failure = body_child(content).find(f".//{{{MD}}}componentFailures")
    fields = {child.tag.split("}")[1]: child.text for child in failure}
    assert fields["fileName"] == "layouts/Account-Account Layout.layout"
    assert fields["fullName"] == "Account-Account Layout"
    assert fields["componentType"] == "Layout"
    assert fields["problemType"] == "Error"
    assert int(fields["lineNumber"]) > 0 and int(fields["columnNumber"]) > 0


def test_unknown_soap_session_is_a_fault(emulator):
    task = a_task(emulator)
    task.org_config.config["refresh_token"] = None  # so CumulusCI cannot refresh its way out
    emulator.state.revoke_sessions()
    with pytest.raises(MetadataApiError, match="INVALID_SESSION_ID"):
        ApiListMetadata(task, "Layout", as_of_version="63.0")()


def test_destructive_changes_delete_unused_page(emulator):
    task = a_task(emulator)
    files = {"package.xml": package_xml({"ApexPage": ["Lonely"]}), **page_files("Lonely")}
    ApiDeploy(task, zip_b64(files), api_version="63.0")()
    assert emulator.state.has("ApexPage", "Lonely")
    files = {
        "package.xml": package_xml({}),
        "destructiveChanges.xml": package_xml({"ApexPage": ["Lonely"]}),
    }
    ApiDeploy(task, zip_b64(files), api_version="63.0")()
    assert not emulator.state.has("ApexPage", "Lonely")


def test_package_brings_totango_app_but_the_gateway_needs_its_own_install(emulator_factory):
    from tests.org_emulator.managed_package import install_gateway

    emulator = emulator_factory(flavour="sandbox", package_installed=True)
    # In use before the install: OAuth tokens and a ConnectedApplication row, no App Menu item.
    names = {row["Name"] for row in emulator.state.rows("ConnectedApplication")}
    assert names == {"TotangoApp", "Totango Gateway"}
    assert [t["AppName"] for t in emulator.state.rows("OauthToken")] == ["Totango Gateway"]
    assert emulator.state.rows("AppMenuItem") == []
    install_gateway(emulator.state)
    (item,) = emulator.state.rows("AppMenuItem")
    assert item["Type"] == "ConnectedApplication" and item["Label"] == "Totango Gateway"
    assert emulator.state.rows("OauthToken")[0]["AppMenuItemId"] == item["Id"]
