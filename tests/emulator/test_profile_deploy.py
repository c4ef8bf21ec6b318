"""A deployed Profile overlays the org's profile, and a retrieved one lists every custom
field of the objects retrieved with it (what CumulusCI's update_admin_profile relies on)."""

from __future__ import annotations

import io
import zipfile

from tasks.totango_sf.metadata.safe_xml import parse_xml
from tests.org_emulator import retrieve_engine
from tests.org_emulator.deploy_engine import run_deploy
from tests.org_emulator.profile_deploy import overlay_profile
from tests.org_emulator.seed import build_state
from tests.support.mdapi import HEALTH_FIELD, MD, deploy_zip

FIELD = "Account.Totango_Health__c"


def _with_health_field():
    state = build_state()
    outcome = run_deploy(
        state,
        deploy_zip({"objects/Account.object": HEALTH_FIELD.encode()}, {"CustomField": [FIELD]},
                   "63.0"),
    )  # fmt: skip
    assert outcome.ok, outcome.failures
    assert outcome.new_state is not None
    state.adopt(outcome.new_state)
    return state


def _profile(state, members):
    outcome = retrieve_engine.retrieve(state, {"Profile": ["Admin"], **members}, "63.0")
    with zipfile.ZipFile(io.BytesIO(outcome.zip_bytes)) as archive:
        return parse_xml(archive.read("unpackaged/profiles/Admin.profile"))


def _permissions(root):
    return {
        e.findtext("{*}field"): (e.findtext("{*}readable"), e.findtext("{*}editable"))
        for e in root.findall("{*}fieldPermissions")
    }


def test_a_retrieved_profile_lists_each_custom_field_of_the_objects_retrieved_with_it():
    state = _with_health_field()
    assert _permissions(_profile(state, {"CustomObject": ["Account"]})) == {
        FIELD: ("false", "false")
    }
    assert _permissions(_profile(state, {"CustomField": [FIELD]})) == {FIELD: ("false", "false")}
    assert _permissions(_profile(state, {})) == {}


def test_a_deployed_profile_overlays_the_org_profile():
    state = _with_health_field()
    before = state.metadata_xml("Profile", "Admin")
    assert before is not None and b"<layoutAssignments>" in before
    deployed = (
        f'<?xml version="1.0" encoding="UTF-8"?><Profile xmlns="{MD}"><custom>false</custom>'
        f"<fieldPermissions><editable>true</editable><field>{FIELD}</field>"
        "<readable>true</readable></fieldPermissions><userLicense>Salesforce</userLicense>"
        "</Profile>"
    )
    outcome = run_deploy(
        state, deploy_zip({"profiles/Admin.profile": deployed.encode()}, {"Profile": ["Admin"]},
                          "63.0"),
    )  # fmt: skip
    assert outcome.ok, outcome.failures
    assert outcome.new_state is not None
    after = outcome.new_state.metadata_xml("Profile", "Admin") or b""
    root = parse_xml(after)
    assert _permissions(root) == {FIELD: ("true", "true")}
    kept = [e.findtext("{*}layout") for e in root.findall("{*}layoutAssignments")]
    assert kept == [
        e.findtext("{*}layout") for e in parse_xml(before).findall("{*}layoutAssignments")
    ]
    # A later deploy of the same field replaces its entry; elements stay in schema order.
    again = overlay_profile(after, deployed.replace("<readable>true", "<readable>false").encode())
    root = parse_xml(again)
    assert _permissions(root) == {FIELD: ("false", "true")}
    tags = [e.tag.split("}")[1] for e in root]
    assert tags == sorted(tags)
