"""The emulator takes an org default override only as an org does: for a record page of the
object, and never while it names a page the same deploy deletes first."""

from __future__ import annotations

import pytest

from tasks.totango_sf.merge.org_default import (
    assign_org_default,
    restore_org_default,
)
from tests.org_emulator.deploy_engine import run_deploy
from tests.org_emulator.seed import build_state
from tests.support.mdapi import deploy_zip
from tests.support.org_default import MD, OBJECT_PATH


@pytest.mark.parametrize(
    ("content", "accepted"),
    [
        ("Opportunity_Sales_Page", True),  # a record page of Opportunity
        ("Account_Record_Page", False),  # a record page of another object
        ("No_Such_Page", False),
    ],
)
def test_emulator_accepts_an_org_default_only_for_a_record_page_of_the_object(content, accepted):
    state = build_state("sandbox")
    files = {OBJECT_PATH: assign_org_default(None, content)}
    outcome = run_deploy(state, deploy_zip(files, {"CustomObject": ["Opportunity"]}, "63.0"))
    assert outcome.ok is accepted
    if not accepted:
        problem = outcome.failures[0].problem
        # Missing or of another object: the recorded words (jongpie/NebulaLogger issue 20).
        assert problem == f"{content} does not exist or is not a valid override for action View."


def test_emulator_refuses_to_delete_the_org_default_page():
    state = build_state("sandbox")
    destructive = (
        f'<?xml version="1.0" encoding="UTF-8"?><Package xmlns="{MD}"><types>'
        "<members>Account_Record_Page</members><name>FlexiPage</name></types></Package>"
    ).encode()
    outcome = run_deploy(state, deploy_zip({"destructiveChanges.xml": destructive}, {}, "63.0"))
    assert not outcome.ok
    assert outcome.failures[0].problem.startswith("You can't delete an active Lightning Page.")


def test_emulator_refuses_a_pre_deletion_of_a_page_the_deploy_only_then_unassigns():
    from tasks.totango_sf.org.rollback import rollback_package

    state = build_state("sandbox")
    unassign = {"objects/Account.object": restore_org_default(None, None)}
    deleted = [("FlexiPage", "Account_Record_Page")]
    # As the rollback builds it: the page goes after the override no longer names it.
    package = rollback_package(unassign, deleted, "63.0")
    assert b"Account_Record_Page" in package["destructiveChangesPost.xml"]
    assert "destructiveChangesPre.xml" not in package
    assert run_deploy(state, zipped(package)).ok
    # Deleted first, while the org default still names it: refused.
    package["destructiveChangesPre.xml"] = package.pop("destructiveChangesPost.xml")
    refused = run_deploy(build_state("sandbox"), zipped(package))
    assert not refused.ok
    assert refused.failures[0].problem.startswith("You can't delete an active Lightning Page.")


def zipped(files: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return buffer.getvalue()
