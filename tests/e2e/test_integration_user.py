"""Totango's job writes the insights fields as its connection user: before and after deploy."""

from __future__ import annotations

import json

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError

import tasks  # noqa: F401 - the real package before cumulusci's placeholder
from tasks.totango_sf.config.model import build_config
from tests.support.cli import as_json, cli, write_config

SAMPLE_VALUES = {
    "Picklist": "Good",
    "Text": "tag-a;tag-b",
    "Checkbox": True,
    "DateTime": "2026-11-29T12:00:00.000+0000",
    "Percent": 87.5,
    "Url": "https://app.totango.com/#/customer/42",
    "Number": 12,
}


def client_as(emulator, token: str) -> Salesforce:
    session = __import__("requests").Session()
    session.verify = emulator.ca_bundle
    host = emulator.instance_url.removeprefix("https://")
    return Salesforce(instance=host, session_id=token, version="63.0", session=session)


def admin(emulator) -> Salesforce:
    return client_as(emulator, emulator.access_token)


def connection_user(emulator) -> Salesforce:
    return client_as(emulator, emulator.integration_user()["access_token"])


def records(emulator) -> dict[str, str]:
    sf = admin(emulator)
    return {
        "Account": sf.Account.create({"Name": "Acme"})["id"],
        "Lead": sf.Lead.create({"LastName": "Lee", "Company": "Acme"})["id"],
        "Opportunity": sf.Opportunity.create(
            {"Name": "Renewal", "StageName": "Prospecting", "CloseDate": "2026-12-31"}
        )["id"],
    }


def totango_job(emulator, ids: dict[str, str]) -> dict[tuple[str, str], str]:
    """What Totango's outbound job does: write every writable insights field; the errors."""
    sf = connection_user(emulator)
    fields = [f for f in build_config({}).insights.resolved_fields() if not f.formula]
    errors = {}
    for sobject, record_id in ids.items():
        for field in fields:
            try:
                getattr(sf, sobject).update(record_id, {field.api_name: SAMPLE_VALUES[field.type]})
            except SalesforceError as exc:
                errors[(sobject, field.api_name)] = exc.content[0]["errorCode"]
    return errors


def test_connection_user_can_write_every_field_only_after_the_deploy(
    emulator,
    use_org,
    tmp_path,
):
    use_org(emulator)
    ids = records(emulator)
    username = emulator.integration_user()["username"]
    writable = 11 * 3  # every field but the formula icon, on three objects

    before = totango_job(emulator, ids)
    assert len(before) == writable and set(before.values()) == {"INVALID_FIELD"}

    # Fields deployed, connection user not named: no field-level security for them.
    unnamed = cli("deploy", "--org", "emu", "--config", str(write_config(tmp_path)), "--json")
    assert unnamed.exit_code == 0, unnamed.output
    doc = as_json(unnamed)
    assert doc["integration_user"]["state"] == "not_configured"
    assert any(
        "integration.username is not set" in w for w in json.loads(unnamed.stdout)["warnings"]
    )
    denied = totango_job(emulator, ids)
    assert len(denied) == writable
    assert set(denied.values()) == {"INVALID_FIELD_FOR_INSERT_UPDATE"}

    config = write_config(tmp_path, integration={"username": username})
    named = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert named.exit_code == 0, named.output
    assert as_json(named)["integration_user"]["state"] == "assigned"
    assert totango_job(emulator, ids) == {}
    account = admin(emulator).Account.get(ids["Account"])
    assert account["Totango_Account_Health__c"] == "Good"

    config = write_config(tmp_path, integration={"username": username})
    again = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert as_json(again)["integration_user"]["state"] == "already_assigned"


def test_formula_fields_and_unknown_picklist_values_are_refused(
    emulator,
    use_org,
    tmp_path,
):
    use_org(emulator)
    username = emulator.integration_user()["username"]
    config = write_config(tmp_path, integration={"username": username})
    assert cli("deploy", "--org", "emu", "--config", str(config), "--json").exit_code == 0
    ids = records(emulator)
    sf = connection_user(emulator)
    with pytest.raises(SalesforceError) as info:
        sf.Account.update(ids["Account"], {"Totango_Health_Icon__c": "x"})
    assert info.value.content[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    with pytest.raises(SalesforceError) as info:
        sf.Account.update(ids["Account"], {"Totango_Account_Health__c": "Excellent"})
    assert info.value.content[0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    sf.Account.update(ids["Account"], {"Totango_Account_Health__c": "Poor"})


def test_an_unknown_or_inactive_connection_user_is_a_warning_not_a_failure(
    emulator,
    use_org,
    tmp_path,
):
    use_org(emulator)
    config = write_config(tmp_path, integration={"username": "nobody@example.com"})
    result = cli("deploy", "--org", "emu", "--config", str(config), "--json")
    assert result.exit_code == 0, result.output
    assert as_json(result)["integration_user"]["state"] == "user_not_found"
    assert any(
        "Totango_Integration not assigned" in w for w in json.loads(result.stdout)["warnings"]
    )


def test_emulator_refuses_an_editable_formula_field_in_a_permission_set(
    emulator,
    use_org,
    tmp_path,
):
    from tests.org_emulator import rules

    use_org(emulator)
    assert cli("deploy", "--org", "emu", "--config", str(write_config(tmp_path))).exit_code == 0
    md = "http://soap.sforce.com/2006/04/metadata"

    def permission_set(field: str) -> bytes:
        return (
            f'<PermissionSet xmlns="{md}"><fieldPermissions><editable>true</editable>'
            f"<field>{field}</field><readable>true</readable></fieldPermissions>"
            "<label>x</label></PermissionSet>"
        ).encode()

    refused = rules.check_permission_set(
        emulator.state, permission_set("Account.Totango_Health_Icon__c")
    )
    assert [p.text for p in refused] == [
        "In field: editable - Account.Totango_Health_Icon__c is a formula field and cannot be"
        " editable"
    ]
    assert (
        rules.check_permission_set(emulator.state, permission_set("Account.Totango_URL__c")) == []
    )
