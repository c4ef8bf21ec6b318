"""A created record page made the org default, file by file with no org: the object file
the merge writes and its exact inverse, which objects the flag assigns, the rollback plan.

Against the emulated org: tests/e2e/test_record_page_org_default.py."""

from __future__ import annotations

import pytest

from tasks.totango_sf.merge.org_default import (
    assign_org_default,
    exact_overrides,
    org_default_page,
    overrides_only,
    restore_org_default,
)
from tasks.totango_sf.metadata.components import Component, mdapi_files, source_files
from tasks.totango_sf.metadata.safe_xml import parse_xml
from tasks.totango_sf.metadata.schema import load_schema
from tests.support.org_default import CREATED, MD, OBJECT_PATH, PHONE, object_file

# A Classic Visualforce edit override: not the org default record page either, and it
# must survive the assignment and its rollback as the phone override does.
EDIT = "<actionName>Edit</actionName><type>Standard</type>"
ADMIN_DEFAULT = (
    "<actionName>View</actionName><content>Admin_Page</content>"
    "<formFactor>Large</formFactor><type>Flexipage</type>"
)


def fields_of(override) -> tuple:
    return tuple((child.tag, child.text) for child in override)


@pytest.mark.parametrize(
    "before", [None, object_file(), object_file(PHONE, EDIT), object_file(EDIT, ADMIN_DEFAULT)]
)
def test_assign_is_schema_valid_idempotent_keeps_others_and_has_an_exact_inverse(before):
    schema = load_schema()
    after = assign_org_default(before, CREATED)
    assert not schema.validate_bytes(after)
    assert org_default_page(after) == CREATED
    assert assign_org_default(after, CREATED) == after  # a second run changes nothing
    others = [
        fields_of(o)
        for o in parse_xml(overrides_only(before)).iter(f"{{{MD}}}actionOverrides")
        if o.findtext(f"{{{MD}}}formFactor") != "Large"
    ]
    kept = [fields_of(o) for o in parse_xml(after).iter(f"{{{MD}}}actionOverrides")]
    assert all(o in kept for o in others)
    # The override is written as Lightning App Builder writes it, in schema order.
    ours = next(o for o in parse_xml(after) if o.findtext(f"{{{MD}}}content") == CREATED)
    assert [c.tag.split("}")[1] for c in ours] == [
        "actionName", "comment", "content", "formFactor", "skipRecordTypeSelect", "type"
    ]  # fmt: skip

    restored = restore_org_default(after, before)
    assert not schema.validate_bytes(restored)
    assert org_default_page(restored) == org_default_page(before)
    if org_default_page(before) is None:
        # No override before: View / Large back to Default (the system page), not omitted.
        view = [
            o
            for o in parse_xml(restored)
            if (o.findtext(f"{{{MD}}}actionName"), o.findtext(f"{{{MD}}}formFactor"))
            == ("View", "Large")
        ]
        assert [v.findtext(f"{{{MD}}}type") for v in view] == ["Default"]
    else:
        assert restored == overrides_only(before)
    exact = exact_overrides(before, after)
    assert not schema.validate_bytes(exact)
    assert org_default_page(exact) == org_default_page(before)


def test_restore_keeps_what_an_admin_changed_elsewhere_since():
    after = assign_org_default(object_file(PHONE), CREATED)
    edited = after.replace(b"<content>Opportunity_Sales_Page</content>", b"<content>X</content>")
    restored = restore_org_default(edited, object_file(PHONE))
    assert b"<content>X</content>" in restored and org_default_page(restored) is None


def test_object_settings_and_fields_share_one_file_in_schema_order():
    settings = Component("CustomObject", "Opportunity", assign_org_default(None, CREATED))
    field = Component(
        "CustomField",
        "Opportunity.Health__c",
        f'<CustomField xmlns="{MD}"><fullName>Health__c</fullName><label>H</label>'
        "<length>10</length><type>Text</type></CustomField>".encode(),
    )
    files = mdapi_files([field, settings])
    root = parse_xml(files[OBJECT_PATH])
    assert [c.tag.split("}")[1] for c in root] == ["actionOverrides", "fields"]
    assert not load_schema().validate_bytes(files[OBJECT_PATH])
    assert "force-app/main/default/objects/Opportunity/Opportunity.object-meta.xml" in (
        source_files([settings])
    )


@pytest.mark.parametrize(
    ("value", "opportunity", "lead"),
    [
        (False, False, False),
        (True, False, False),
        ({"assign_org_default": True}, True, True),
        ({"assign_org_default": ["Opportunity"]}, True, False),
        ({"enabled": False}, False, False),
    ],
)
def test_which_objects_get_their_created_page_assigned(value, opportunity, lead):
    from tasks.totango_sf.config.model import build_config

    config = build_config({"widget": {"create_record_page": value}})
    flag = config.widget.create_record_page
    assert (flag.assigns("Opportunity"), flag.assigns("Lead")) == (opportunity, lead)
    assert flag.enabled is (
        value is True or isinstance(value, dict) and value != {"enabled": False}
    )


def test_rollback_of_a_deploy_that_left_the_org_default_as_it_was_sends_no_object(tmp_path):
    from tasks.totango_sf.org.org_default_rollback import plan_object_rollback
    from tasks.totango_sf.state.snapshot import save_deployed, write_snapshot

    ours = assign_org_default(None, CREATED)
    snapshot = write_snapshot(
        tmp_path, "emu", {OBJECT_PATH: ours}, [], [("CustomObject", "Opportunity")]
    )
    save_deployed(snapshot, {OBJECT_PATH: ours})
    for exact in (False, True):
        plan = plan_object_rollback(snapshot, {OBJECT_PATH: ours}, exact=exact)
        assert plan.files == {} and plan.restored == [] and plan.diffs == {}
    first = write_snapshot(
        tmp_path, "emu", {OBJECT_PATH: overrides_only(None)}, [], [("CustomObject", "Opportunity")]
    )
    save_deployed(first, {OBJECT_PATH: ours})
    plan = plan_object_rollback(first, {OBJECT_PATH: ours}, exact=False)
    assert org_default_page(plan.files[OBJECT_PATH]) is None
