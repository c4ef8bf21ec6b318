"""An org whose own files fail on redeploy, in the words recorded for such orgs.

forcedotcom/cli issue 2893 (flexipage:blankSpace), forcedotcom/idecore issue 202
(forceChatter:recordFeedContainer), trailheadapps/lwc-recipes issue 376
(FeedItem.RypplePost), forcedotcom/salesforcedx-vscode issue 1096 (a profile's Tab
override). One failure rolls the whole deploy back.
"""

from __future__ import annotations

import pytest

from tests.org_emulator import org_own_files
from tests.org_emulator.deploy_engine import run_deploy
from tests.org_emulator.seed import build_state
from tests.support.mdapi import deploy_zip

FLAVOURS = ["production", "sandbox"]


def redeploy(state, type_name: str, name: str, folder: str, suffix: str):
    data = state.metadata_xml(type_name, name)
    files = {f"{folder}/{name}.{suffix}": data}
    return run_deploy(state, deploy_zip(files, {type_name: [name]}, "63.0"))


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize(
    ("type_name", "name", "folder", "suffix", "problem", "line"),
    [
        (
            "FlexiPage",
            org_own_files.UNDESCRIBED_PAGE,
            "flexipages",
            "flexipage",
            "We couldn't retrieve the design time component information for component"
            " flexipage:blankSpace",
            None,
        ),
        (
            "FlexiPage",
            org_own_files.DENIED_PAGE,
            "flexipages",
            "flexipage",
            "component access denied to component forceChatter:recordFeedContainer",
            None,
        ),
        (
            "Layout",
            org_own_files.ACTION_LAYOUT,
            "layouts",
            "layout",
            "In field: QuickAction - no QuickAction named FeedItem.RypplePost found",
            True,
        ),
    ],
)
def test_the_orgs_own_file_sent_back_unchanged_is_refused(
    flavour, type_name, name, folder, suffix, problem, line
):
    state = build_state(flavour)
    assert run_deploy(state, _same(state, type_name, name, folder, suffix)).ok
    org_own_files.seed_unredeployable(state)
    before = state.metadata_xml(type_name, name)
    outcome = redeploy(state, type_name, name, folder, suffix)
    assert [f.problem for f in outcome.failures] == [problem]
    assert (outcome.failures[0].line is not None) is bool(line)
    assert outcome.new_state is None and state.metadata_xml(type_name, name) == before


def _same(state, type_name, name, folder, suffix) -> bytes:
    data = state.metadata_xml(type_name, name)
    return deploy_zip({f"{folder}/{name}.{suffix}": data}, {type_name: [name]}, "63.0")


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_profiles_tab_override_needs_an_application(flavour):
    state = build_state(flavour)
    name = state.names("Profile")[0]
    data = state.metadata_xml("Profile", name)
    override = (
        b"<profileActionOverrides><actionName>Tab</actionName><content>Account_Record_Page"
        b"</content><formFactor>Large</formFactor><pageOrSobjectType>standard-home"
        b"</pageOrSobjectType><type>Flexipage</type></profileActionOverrides>"
    )
    # In the Profile sequence, profileActionOverrides come before these.
    later = [
        t
        for t in (
            b"<recordTypeVisibilities>",
            b"<tabVisibilities>",
            b"<userLicense>",
            b"<userPermissions>",
            b"</Profile>",
        )
        if t in data
    ]
    at = min(data.index(t) for t in later)
    tabbed = data[:at] + override + data[at:]
    outcome = run_deploy(
        state, deploy_zip({f"profiles/{name}.profile": tabbed}, {"Profile": [name]}, "63.0")
    )
    assert [f.problem for f in outcome.failures] == [
        "If Action is set to 'Tab', you must specify a CustomApplication."
    ]
