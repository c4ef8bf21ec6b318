"""Refusals in the words orgs were recorded using, on production and sandbox orgs.

- An object's View override naming a page the org does not hold: "X does not exist or is
  not a valid override for action View." (jongpie/NebulaLogger issue 20).
- Deleting a Lightning page in use: "You can't delete an active Lightning Page. Open the
  page in Lightning App Builder and click Activation to deactivate it."
  (SFDO-Tooling/CumulusCI issue 136).
- A restricted picklist puts the field's label first: "Job Category: bad value for
  restricted picklist field: ..." (benahm/TestDataFactory ``docs/LIMITATIONS.md``).
"""

from __future__ import annotations

import pytest

from tasks.totango_sf.merge.org_default import assign_org_default
from tests.org_emulator import field_security
from tests.org_emulator.deploy_engine import run_deploy
from tests.org_emulator.rest_errors import RestError
from tests.org_emulator.seed import build_state
from tests.support.mdapi import MD, deploy_zip

FLAVOURS = ["production", "sandbox"]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_an_override_naming_a_missing_page(flavour):
    files = {"objects/Account.object": assign_org_default(None, "Gone_Page")}
    outcome = run_deploy(
        build_state(flavour), deploy_zip(files, {"CustomObject": ["Account"]}, "63.0")
    )
    assert [f.problem for f in outcome.failures] == [
        "Gone_Page does not exist or is not a valid override for action View."
    ]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_deleting_a_page_in_use(flavour):
    destructive = (
        f'<?xml version="1.0" encoding="UTF-8"?><Package xmlns="{MD}"><types>'
        "<members>Account_Record_Page</members><name>FlexiPage</name></types></Package>"
    ).encode()
    outcome = run_deploy(
        build_state(flavour), deploy_zip({"destructiveChanges.xml": destructive}, {}, "63.0")
    )
    assert [f.problem for f in outcome.failures] == [
        "You can't delete an active Lightning Page. Open the page in Lightning App Builder and"
        " click Activation to deactivate it."
    ]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_restricted_picklist_names_the_field_by_its_label_first(flavour):
    state = build_state(flavour)
    field = (
        f'<fields xmlns="{MD}"><fullName>Job_Category__c</fullName><label>Job Category</label>'
        "<type>Picklist</type><valueSet><restricted>true</restricted><valueSetDefinition>"
        "<value><fullName>Nurse</fullName><default>false</default><label>Nurse</label></value>"
        "</valueSetDefinition></valueSet></fields>"
    )
    state.put("CustomField", "Account.Job_Category__c", {"": field.encode()})
    sets = field_security.user_permission_set_ids(state, state.user_id)
    state.insert(
        "FieldPermissions",
        {
            "ParentId": next(iter(sets)),
            "SobjectType": "Account",
            "Field": "Account.Job_Category__c",
            "PermissionsRead": True,
            "PermissionsEdit": True,
        },
    )
    with pytest.raises(RestError) as refused:
        field_security.check_write(state, state.user_id, "Account", {"Job_Category__c": "Doctor"})
    assert refused.value.code == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert refused.value.message == "Job Category: bad value for restricted picklist field: Doctor"
    field_security.check_write(state, state.user_id, "Account", {"Job_Category__c": "Nurse"})
