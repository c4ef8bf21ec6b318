"""An org whose own files do not redeploy as they are, in parts no tool touched.

Orgs hold components they return on retrieve but refuse when the same file is deployed
back; one such failure rolls the whole atomic deploy back. Recorded cases:

- "We couldn't retrieve the design time component information for component
  flexipage:blankSpace" (forcedotcom/cli issue 2893): a Lightning page holding a
  component the org cannot describe at deploy time;
- "component access denied to component forceChatter:recordFeedContainer"
  (forcedotcom/idecore issue 202): a page holding a component the org does not grant;
- "In field: QuickAction - no QuickAction named FeedItem.RypplePost found"
  (trailheadapps/lwc-recipes issue 376): a layout listing a quick action the org lacks;
- "If Action is set to 'Tab', you must specify a CustomApplication"
  (forcedotcom/salesforcedx-vscode issue 1096): a retrieved profile's Tab
  ``profileActionOverrides`` that names no application.

Which components and actions an org cannot take is the org's own (its features,
licences, settings), so it is seeded: ``seed_unredeployable(state)`` puts one of each
into the seeded org's own files (pages and a layout a Totango deploy patches) and
records what the org refuses in ``state.quirks``. The problems carry the element's line
for the layout and the profile, and none for page components.
"""

from __future__ import annotations

from tasks.totango_sf.metadata.safe_xml import parse_xml
from tests.org_emulator.schema_check import Problem
from tests.org_emulator.state import MD_NS, OrgState

_M = f"{{{MD_NS}}}"
UNDESCRIBED = "flexipage:blankSpace"
DENIED = "forceChatter:recordFeedContainer"
MISSING_ACTION = "FeedItem.RypplePost"
_UNDESCRIBED_KEY = "undescribed_components"
_DENIED_KEY = "denied_components"
_MISSING_ACTIONS_KEY = "missing_quick_actions"

# Where the seeded org holds them: pages and a layout the default config patches.
UNDESCRIBED_PAGE = "Account_Sales_Dynamic"
DENIED_PAGE = "Lead_Dynamic_Page"
ACTION_LAYOUT = "Account-Account Layout"


def undescribed(component: str) -> str:
    return f"We couldn't retrieve the design time component information for component {component}"


def denied(component: str) -> str:
    return f"component access denied to component {component}"


def missing_action(action: str) -> str:
    return f"In field: QuickAction - no QuickAction named {action} found"


TAB_NEEDS_APP = "If Action is set to 'Tab', you must specify a CustomApplication."


def _component_item(name: str, identifier: str) -> bytes:
    return (
        "        <itemInstances>\n            <componentInstance>\n"
        f"                <componentName>{name}</componentName>\n"
        f"                <identifier>{identifier}</identifier>\n"
        "            </componentInstance>\n        </itemInstances>\n"
    ).encode()


def _add_to_first_region(data: bytes, item: bytes) -> bytes:
    marker = b"        </itemInstances>\n        <name>"
    at = data.index(marker) + len(b"        </itemInstances>\n")
    return data[:at] + item + data[at:]


def seed_unredeployable(state: OrgState) -> None:
    """The org's own pages and layout hold what it refuses to take back."""
    state.quirks[_UNDESCRIBED_KEY] = [UNDESCRIBED]
    state.quirks[_DENIED_KEY] = [DENIED]
    state.quirks[_MISSING_ACTIONS_KEY] = [MISSING_ACTION]
    for page, component, identifier in (
        (UNDESCRIBED_PAGE, UNDESCRIBED, "flexipage_blankSpace"),
        (DENIED_PAGE, DENIED, "forceChatter_recordFeedContainer"),
    ):
        data = state.metadata_xml("FlexiPage", page)
        assert data is not None
        state.set_metadata_xml(
            "FlexiPage", page, _add_to_first_region(data, _component_item(component, identifier))
        )
    layout = state.metadata_xml("Layout", ACTION_LAYOUT)
    assert layout is not None
    item = (
        "        <quickActionListItems>\n"
        f"            <quickActionName>{MISSING_ACTION}</quickActionName>\n"
        "        </quickActionListItems>\n"
    ).encode()
    state.set_metadata_xml(
        "Layout",
        ACTION_LAYOUT,
        layout.replace(b"    </quickActionList>", item + b"    </quickActionList>", 1),
    )


def flexipage_problems(view: OrgState, data: bytes) -> list[Problem]:
    refused = {
        **{c: undescribed(c) for c in view.quirks.get(_UNDESCRIBED_KEY, [])},
        **{c: denied(c) for c in view.quirks.get(_DENIED_KEY, [])},
    }
    if not refused:
        return []
    problems = []
    for name in parse_xml(data).iter(f"{_M}componentName"):
        component = (name.text or "").strip()
        if component in refused:
            problems.append(Problem(0, 0, refused[component]))
    return problems


def layout_problems(view: OrgState, data: bytes) -> list[Problem]:
    missing = set(view.quirks.get(_MISSING_ACTIONS_KEY, []))
    if not missing:
        return []
    return [
        Problem(element.sourceline or 1, 1, missing_action(action))
        for element in parse_xml(data).iter(f"{_M}quickActionName")
        if (action := (element.text or "").strip()) in missing
    ]


def profile_problems(data: bytes) -> list[Problem]:
    """A Profile's Tab override must name an application (it cannot, in a profile)."""
    problems = []
    for override in parse_xml(data).iter(f"{_M}profileActionOverrides"):
        action = override.find(f"{_M}actionName")
        if action is not None and (action.text or "").strip() == "Tab":
            problems.append(Problem(override.sourceline or 1, 1, TAB_NEEDS_APP))
    return problems
